/**
 * The builder writes what zot writes: checked against rows zot's Go code wrote.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { projectKey } from '../../src/format/project-key.js';
import { FX, rowsOf } from './zot-fixtures.js';
import { buildSampleArchive, cleanupTempDirs, effectiveTranscript, makeTempDir, renderSession, testId, writeSession } from './zot-archive.js';

afterAll(cleanupTempDirs);

describe('zot-archive', () => {
  test("meta, usage and rename rows are byte-identical to zot's", () => {
    const zot = rowsOf(FX.long);
    const ours = renderSession({
      cwd: '/home/dev/src/api',
      id: 'd907c305-0696-460b-b2c6-d0c3ee4cbca6',
      started: '2026-11-25T00:33:05.746894346Z',
      rows: [
        { usage: { cost: 0.0123, cumulative: 0.0123 } },
        { usage: { cost: 0.0456, cumulative: 0.0579 } },
        { modelSwitch: { model: 'gpt-5', provider: 'openai' } },
        { rename: 'Fix failing npm test' },
      ],
    }).text.split('\n');
    expect(ours.slice(0, 5)).toEqual([zot[0], zot[5], zot[9], zot[10], zot[18]]);
  });

  test("message rows escape and order fields as zot's do", () => {
    const zot = rowsOf(FX.long);
    const text = renderSession({ cwd: '/x', started: '2026-05-06T18:46:29.123456789Z', rows: [{ user: 'Why does `npm test` fail with <ENOENT> & exit 1?' }] }).text;
    const row = text.split('\n')[1]!;
    expect(row.replace(/"time":"[^"]*"/, '')).toBe(zot[1]!.replace(/"time":"[^"]*"/, ''));
  });

  test('writeSession puts the file in the project folder under zot\'s name; ids are UUID-v4-shaped and deterministic per seed', () => {
    const home = makeTempDir();
    const id = testId('seed');
    expect(id).toBe(testId('seed'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const p = writeSession(home, { cwd: '/proj', id, started: '2026-02-03T04:05:06.7Z' });
    expect(p).toBe(join(home, 'sessions', projectKey('/proj'), `20260203-040506-${id.slice(0, 8)}.jsonl`));
    expect(() => writeSession(home, { cwd: '/proj', id, started: '2026-02-03T04:05:06.7Z' })).toThrow();
    const a = writeSession(home, { cwd: '/proj' });
    const b = writeSession(home, { cwd: '/proj' });
    expect(a < b).toBe(true);
  });

  test('the oracle: compaction replaces, empty content is skipped, bad lines are skipped', () => {
    const home = makeTempDir();
    const p = writeSession(home, {
      cwd: '/o',
      rows: [
        { user: 'a' },
        { raw: '{"type":"message","message":{"role":"user","content":[]}}' },
        { raw: 'nope' },
        { compaction: [{ role: 'user', text: 'S' }] },
        { assistant: 'b' },
      ],
    });
    expect(effectiveTranscript(p).map((m) => (m as { content: Array<{ text: string }> }).content[0]!.text)).toEqual(['S', 'b']);
  });

  test('the sample archive: three projects, the promised kinds of session, a big row', () => {
    const home = makeTempDir();
    const s = buildSampleArchive(home, { bigRowBytes: 1_000_000 });
    expect(s.projects.length).toBeGreaterThanOrEqual(3);
    expect(new Set(s.bad.map((b) => b.code))).toEqual(new Set(['E_EMPTY', 'E_NOT_META', 'E_BOM', 'W_TRUNCATED']));
    expect(readFileSync(s.named.big).length).toBeGreaterThan(1_000_000);
    expect(readFileSync(s.named.hidden, 'utf8')).toContain('"hide_from_sessions":true');
    const all = s.projects.flatMap((p) => p.sessions).sort();
    expect([...s.good, ...s.bad.map((b) => b.path)].sort()).toEqual(all);
  });
});

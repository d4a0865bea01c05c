import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSession } from '../../src/session/describe-session.js';
import { digestSession } from '../../src/session/digest-session.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir, metaRowText, packedBytes, testId, writeSession, type SampleArchive } from '../helpers/zot-archive.js';
import { expectCode } from '../helpers/expect-code.js';

afterAll(cleanupTempDirs);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('digestSession', () => {
  let sample: SampleArchive;
  beforeAll(() => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_500_000 });
  });

  it('gives the identity, title and hidden flag zot shows, and the sha256 of the bytes', () => {
    for (const path of [...sample.good, sample.named.damaged]) {
      const d = digestSession(path, statSync(path).size);
      const described = describeSession(path);
      expect([d.id, d.parent, d.forkPoint, d.cwd, d.title, d.hidden]).toEqual([
        described.id,
        described.parent,
        described.forkPoint,
        described.cwd,
        described.summary.title,
        described.hidden,
      ]);
      expect([d.sha256, d.size, d.leftOut]).toEqual([sha(packedBytes(path)), packedBytes(path).length, readFileSync(path).length - packedBytes(path).length]);
    }
    expect(digestSession(sample.named.damaged, statSync(sample.named.damaged).size).leftOut).toBeGreaterThan(0);
    expect(digestSession(sample.named.renamed, statSync(sample.named.renamed).size).title).toBe('Renamed <by> user & co');
  });

  it('hashes exactly the first size bytes of a session that grows meanwhile', () => {
    const path = sample.named.plain;
    const before = readFileSync(path);
    appendFileSync(path, '{"title":"later","type":"rename"}\n');
    const d = digestSession(path, before.length);
    expect(d.size).toBe(before.length);
    expect(d.sha256).toBe(sha(before));
    expect(d.title).toBe('');
  });

  it('finds a title row that starts across a read boundary', () => {
    const home = makeTempDir();
    for (const shift of [-12, -10, -9, -5, -1, 0, 1, 5]) {
      const id = testId(`seam-${shift}`);
      const path = writeSession(home, { cwd: '/seam', id, rows: [{ user: 'x' }] });
      const head = readFileSync(path);
      // A filler row so that the rename row's leading newline sits at 1 MiB (a read's end) + shift.
      const fillerLength = (1 << 20) + shift - head.length;
      const open = '{"type":"message","message":{"role":"user","content":[{"text":"';
      const close = '"}],"time":"2026-01-01T00:00:00Z"}}';
      const filler = open + 'p'.repeat(fillerLength - open.length - close.length) + close;
      writeFileSync(path, Buffer.concat([head, Buffer.from(`${filler}\n{"title":"seam ${shift}","type":"rename"}\n`)]));
      expect(readFileSync(path).indexOf('\n{"title"')).toBe((1 << 20) + shift);
      const d = digestSession(path, statSync(path).size);
      expect(d.title).toBe(`seam ${shift}`);
      expect(describeSession(path).summary.title).toBe(`seam ${shift}`);
    }
  });

  it('lets a later meta row without a title clear a rename, as zot does', () => {
    const home = makeTempDir();
    const id = testId('clear');
    const path = writeSession(home, { cwd: '/c', id, rows: [{ user: 'x' }, { rename: 'named' }] });
    appendFileSync(path, `${metaRowText({ id, cwd: '/c', model: 'gpt-5', provider: 'openai', started: '2026-01-01T00:00:00Z', version: '1', title: '', parent: '', forkPoint: 0, hidden: true })}\n`);
    const d = digestSession(path, statSync(path).size);
    expect([d.title, d.hidden]).toEqual(['', true]);
    expect([describeSession(path).summary.title, describeSession(path).hidden]).toEqual(['', true]);
  });

  it('leaves out a last row zot is still writing (no newline, not yet JSON), and keeps a whole one without its newline', () => {
    const path = join(makeTempDir(), 'writing.jsonl');
    const whole = readFileSync(sample.named.plain);
    const row = '{"type":"message","message":{"role":"user","content":[{"text":"' + 'x'.repeat(3_000_000) + '"}]}}';
    writeFileSync(path, Buffer.concat([whole, Buffer.from(row.slice(0, 2_000_000))]));
    const partial = digestSession(path, statSync(path).size);
    expect([partial.size, partial.leftOut, partial.sha256]).toEqual([whole.length, 2_000_000, sha(whole)]);
    writeFileSync(path, Buffer.concat([whole, Buffer.from(row)]));
    expect(digestSession(path, statSync(path).size)).toMatchObject({ size: whole.length + row.length, leftOut: 0 });
  });

  it('refuses what zot cannot open, and a file that shrank', () => {
    const bad = sample.bad.filter((b) => b.code.startsWith('E_'));
    for (const b of bad) expectCode(() => digestSession(b.path, statSync(b.path).size), b.code);
    expectCode(() => digestSession(sample.named.root, statSync(sample.named.root).size + 10), 'E_CHANGED');
    expectCode(() => digestSession(join(makeTempDir(), 'gone.jsonl'), 10), 'E_NOT_FOUND');
  });
});

import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { FX, IDS } from '../helpers/zot-fixtures.js';
import { errorLine, jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('zotpack describe FILE', () => {
  const cwd = makeTempDir();

  test("prints zot's summary of the session", () => {
    const r = zotpack(['describe', FX.long], { cwd });
    expect(r.status).toBe(0);
    const fields = Object.fromEntries(linesOf(r.stdout).map((l) => [l.slice(0, 13).trim(), l.slice(13)]));
    expect(fields).toMatchObject({
      path: FX.long,
      id: IDS.long,
      cwd: '/home/dev/src/api',
      title: 'Fix failing npm test',
      model: 'openai/gpt-5',
      messages: '4',
      'first prompt': 'Why does `npm test` fail with <ENOENT> & exit 1?',
      cost: '$0.0749',
    });
  });

  test('a meta row without model or provider: no model line, not a bare slash', () => {
    const p = join(makeTempDir(), 'bare.jsonl');
    writeFileSync(p, '{"type":"meta","meta":{"id":"bare-id","cwd":"/x","started":"2026-01-01T00:00:00Z"}}\n');
    const r = zotpack(['describe', p], { cwd });
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout).filter((l) => l.startsWith('model'))).toEqual([]);
  });

  test('--json: one document with the summary', () => {
    const r = zotpack(['describe', '--json', FX.branch3], { cwd });
    expect(r.status).toBe(0);
    expect(jsonOf(r)).toMatchObject({
      path: FX.branch3,
      id: IDS.branch3,
      parent: IDS.long,
      forkPoint: 3,
      summary: { messages: 3, model: 'claude-sonnet-4-5', cost: 0 },
    });
  });

  test('row warnings go to stderr, one line each, naming the file and row; --json keeps them in the document', () => {
    const dir = makeTempDir();
    const p = join(dir, 's.jsonl');
    writeFileSync(p, `${linesOf(readFileSync(FX.branch1, 'utf8'))[0]}\nnot json\n`);
    const r = zotpack(['describe', p], { cwd });
    expect(r.status).toBe(0);
    expect(linesOf(r.stderr)).toEqual([`warning: ${p}:2: not valid JSON: zot skips this row [W_INVALID_ROW]`]);
    const j = zotpack(['describe', '--json', p], { cwd });
    expect(j.stderr).toBe('');
    expect(jsonOf(j).warnings).toEqual([{ code: 'W_INVALID_ROW', message: 'not valid JSON: zot skips this row', path: p, row: 2 }]);
  });

  test.each([
    ['an empty file', '', 'E_EMPTY'],
    ['a first row that is not meta', '{"type":"rename","title":"x"}\n', 'E_NOT_META'],
  ])('%s: exit 1, one error line naming the file and %s', (_n, text, code) => {
    const p = join(makeTempDir(), 'bad.jsonl');
    writeFileSync(p, text);
    const r = zotpack(['describe', '--json', p], { cwd });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(errorLine(r)).toContain(p);
    expect(errorLine(r)).toMatch(new RegExp(`\\[${code}\\]$`));
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { bodyOf, FX, IDS } from '../helpers/zot-fixtures.js';
import { errorLine, jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const LONG_NAME = '20261125-003305-d907c305-why-does-npm-test-fail-with-enoent-exit.zotsession';

describe('zotpack export SRC [DST]', () => {
  test('into a folder: prints the output path, exit 0; the file matches zot’s export body', () => {
    const cwd = makeTempDir();
    const r = zotpack(['export', FX.long, 'out/'], { cwd });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${join(cwd, 'out', LONG_NAME)}\n`);
    expect(bodyOf(join(cwd, 'out', LONG_NAME)).equals(bodyOf(FX.exportLong))).toBe(true);
    // The summary goes to stderr, so stdout stays the path alone.
    expect(linesOf(r.stderr)).toEqual([expect.stringMatching(/^exported the header and 17 rows \(dropped 1 folded into the header \(meta rows after the first/)]); // as --json counts them: rowsKept 17
  });

  test('DST defaults to the current folder', () => {
    const cwd = makeTempDir();
    const r = zotpack(['export', FX.long], { cwd });
    expect(r.status).toBe(0);
    expect(readdirSync(cwd).filter((n) => n.endsWith('.zotsession'))).toEqual([LONG_NAME]);
  });

  test('--json: exactly one JSON document describing the export', () => {
    const cwd = makeTempDir();
    const r = zotpack(['export', '--json', FX.branch3, 'named'], { cwd });
    expect(r.status).toBe(0);
    const j = jsonOf(r);
    expect(j).toMatchObject({
      output: join(cwd, 'named.zotsession'),
      id: IDS.branch3,
      parent: IDS.long,
      forkPoint: 3,
      cwd: '/home/dev/src/api',
      dropped: { invalid: 0, undecodable: 0, meta: 0 },
    });
    expect(existsSync(j.output)).toBe(true);
  });

  test('an existing destination: exit 1, one error line with the path and E_EXISTS, the file untouched', () => {
    const cwd = makeTempDir();
    expect(zotpack(['export', FX.long, '.'], { cwd }).status).toBe(0);
    const before = readFileSync(join(cwd, LONG_NAME));
    const r = zotpack(['export', FX.long, '.'], { cwd });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(errorLine(r)).toContain(join(cwd, LONG_NAME));
    expect(errorLine(r)).toMatch(/\[E_EXISTS\]$/);
    expect(readFileSync(join(cwd, LONG_NAME)).equals(before)).toBe(true);
    expect(readdirSync(cwd)).toEqual([LONG_NAME]);
  });

  test('a folder DST that is a file: the error names that path, not a temp file of zotpack', () => {
    const cwd = makeTempDir();
    expect(zotpack(['export', FX.long, 'named.zotsession'], { cwd }).status).toBe(0);
    const r = zotpack(['export', FX.long, 'named.zotsession/'], { cwd });
    expect(r.status).toBe(1);
    expect(errorLine(r)).toBe(`zotpack: ${join(cwd, 'named.zotsession')}: cannot create a file in the folder: a part of the path is not a folder [E_NOT_DIR]`);
    expect(readdirSync(cwd)).toEqual(['named.zotsession']);
  });

  test.each([
    ['a missing source', (d: string) => join(d, 'missing.jsonl'), 'E_NOT_FOUND'],
    ['a folder', (d: string) => d, 'E_IS_DIR'],
    ['zot’s fixture README (not a session)', () => join(FX.long, '..', '..', '..', '..', 'README.md'), 'E_NOT_META'],
  ] as Array<[string, (d: string) => string, string]>)('%s: exit 1, one error line naming the path and %s', (_n, make, code) => {
    const cwd = makeTempDir();
    const src = make(makeTempDir());
    for (const args of [['export', src, 'out/'], ['export', '--json', src, 'out/']]) {
      const r = zotpack(args, { cwd });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(linesOf(r.stderr)).toHaveLength(1);
      expect(errorLine(r)).toContain(join(src));
      expect(errorLine(r)).toContain(`[${code}]`);
      expect(readdirSync(cwd)).toEqual([]);
    }
  });
});

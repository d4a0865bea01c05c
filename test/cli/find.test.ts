import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FIXTURE_HOME, FX, IDS } from '../helpers/zot-fixtures.js';
import { errorLine, jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('zotpack find ID', () => {
  const cwd = makeTempDir();
  const home = FIXTURE_HOME; // read only

  test('an exact id and a unique prefix print the path, exit 0', () => {
    for (const id of [IDS.branch3at2, '31bc']) {
      const r = zotpack(['find', id], { cwd, home });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${FX.branch3at2}\n`);
    }
  });

  test('an id typed in capitals finds it (ids are hex)', () => {
    const r = zotpack(['find', IDS.branch3at2.toUpperCase().slice(0, 13)], { cwd, home });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${FX.branch3at2}\n`);
  });

  test('--json: one document with the match', () => {
    const r = zotpack(['find', '--json', 'f689'], { cwd, home });
    expect(r.status).toBe(0);
    expect(jsonOf(r).matches).toEqual([{ id: IDS.webImage, path: FX.webImage, cwd: '/home/dev/src/web' }]);
  });

  test('an ambiguous prefix lists the candidates and exits 1 with E_AMBIGUOUS', () => {
    const r = zotpack(['find', 'd9'], { cwd, home });
    expect(r.status).toBe(1);
    expect(linesOf(r.stdout).sort()).toEqual([`${IDS.long}  ${FX.long}`, `${IDS.branch3}  ${FX.branch3}`].sort());
    expect(errorLine(r)).toMatch(/\[E_AMBIGUOUS\]$/);
    expect(errorLine(r)).toContain(home);
    const j = zotpack(['find', '--json', 'd9'], { cwd, home });
    expect(j.status).toBe(1);
    expect(jsonOf(j).matches.map((m: { id: string }) => m.id).sort()).toEqual([IDS.long, IDS.branch3].sort());
  });

  test('a home and its export folder: one id in two files lists both, and says so rather than asking for more of the id', () => {
    const out = join(makeTempDir(), 'backup');
    expect(zotpack(['export', '--out', out, '-q'], { cwd, home }).status).toBe(0);
    const r = zotpack(['find', IDS.long.slice(0, 8), '--from', home, '--from', out], { cwd, home });
    expect(r.status).toBe(1);
    const exported = join(out, basename(dirname(FX.long)), `${basename(FX.long, '.jsonl')}.zotsession`);
    expect(linesOf(r.stdout).sort()).toEqual([`${IDS.long}  ${FX.long}`, `${IDS.long}  ${exported}`].sort());
    expect(errorLine(r)).toContain(`2 files hold session ${IDS.long} [E_AMBIGUOUS]`);
    // The export folder alone: the one file.
    expect(zotpack(['find', IDS.long.slice(0, 8), '--from', out], { cwd, home }).stdout).toBe(`${exported}\n`);
  });

  test('no match: exit 1, one error line naming where it looked and E_NOT_IN_ARCHIVE', () => {
    const r = zotpack(['find', 'ffff'], { cwd, home });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(errorLine(r)).toContain(home);
    expect(errorLine(r)).toMatch(/\[E_NOT_IN_ARCHIVE\]$/);
    const j = zotpack(['find', '--json', 'ffff'], { cwd, home });
    expect(j.status).toBe(1);
    expect(jsonOf(j).matches).toEqual([]);
  });

  test('--cwd limits the search to one project', () => {
    const r = zotpack(['find', '--json', 'd9', '--cwd', '/home/dev/src/web'], { cwd, home });
    expect(jsonOf(r).matches).toEqual([]);
  });
});

import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sessionsDir } from '../../src/format/project-key.js';
import { snapshot } from '../helpers/fs-snapshot.js';
import { bodyOf, FX, IDS } from '../helpers/zot-fixtures.js';
import { errorLine, jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

function bundle(src: string): string {
  const cwd = makeTempDir();
  const r = zotpack(['export', src, 'b/'], { cwd });
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

describe('zotpack import FILE', () => {
  test('lands in the recorded project under the original name; prints the path', () => {
    const home = makeTempDir();
    const file = bundle(FX.branch3);
    const r = zotpack(['import', file], { cwd: makeTempDir(), home });
    expect(r.status).toBe(0);
    const expected = join(sessionsDir(home, '/home/dev/src/api'), basename(FX.branch3));
    expect(r.stdout).toBe(`${expected}\n`);
    expect(readFileSync(expected).equals(readFileSync(FX.branch3))).toBe(true);
  });

  test('--json: one document; --home overrides ZOT_HOME', () => {
    const home = makeTempDir();
    const other = makeTempDir();
    const r = zotpack(['import', '--json', '--home', home, bundle(FX.long)], { cwd: makeTempDir(), home: other });
    expect(r.status).toBe(0);
    const j = jsonOf(r);
    expect(j).toMatchObject({ id: IDS.long, cwd: '/home/dev/src/api', dropped: { invalid: 0, undecodable: 0, meta: 0 } });
    expect(j.output.startsWith(home)).toBe(true);
    expect(snapshot(other)).toEqual([]);
  });

  test("zot's own export (no cwd recorded) goes to the current folder's project, or --cwd", () => {
    const home = makeTempDir();
    const cwd = makeTempDir();
    const r = zotpack(['import', FX.exportLong], { cwd, home });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(join(sessionsDir(home, realpathSync(cwd)), '20261125-003305-d907c305.jsonl'));
    const r2 = zotpack(['import', FX.exportBranch, '--cwd', '/x/y'], { cwd, home });
    expect(r2.status).toBe(0);
    expect(r2.stdout.trim()).toBe(join(sessionsDir(home, '/x/y'), '20261125-003306-d98930a4.jsonl'));
    expect(bodyOf(r2.stdout.trim()).equals(bodyOf(FX.exportBranch))).toBe(true);
  });

  test('--map-cwd moves the recorded folder (NEW taken from the current folder); rules that move it not are refused; not beside --cwd', () => {
    const home = makeTempDir();
    const cwd = makeTempDir();
    const file = bundle(FX.branch3);
    const r = zotpack(['import', file, '--map-cwd', '/home/dev/nothing=/z', '--map-cwd', '/home/dev/src=code', '--json'], { cwd, home });
    expect(r.status).toBe(0);
    const j = jsonOf(r);
    const to = join(realpathSync(cwd), 'code', 'api');
    expect(j).toMatchObject({ cwd: to, movedFrom: '/home/dev/src/api', output: join(sessionsDir(home, to), basename(FX.branch3)) });
    expect(readFileSync(j.output, 'utf8').split('\n')[0]).toContain(`"cwd":${JSON.stringify(to)}`);
    // No rule moves it (a typo in OLD): refused, nothing written — imported at the old folder it would stay there.
    const other = makeTempDir();
    const r2 = zotpack(['import', file, '--map-cwd', '/Users/ann=/home/ann'], { cwd, home: other });
    expect(r2.status).toBe(2);
    expect(errorLine(r2)).toBe(`zotpack: ${file}: --map-cwd /Users/ann=/home/ann: no session has its project folder under OLD, so none would move: nothing written (a dry run lists the folders) [E_USAGE]`);
    expect(snapshot(other)).toEqual([]);
    // One project for everything, or each moved: not both. Nothing written.
    const none = makeTempDir();
    const r3 = zotpack(['import', file, '--cwd', '/x', '--map-cwd', '/a=/b'], { cwd, home: none });
    expect(r3.status).toBe(2);
    expect(errorLine(r3)).toContain('not both [E_USAGE]');
    expect(snapshot(none)).toEqual([]);
  });

  test('a file of an export folder changed since its export: exit 1, E_HASH_MISMATCH, nothing written', () => {
    const work = makeTempDir();
    expect(zotpack(['export', '--out', 'backup', '--from', FX.branch3, '-q'], { cwd: work }).status).toBe(0);
    const file = join(work, 'backup', basename(dirname(FX.branch3)), `${basename(FX.branch3, '.jsonl')}.zotsession`);
    const bytes = readFileSync(file);
    const at = bytes.lastIndexOf('"text":"') + '"text":"'.length;
    bytes[at] ^= 0x20;
    writeFileSync(file, bytes);
    const home = makeTempDir();
    const r = zotpack(['import', file], { cwd: work, home });
    expect(r.status).toBe(1);
    expect(errorLine(r)).toMatch(new RegExp(`^zotpack: ${file}: .*the export manifest says .*\\[E_HASH_MISMATCH\\]$`));
    expect(snapshot(home)).toEqual([]);
  });

  test('a bundle, gzipped or not: exit 1, pointed at unpack, nothing written', () => {
    const cwd = makeTempDir();
    const home = makeTempDir();
    for (const args of [[], ['--no-gzip']]) {
      expect(zotpack(['pack', '-o', 'all.zotpack', '--force', '-q', ...args], { cwd, home: join(FX.long, '..', '..', '..') }).status).toBe(0);
      const r = zotpack(['import', 'all.zotpack'], { cwd, home });
      expect(r.status).toBe(1);
      expect(errorLine(r)).toBe('zotpack: all.zotpack: a bundle (gzip or tar), not a session: use `zotpack unpack` for bundles [E_NOT_META]');
    }
    expect(snapshot(home)).toEqual([]);
  });

  test('the same file twice: exit 1, one error line with the path and E_DUPLICATE_ID, nothing written', () => {
    const home = makeTempDir();
    const file = bundle(FX.branch1);
    expect(zotpack(['import', file], { cwd: makeTempDir(), home }).status).toBe(0);
    const before = snapshot(home);
    const r = zotpack(['import', file], { cwd: makeTempDir(), home });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(linesOf(r.stderr)).toHaveLength(1);
    expect(errorLine(r)).toContain(file);
    expect(errorLine(r)).toMatch(/\[E_DUPLICATE_ID\]$/);
    expect(snapshot(home)).toEqual(before);
    // Into another project, or moved by a rule: still the one session, already in the home.
    for (const args of [['--cwd', '/elsewhere'], ['--map-cwd', '/home/dev=/srv']]) {
      const again = zotpack(['import', file, ...args], { cwd: makeTempDir(), home });
      expect(again.status).toBe(1);
      expect(errorLine(again)).toMatch(/is already there as .*\[E_DUPLICATE_ID\]$/);
      expect(snapshot(home)).toEqual(before);
    }
  });

  test('--fresh-id imports a copy under a new id', () => {
    const home = makeTempDir();
    const file = bundle(FX.branch1);
    expect(zotpack(['import', file], { cwd: makeTempDir(), home }).status).toBe(0);
    const r = zotpack(['import', '--fresh-id', '--json', file], { cwd: makeTempDir(), home });
    expect(r.status).toBe(0);
    const j = jsonOf(r);
    expect(j.id).not.toBe(IDS.branch1);
    expect(j.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(basename(j.output)).toMatch(new RegExp(`^\\d{8}-\\d{6}-${j.id.slice(0, 8)}\\.jsonl$`));
    expect(bodyOf(j.output).equals(bodyOf(FX.branch1))).toBe(true);
  });

  test('a BOM file: exit 1, E_BOM naming the file, nothing written', () => {
    const home = makeTempDir();
    const src = join(makeTempDir(), 'bom.zotsession');
    writeFileSync(src, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(FX.exportBranch)]));
    const r = zotpack(['import', src], { cwd: makeTempDir(), home });
    expect(r.status).toBe(1);
    expect(errorLine(r)).toContain(src);
    expect(errorLine(r)).toMatch(/\[E_BOM\]$/);
    expect(existsSync(join(home, 'sessions'))).toBe(false);
  });
});

/**
 * Folders typed on the command line name this machine's folders as zot
 * records a cwd: absolute. A relative --cwd, --project or --map-cwd NEW is
 * taken from the current folder and `~` is the home folder; otherwise a
 * session lands in a project zot never shows (the key of ".").
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectKey, sessionsRoot } from '../../src/format/project-key.js';
import { jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { listTree } from '../helpers/fs-snapshot.js';
import { FX, FIXTURE_HOME } from '../helpers/zot-fixtures.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('folders typed relative to the current folder, or to ~', () => {
  it('import --cwd ., then tree --cwd ., stats --project . and find --cwd . see that project', () => {
    const work = makeTempDir();
    const proj = join(work, 'proj');
    mkdirSync(proj);
    const home = join(work, 'home');
    expect(zotpack(['import', FX.exportLong, '--cwd', '.', '-q'], { cwd: proj, home }).status).toBe(0);
    const key = projectKey(proj);
    expect(listTree(sessionsRoot(home)).filter((p) => p.endsWith('.jsonl')).map((p) => p.split('/')[0])).toEqual([key]);
    const projects = jsonOf(zotpack(['tree', '--cwd', '.', '--json'], { cwd: proj, home })).projects as Array<{ cwd: string }>;
    expect(projects.map((p) => p.cwd)).toEqual([proj]);
    expect(linesOf(zotpack(['stats', '--project', '.'], { cwd: proj, home }).stdout)[1]).toMatch(new RegExp(`^${proj}\\t1\\t`));
    expect(zotpack(['find', 'd907', '--cwd', '.'], { cwd: proj, home }).status).toBe(0);
    // The test's HOME is its working folder: ~/proj is proj, typed where no shell expands it.
    for (const typed of ['--cwd=~/proj', '--cwd=~/proj/', '--cwd=~//proj/.']) {
      expect(zotpack(['tree', typed, '--json'], { cwd: work, home }).stdout, typed).toContain(`"cwd":"${proj}"`);
    }
    // Cleaned as zot's cwd is: doubled slashes, '.', '..' and a trailing slash name the same project.
    for (const typed of [`${work}//proj/`, `${work}/./proj/sub/..`]) {
      expect(zotpack(['tree', '--project', typed, '--json'], { cwd: work, home }).stdout, typed).toContain(`"cwd":"${proj}"`);
    }
    // A project key stays a key.
    expect(zotpack(['stats', '--project', key, '--json'], { cwd: work, home }).stdout).toContain(`"${proj}"`);
  });

  it('branch --cwd, unpack --map-cwd OLD=NEW and import --map-cwd take a relative folder from the current one; OLD stays as typed', () => {
    const work = makeTempDir();
    const branched = linesOf(zotpack(['branch', FX.long, '--at', '1', '--cwd', 'proj', '--home', join(work, 'h1')], { cwd: work }).stdout)[0]!;
    expect(branched.startsWith(join(sessionsRoot(join(work, 'h1')), projectKey(join(work, 'proj'))))).toBe(true);
    expect(zotpack(['pack', '-o', 'all.zotpack', '--from', FIXTURE_HOME, '-q'], { cwd: work }).status).toBe(0);
    const home = join(work, 'h2');
    expect(zotpack(['unpack', 'all.zotpack', '--map-cwd', '/home/dev/src=code', '-q'], { cwd: work, home }).status).toBe(0);
    const cwds = (jsonOf(zotpack(['tree', '--json'], { cwd: work, home })).projects as Array<{ cwd: string }>).map((p) => p.cwd);
    expect(cwds).toContain(join(work, 'code', 'api'));
    expect(cwds.every((c) => c.startsWith(join(work, 'code')))).toBe(true);
    // import of an export folder moves the same way.
    expect(zotpack(['export', '--out', 'backup', '--from', FIXTURE_HOME, '-q'], { cwd: work }).status).toBe(0);
    const h3 = join(work, 'h3');
    expect(zotpack(['import', 'backup', '--map-cwd', '/home/dev/src=code', '-q'], { cwd: work, home: h3 }).status).toBe(0);
    const imported = (jsonOf(zotpack(['tree', '--json'], { cwd: work, home: h3 })).projects as Array<{ cwd: string }>).map((p) => p.cwd);
    expect(imported.sort()).toEqual(cwds.sort());
  });
});

import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sessionsDir } from '../../src/format/project-key.js';
import { snapshot } from '../helpers/fs-snapshot.js';
import { bodyOf, FX, headerOf, IDS } from '../helpers/zot-fixtures.js';
import { errorLine, jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('zotpack branch SRC --at N', () => {
  test('writes the branch into the source project of ZOT_HOME and prints its path', () => {
    const home = makeTempDir();
    const r = zotpack(['branch', FX.long, '--at', '3'], { cwd: makeTempDir(), home });
    expect(r.status).toBe(0);
    const out = r.stdout.trim();
    expect(linesOf(r.stdout)).toHaveLength(1);
    expect(dirname(out)).toBe(sessionsDir(home, '/home/dev/src/api'));
    expect(bodyOf(out).equals(bodyOf(FX.branch3))).toBe(true);
    expect(JSON.parse(headerOf(out)).meta).toMatchObject({ parent: IDS.long, fork_point: 3, model: 'gpt-5' });
  });

  test('--json and --cwd', () => {
    const home = makeTempDir();
    const r = zotpack(['branch', '--json', FX.branch3, '--at', '2', '--cwd', '/elsewhere'], { cwd: makeTempDir(), home });
    expect(r.status).toBe(0);
    const j = jsonOf(r);
    expect(j).toMatchObject({ parent: IDS.branch3, forkPoint: 2, cwd: '/elsewhere', transcriptLength: 3, rowsWritten: 2 });
    expect(dirname(j.output)).toBe(sessionsDir(home, '/elsewhere'));
    expect(bodyOf(j.output).equals(bodyOf(FX.branch3at2))).toBe(true);
  });

  test('a fork point past the end: exit 1, one error line naming the source and E_BAD_FORK, nothing written', () => {
    const home = makeTempDir();
    for (const args of [['branch', FX.long, '--at', '99'], ['branch', '--json', FX.long, '--at', '5']]) {
      const r = zotpack(args, { cwd: makeTempDir(), home });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(linesOf(r.stderr)).toHaveLength(1);
      expect(errorLine(r)).toContain(FX.long);
      expect(errorLine(r)).toMatch(/\[E_BAD_FORK\]$/);
    }
    expect(snapshot(home)).toEqual([]);
  });

  test('--at that is not a whole number a JavaScript number holds exactly: a usage error (exit 2), nothing written', () => {
    const home = makeTempDir();
    for (const at of ['1.5', 'two', '99999999999999999999']) {
      const r = zotpack(['branch', FX.long, '--at', at], { cwd: makeTempDir(), home });
      expect([r.status, linesOf(r.stderr)[0]], at).toEqual([2, `zotpack: --at takes a whole number, got '${at}'`]);
    }
    expect(snapshot(home)).toEqual([]);
  });

  test('a missing source: exit 1, E_NOT_FOUND naming it', () => {
    const src = join(makeTempDir(), 'gone.jsonl');
    const r = zotpack(['branch', src, '--at', '0'], { cwd: makeTempDir(), home: makeTempDir() });
    expect(r.status).toBe(1);
    expect(errorLine(r)).toContain(src);
    expect(errorLine(r)).toMatch(/\[E_NOT_FOUND\]$/);
  });
});

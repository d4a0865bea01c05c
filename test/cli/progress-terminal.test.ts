/**
 * On a terminal, the progress bar (stderr) and the results (stdout) share
 * one screen. The bar saves the cursor as it starts and goes back to it to
 * clear itself, so a line written while it is up is cleared or written
 * over: `zotpack stats` lost its header row that way. Run under `script`
 * (a real pseudo-terminal), the results must come after the bar is gone,
 * and the bar must not come back over them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/run-cli.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const RESTORE_CURSOR = '\x1b8';
const BAR = ' files | ';

/** What a terminal receives from `zotpack ARGS`, stdout and stderr together, as they came. */
function onTerminal(args: string[], home: string): string {
  const command = ['node', BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'latin1', env: { ...process.env, ZOT_HOME: home, NO_COLOR: '' } });
  // (The sample archive holds files zot cannot read: exit 1, and a report of them.)
  expect(r.status, r.stderr).not.toBeNull();
  return r.stdout;
}

describe.skipIf(!existsSync('/usr/bin/script'))('the progress bar on a terminal', () => {
  const home = buildSampleArchive(makeTempDir(), { bigRowBytes: 2_000_000 }).home;

  it.each([
    ['stats', ['stats', '--project', '/home/dev/src/api'], 'project\tsessions\t'],
    ['tree', ['tree', '--project', '/home/dev/src/api'], '/home/dev/src/api  ('],
  ])('%s: the results come after the bar is cleared, and it is not drawn again over them', (_, args, first) => {
    const seen = onTerminal(args, home);
    const at = seen.indexOf(first);
    expect(at).toBeGreaterThan(0);
    // The bar was up (else this proves nothing), and went before the results.
    expect(seen.lastIndexOf(BAR, at)).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf(RESTORE_CURSOR, at)).toBe(-1);
    expect(seen.indexOf(BAR, at)).toBe(-1);
  });
});

/**
 * mkdir -p that always ends: the folders made, the topmost returned, and a
 * refusal final (Node 20's own recursive mkdir loops forever on /proc).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFolders } from '../../src/session/make-folders.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('makeFolders', () => {
  it('makes the missing folders and returns the topmost; nothing to make, undefined', () => {
    const root = makeTempDir();
    expect(makeFolders(join(root, 'a', 'b', 'c'))).toBe(join(root, 'a'));
    expect(existsSync(join(root, 'a', 'b', 'c'))).toBe(true);
    expect(makeFolders(join(root, 'a', 'b'))).toBeUndefined();
  });

  it('a file in the way is ENOTDIR', () => {
    const root = makeTempDir();
    writeFileSync(join(root, 'f'), '');
    expect(() => makeFolders(join(root, 'f', 'x'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it('a folder that refuses the child (/proc) is an error, at once', () => {
    const module = join(process.cwd(), 'dist', 'src', 'session', 'make-folders.js');
    const script = `const { makeFolders } = await import(${JSON.stringify(module)});
      try { makeFolders('/proc/zotpack-no/x'); } catch (e) { console.log(e.code); }`;
    // In a child with a time limit: the loop this guards against never returns.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect([r.signal, r.stdout.trim()]).toEqual([null, 'ENOENT']);
  });
});

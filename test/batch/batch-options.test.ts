/**
 * What a library caller can get wrong, refused with E_USAGE naming the
 * option before anything is read or written (the CLI's own checks do not
 * reach a caller of the library).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportArchive } from '../../src/batch/export-archive.js';
import { importArchive } from '../../src/batch/import-archive.js';
import { packArchive } from '../../src/batch/pack-archive.js';
import { unpackArchive } from '../../src/batch/unpack-archive.js';
import { verifyArchive } from '../../src/batch/verify-archive.js';
import { archiveTrees } from '../../src/batch/archive-trees.js';
import { cleanupTempDirs, makeTempDir, writeSession } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('options a library caller gives', () => {
  const home = makeTempDir();
  writeSession(home, { cwd: '/o', rows: [{ user: 'hi' }] });

  it("an empty or missing out, home or path: E_USAGE naming it ('' would be the current folder)", async () => {
    const cwd = process.cwd();
    const before = readdirSync(cwd);
    const any = (o: object) => o as never;
    await expect(exportArchive(any({ sources: [home], out: '' }))).rejects.toMatchObject({ code: 'E_USAGE', message: "out must be a path (a non-empty string), got ''" });
    await expect(exportArchive(any({ sources: [home] }))).rejects.toMatchObject({ code: 'E_USAGE', message: 'out must be a path (a non-empty string), got undefined' });
    await expect(importArchive(any({ sources: [home] }))).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/^home must be a path/) });
    await expect(unpackArchive(any({ bundle: join(home, 'x') }))).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/^home must be a path/) });
    await expect(packArchive(any({ sources: [home] }))).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/^out must be a path/) });
    await expect(verifyArchive(any({}))).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/^path must be a path/) });
    expect(readdirSync(cwd)).toEqual(before);
  });

  it('sources given as one string, not a list, is refused (its characters were taken as sources, "/" among them)', async () => {
    await expect(archiveTrees({ sources: home as never })).rejects.toMatchObject({ code: 'E_USAGE', message: 'sources must be a list of paths (non-empty strings)' });
    await expect(archiveTrees({ sources: [home, ''] })).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('a cwd or a mapping NEW that is not absolute is refused: zot would never find a session recorded there', async () => {
    const out = makeTempDir();
    await exportArchive({ sources: [home], out, jobs: 1 });
    const target = makeTempDir();
    await expect(importArchive({ sources: [out], home: target, cwd: 'rel/dir' })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining("got 'rel/dir'") });
    await expect(importArchive({ sources: [out], home: target, mapCwd: ['/o=~/code'] })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining("got '~/code'") });
    expect(existsSync(join(target, 'sessions'))).toBe(false);
    // Another system's absolute folder is kept as typed, as the CLI keeps it.
    const r = await importArchive({ sources: [out], home: target, mapCwd: ['/o=D:\\work\\o'], jobs: 1 });
    expect(r.imported.map((i) => i.cwd)).toEqual(['D:\\work\\o']);
  });
});

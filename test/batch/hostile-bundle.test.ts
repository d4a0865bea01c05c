/**
 * Security regressions: bundles built by a stranger to exhaust memory or
 * time. Each is refused as a whole (E_BAD_BUNDLE), quickly, with nothing
 * written, rather than read on while every refusal is kept.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_REFUSED } from '../../src/batch/bundle-manifest.js';
import { unpackArchive } from '../../src/batch/unpack-archive.js';
import { verifyArchive } from '../../src/batch/verify-archive.js';
import { manifestEntry, manifestText, writeTar, type TarEntrySpec } from '../helpers/tar-builder.js';
import { projectKey } from '../../src/format/project-key.js';
import { cleanupTempDirs, makeTempDir, renderSession, testId, writeSession } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

async function bundleOf(manifest: string | Buffer, entries: TarEntrySpec[] = []): Promise<string> {
  const path = join(makeTempDir(), 'hostile.zotpack');
  await writeTar(path, [{ name: 'manifest.json', data: manifest }, ...entries], { gzip: true });
  return path;
}

async function refusedWhole(bundle: string, reason: RegExp): Promise<void> {
  const v = await verifyArchive({ path: bundle, jobs: 1 });
  expect(v.ok).toBe(false);
  expect(v.problems.filter((p) => reason.test(p.message)).map((p) => p.code)).toEqual(['E_BAD_BUNDLE']);
  expect(v.problems.length).toBeLessThanOrEqual(MAX_REFUSED + 1);
  const home = makeTempDir();
  const u = await unpackArchive({ bundle, home, jobs: 1 });
  expect(u.report.errors.filter((e) => reason.test(e.message)).map((e) => e.code)).toEqual(['E_BAD_BUNDLE']);
  expect(u.report.errors.length).toBeLessThanOrEqual(MAX_REFUSED + 1);
  expect(existsSync(join(home, 'sessions'))).toBe(false);
}

describe('a bundle built to exhaust memory', () => {
  it('refuses a manifest whose entries it rejects by the thousand (3 million took 3.9 GB and 54 s)', async () => {
    const junk = Array.from({ length: MAX_REFUSED + 1 }, () => ({}));
    await refusedWhole(await bundleOf(manifestText(junk)), new RegExp(`rejects over ${MAX_REFUSED} of its entries`));
  });

  it('refuses a bundle whose entries it refuses by the thousand (3 million unlisted took 3 GB)', async () => {
    const entries = Array.from({ length: MAX_REFUSED + 1 }, (_, i) => ({ name: `sessions/0123456789abcdef/x${i}.jsonl`, data: 'x' }));
    await refusedWhole(await bundleOf(manifestText([]), entries), new RegExp(`over ${MAX_REFUSED} of its entries refused`));
  });

  it('refuses a manifest nested deep, a value of over 16 MiB, and one of 40 MB of "[" (they took 2.8-22 GB to parse)', async () => {
    const good = manifestEntry('sessions/0123456789abcdef/a.jsonl', '{}\n');
    await refusedWhole(await bundleOf(manifestText([good]).replace('"sessions":[', `"x":${'['.repeat(100)}`)), /nested deeper than 64 levels/);
    await refusedWhole(await bundleOf(manifestText([{ ...good, title: 't'.repeat(17 << 20) }])), /a value of over 16 MiB/);
    await refusedWhole(await bundleOf(Buffer.alloc(40 << 20, '[')), /not a JSON object/);
  });
});

describe('a bundle whose sessions are not what its manifest says', () => {
  it('unpack publishes none of them, as verify finds each: another id in the meta row, bytes that are no session, a BOM, no rows', async () => {
    const key = projectKey('/h');
    const good = renderSession({ cwd: '/h', id: testId('good'), rows: [{ user: 'hi' }] }).text;
    // The home has a session; the stranger's bundle claims a new id in its manifest, and the home's id in its meta row.
    const home = makeTempDir();
    const mine = writeSession(home, { cwd: '/h', id: testId('mine'), rows: [{ user: 'mine' }] });
    const impostor = renderSession({ cwd: '/h', id: testId('mine'), rows: [{ user: 'planted' }] }).text;
    const cases: Array<[string, string, string]> = [
      ['impostor', impostor, 'E_BAD_BUNDLE'],
      ['garbage', 'garbage\n', 'E_NOT_META'],
      ['bom', `\ufeff${good}`, 'E_BOM'],
      ['blank', '\n\n', 'E_BAD_BUNDLE'],
    ];
    const entries = cases.map(([name, data]) => ({ name: `sessions/${key}/20260101-000000-${name}.jsonl`, data }));
    const goodName = `sessions/${key}/20260101-000000-good.jsonl`;
    const listed = [...entries.map((e) => manifestEntry(e.name, e.data, { id: testId('stranger') })), manifestEntry(goodName, good, { id: testId('good') })];
    const bundle = await bundleOf(manifestText(listed), [...entries, { name: goodName, data: good }]);
    const v = await verifyArchive({ path: bundle, jobs: 1 });
    const u = await unpackArchive({ bundle, home, jobs: 1 });
    for (const [name, , code] of cases) {
      const path = `sessions/${key}/20260101-000000-${name}.jsonl`;
      expect(v.problems.map((p) => [p.path, p.code])).toContainEqual([path, code]);
      expect(u.report.errors.map((e) => [e.path, e.code])).toContainEqual([path, code]);
      expect(existsSync(join(home, path))).toBe(false);
    }
    expect(readFileSync(join(home, goodName), 'utf8')).toBe(good);
    expect(readdirSync(dirname(mine)).sort()).toEqual([basename(mine), basename(goodName)].sort());
  });
});

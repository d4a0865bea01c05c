import { afterAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { exportArchive } from '../src/batch/export-archive.js';
import { readManifest } from '../src/batch/export-manifest.js';
import { packArchive } from '../src/batch/pack-archive.js';
import { verifyArchive } from '../src/batch/verify-archive.js';
import { version } from '../src/version.js';
import { packageVersion } from './helpers/run-cli.js';
import { cleanupTempDirs, makeTempDir, writeSession } from './helpers/zot-archive.js';

afterAll(cleanupTempDirs);

it('bundles and export manifests made through the library record this zotpack, unless told another version', async () => {
  expect(version()).toBe(packageVersion());
  const home = makeTempDir();
  writeSession(home, { cwd: '/v', rows: [{ user: 'hi' }] });
  const out = makeTempDir();
  await exportArchive({ sources: [home], out, jobs: 1 });
  expect(readManifest(out)!.zotpack).toBe(packageVersion());
  const bundle = join(makeTempDir(), 'b.zotpack');
  await packArchive({ sources: [home], out: bundle, jobs: 1, durable: false });
  expect((await verifyArchive({ path: bundle, jobs: 1 })).manifest?.zotpack).toBe(packageVersion());
  await packArchive({ sources: [home], out: bundle, jobs: 1, durable: false, version: '9.9.9', force: true });
  expect((await verifyArchive({ path: bundle, jobs: 1 })).manifest?.zotpack).toBe('9.9.9');
});

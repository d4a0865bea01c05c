import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveBatchOptions } from '../../src/batch/batch-options.js';
import { describeProjects } from '../../src/batch/describe-archive.js';
import { exportArchive } from '../../src/batch/export-archive.js';
import { packDescription, unpackDescription } from '../../src/batch/packed-description.js';
import { verifyArchive } from '../../src/batch/verify-archive.js';
import { describeSession, type SessionDescription } from '../../src/session/describe-session.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';
import { FIXTURE_HOME } from '../helpers/zot-fixtures.js';

afterAll(cleanupTempDirs);

/** Every session zot wrote in the fixture home. */
function zotSessions(): string[] {
  const sessions = join(FIXTURE_HOME, 'sessions');
  return readdirSync(sessions).flatMap((key) => readdirSync(join(sessions, key)).map((name) => join(sessions, key, name)));
}

describe('a packed description', () => {
  it('unpacks to the description it was packed from, for every session zot wrote', () => {
    const paths = zotSessions();
    expect(paths.length).toBeGreaterThan(1);
    for (const path of paths) {
      const d = describeSession(path);
      // Through a structured clone, as it crosses from a worker.
      const packed = structuredClone(packDescription(d));
      expect(JSON.stringify(packed)).not.toContain(path);
      expect(unpackDescription(packed, path)).toEqual(d);
    }
  });

  it('carries warnings, counts by type and a sha256, and shares the strings it is given to intern', () => {
    const dir = makeTempDir();
    const path = join(dir, 'a.jsonl');
    writeFileSync(path, '{"type":"meta","meta":{"id":"a","cwd":"/p","model":"m1"}}\nnot json\n{"type":"usage","usage":{}}\n');
    const d = describeSession(path, { hashBytes: 10 });
    expect(d.warnings).toHaveLength(1);
    expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
    const seen = new Map<string, string>();
    const intern = (s: string) => seen.get(s) ?? (seen.set(s, s), s);
    const back = unpackDescription(structuredClone(packDescription(d)), path, intern);
    expect(back).toEqual(d);
    expect([...seen.keys()].sort()).toEqual(['', '/p', 'm1']);
    // Nothing to say, nothing sent: an empty list and record come back empty.
    const quiet = { ...d, warnings: [], counts: { ...d.counts, byType: {} } };
    expect(packDescription(quiet)[14]).toBe(0);
    expect(packDescription(quiet)[19]).toBe(0);
    expect(unpackDescription(packDescription(quiet), path)).toEqual({ ...quiet, sha256: d.sha256 });
  });
});

describe('descriptions from worker threads', () => {
  // Small runs are described on the calling thread: these are not.
  const threaded = { jobs: 2, inlineSmallRuns: false };

  it('are what describing each file on this thread gives, for tree and for stats', async () => {
    const home = makeTempDir();
    const sample = buildSampleArchive(home, { bigRowBytes: 200_000 });
    for (const command of ['tree', 'stats'] as const) {
      const got: SessionDescription[] = [];
      const report = await describeProjects(resolveBatchOptions({ sources: [home], ...threaded }), command, (_key, sessions) => {
        for (const s of sessions) got.push(s.description);
      });
      // (Sessions with damaged rows are described too, with their warnings.)
      expect(got.length).toBe(report.report.succeeded);
      expect(got.map((d) => d.path)).toEqual(expect.arrayContaining(sample.good));
      expect(got.some((d) => d.warnings.length > 0)).toBe(true);
      for (const d of got) {
        const want = describeSession(d.path);
        // What each purpose leaves out (the worker's leanDescription).
        if (command === 'stats') want.summary.firstUserText = '';
        else {
          want.summary.firstUserText = want.summary.firstUserText.slice(0, 100);
          want.counts.byType = {};
        }
        expect(d, d.path).toEqual(want);
      }
    }
  });

  it("carry the sha256 verify checks an export folder's manifest with", async () => {
    const home = makeTempDir();
    buildSampleArchive(home, { bigRowBytes: 200_000 });
    const out = makeTempDir();
    const exported = await exportArchive({ sources: [home], out, jobs: 1 });
    expect((await verifyArchive({ path: out, ...threaded })).problems).toEqual([]);
    const file = join(out, exported.plan[0]!.output);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0x01;
    writeFileSync(file, bytes);
    const r = await verifyArchive({ path: out, ...threaded });
    expect(r.problems.map((p) => [p.code, p.path])).toContainEqual(['E_HASH_MISMATCH', file]);
  });
});

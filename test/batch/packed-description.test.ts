import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packDescription, unpackDescription } from '../../src/batch/packed-description.js';
import { describeSession } from '../../src/session/describe-session.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';
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

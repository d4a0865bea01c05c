import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFEST_NAME, ManifestCursor, ManifestWriter, readManifest, writeManifest, type ExportManifest, type ManifestEntry } from '../../src/batch/export-manifest.js';
import { expectCode } from '../helpers/expect-code.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

function entry(k: number, extra: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    source: `/home/u/.zot/sessions/0123456789abcdef/2026010${k}-000000-a.jsonl`,
    output: `0123456789abcdef/2026010${k}-000000-a.zotsession`,
    cwd: '/home/u/src/api',
    key: '0123456789abcdef',
    id: `id-${k}`,
    parent: k > 0 ? 'id-0' : '',
    forkPoint: k,
    started: '2026-01-01T00:00:00.123456789Z',
    // Text that must survive line-by-line reading: a comma at the end, brackets, newlines, non-ASCII.
    title: k === 1 ? 'ends with a comma,' : k === 2 ? '  ],\n  "sessions": [ é 😀' : '',
    model: 'gpt-5',
    provider: 'openai',
    size: 100 + k,
    mtimeMs: 1795596780949.5159 + k,
    rows: 3,
    bytes: 120 + k,
    sha256: 'ab'.repeat(32),
    ...extra,
  };
}

function manifest(sessions: ManifestEntry[]): ExportManifest {
  return { format: 'zotpack-export', version: 1, zotpack: '0.1.0', updated: '2026-11-25T10:00:00.000Z', sessions };
}

describe('export manifest', () => {
  it('reads back what it wrote, entry for entry', () => {
    const out = makeTempDir();
    const m = manifest([0, 1, 2, 3].map((k) => entry(k, k === 3 ? { sourceDeleted: true } : {})));
    writeManifest(out, structuredClone(m), false);
    expect(readManifest(out)).toEqual(m);
  });

  it('writes manifests bigger than its write buffer, and an entry bigger than the buffer, byte for byte', () => {
    const out = makeTempDir();
    // 5,000 entries (about 1.7 MB) cross the 1 MiB buffer; one title alone is 1.2 MB of UTF-8.
    const sessions = Array.from({ length: 5000 }, (_, k) => entry(k % 10, { id: `id-${k}`, output: `k/${String(k).padStart(5, '0')}.zotsession` }));
    sessions[2500]!.title = 'é😀'.repeat(200_000);
    const m = manifest(sessions);
    writeManifest(out, structuredClone(m), false);
    expect(readManifest(out)).toEqual(m);
    const text = readFileSync(join(out, MANIFEST_NAME), 'utf8');
    expect(JSON.parse(text)).toEqual(m);
    expect(text.split('\n')).toHaveLength(5000 + 9);
  });

  it('reads an empty manifest and a missing one', () => {
    const out = makeTempDir();
    expect(readManifest(out)).toBeUndefined();
    writeManifest(out, manifest([]), false);
    expect(readManifest(out)).toEqual(manifest([]));
  });

  it('reads a manifest laid out another way (edited by hand) as a whole', () => {
    const out = makeTempDir();
    const m = manifest([entry(0), entry(1)]);
    writeFileSync(join(out, MANIFEST_NAME), JSON.stringify(m, null, 2));
    expect(readManifest(out)).toEqual(m);
    writeFileSync(join(out, MANIFEST_NAME), JSON.stringify(m));
    expect(readManifest(out)).toEqual(m);
  });

  it('refuses a cut-short or foreign manifest with E_BAD_MANIFEST naming the file', () => {
    const out = makeTempDir();
    writeManifest(out, manifest([entry(0), entry(1)]), false);
    const path = join(out, MANIFEST_NAME);
    const text = JSON.stringify(manifest([entry(0)]), null, 2);
    writeFileSync(path, text.slice(0, text.length - 40));
    expect(expectCode(() => readManifest(out), 'E_BAD_MANIFEST').path).toBe(path);
    writeFileSync(path, JSON.stringify({ format: 'something-else', sessions: [] }));
    expect(expectCode(() => readManifest(out), 'E_BAD_MANIFEST').path).toBe(path);
    // 40 MB of '[' (a manifest from a stranger): refused at once, not parsed (that took 2.8 GB).
    writeFileSync(path, Buffer.alloc(40 << 20, '['));
    expect(expectCode(() => readManifest(out), 'E_BAD_MANIFEST').message).toContain('nested deeper than 10,000 levels');
    // Laid out as zotpack writes it or not, an entry with a field of another type (edited by hand).
    const { source: _, ...noSource } = entry(1);
    for (const bad of [{ ...entry(1), source: 5 }, noSource, { ...entry(1), size: '12' }, null]) {
      writeManifest(out, manifest([entry(0), entry(2)]), false);
      writeFileSync(path, readFileSync(path, 'utf8').replace(JSON.stringify(entry(2)), JSON.stringify(bad)));
      expect(expectCode(() => readManifest(out), 'E_BAD_MANIFEST').path).toBe(path);
      writeFileSync(path, JSON.stringify({ ...manifest([]), sessions: [entry(0), bad] }));
      expect(expectCode(() => readManifest(out), 'E_BAD_MANIFEST').message).toContain('session 2 is not an entry');
    }
  });
});

describe('export manifest, a range of projects at a time', () => {
  const keys = ['0000000000000001', '00000000000000aa', 'ffffffffffffffff'];
  const at = (key: string, k: number) => entry(k, { key, source: `/s/${key}/${k}.jsonl`, output: `${key}/2026010${k}-000000-a.zotsession` });
  const all = keys.flatMap((key) => [at(key, 1), at(key, 2)]);

  it('hands entries out a range of project keys at a time, in order', () => {
    const out = makeTempDir();
    writeManifest(out, manifest([...all].reverse()), false);
    const cursor = ManifestCursor.open(out)!;
    expect(cursor.takeThrough('0000000000000000')).toEqual([]);
    expect(cursor.takeThrough(keys[1]!)).toEqual(all.slice(0, 4));
    expect(cursor.takeThrough(keys[1]!)).toEqual([]);
    expect(cursor.takeAll()).toEqual(all.slice(4));
    cursor.close();
  });

  it('reads a manifest whose lines are out of order (edited by hand) whole, and hands it out in order', () => {
    const out = makeTempDir();
    writeManifest(out, manifest(all), false);
    const path = join(out, MANIFEST_NAME);
    const lines = readFileSync(path, 'utf8').split('\n');
    // Swap the first and last session lines (keeping the commas where they were).
    const first = lines.findIndex((l) => l.startsWith('    {'));
    const last = lines.findLastIndex((l) => l.startsWith('    {'));
    [lines[first], lines[last]] = [`${lines[last]!},`, lines[first]!.slice(0, -1)];
    writeFileSync(path, lines.join('\n'));
    const cursor = ManifestCursor.open(out)!;
    expect(cursor.takeThrough(keys[0]!)).toEqual(all.slice(0, 2));
    expect(cursor.takeAll()).toEqual(all.slice(2));
  });

  it('refuses to write entries out of order', () => {
    const out = makeTempDir();
    const w = ManifestWriter.open(out, { format: 'zotpack-export', version: 1, zotpack: '', updated: '' }, false);
    w.add(all[1]!);
    expect(() => w.add(all[0]!)).toThrow(/out of order/);
    w.abort();
    expect(readManifest(out)).toBeUndefined();
  });
});

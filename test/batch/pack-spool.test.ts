import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleSession } from '../../src/batch/bundle-manifest.js';
import { parseManifest } from '../helpers/manifest-reference.js';
import { PackSpool } from '../../src/batch/pack-spool.js';
import { manifestEntry } from '../helpers/tar-builder.js';

const KEY = '0123456789abcdef';
const header = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, created: '2026-11-25T00:00:00.000Z', zotpack: '0.1.0' } as const;

// A temp folder of this test's own: other test files pack at the same time.
const TMP = mkdtempSync(join(tmpdir(), 'zotpack-test-spool-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A spool made in TMP. */
function newSpool(): PackSpool {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = TMP;
  try {
    return new PackSpool();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

describe('PackSpool', () => {
  it('gives back manifest.json as JSON.stringify(manifest, null, 1) writes it, and the files in the order they came', () => {
    // 2,000 sessions with titles in several scripts: past several 64 KB writes and a 1 MiB read.
    const sessions = Array.from(
      { length: 2000 },
      (_, i) => manifestEntry(`sessions/${KEY}/s${i}.jsonl`, `row ${i}\n`, { id: `id-${i}`, title: `Fix \u00e9 "${i}" <b>\u{1f600} ${'x'.repeat(i % 700)}` }) as unknown as BundleSession,
    );
    for (const n of [0, 1, 2000]) {
      const spool = newSpool();
      expect(readdirSync(TMP).filter((d) => d.startsWith('zotpack-pack-'))).toHaveLength(1);
      try {
        sessions.slice(0, n).forEach((s, i) => spool.add(s, `/src/${i}`, 1000 + i));
        const bytes = Buffer.concat([...spool.manifest(header)]);
        const expected = `${JSON.stringify({ ...header, sessions: sessions.slice(0, n) }, null, 1)}\n`;
        expect(bytes.toString('utf8')).toBe(expected);
        expect(spool.manifestSize(header)).toBe(bytes.length);
        expect(parseManifest(bytes).manifest.sessions).toHaveLength(n);
        expect([...spool.sessions()]).toEqual(
          sessions.slice(0, n).map((s, i) => ({ source: `/src/${i}`, path: s.path, size: s.size, sha256: s.sha256, mtimeMs: 1000 + i })),
        );
        expect([spool.count, spool.bytes]).toEqual([n, sessions.slice(0, n).reduce((t, s) => t + s.size, 0)]);
      } finally {
        spool.close();
      }
      expect(readdirSync(TMP)).toEqual([]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, BUNDLE_VERSION, manifestChunks, parseManifest, type BundleManifest } from '../../src/batch/bundle-manifest.js';
import { expectCode } from '../helpers/expect-code.js';
import { manifestEntry, manifestText } from '../helpers/tar-builder.js';

const KEY = 'ea93126eefee3546';

describe('bundle manifest', () => {
  it('reads a manifest and keeps its sessions in order', () => {
    const a = manifestEntry(`sessions/${KEY}/a.jsonl`, 'A\n', { id: 'x' });
    const b = manifestEntry(`sessions/${KEY}/b.jsonl`, 'B\n', { parent: 'x' });
    const { manifest, rejected } = parseManifest(Buffer.from(manifestText([a, b])));
    expect(rejected).toEqual([]);
    expect(manifest.sessions.map((s) => [s.path, s.id, s.parent, s.size])).toEqual([
      [`sessions/${KEY}/a.jsonl`, 'x', '', 2],
      [`sessions/${KEY}/b.jsonl`, '', 'x', 2],
    ]);
  });

  it('is written in pieces that make what JSON.stringify(manifest, null, 1) makes, and reads back', () => {
    // 2,000 sessions with titles in several scripts: past several 64 KB pieces.
    const sessions = Array.from({ length: 2000 }, (_, i) => manifestEntry(`sessions/${KEY}/s${i}.jsonl`, `row ${i}\n`, { id: `id-${i}`, title: `Fix \u00e9 "${i}" <b>\u{1f600}` }));
    const manifest = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, created: '2026-11-25T00:00:00.000Z', zotpack: '0.1.0', sessions } as unknown as BundleManifest;
    const chunks = manifestChunks(manifest);
    expect(chunks.length).toBeGreaterThan(3);
    const bytes = Buffer.concat(chunks);
    expect(bytes.equals(Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`))).toBe(true);
    expect(parseManifest(bytes).manifest.sessions).toHaveLength(2000);
  });

  it('refuses what is not a manifest of this version', () => {
    expectCode(() => parseManifest(Buffer.from('{"format":')), 'E_BAD_BUNDLE');
    expectCode(() => parseManifest(Buffer.from('{"format":"zotpack-export","version":1,"sessions":[]}')), 'E_BAD_BUNDLE');
    expect(expectCode(() => parseManifest(Buffer.from('{"format":"zotpack-bundle","version":2,"sessions":[]}')), 'E_BAD_BUNDLE').message).toMatch(/newer zotpack/);
  });

  it('sets aside unusable session entries, keeping the rest', () => {
    const good = manifestEntry(`sessions/${KEY}/a.jsonl`, 'A\n');
    const { manifest, rejected } = parseManifest(
      Buffer.from(
        manifestText([
          good,
          manifestEntry(`sessions/${KEY}/../../evil.jsonl`, 'E\n'),
          { ...manifestEntry(`sessions/${KEY}/b.jsonl`, 'B\n'), sha256: 'nope' },
          { ...manifestEntry(`sessions/${KEY}/c.jsonl`, 'C\n'), size: -1 },
          { ...manifestEntry(`sessions/${KEY}/d.jsonl`, 'D\n'), key: '0000000000000000' },
          good,
        ]),
      ),
    );
    expect(manifest.sessions.map((s) => s.path)).toEqual([`sessions/${KEY}/a.jsonl`]);
    expect(rejected.map((r) => r.error.code)).toEqual(['E_UNSAFE_PATH', 'E_BAD_BUNDLE', 'E_BAD_BUNDLE', 'E_BAD_BUNDLE', 'E_BAD_BUNDLE']);
  });
});

import { describe, expect, it } from 'vitest';
import { parseManifest } from '../helpers/manifest-reference.js';
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

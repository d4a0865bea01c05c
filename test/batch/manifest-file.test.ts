import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { ZotpackError } from '../../src/errors.js';
import { parseManifest } from '../helpers/manifest-reference.js';
import { BundleManifestFile } from '../../src/batch/manifest-file.js';
import { hashKey } from '../../src/batch/hash-index.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';
import { manifestEntry, manifestText } from '../helpers/tar-builder.js';

afterAll(cleanupTempDirs);

const KEY = 'ea93126eefee3546';
const OTHER = '0123456789abcdef';

/** `bytes` as a stream of pieces of `size` bytes. */
async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** Runs `f` with the temp folder at a new empty folder; returns `f`'s result and what it left there. */
async function inTmp<T>(f: () => Promise<T>): Promise<{ value: T | Error; left: string[] }> {
  const dir = makeTempDir();
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  let value: T | Error;
  try {
    value = await f();
  } catch (err) {
    value = err as Error;
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  expect(tmpdir()).not.toBe(dir);
  return { value, left: readdirSync(dir) };
}

async function read(text: string | Buffer, size = 7): Promise<BundleManifestFile> {
  return BundleManifestFile.read(pieces(Buffer.from(text), size), 1 << 20);
}

/** What parseManifest, which reads a manifest whole, makes of it; the file must say the same. */
async function expectAsParsed(text: string, size = 7): Promise<BundleManifestFile> {
  const parsed = parseManifest(Buffer.from(text));
  const m = await read(text, size);
  expect([m.created, m.zotpack, m.count]).toEqual([parsed.manifest.created, parsed.manifest.zotpack, parsed.manifest.sessions.length]);
  expect([...m.all()].map(([, s]) => s)).toEqual(parsed.manifest.sessions);
  expect(m.rejected.map((x) => [x.path, x.error.code, x.error.message])).toEqual(parsed.rejected.map((x) => [x.path, x.error.code, x.error.message]));
  return m;
}

const sessions = Array.from({ length: 300 }, (_, i) =>
  manifestEntry(`sessions/${i % 3 ? KEY : OTHER}/s${i}.jsonl`, `row ${i}\n`, { id: i % 10 ? `id-${i}` : '', parent: i > 0 ? `id-${i - 1}` : '', title: `Fix \u00e9 "${i}" ]}` }),
);

describe('BundleManifestFile', () => {
  it('reads a manifest as pack writes it, a compact one, and one with its keys in another order, as parseManifest does', async () => {
    const head = { format: 'zotpack-bundle', version: 1, created: '2026-11-25T00:00:00.000Z', zotpack: '0.1.0' };
    for (const text of [
      `${JSON.stringify({ ...head, sessions }, null, 1)}\n`,
      manifestText(sessions),
      JSON.stringify({ sessions, zotpack: 'z', extra: { sessions: [1, 2] }, version: 1, created: 'c', format: 'zotpack-bundle' }, null, '\t'),
    ]) {
      for (const size of [1, 100, 1 << 20]) (await expectAsParsed(text, size)).close();
    }
  });

  it('finds each session by entry name and by id, wherever it is listed', async () => {
    const m = await read(manifestText(sessions));
    try {
      const all = [...m.all()];
      for (const [r, s] of [...all].reverse()) {
        expect(m.find(s.path)).toBe(r);
        expect(m.session(r)).toEqual(s);
        expect(m.hasId(s.id)).toBe(s.id !== '');
      }
      expect(m.find(`sessions/${KEY}/nope.jsonl`)).toBeUndefined();
      expect(m.hasId('id-300')).toBe(false);
      expect(m.hasId('')).toBe(false);
      expect(m.idCount).toBe(270);
      expect(m.keyCounts()).toEqual(new Map([[OTHER, 100], [KEY, 200]]));
      // Entries in order are taken without a lookup; one out of order is looked up; each is seen once.
      const [r5, s5] = all[5]!;
      expect(m.entry(s5.path)).toEqual({ r: r5, session: s5 });
      m.markSeen(r5);
      expect(m.entry(all[0]![1].path)!.r).toBe(all[0]![0]);
      expect(m.seen(r5)).toBe(true);
      m.markDone(all[7]![0]);
      expect([...m.pending()].map(([r]) => r)).toEqual(all.map(([r]) => r).filter((r) => r !== all[7]![0]));
    } finally {
      m.close();
    }
  });

  it('tells apart two names whose hashes agree', async () => {
    const byHash = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const path = `sessions/${KEY}/${i}.jsonl`;
      const other = byHash.get(hashKey(path));
      if (other !== undefined) pair = [other, path];
      byHash.set(hashKey(path), path);
    }
    const m = await expectAsParsed(manifestText(pair.map((p, i) => manifestEntry(p, `${i}\n`, { id: `id-${i}` }))));
    expect(pair.map((p) => m.find(p))).toEqual([0, 1]);
    expect(m.rejected).toEqual([]);
    m.close();
  });

  it('sets aside entries it cannot use, in manifest order: a second listing of a name, an unsafe path, a bad field', async () => {
    const good = manifestEntry(`sessions/${KEY}/a.jsonl`, 'A\n', { id: 'a' });
    const m = await expectAsParsed(
      manifestText([
        good,
        manifestEntry(`sessions/${KEY}/../../evil.jsonl`, 'E\n'),
        { ...manifestEntry(`sessions/${KEY}/b.jsonl`, 'B\n'), sha256: 'nope' },
        { ...good, id: 'second' },
        manifestEntry(`sessions/${KEY}/c.jsonl`, 'C\n'),
        7,
        { ...good, id: 'third' },
      ]),
    );
    expect(m.rejected.map((x) => x.error.message)).toEqual([
      expect.stringMatching(/not of the form|'\.\.'/),
      expect.stringMatching(/sha256/),
      expect.stringMatching(/lists this entry twice/),
      expect.stringMatching(/entry 5 is not an object/),
      expect.stringMatching(/lists this entry twice/),
    ]);
    // The first listing stands; the second is no session, by name or id.
    expect(m.session(m.find(`sessions/${KEY}/a.jsonl`)!).id).toBe('a');
    expect([m.hasId('second'), m.hasId('third'), m.count, m.idCount]).toEqual([false, false, 2, 1]);
    m.close();
  });

  it('refuses what is not a manifest, cut short or broken in the middle, leaving no temp file', async () => {
    const text = manifestText(sessions.slice(0, 50));
    const cases: Array<[string | Buffer, RegExp]> = [
      [text.slice(0, text.length / 2), /not valid JSON: Unexpected end/],
      [text.replace('s20.jsonl"', 's20.jsonl" x'), /not valid JSON: .* at byte \d+/],
      [text.replace('},{"path":"sessions/0123456789abcdef/s30', '}{"path":"sessions/0123456789abcdef/s30'), /not valid JSON: '\{' at byte \d+, expected ',' or '\]'/],
      [`${text}]`, /not valid JSON: ']' at byte/],
      ['', /not valid JSON/],
      ['[1,2]', /is not a JSON object/],
      ['{"format":"zotpack-export","version":1,"sessions":[]}', /not a zotpack bundle manifest/],
      ['{"format":"zotpack-bundle","version":2,"sessions":[]}', /newer zotpack/],
      ['{"format":"zotpack-bundle","version":1,"sessions":{}}', /no sessions list/],
      ['{"sessions":[],"format":"zotpack-bundle","version":1,"sessions":7}', /no sessions list/],
    ];
    for (const [bad, message] of cases) {
      const { value, left } = await inTmp(() => read(bad, 64));
      expect(value, String(bad).slice(0, 80)).toBeInstanceOf(ZotpackError);
      expect([(value as ZotpackError).code, (value as ZotpackError).message]).toEqual(['E_BAD_BUNDLE', expect.stringMatching(message)]);
      expect(left).toEqual([]);
    }
    const big = await inTmp(() => BundleManifestFile.read(pieces(Buffer.from(text), 100), 1000));
    expect((big.value as ZotpackError).message).toMatch(/larger than 1000 bytes/);
    expect(big.left).toEqual([]);
  });

  it('keeps the manifest in a temp file with no name: nothing is left behind, even by a process that is killed', async () => {
    const dir = makeTempDir();
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    let m: BundleManifestFile;
    try {
      m = await read(manifestText(sessions));
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(readdirSync(dir)).toEqual([]);
    expect(m.session(m.find(`sessions/${KEY}/s299.jsonl`)!).id).toBe('id-299');
    m.close();
    m.close();
    expect(readdirSync(dir)).toEqual([]);
  });
});

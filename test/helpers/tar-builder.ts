/**
 * Tar files made entry by entry, for tests: well-formed bundles with a
 * twist, and hostile ones (traversal, absolute paths, links, devices).
 */
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export interface TarEntrySpec {
  name: string;
  type?: 'file' | 'link' | 'symlink' | 'directory' | 'character-device' | 'block-device' | 'fifo';
  linkname?: string;
  data?: Buffer | string;
}

/** The bytes of a tar holding `entries`, gzipped when asked. */
export async function tarBytes(entries: readonly TarEntrySpec[], options: { gzip?: boolean } = {}): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') {
      await new Promise<void>((resolve, reject) => pack.entry({ name: e.name, mode: 0o644 }, Buffer.from(e.data ?? ''), (err) => (err ? reject(err) : resolve())));
    } else {
      await new Promise<void>((resolve, reject) => pack.entry({ name: e.name, type, linkname: e.linkname, mode: 0o644 }, (err) => (err ? reject(err) : resolve())).end(null));
    }
  }
  pack.finalize();
  await done;
  const plain = Buffer.concat(chunks);
  return options.gzip ? gzipSync(plain) : plain;
}

export async function writeTar(path: string, entries: readonly TarEntrySpec[], options: { gzip?: boolean } = {}): Promise<void> {
  writeFileSync(path, await tarBytes(entries, options));
}

/** Every entry of a tar (gzipped or not), in order, with its bytes: to build a bundle again with a twist. */
export async function tarEntries(bundle: Buffer): Promise<Array<TarEntrySpec & { data: Buffer }>> {
  const plain = bundle[0] === 0x1f ? gunzipSync(bundle) : bundle;
  const extract = tar.extract();
  const out: Array<TarEntrySpec & { data: Buffer }> = [];
  const done = (async () => {
    for await (const e of extract) {
      const parts: Buffer[] = [];
      for await (const c of e) parts.push(c as Buffer);
      out.push({ name: e.header.name, type: (e.header.type ?? 'file') as TarEntrySpec['type'], data: Buffer.concat(parts) });
    }
  })();
  extract.end(plain);
  await done;
  return out;
}

/** A manifest entry for `data` at `path`, the other fields filled in plausibly. */
export function manifestEntry(path: string, data: Buffer | string, fields: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  const bytes = Buffer.from(data);
  return {
    path,
    key: path.split('/')[1],
    cwd: '/somewhere',
    id: '',
    parent: '',
    forkPoint: 0,
    started: '',
    title: '',
    hidden: false,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...fields,
  };
}

/** A manifest document naming `sessions`. */
export function manifestText(sessions: ReadonlyArray<Record<string, unknown>>): string {
  return JSON.stringify({ format: 'zotpack-bundle', version: 1, created: '2026-01-01T00:00:00.000Z', zotpack: 'test', sessions });
}

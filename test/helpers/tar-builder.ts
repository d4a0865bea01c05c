/**
 * Tar files made entry by entry, for tests: well-formed bundles with a
 * twist, and hostile ones (traversal, absolute paths, links, devices).
 */
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
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

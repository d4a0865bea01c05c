/**
 * Reading a bundle as a stream of checked entries: the manifest first (kept
 * in a temp file: manifest-file.ts), then each session's bytes, never more
 * of the bundle in memory than tar-stream's small window.
 *
 * The file is gunzipped when it starts with gzip's magic bytes and parsed by
 * tar-stream, which hands over each entry's raw header — type, name, link
 * target — and leaves every decision to us: an entry is classified
 * (bundle-entry.ts) before its data is touched; a refused or unlisted entry
 * is reported and skipped. A bundle cut short or corrupt — a gzip stream
 * without its end or with a bad checksum, a tar header with a bad checksum,
 * an entry with fewer bytes than its header says — ends the iteration with
 * E_BAD_BUNDLE; the entry being read then errors too, so nothing of it is
 * published.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { ZotpackError, fromFsError } from '../errors.js';
import { classifyEntry, MANIFEST_ENTRY } from './bundle-entry.js';
import { drained } from './drained.js';
import { MAX_MANIFEST_BYTES, type BundleSession } from './bundle-manifest.js';
import { BundleManifestFile } from './manifest-file.js';

export type BundleItem =
  /** The manifest, read: `reader.manifest` from now on. */
  | { kind: 'manifest'; manifest: BundleManifestFile }
  /**
   * A listed session (number `r` in the manifest) whose header matches the
   * manifest. Iterate `data` for its bytes (or leave it: it is skipped).
   */
  | { kind: 'session'; session: BundleSession; r: number; data: AsyncIterable<Buffer>; mtime: Date | undefined }
  /** An entry refused (unsafe, unlisted, a second copy, a size that disagrees); its bytes were skipped. */
  | { kind: 'refused'; name: string; error: ZotpackError };

export interface ReadBundleOptions {
  signal?: AbortSignal;
  /** Called with the bundle's bytes read so far (compressed). */
  onBytes?: (bytesRead: number) => void;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** The bundle's size on disk, and whether it is gzipped; E_BAD_BUNDLE for what is plainly something else. */
export function probeBundle(path: string): { size: number; gzip: boolean } {
  let fd: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ZotpackError('E_IS_DIR', 'a folder, expected a bundle file', { path });
    // A bundle is read more than once (a dry pass, a check before --on-conflict fail): from a file, not a stream.
    if (!st.isFile()) throw new ZotpackError('E_BAD_BUNDLE', 'not a regular file (a pipe or device): save the bundle to a file first', { path });
    fd = openSync(path, 'r');
  } catch (err) {
    throw fromFsError(err, path, 'cannot open the bundle');
  }
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    if (n === 0) throw new ZotpackError('E_BAD_BUNDLE', 'the bundle is empty', { path });
    if (head[0] === 0x7b) {
      throw new ZotpackError('E_BAD_BUNDLE', 'a session file (JSON), not a bundle: use `zotpack import` for .zotsession files', { path });
    }
    return { size: statSync(path).size, gzip: head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] };
  } finally {
    closeSync(fd);
  }
}

/** An error met while reading a bundle, as a ZotpackError: E_BAD_BUNDLE unless it is one already. */
export function bundleError(path: string, err: unknown): ZotpackError {
  if (err instanceof ZotpackError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new ZotpackError('E_BAD_BUNDLE', `the bundle is cut short or corrupt: ${reason}`, { path, cause: err });
}

/** An entry's bytes; a bundle that breaks off inside it is E_BAD_BUNDLE. */
async function* checked(path: string, data: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* data;
  } catch (err) {
    throw bundleError(path, err);
  }
}

/**
 * A bundle read entry by entry. The manifest stays readable (`manifest`)
 * after the entries end, or break off, until close(): what the bundle did
 * not hold is found there.
 */
export class BundleReader {
  /** Once the first entry is read. */
  manifest: BundleManifestFile | undefined;

  constructor(
    readonly path: string,
    private readonly options: ReadBundleOptions = {},
  ) {}

  /** The checked entries; see BundleItem. Throws E_BAD_BUNDLE for a bundle it cannot read to the end. */
  async *items(): AsyncGenerator<BundleItem> {
    const { path, options } = this;
    const { gzip } = probeBundle(path);
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    const source: Readable = gzip ? pipeline(file, createGunzip({ chunkSize: 1 << 20 }), () => {}) : file;
    const extract = tar.extract();
    const feed = (async () => {
      try {
        for await (const chunk of source) {
          options.onBytes?.(file.bytesRead);
          if (!extract.write(chunk as Buffer)) await drained(extract);
          if (extract.destroyed) return;
        }
        extract.end(null);
      } catch (err) {
        extract.destroy(err as Error);
      }
    })();
    const onAbort = () => {
      const err = new ZotpackError('E_ABORTED', 'interrupted', { path });
      source.destroy(err);
      extract.destroy(err);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort(); // before the reading began (while the home was indexed, say)
    let first = true;
    try {
      for await (const entry of extract) {
        const h = entry.header;
        const name = h.name;
        try {
          const kind = classifyEntry(name, h.type, h.linkname);
          if (first) {
            if (kind !== 'manifest') throw new ZotpackError('E_BAD_BUNDLE', `not a zotpack bundle: the first entry is ${name}, not ${MANIFEST_ENTRY}`, { path });
            // A manifest that cannot be read ends the reading: without it no entry can be checked.
            this.manifest = await BundleManifestFile.read(entry as AsyncIterable<Buffer>, MAX_MANIFEST_BYTES);
            first = false;
            yield { kind: 'manifest', manifest: this.manifest };
            continue;
          }
          if (kind === 'folder') continue;
          if (kind === 'manifest') throw new ZotpackError('E_BAD_BUNDLE', 'a second manifest', { path: name });
          const found = this.manifest!.entry(name);
          if (found === undefined) throw new ZotpackError('E_BAD_BUNDLE', 'an entry the manifest does not list', { path: name });
          const { r, session } = found;
          if (this.manifest!.seen(r)) throw new ZotpackError('E_BAD_BUNDLE', 'a second entry of this name', { path: name });
          this.manifest!.markSeen(r);
          if (h.size !== session.size) {
            throw new ZotpackError('E_HASH_MISMATCH', `the entry has ${h.size ?? 0} bytes, the manifest says ${session.size}`, { path: name });
          }
          yield { kind: 'session', session, r, data: checked(path, entry as AsyncIterable<Buffer>), mtime: h.mtime };
        } catch (err) {
          if (first || !(err instanceof ZotpackError) || err.code === 'E_ABORTED') throw err;
          yield { kind: 'refused', name, error: err };
        } finally {
          // Whatever the consumer left unread is skipped.
          if (!entry.destroyed) entry.resume();
        }
      }
      if (first) throw new ZotpackError('E_BAD_BUNDLE', 'not a zotpack bundle: it holds no entries', { path });
    } catch (err) {
      if (options.signal?.aborted) throw new ZotpackError('E_ABORTED', 'interrupted', { path });
      throw bundleError(path, err);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      extract.destroy();
      source.destroy();
      file.destroy();
      await feed;
    }
  }

  /** Removes the manifest's temp file. */
  close(): void {
    this.manifest?.close();
  }
}

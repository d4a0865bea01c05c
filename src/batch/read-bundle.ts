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
 *
 * The bundle is a file, or a stream (`unpack -`: a pack piped over ssh),
 * read once from its start: its first bytes tell gzip from tar there.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline, Readable } from 'node:stream';
import tar from 'tar-stream';
import { ZotpackError, fromFsError } from '../errors.js';
import { classifyEntry, MANIFEST_ENTRY } from './bundle-entry.js';
import { drained } from './drained.js';
import { CallerError } from './caller-error.js';
import { MAX_MANIFEST_BYTES, MAX_REFUSED, type BundleSession } from './bundle-manifest.js';
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

/**
 * A bundle coming as a stream, read once; `name` stands for it in messages.
 * `destroy` must end a read that waits on it (as a Readable's does): Ctrl-C
 * on a quiet stream (stdin with nobody writing) relies on it.
 */
export interface BundleStream {
  stream: AsyncIterable<Buffer> & { destroy: (err?: Error) => void };
  name: string;
}

/** A bundle file's path, or a stream. */
export type BundleSource = string | BundleStream;

/** The name a bundle goes by in messages and results: a file's path as given, a stream's name. */
export function bundleName(source: BundleSource): string {
  return typeof source === 'string' ? source : source.name;
}

export interface ReadBundleOptions {
  signal?: AbortSignal;
  /**
   * Called as the bundle is read. A file: its bytes read so far of its size.
   * A stream, whose size is not known: the bytes of the sessions read so
   * far, of those the manifest lists.
   */
  onBytes?: (done: number, total: number) => void;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Enough of a bundle's start to tell what it is: a tar header's `ustar` mark ends at byte 262. */
const HEAD_BYTES = 262;

/** What the first bytes say: E_BAD_BUNDLE for plainly no bundle; else whether it is gzipped. */
function sniff(head: Buffer, path: string): boolean {
  if (head.length === 0) throw new ZotpackError('E_BAD_BUNDLE', 'the bundle is empty', { path });
  if (head[0] === 0x7b) {
    throw new ZotpackError('E_BAD_BUNDLE', 'a session file (JSON), not a bundle: use `zotpack import` for .zotsession files', { path });
  }
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) return true;
  // A plain bundle is a tar: a README or a log given by mistake is said to be none, not "a tar cut short or corrupt".
  if (head.length < HEAD_BYTES || head.toString('latin1', 257, 262) !== 'ustar') {
    throw new ZotpackError('E_BAD_BUNDLE', 'not a bundle: neither gzip nor tar (a bundle is what `zotpack pack` writes)', { path });
  }
  return false;
}

/** The bundle's size on disk, and whether it is gzipped; E_BAD_BUNDLE for what is plainly something else. */
export function probeBundle(path: string): { size: number; gzip: boolean } {
  let fd: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) {
      // An export folder, or a zot home, is what a user is likely to hand unpack by mistake.
      throw new ZotpackError('E_IS_DIR', 'a folder, expected a bundle file (a folder of .zotsession exports goes in with `zotpack import`)', { path });
    }
    // A path is read as a file, maybe more than once (a dry pass, a check before --on-conflict fail); a pipe comes as a stream.
    if (!st.isFile()) throw new ZotpackError('E_BAD_BUNDLE', "not a regular file (a pipe or device): give it as '-' on standard input, or save it to a file first", { path });
    fd = openSync(path, 'r');
  } catch (err) {
    throw fromFsError(err, path, 'cannot open the bundle');
  }
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, head, 0, HEAD_BYTES, 0);
    return { size: statSync(path).size, gzip: sniff(head.subarray(0, n), path) };
  } finally {
    closeSync(fd);
  }
}

/**
 * A stream's chunks, its first HEAD_BYTES bytes (or fewer, at its end) read ahead
 * to tell what it is; `rest()` reads what the chunks were not asked for.
 */
async function headed(stream: AsyncIterable<Buffer>): Promise<{ head: Buffer; chunks: AsyncIterable<Buffer>; rest: () => Promise<void> }> {
  const it = stream[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let n = 0;
  let ended = false;
  while (n < HEAD_BYTES) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    first.push(next.value);
    n += next.value.length;
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    yield* first;
    if (ended) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const rest = async () => {
    if (ended) return;
    while (!(await it.next()).done);
  };
  return { head: Buffer.concat(first), chunks: chunks(), rest };
}

/**
 * A stream's first bytes, checked before any other work (unpack's index of
 * the home): a stream plainly no bundle (empty, a session file) fails the
 * run at once, as a file does (probeBundle). The stream to read is
 * returned, its first bytes put back.
 */
export async function probeBundleStream(bundle: BundleStream, signal?: AbortSignal): Promise<BundleStream> {
  const started = await headedStream(bundle, signal);
  sniffed(started.head, bundle);
  return { name: bundle.name, stream: Object.assign(started.chunks, { destroy: (err?: Error) => bundle.stream.destroy(err) }) };
}

/** sniff() of a stream's first bytes; a stream plainly no bundle is ended (a caller's stdin would keep its process alive). */
function sniffed(head: Buffer, bundle: BundleStream): boolean {
  try {
    return sniff(head, bundle.name);
  } catch (err) {
    bundle.stream.destroy();
    throw err;
  }
}

/**
 * headed(), for a bundle's stream: Ctrl-C ends the wait for its first
 * bytes, which may be long (a quiet stdin). A failure ends the stream.
 */
async function headedStream(bundle: BundleStream, signal: AbortSignal | undefined): ReturnType<typeof headed> {
  const path = bundle.name;
  // A Ctrl-C that came before (while the home was indexed): its event is gone.
  if (signal?.aborted) {
    bundle.stream.destroy();
    throw new ZotpackError('E_ABORTED', 'interrupted', { path });
  }
  const onAbort = () => bundle.stream.destroy(new ZotpackError('E_ABORTED', 'interrupted', { path }));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await headed(bundle.stream);
  } catch (err) {
    bundle.stream.destroy();
    if (signal?.aborted) throw new ZotpackError('E_ABORTED', 'interrupted', { path });
    throw bundleError(path, err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** An error met while reading a bundle, as a ZotpackError: E_BAD_BUNDLE unless it is one already. */
export function bundleError(path: string, err: unknown): ZotpackError {
  if (err instanceof ZotpackError) return err;
  if (err instanceof CallerError) throw err; // the caller's callback, not the bundle
  const reason = err instanceof Error ? err.message : String(err);
  return new ZotpackError('E_BAD_BUNDLE', `the bundle is cut short or corrupt: ${reason}`, { path, cause: err });
}

/** An entry's bytes; a bundle that breaks off inside it is E_BAD_BUNDLE, one stopped by Ctrl-C E_ABORTED. */
async function* checked(path: string, data: AsyncIterable<Buffer>, signal: AbortSignal | undefined, onData?: (n: number) => void): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of data) {
      onData?.(chunk.length);
      yield chunk;
    }
  } catch (err) {
    if (signal?.aborted) throw new ZotpackError('E_ABORTED', 'interrupted', { path });
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

  readonly path: string;
  /** readToEnd() was called. */
  private toEnd = false;

  constructor(
    private readonly bundle: BundleSource,
    private readonly options: ReadBundleOptions = {},
  ) {
    this.path = bundleName(bundle);
  }

  /** The checked entries; see BundleItem. Throws E_BAD_BUNDLE for a bundle it cannot read to the end. */
  async *items(): AsyncGenerator<BundleItem> {
    const { path, options, bundle } = this;
    let file: Readable;
    let gzip: boolean;
    /** A file's progress: its bytes read. A stream's: the sessions' bytes read, of the manifest's sum (its own size is not known). */
    let fileProgress: (() => void) | undefined;
    let sessionBytes = 0;
    const streamProgress = (n: number) => {
      sessionBytes += n;
      const total = this.manifest?.bytes ?? sessionBytes;
      options.onBytes?.(Math.min(sessionBytes, total), total);
    };
    /** A stream's bytes the reading did not need: read to the end, so that the writer of a pipe (pack -o -) ends well. */
    let rest: (() => Promise<void>) | undefined;
    if (typeof bundle === 'string') {
      const probed = probeBundle(path);
      gzip = probed.gzip;
      file = createReadStream(path, { highWaterMark: 1 << 20 });
      fileProgress = () => options.onBytes?.((file as ReturnType<typeof createReadStream>).bytesRead, probed.size);
    } else {
      const started = await headedStream(bundle, options.signal);
      gzip = sniffed(started.head, bundle);
      file = Readable.from(started.chunks, { objectMode: false });
      rest = started.rest;
    }
    const source: Readable = gzip ? pipeline(file, createGunzip({ chunkSize: 1 << 20 }), () => {}) : file;
    const extract = tar.extract();
    const feed = (async () => {
      try {
        for await (const chunk of source) {
          fileProgress?.();
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
    let failed = false;
    let refused = 0;
    try {
      for await (const entry of extract) {
        const h = entry.header;
        const name = h.name;
        /** A stream's entry bytes the consumer read; the rest, skipped, count as done too. */
        let consumed = 0;
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
          const onData = fileProgress
            ? undefined
            : (n: number) => {
                consumed += n;
                streamProgress(n);
              };
          yield { kind: 'session', session, r, data: checked(path, entry as AsyncIterable<Buffer>, options.signal, onData), mtime: h.mtime };
        } catch (err) {
          if (first || !(err instanceof ZotpackError) || err.code === 'E_ABORTED') throw err;
          if (++refused > MAX_REFUSED) throw new ZotpackError('E_BAD_BUNDLE', `over ${MAX_REFUSED} of its entries refused: not a bundle zotpack made; read no further`, { path });
          yield { kind: 'refused', name, error: err };
        } finally {
          // Whatever the consumer left unread is skipped.
          if (!entry.destroyed) entry.resume();
          if (!fileProgress && name !== MANIFEST_ENTRY && (h.size ?? 0) > consumed) streamProgress((h.size ?? 0) - consumed);
        }
      }
      if (first) throw new ZotpackError('E_BAD_BUNDLE', 'not a zotpack bundle: it holds no entries', { path });
    } catch (err) {
      failed = true;
      if (options.signal?.aborted) throw new ZotpackError('E_ABORTED', 'interrupted', { path });
      throw bundleError(path, err);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      // Done early on purpose (readToEnd: a dry run needs only the
      // manifest): a stream's rest is read and dropped, or `pack -o - |
      // unpack - --dry-run` failed the pack with a broken pipe. Else (a
      // failure, the consumer's too, or Ctrl-C) the stream is ended at once,
      // for a read pending on it holds up every reader over it.
      const draining = rest !== undefined && this.toEnd && !failed && !options.signal?.aborted;
      const stopStream = () => {
        if (typeof bundle !== 'string') bundle.stream.destroy();
      };
      if (!draining) stopStream();
      options.signal?.addEventListener('abort', stopStream, { once: true });
      extract.destroy();
      source.destroy();
      file.destroy();
      try {
        await feed;
        if (draining) await rest!().catch(() => {});
      } finally {
        options.signal?.removeEventListener('abort', stopStream);
        stopStream();
      }
    }
  }

  /** The consumer stops early, and a stream's rest is to be read and dropped, so that its writer ends well. */
  readToEnd(): void {
    this.toEnd = true;
  }

  /** Removes the manifest's temp file. */
  close(): void {
    this.manifest?.close();
  }
}

/**
 * Pack: the selected sessions into one bundle file — a standard tar (gzip
 * by default) that `tar -tf` lists: `manifest.json` first, then each
 * session verbatim as `sessions/<project key>/<file name>`.
 *
 * Two passes. First the pool hashes every session (exactly the size a stat
 * saw: zot only appends, so those bytes stay put while it goes on writing)
 * and reads who it is, so the manifest — sizes, sha256, ids, parents, cwds,
 * titles — can be the bundle's first entry. Then the sessions are streamed
 * into the tar in tree order, each read once more and hashed again on the
 * way: a file that changed other than by appending fails the pack
 * (E_CHANGED) rather than leave a bundle that disagrees with its manifest.
 *
 * tar-stream writes the tar: `pack.entry({ name, size })` takes a byte
 * stream of a declared size (pax headers for long names, base-256 sizes
 * past 8 GiB) and refuses a stream of another size; node-tar's Pack reads
 * files itself, whatever size they have grown to by then. gzip runs on every
 * core (parallel-gzip.ts). Memory is tar-stream's small window, one read
 * buffer and the gzip blocks in flight: bounded by neither the sessions nor
 * the bundle. The bundle is written to a temp file beside `out` and
 * published whole.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import tar from 'tar-stream';
import { ZotpackError, fromFsError } from '../errors.js';
import { projectKey } from '../format/project-key.js';
import { AtomicFile } from '../session/atomic-file.js';
import { resolveBatchOptions, type BatchOptions } from './batch-options.js';
import type { BatchReport } from './batch-report.js';
import { MANIFEST_ENTRY, sessionEntryPath } from './bundle-entry.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, manifestChunks, type BundleManifest, type BundleSession } from './bundle-manifest.js';
import { bundleOrder } from './bundle-order.js';
import { drained } from './drained.js';
import { parallelGzip } from './parallel-gzip.js';
import { runOp } from './run-op.js';
import { selectSessions, startReport } from './select-sessions.js';

export interface PackArchiveOptions extends BatchOptions {
  /** The bundle file to write. */
  out: string;
  /** gzip the tar. Default true. */
  gzip?: boolean;
  /**
   * gzip level, 1 (fast) to 9 (small). Default 1: on a 2 GB archive heavy
   * with base64 images, level 6 took almost three times as long for a 7%
   * smaller bundle.
   */
  level?: number;
  /** Replace an existing `out` (atomically). Default false: E_EXISTS. */
  force?: boolean;
  /** fsync the bundle before publishing it. Default true. */
  durable?: boolean;
  /** zotpack's version, recorded in the manifest. */
  version?: string;
  /** The bundle's creation time (tests). */
  now?: () => Date;
  /** Called when the run moves from hashing to writing. */
  onPhase?: (phase: 'hash' | 'pack') => void;
}

export interface PackArchiveResult {
  out: string;
  /** Bytes of the bundle file. */
  bytesOut: number;
  gzip: boolean;
  manifest: BundleManifest;
  report: BatchReport;
}

const READ_SIZE = 1 << 20;

interface Packed extends BundleSession {
  source: string;
  file: string;
  mtimeMs: number;
}

export async function packArchive(options: PackArchiveOptions): Promise<PackArchiveResult> {
  const resolved = resolveBatchOptions(options);
  const out = resolve(options.out);
  const gzip = options.gzip ?? true;
  const level = options.level ?? 1;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new ZotpackError('E_USAGE', `level must be 1 to 9, got ${level}`);
  if (existsSync(out) && !options.force) throw new ZotpackError('E_EXISTS', 'the bundle file exists (--force replaces it)', { path: out });
  if (existsSync(out) && statSync(out).isDirectory()) throw new ZotpackError('E_IS_DIR', 'a folder, expected a bundle file name', { path: out });

  const selection = await selectSessions(resolved);
  const report = startReport('pack', selection);
  options.onPhase?.('hash');
  const files = selection.sessions.map((s) => ({ path: s.path, bytes: s.size, size: s.size }));
  const digests = await runOp(resolved, 'hash', files, {});
  const byPath = new Map<string, Packed>();
  selection.sessions.forEach((s, i) => {
    const o = digests[i]!;
    if (!o.ok) {
      if (o.error.code !== 'E_ABORTED') report.fail(o.error);
      return;
    }
    const d = o.value;
    const key = s.folderKey || projectKey(d.cwd);
    const file = basename(s.path);
    const path = `sessions/${key}/${file}`;
    try {
      sessionEntryPath(path);
    } catch (err) {
      report.fail({ code: 'E_UNSAFE_PATH', message: `a file name a bundle cannot carry: ${(err as ZotpackError).reason}`, path: s.path });
      return;
    }
    const twin = byPath.get(path);
    if (twin) {
      // One session reached through two sources (a copy in a backup): packed once.
      if (twin.sha256 === d.sha256) report.report.skipped++;
      else report.fail({ code: 'E_EXISTS', message: `another source gives ${path} (${twin.source}) with other content`, path: s.path });
      return;
    }
    const { size, sha256, id, parent, forkPoint, cwd, started, title, hidden } = d;
    byPath.set(path, { path, key, cwd, id, parent, forkPoint, started, title, hidden, size, sha256, source: s.path, file, mtimeMs: s.mtimeMs });
  });
  const packed = bundleOrder([...byPath.values()]);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    created: (options.now ?? (() => new Date()))().toISOString(),
    zotpack: options.version ?? '',
    sessions: packed.map(({ source: _s, file: _f, mtimeMs: _m, ...entry }) => entry),
  };
  if (resolved.signal?.aborted) return { out, bytesOut: 0, gzip, manifest, report: report.finish(true) };

  options.onPhase?.('pack');
  const file = AtomicFile.create(out, { overwrite: options.force === true, durable: options.durable ?? true });
  try {
    await writeBundle(file, manifest, packed, { ...options, gzip, level, signal: resolved.signal });
    file.commit();
  } catch (err) {
    file.abort();
    if (resolved.signal?.aborted) return { out, bytesOut: 0, gzip, manifest, report: report.finish(true) };
    throw err;
  }
  report.report.succeeded = packed.length;
  report.report.bytes = packed.reduce((n, s) => n + s.size, 0);
  return { out, bytesOut: file.bytesWritten, gzip, manifest, report: report.finish(false) };
}

interface WriteOptions {
  gzip: boolean;
  level: number;
  signal?: AbortSignal;
  onProgress?: PackArchiveOptions['onProgress'];
}

/** Streams the tar (through gzip) into `file`: the manifest, then each session's first `size` bytes. */
async function writeBundle(file: AtomicFile, manifest: BundleManifest, packed: readonly Packed[], options: WriteOptions): Promise<void> {
  const pack = tar.pack();
  const consume = (async () => {
    const out: AsyncIterable<Buffer> = options.gzip ? parallelGzip(pack as AsyncIterable<Buffer>, { level: options.level }) : (pack as AsyncIterable<Buffer>);
    for await (const c of out) file.write(c);
  })();
  const progress = { filesDone: 0, filesTotal: packed.length, bytesDone: 0, bytesTotal: packed.reduce((n, s) => n + s.size, 0), errors: 0 };
  const stop = () => pack.destroy(new ZotpackError('E_ABORTED', 'interrupted'));
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    const mtime = new Date(manifest.created);
    const chunks = manifestChunks(manifest);
    await entry(pack, { name: MANIFEST_ENTRY, size: chunks.reduce((n, c) => n + c.length, 0), mtime }, chunks);
    chunks.length = 0;
    options.onProgress?.({ ...progress });
    for (const s of packed) {
      if (options.signal?.aborted) throw new ZotpackError('E_ABORTED', 'interrupted');
      await packSession(pack, s, (n) => {
        progress.bytesDone += n;
        options.onProgress?.({ ...progress });
      });
      progress.filesDone++;
      options.onProgress?.({ ...progress });
    }
    pack.finalize();
    await consume;
  } catch (err) {
    pack.destroy(err as Error);
    await consume.catch(() => {});
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

/** One tar entry from `chunks` (written as they come, with backpressure). */
async function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, chunks: Iterable<Buffer>): Promise<void> {
  let fail: (err: Error) => void = () => {};
  let sink!: ReturnType<tar.Pack['entry']>;
  const done = new Promise<void>((resolve, reject) => {
    fail = reject;
    sink = pack.entry({ ...header, type: 'file', mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
  });
  try {
    for (const c of chunks) if (!sink.write(c)) await drained(sink);
    sink.end(null);
  } catch (err) {
    sink.destroy(err as Error);
    fail(err as Error);
  }
  await done;
}

async function packSession(pack: tar.Pack, s: Packed, onBytes: (n: number) => void): Promise<void> {
  const hash = createHash('sha256');
  let read = 0;
  // Read with readSync, not a read stream: libuv's thread pool is busy
  // compressing, and reads queued behind it would starve the pipeline.
  function* bytes(): Generator<Buffer> {
    let fd: number;
    try {
      fd = openSync(s.source, 'r');
    } catch (err) {
      throw fromFsError(err, s.source, 'cannot open');
    }
    try {
      while (read < s.size) {
        const buf = Buffer.allocUnsafe(Math.min(READ_SIZE, s.size - read));
        const n = readSync(fd, buf, 0, buf.length, read);
        if (n === 0) return; // shrank: the entry comes up short, E_CHANGED below
        const c = n === buf.length ? buf : buf.subarray(0, n);
        hash.update(c);
        read += n;
        onBytes(n);
        yield c;
      }
    } catch (err) {
      throw fromFsError(err, s.source, 'cannot read');
    } finally {
      closeSync(fd);
    }
  }
  try {
    await entry(pack, { name: s.path, size: s.size, mtime: new Date(s.mtimeMs) }, bytes());
  } catch (err) {
    if (err instanceof ZotpackError && err.code !== 'E_WRITE') throw err;
    throw new ZotpackError('E_CHANGED', `the file has ${read} of its ${s.size} bytes now: it changed while it was packed; pack again`, { path: s.source, cause: err });
  }
  if (hash.digest('hex') !== s.sha256) {
    throw new ZotpackError('E_CHANGED', 'the file changed (not by appending) while it was packed; pack again', { path: s.source });
  }
}

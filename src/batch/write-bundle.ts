/**
 * Writing a bundle: the tar (through parallel gzip) of the manifest, then
 * each spooled session's first `size` bytes, read once more and hashed on
 * the way — a session that changed other than by appending fails the pack
 * (E_CHANGED) rather than leave a bundle that disagrees with its manifest.
 *
 * tar-stream writes the tar: `pack.entry({ name, size })` takes a byte
 * stream of a declared size and refuses a stream of another size. The
 * output is a file (AtomicFile) or a stream (StreamOut); its failure is the
 * run's error, never the entry's being written when it happened.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import tar from 'tar-stream';
import { ZotpackError, fromFsError } from '../errors.js';
import type { Progress } from './batch-options.js';
import { MANIFEST_ENTRY } from './bundle-entry.js';
import type { BundleManifest } from './bundle-manifest.js';
import { drained } from './drained.js';
import type { PackSpool, SpooledSession } from './pack-spool.js';
import { parallelGzip } from './parallel-gzip.js';

export type ManifestHeader = Omit<BundleManifest, 'sessions'>;

const READ_SIZE = 1 << 20;

export interface WriteOptions {
  gzip: boolean;
  level: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Streams the tar (through gzip) into `file`: the manifest, then each session's first `size` bytes. */
export async function writeBundle(file: { write(c: Buffer): void | Promise<void> }, header: ManifestHeader, spool: PackSpool, options: WriteOptions): Promise<void> {
  const pack = tar.pack();
  // The bundle that cannot be written (a full disk) is the run's error, not
  // the entry being written when it happened.
  let writeError: unknown;
  // The tar or gzip failing: tar-stream's size check, when a session shrank while it was packed.
  let packError: unknown;
  // Ctrl-C, or the bundle that cannot be written: the writer of an entry
  // stops at its next chunk, or while it waits for the tar to take one.
  // Destroying the pack alone left that writer waiting on an entry that
  // would never drain or close (a reader gone from `pack -o - | ...`: the
  // run ended with nothing left to do, exit 13).
  const halt = new AbortController();
  const onAbort = () => halt.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) halt.abort();
  const consume = (async () => {
    const out: AsyncIterable<Buffer> = options.gzip ? parallelGzip(pack as AsyncIterable<Buffer>, { level: options.level }) : (pack as AsyncIterable<Buffer>);
    for await (const c of out) {
      try {
        await file.write(c);
      } catch (err) {
        writeError = err;
        throw err;
      }
    }
  })();
  // Awaited below; a Ctrl-C can end it while an entry is still being written, before anything awaits it.
  consume.catch((err: unknown) => {
    packError = err;
    halt.abort();
    pack.destroy(err as Error);
  });
  const progress = { filesDone: 0, filesTotal: spool.count, bytesDone: 0, bytesTotal: spool.bytes, errors: 0 };
  const signal = halt.signal;
  let current: SpooledSession | undefined;
  try {
    await entry(pack, { name: MANIFEST_ENTRY, size: spool.manifestSize(header), mtime: new Date(header.created) }, spool.manifest(header), signal);
    options.onProgress?.({ ...progress });
    for (const s of spool.sessions()) {
      current = s;
      if (signal.aborted) throw new ZotpackError('E_ABORTED', 'interrupted');
      await packSession(pack, s, signal, (n) => {
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
    if (writeError) throw writeError;
    // Halted by the tar's own failure, not by Ctrl-C: the entry being written broke it.
    if (packError !== undefined && !options.signal?.aborted && err instanceof ZotpackError && err.code === 'E_ABORTED') {
      if (packError instanceof ZotpackError) throw packError;
      if (current) throw new ZotpackError('E_CHANGED', 'the file changed while it was packed; pack again', { path: current.source, cause: packError });
      throw packError;
    }
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** One tar entry from `chunks` (written as they come, with backpressure). */
async function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, chunks: Iterable<Buffer>, halt: AbortSignal): Promise<void> {
  let fail: (err: Error) => void = () => {};
  let sink!: ReturnType<tar.Pack['entry']>;
  const done = new Promise<void>((resolve, reject) => {
    fail = reject;
    sink = pack.entry({ ...header, type: 'file', mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
    // The pack destroyed (Ctrl-C) destroys the entry, which emits 'error' too: unheard, it would crash the process.
    sink.on('error', reject);
  });
  // It may fail while the chunks are still being written, before `await done` below listens.
  done.catch(() => {});
  try {
    for (const c of chunks) {
      if (halt.aborted) throw new ZotpackError('E_ABORTED', 'interrupted');
      if (!sink.write(c)) await drained(sink, halt);
    }
    if (halt.aborted) throw new ZotpackError('E_ABORTED', 'interrupted');
    sink.end(null);
  } catch (err) {
    sink.destroy(err as Error);
    fail(err as Error);
  }
  // An ended entry the halted pack will never take: no callback comes.
  const halted = () => fail(new ZotpackError('E_ABORTED', 'interrupted'));
  halt.addEventListener('abort', halted, { once: true });
  if (halt.aborted) halted();
  try {
    await done;
  } finally {
    halt.removeEventListener('abort', halted);
  }
}

async function packSession(pack: tar.Pack, s: SpooledSession, halt: AbortSignal, onBytes: (n: number) => void): Promise<void> {
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
    await entry(pack, { name: s.path, size: s.size, mtime: new Date(s.mtimeMs) }, bytes(), halt);
  } catch (err) {
    if (err instanceof ZotpackError || read === s.size) throw err;
    throw new ZotpackError('E_CHANGED', `the file has ${read} of its ${s.size} bytes now: it changed while it was packed; pack again`, { path: s.source, cause: err });
  }
  if (hash.digest('hex') !== s.sha256) {
    throw new ZotpackError('E_CHANGED', 'the file changed (not by appending) while it was packed; pack again', { path: s.source });
  }
}

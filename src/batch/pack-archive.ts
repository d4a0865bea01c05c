/**
 * Pack: the selected sessions into one bundle file — a standard tar (gzip
 * by default) that `tar -tf` lists: `manifest.json` first, then each
 * session verbatim as `sessions/<project key>/<file name>`.
 *
 * Two passes. First the pool hashes every session (exactly the size a stat
 * saw: zot only appends, so those bytes stay put while it goes on writing)
 * and reads who it is, so the manifest — sizes, sha256, ids, parents, cwds,
 * titles — can be the bundle's first entry. It works a few projects at a
 * time and spools what it learns to a temp file (pack-spool.ts), so its
 * memory follows the largest project, not the archive. Then the sessions are streamed
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
 * published whole, or to a stream (stream-out.ts).
 */
import { lstatSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ZotpackError } from '../errors.js';
import { projectKey } from '../format/project-key.js';
import { appendAll } from '../format/append-all.js';
import { AtomicFile } from '../session/atomic-file.js';
import { isFolder } from '../session/stat-quietly.js';
import type { SessionDigest } from '../session/digest-session.js';
import { pathOption, resolveBatchOptions, type BatchOptions, type ResolvedBatchOptions } from './batch-options.js';
import { ReportBuilder, type BatchReport } from './batch-report.js';
import { sessionEntryPath } from './bundle-entry.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleManifest, type BundleSession } from './bundle-manifest.js';
import { bundleOrder } from './bundle-order.js';
import { PackSpool } from './pack-spool.js';
import { runOp } from './run-op.js';
import { WorkerPool } from './run-pool.js';
import type { Selected } from './select-sessions.js';
import { SliceProgress, SliceSource, type SliceLimits } from './select-slices.js';
import { removeTempFilesOf } from './temp-files.js';
import { StreamOut } from './stream-out.js';
import { writeBundle, type ManifestHeader } from './write-bundle.js';
import { version } from '../version.js';

export interface PackArchiveOptions extends BatchOptions {
  /**
   * The bundle file to write, or a stream to write it to (`name` stands for
   * it in messages and the result). A stream gets no temp file and no
   * fsync: a run that fails leaves it a bundle cut short.
   */
  out: string | { stream: NodeJS.WritableStream; name: string };
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
  /**
   * With a stream `out`: how long the stream's failure (its reader gone)
   * waits for `signal` before it fails the run. Ctrl-C in a terminal
   * reaches every process of a pipeline, and the reader may be gone before
   * this one's handler has run: then the run is interrupted, not failed.
   * Default 0: it fails at once.
   */
  signalGraceMs?: number;
  /** zotpack's version, recorded in the manifest; default this zotpack's (tests give another). */
  version?: string;
  /** The bundle's creation time (tests). */
  now?: () => Date;
  /** Called when the run moves from hashing to writing. */
  onPhase?: (phase: 'hash' | 'pack') => void;
  /**
   * Each session's manifest entry, in bundle order, once the first pass has
   * hashed it. When given, the result's `manifest.sessions` stays empty.
   */
  onPacked?: (s: BundleSession) => void;
}

export interface PackArchiveResult {
  /** The bundle file's path, or the stream's name. */
  out: string;
  /** Bytes of the bundle file. */
  bytesOut: number;
  gzip: boolean;
  /** The manifest written; its `sessions` only without onPacked. */
  manifest: BundleManifest;
  report: BatchReport;
}

interface Packed extends BundleSession {
  source: string;
  file: string;
  mtimeMs: number;
}

export async function packArchive(options: PackArchiveOptions, limits: SliceLimits = {}): Promise<PackArchiveResult> {
  const base = resolveBatchOptions(options);
  if (typeof options.out !== 'object' || options.out === null) pathOption(options.out, 'out');
  const toStream = typeof options.out === 'string' ? undefined : options.out;
  const out = typeof options.out === 'string' ? resolve(options.out) : options.out.name;
  const gzip = options.gzip ?? true;
  const level = options.level ?? 1;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new ZotpackError('E_USAGE', `level must be 1 to 9, got ${level}`);
  if (!toStream) checkOut(out, options.force === true);

  const report = new ReportBuilder('pack', 0);
  const header = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    created: (options.now ?? (() => new Date()))().toISOString(),
    zotpack: options.version ?? version(),
  } satisfies ManifestHeader;
  const kept: BundleSession[] = [];
  const onPacked = options.onPacked ?? ((s: BundleSession) => kept.push(s));
  const finish = (bytesOut: number, interrupted: boolean): PackArchiveResult => ({
    out,
    bytesOut,
    gzip,
    manifest: { ...header, sessions: kept },
    report: report.finish(interrupted),
  });
  const spool = new PackSpool();
  const pool = new WorkerPool(base);
  const resolved: ResolvedBatchOptions = { ...base, pool };
  // Heard from the start: a stream that fails while the sessions are hashed must fail the pack, not the process.
  const sink = toStream ? new StreamOut(toStream.stream, out, resolved.signal) : undefined;
  try {
    options.onPhase?.('hash');
    const files = await hashSessions(resolved, spool, report, onPacked, options.onProgress, limits);
    report.report.files = files;
    if (resolved.signal?.aborted) return finish(0, true);

    options.onPhase?.('pack');
    const write = { ...options, gzip, level, signal: resolved.signal };
    let bytesOut: number;
    if (sink) {
      try {
        await writeBundle(sink, header, spool, write);
        await sink.flush();
      } catch (err) {
        const grace = options.signalGraceMs ?? 0;
        if (grace > 0 && !resolved.signal?.aborted && err instanceof ZotpackError && err.code === 'E_WRITE') {
          await new Promise((resolve) => setTimeout(resolve, grace));
        }
        if (resolved.signal?.aborted) return finish(sink.bytesWritten, true);
        throw err;
      }
      bytesOut = sink.bytesWritten;
    } else {
      // A pack of this bundle that was killed left its temp file: gone before this one writes.
      removeTempFilesOf(out);
      const file = AtomicFile.create(out, { overwrite: options.force === true, durable: options.durable ?? true });
      try {
        await writeBundle(file, header, spool, write);
        file.commit();
      } catch (err) {
        file.abort();
        if (resolved.signal?.aborted) return finish(0, true);
        throw err;
      }
      bytesOut = file.bytesWritten;
    }
    report.report.succeeded = spool.count;
    report.report.bytes = spool.bytes;
    return finish(bytesOut, false);
  } finally {
    sink?.close();
    try {
      spool.close();
    } finally {
      await pool.close();
    }
  }
}

/** A bundle file may be written at `out`: E_EXISTS or E_IS_DIR if not. */
function checkOut(out: string, force: boolean): void {
  const there = lstatSync(out, { throwIfNoEntry: false });
  if (there && !force) throw new ZotpackError('E_EXISTS', 'the bundle file exists (--force replaces it)', { path: out });
  if (there?.isDirectory() || (there?.isSymbolicLink() && isFolder(out))) {
    throw new ZotpackError('E_IS_DIR', 'a folder, expected a bundle file name', { path: out });
  }
  // --force replaces a file, never a device (/dev/null), a FIFO or a link (rename would put the bundle in its place).
  if (there && !there.isFile()) throw new ZotpackError('E_EXISTS', 'exists and is not a regular file; --force replaces only a file', { path: out });
}

/**
 * The first pass: every selected session hashed and read for who it is, a
 * slice of projects at a time, and spooled in bundle order. Sessions outside
 * project folders wait (in memory) for their project's turn, so each
 * project's sessions, wherever they came from, are ordered together. Returns
 * the files looked at.
 */
async function hashSessions(
  resolved: ResolvedBatchOptions,
  spool: PackSpool,
  report: ReportBuilder,
  onPacked: (s: BundleSession) => void,
  onProgress: PackArchiveOptions['onProgress'],
  limits: SliceLimits,
): Promise<number> {
  const source = new SliceSource(resolved, '.jsonl', limits, true);
  if (source.filesTotal > 0) resolved.pool?.start(source.filesTotal);
  const progress = new SliceProgress(onProgress, source.filesTotal);
  const waiting: Packed[] = [];
  let files = 0;
  const place = (group: Packed[]) => {
    const byPath = new Map<string, Packed>();
    for (const p of group) {
      const twin = byPath.get(p.path);
      if (!twin) {
        byPath.set(p.path, p);
        continue;
      }
      // One session reached through two sources (a copy in a backup): packed once.
      if (twin.sha256 === p.sha256) report.report.skipped++;
      else report.fail({ code: 'E_EXISTS', message: `another source gives ${p.path} (${twin.source}) with other content`, path: p.source });
    }
    for (const p of bundleOrder([...byPath.values()])) {
      const { source, file: _f, mtimeMs, ...entry } = p;
      spool.add(entry, source, mtimeMs);
      onPacked(entry);
    }
  };
  for await (const slice of source.reported(report)) {
    files += slice.sessions.length + slice.errors.length;
    const onRun = progress.forRun(slice.sessions, slice.counted - slice.sessions.length);
    const digests = await runOp({ ...resolved, onProgress: onRun }, 'hash', slice.sessions.map((s) => ({ path: s.path, bytes: s.size, size: s.size })), {});
    const packed: Packed[] = [];
    slice.sessions.forEach((s, i) => {
      const o = digests[i]!;
      if (!o.ok) {
        if (o.error.code !== 'E_ABORTED') report.fail(o.error);
        return;
      }
      const p = packedOf(s, o.value, report);
      if (p) packed.push(p);
    });
    if (slice.keyless) {
      appendAll(waiting, packed);
      continue;
    }
    // Slices come in key order: what waits for a key up to this slice's last goes with it.
    const last = slice.sessions.at(-1)?.folderKey;
    const joining = last === undefined ? [] : take(waiting, (p) => p.key <= last);
    place(appendAll(packed, joining));
  }
  place(waiting);
  return files;
}

/** Removes and returns the items of `list` that `pick` picks. */
function take<T>(list: T[], pick: (item: T) => boolean): T[] {
  const taken: T[] = [];
  let kept = 0;
  for (const x of list) {
    if (pick(x)) taken.push(x);
    else list[kept++] = x;
  }
  list.length = kept;
  return taken;
}

/** A hashed session as the bundle will hold it, or undefined (reported) when its name cannot go into a bundle. */
function packedOf(s: Selected, d: SessionDigest, report: ReportBuilder): Packed | undefined {
  const key = s.folderKey || projectKey(d.cwd);
  const file = basename(s.path);
  const path = `sessions/${key}/${file}`;
  try {
    sessionEntryPath(path);
  } catch (err) {
    report.fail({ code: 'E_UNSAFE_PATH', message: `a file name a bundle cannot carry: ${(err as ZotpackError).reason}`, path: s.path });
    return undefined;
  }
  if (d.leftOut > 0) {
    report.warn([
      { code: 'W_TRUNCATED', message: `the last row is cut short (${d.leftOut} bytes, no newline): left out of the bundle: if zot is writing it, a later pack takes it whole; if a crash cut it, zot skips it too`, path: s.path },
    ]);
  }
  const { size, sha256, id, parent, forkPoint, cwd, started, title, hidden } = d;
  return { path, key, cwd, id, parent, forkPoint, started, title, hidden, size, sha256, source: s.path, file, mtimeMs: s.mtimeMs };
}

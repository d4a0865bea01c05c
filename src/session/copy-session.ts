/**
 * Streams a session into a new file under a new header: the engine behind
 * export and import.
 *
 * Rows zot reads are copied byte for byte (as slices of the read buffer);
 * meta rows fold into the header; rows zot skips are dropped and counted.
 * So do rename rows a later meta row overrides: a meta row sets the title
 * (a model switch's, often to none), and in the copy that meta is the
 * header, before them — kept, they would name the session anew.
 * The header carries the session's last meta, which is known only at the
 * end, so the pass writes a header built from the first meta and, in the
 * rare session whose meta changed (a model switch), writes the file once
 * more with the final header. Everything goes through an AtomicFile.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { TailWindow } from './source-tail.js';
import { basename, dirname, join } from 'node:path';
import { ZotpackError, type Warning } from '../errors.js';
import { readRows, type Row } from '../jsonl/row-reader.js';
import { metaRow, type MetaObject } from '../format/session-meta.js';
import { AtomicFile, type PendingFile } from './atomic-file.js';
import { RowSink } from './row-sink.js';
import { SessionScan } from './session-scan.js';

/** The output's name until the last row names it. */
const PLACEHOLDER = 'pending';

export interface CopyPlan {
  /** The output folder, decided once the first row (the meta) is read. */
  dir(scan: SessionScan): string;
  /** The output file name, decided after the last row. */
  name(scan: SessionScan): string;
  /** The output's meta object, from the session's first and last meta. */
  header(first: MetaObject, last: MetaObject): Buffer;
  /** A check before anything is written (the target exists, a duplicate id); throws to refuse. */
  check?(scan: SessionScan, dir: string): void;
}

export interface CopyOptions {
  /** fsync before publishing. Default true. */
  durable?: boolean;
  /** Compute the output's sha256. Default false. */
  sha256?: boolean;
  /** Read size; see RowReaderOptions. */
  chunkSize?: number;
  /** The output's modification time (the session's own, kept as `cp -p` keeps it); default: when written. */
  mtime?: Date;
  /** Replace an existing output (an earlier export of the same session). Default false. */
  overwrite?: boolean;
  /**
   * The source's size and sha256 as its export recorded them: hashed in the
   * same read, and a source that differs is refused (E_HASH_MISMATCH)
   * before its copy is published.
   */
  expectSource?: { bytes: number; sha256: string };
  /**
   * The source's size as the caller saw it: the fingerprint of where it
   * ended then (source-tail.ts) is taken in the same read, as `sourceTail`;
   * and the read ends on a short read past it (RowReaderOptions.listedSize).
   */
  tailAt?: number;
  /**
   * Leave the output as a finished temp file and return it as `pending`
   * instead of publishing it: the bulk engine makes many outputs durable
   * with one file-system sync, then publishes them. Default false.
   */
  defer?: boolean;
}

/** Rows left out of an output, by reason. */
export interface DroppedRows {
  /** Not valid JSON. */
  invalid: number;
  /** Valid JSON zot cannot decode. */
  undecodable: number;
  /** Meta rows after the first, and rename rows a later one overrides, folded into the header. */
  meta: number;
}

export interface CopyResult {
  output: string;
  scan: SessionScan;
  /** Rows written after the header. */
  rowsKept: number;
  dropped: DroppedRows;
  bytesOut: number;
  sha256: string | undefined;
  /** With `tailAt`: the fingerprint of the source's end there; undefined when it shrank below it. */
  sourceTail?: string;
  warnings: Warning[];
  /** With `defer`: the finished temp file, not yet at `output`. */
  pending?: PendingFile;
}

export function copySession(source: string, plan: CopyPlan, options: CopyOptions = {}): CopyResult {
  const scan = new SessionScan(source);
  let out: AtomicFile | undefined;
  let sink: RowSink | undefined;
  let tentative: Buffer | undefined;
  const renames: RenameRow[] = [];
  try {
    const expected = options.expectSource;
    const sourceHash = expected ? createHash('sha256') : undefined;
    const tail = options.tailAt === undefined ? undefined : new TailWindow(options.tailAt);
    let sourceBytes = 0;
    const onRead =
      sourceHash || tail
        ? (bytes: Buffer) => {
            sourceHash?.update(bytes);
            tail?.update(bytes);
            sourceBytes += bytes.length;
          }
        : undefined;
    const rows = readRows(source, {
      chunkSize: options.chunkSize,
      onRefill: () => sink?.flush(),
      onRead,
      listedSize: options.tailAt,
      // A big row is written as it is read, never held whole, unless the
      // scan reads its fields; copyRows keeps it or takes it back out.
      needsWholeRow: (row) => sink === undefined || scan.needsWholeRow(row),
      skimTap: { start: () => sink?.skimStart(), bytes: (piece) => sink?.skimBytes(piece) },
    });
    copyRows(rows, scan, renames, () => {
      const dir = plan.dir(scan);
      plan.check?.(scan, dir);
      out = AtomicFile.create(join(dir, PLACEHOLDER), { durable: options.durable, overwrite: options.overwrite, mtime: options.mtime });
      sink = new RowSink(out, { sha256: options.sha256 });
      tentative = headerRow(plan, scan.firstMeta!, scan.firstMeta!);
      sink.bytes(tentative);
      return sink;
    });
    scan.finish();
    if (expected && sourceHash) {
      const got = sourceHash.digest('hex');
      if (sourceBytes !== expected.bytes || got !== expected.sha256) throw sourceMismatch(source, sourceBytes, got, expected);
    }
    let sha256 = sink!.digest();
    const overridden = renames.filter((r) => r.metasBefore < scan.extraMetas);
    const rowsKept = sink!.rows - overridden.length;
    const target = join(plan.dir(scan), plan.name(scan));
    // With no meta row after the first, the final header is the tentative one
    // (building a header is most of the per-file JavaScript of a small export).
    const header = scan.lastMeta === scan.firstMeta ? tentative! : headerRow(plan, scan.firstMeta!, scan.lastMeta!);
    if (!header.equals(tentative!) || overridden.length > 0) {
      const rewritten = rewriteHeader(out!, tentative!.length, header, overridden, options);
      out = rewritten.file;
      sha256 = rewritten.sha256;
    }
    out!.target = target;
    let pending: PendingFile | undefined;
    if (options.defer) pending = out!.finish();
    else out!.commit();
    const dropped = { invalid: scan.counts.invalid, undecodable: scan.counts.undecodable, meta: scan.extraMetas + overridden.length };
    return { output: target, scan, rowsKept, dropped, bytesOut: out!.bytesWritten, sha256, sourceTail: tail?.digest(), warnings: scan.warnings, pending };
  } catch (err) {
    out?.abort();
    throw writeFailure(err, source);
  }
}

/** A source that is not the bytes its export recorded (a bad disk, an edit since). */
export function sourceMismatch(source: string, bytes: number, sha256: string, expected: { bytes: number; sha256: string }): ZotpackError {
  return new ZotpackError(
    'E_HASH_MISMATCH',
    `${bytes} bytes, sha256 ${sha256}; the export manifest says ${expected.bytes} bytes, ${expected.sha256} (changed since it was exported): not imported`,
    { path: source },
  );
}

/**
 * A failed write, named by the session it was a copy of: the output has
 * no name of its own until the last row (it is `pending` until then), and
 * the session is what a report's reader knows.
 */
function writeFailure(err: unknown, source: string): unknown {
  if (!(err instanceof ZotpackError) || err.code !== 'E_WRITE' || err.path === undefined || err.path === source) return err;
  const where = basename(err.path) === PLACEHOLDER ? `into ${dirname(err.path)}` : err.path;
  return new ZotpackError('E_WRITE', `${err.reason} (writing ${where})`, { path: source, cause: err });
}

/**
 * Feeds `rows` to `scan` and the kept ones to the sink that `open` makes at
 * the first meta row. A function of its own that ends with its loop, for the
 * reason given at SessionScan.addAll.
 */
function copyRows(rows: Iterable<Row>, scan: SessionScan, renames: RenameRow[], open: () => RowSink): void {
  let sink: RowSink | undefined;
  for (const row of rows) {
    const verdict = scan.add(row);
    if (row.skim) {
      sink!.skimEnd(verdict === 'keep');
      continue;
    }
    // A row skimmed, then read again whole: what was written of it goes.
    sink?.skimEnd(false);
    if (verdict === 'first-meta') {
      sink = open();
    } else if (verdict === 'keep') {
      const start = sink!.position;
      sink!.row(row);
      const { head } = scan;
      if (head.kind === 'row' && head.type === 'rename') renames.push({ start, end: sink!.position, metasBefore: scan.extraMetas });
    }
  }
}

/** Where a rename row went in the copy, and how many meta rows came before it. */
interface RenameRow {
  start: number;
  end: number;
  metasBefore: number;
}

function headerRow(plan: CopyPlan, first: MetaObject, last: MetaObject): Buffer {
  return Buffer.concat([metaRow(plan.header(first, last)), Buffer.from('\n')]);
}

/** A new temp file holding `header` and the body of `old` (everything after its first `skip` bytes), less the `drop` ranges. */
function rewriteHeader(old: AtomicFile, skip: number, header: Buffer, drop: readonly RenameRow[], options: CopyOptions): { file: AtomicFile; sha256: string | undefined } {
  const file = AtomicFile.create(old.target, { durable: options.durable, overwrite: options.overwrite, mtime: options.mtime });
  const hash = options.sha256 ? createHash('sha256') : undefined;
  let fd: number | undefined;
  try {
    file.write(header);
    hash?.update(header);
    fd = openSync(old.tempPath, 'r');
    const buf = Buffer.allocUnsafe(1 << 20);
    let pos = skip;
    let next = 0; // the next range to drop (they come in file order)
    for (;;) {
      while (next < drop.length && pos >= drop[next]!.start) pos = drop[next++]!.end;
      const until = next < drop.length ? drop[next]!.start : Infinity;
      const n = readSync(fd, buf, 0, Math.min(buf.length, until - pos), pos);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      file.write(chunk);
      hash?.update(chunk);
      pos += n;
    }
  } catch (err) {
    file.abort();
    throw err instanceof ZotpackError ? err : new ZotpackError('E_WRITE', `cannot rewrite header: ${String(err)}`, { path: old.target, cause: err });
  } finally {
    if (fd !== undefined) closeSync(fd);
    old.abort();
  }
  return { file, sha256: hash?.digest('hex') };
}

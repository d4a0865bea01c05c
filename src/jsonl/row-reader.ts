/**
 * Rows of a JSONL file as Buffer slices, framed exactly as zot frames them:
 * split on `\n`, a trailing run of `\r`/`\n` trimmed, empty rows skipped, a
 * last row without `\n` still a row.
 *
 * Every row is a `subarray` of one read buffer that is reused for the whole
 * file, so a row costs no copy and no string. The buffer grows only when a
 * single row outgrows it: in the scanner's memory, in place, a read at a
 * time; elsewhere, to that row's exact size. Memory is bounded by the
 * largest row, never by the file.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { ZotpackError, fromFsError } from '../errors.js';
import { takeBigRowBuffer, type BigRowBuffer } from './big-row-buffer.js';
import { beginRowStream, wasmBuffer, type WasmRegion } from './wasm-scanner.js';
import type { ScannedObject } from './object-members.js';

const NL = 0x0a;
const CR = 0x0d;

/** Default read size: big enough that syscalls are not the cost, small enough to sit in L2/L3. */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

export interface RowReaderOptions {
  /** Bytes read per system call, and the buffer's starting size. Default 1 MiB. */
  chunkSize?: number;
  /** Named in errors. */
  path?: string;
  /**
   * Called just before the read buffer is reused or, at the end, released:
   * every row yielded so far becomes invalid then. A writer that queues row slices (to send them in
   * one writev) flushes here.
   */
  onRefill?: () => void;
  /**
   * Called with the file's bytes as they are read, each byte once, in file
   * order, while they are still in the cache: a caller that hashes the file
   * does so in the same pass.
   */
  onRead?: (bytes: Buffer) => void;
  /**
   * The file's size when it was listed. A read that comes back short once
   * the bytes read have reached it is taken as the file's end, without one
   * more read to see nothing come back: one system call a file fewer, half
   * the reads of a tree of small sessions. (Only then: a read can come back
   * short before the end on some file systems, FUSE ones among them.)
   */
  listedSize?: number;
  /**
   * Lets the reader skim rows bigger than its buffer (inline images, long
   * tool output) instead of holding them whole: such a row is scanned a read
   * at a time as it goes by, and yielded with `skim` set and only its first
   * 64 KiB in `bytes`, unless this returns true for that row; then the
   * reader reads the row again, whole, and yields it as any other. A reader
   * that never holds a big row takes no fresh pages for it (some 12,000 for
   * a 50 MB image, 13-16 µs each here) and scans its bytes while the read
   * has just left them in the cache. Without the WebAssembly scanner every
   * row is held whole.
   */
  needsWholeRow?: (skimmed: Row) => boolean;
  /**
   * With needsWholeRow: sees each skimmed row go by, before the reader knows
   * how it ends. `start` as its skim begins, then `bytes` with its bytes in
   * order, a piece at a time, valid only during the call: together exactly
   * the `bytes` a whole reading gives (its line ending, and any `\r` before
   * it, left out). The row is then yielded skimmed or, when needsWholeRow
   * asks for it, read again whole. A writer that keeps rows writes a big
   * one so, without ever holding it.
   */
  skimTap?: { start(): void; bytes(piece: Buffer): void };
}

/** What the scan of a skimmed row found (see RowReaderOptions.needsWholeRow). */
export interface RowSkim {
  /** The row's length without its line ending. */
  length: number;
  /** As scanRowInPlace gives it; member spans are offsets from the row's start. */
  scan: ScannedObject | 'invalid' | 'not-object';
}

/**
 * One row. `bytes` is valid only until the reader moves on: copy it to keep
 * it. `start`/`end` are file offsets of the row's first byte and of the byte
 * after its line ending, so `end` of the last row is where the next append goes.
 */
export interface Row {
  bytes: Buffer;
  /** 1-based physical line number. */
  line: number;
  start: number;
  end: number;
  /** False for a last row with no newline after it (a crash can leave one). */
  terminated: boolean;
  /** Set for a row the reader skimmed: `bytes` then holds only the row's start. */
  skim?: RowSkim;
}

function trimmedEnd(b: Buffer, from: number, to: number): number {
  while (to > from && (b[to - 1] === CR || b[to - 1] === NL)) to--;
  return to;
}

/** The rows of a whole Buffer (same framing as `readRows`). */
export function* splitRows(buf: Buffer): Generator<Row> {
  let pos = 0;
  let line = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(NL, pos);
    const stop = nl < 0 ? buf.length : nl;
    const next = nl < 0 ? buf.length : nl + 1;
    line++;
    const e = trimmedEnd(buf, pos, stop);
    if (e > pos) yield { bytes: buf.subarray(pos, e), line, start: pos, end: next, terminated: nl >= 0 };
    pos = next;
  }
}

/** The rows of the file at `path`, read with one reused buffer. */
export function* readRows(path: string, options: RowReaderOptions = {}): Generator<Row> {
  const chunk = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  let fd: number;
  try {
    // Non-blocking: a FIFO given as a session opens at once (and fails its
    // first read, ESPIPE) instead of waiting for a writer; a file is unaffected.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw fromFsError(err, options.path ?? path, 'cannot open');
  }
  try {
    yield* readRowsFd(fd, chunk, options.path ?? path, options);
  } finally {
    closeSync(fd);
  }
}

function read(fd: number, buf: Buffer, offset: number, length: number, position: number, path: string): number {
  try {
    return readSync(fd, buf, offset, length, position);
  } catch (err) {
    throw fromFsError(err, path, 'cannot read');
  }
}

/** What a reader calls back as it goes (see RowReaderOptions). */
type ReaderHooks = Pick<RowReaderOptions, 'onRefill' | 'onRead' | 'listedSize' | 'needsWholeRow' | 'skimTap'>;

/** Rows of an open file descriptor, from offset 0. */
export function* readRowsFd(fd: number, chunk: number, path: string, hooks: ReaderHooks = {}): Generator<Row> {
  // Read into the WebAssembly scanner's memory when there is room, so rows
  // are scanned where they were read.
  const region = wasmBuffer(chunk);
  try {
    yield* readInto(fd, region, chunk, path, hooks);
  } finally {
    region?.release();
  }
}

function* readInto(fd: number, region: WasmRegion | undefined, chunk: number, path: string, hooks: ReaderHooks): Generator<Row> {
  const { onRefill, onRead, listedSize, needsWholeRow } = hooks;
  // The reader's own buffer (the scanner's memory when there was room). A row
  // too big for it goes to the pool's big-row buffer, and the reader comes
  // back here after it: the rows after a big one are scanned in place again.
  let home: Buffer = region?.buf ?? Buffer.allocUnsafe(chunk);
  let buf = home;
  let big: BigRowBuffer | undefined;
  let skimmedHead: Buffer | undefined; // the start of the row last skimmed
  let base = 0; // file offset of buf[0]
  let len = 0; // valid bytes in buf
  let pos = 0; // start of the unconsumed row in buf
  let searched = 0; // [pos, searched) holds no newline: a refill searches only what it read
  let line = 0;
  let eof = false;
  try {
    for (;;) {
      // Only [0, len) is data; searching a view keeps indexOf out of stale bytes.
      const view = buf.subarray(0, len);
      let nl: number;
      while ((nl = view.indexOf(NL, Math.max(pos, searched))) >= 0) {
        line++;
        const e = trimmedEnd(view, pos, nl);
        if (e > pos) yield { bytes: view.subarray(pos, e), line, start: base + pos, end: base + nl + 1, terminated: true };
        pos = nl + 1;
      }
      if (eof) {
        if (pos < len) {
          line++;
          const e = trimmedEnd(view, pos, len);
          if (e > pos) yield { bytes: view.subarray(pos, e), line, start: base + pos, end: base + len, terminated: false };
        }
        // The buffer is released next: whatever still points into it goes now.
        onRefill?.();
        return;
      }
      onRefill?.();
      // Keep the unfinished row, move it to the front, and make room for more.
      const partial = len - pos;
      if (big && partial < home.length) {
        buf.copy(home, 0, pos, len);
        buf = home;
        big.release();
        big = undefined;
      } else if (partial === buf.length && needsWholeRow && region && buf === home) {
        // The row fills the buffer: skim it, and go on with the rows after it.
        const s = skimRow(fd, home, base, path, (skimmedHead ??= spareHeads.pop() ?? Buffer.allocUnsafe(SKIM_HEAD)), hooks);
        line++;
        if (s.length > 0) {
          const row: Row = { bytes: s.head, line, start: base, end: s.end, terminated: s.terminated };
          if (s.scan !== undefined) row.skim = { length: s.length, scan: s.scan };
          if (s.scan !== undefined && !needsWholeRow(row)) yield row;
          else yield* readAgain(fd, row, s.length, path, onRefill);
        }
        ({ base, len, pos, eof } = s.after);
        searched = pos;
        continue;
      } else if (partial === buf.length) {
        // The row fills the buffer. The scanner's newest region grows in place
        // a read at a time, with no copy and no look-ahead: a row is read once.
        const inPlace = buf === home && region ? region.grow(buf.length + chunk) : undefined;
        if (inPlace) {
          buf = home = inPlace;
        } else {
          const size = rowSize(fd, base, len, chunk, path);
          // (Not bigger: a last row without a newline is all here; the read below finds the file's end.)
          if (size > buf.length) {
            checkRowSize(size, base, path);
            // Exactly the row: the read stops at its end, and the next refill comes home.
            if (big) {
              buf = big.grow(size);
            } else {
              big = takeBigRowBuffer(size);
              buf.copy(big.buf, 0, 0, len);
              buf = big.buf;
              // The region filled up under the row before it went to the
              // big-row buffer: back to one chunk, so that the rest of the
              // scanner memory is free again for a reader nested in this one.
              if (region && home.length > chunk) home = region.grow(chunk) ?? home;
            }
          }
        }
      } else if (pos > 0) {
        buf.copyWithin(0, pos, len);
      }
      base += pos;
      len = partial;
      searched = partial;
      pos = 0;
      // A read at a time into the reader's own buffer, however far it has
      // grown, so the rows are scanned (and hashed) while the read left them
      // in the cache; the big-row buffer takes the rest of its row at once.
      const want = buf === home ? Math.min(chunk, buf.length - len) : buf.length - len;
      const n = read(fd, buf, len, want, base + len, path);
      if (n === 0) eof = true;
      else onRead?.(buf.subarray(len, len + n));
      len += n;
      if (n < want && listedSize !== undefined && base + len >= listedSize) eof = true;
    }
  } finally {
    big?.release();
    if (skimmedHead) spareHeads.push(skimmedHead);
  }
}

/** The most of a skimmed row's start that its Row holds. */
const SKIM_HEAD = 64 << 10;

/**
 * Skimmed rows' heads, kept for the thread's next files: a fresh 64 KiB a
 * file cost its pages' first touch, some 0.2 ms a file here. The tree of
 * the 2 GB bench corpus (663 rows skimmed): CPU 2.53 -> 2.46 s, its
 * validation floor's 2.01 -> 1.82 s, 8 runs each. As many heads as
 * readers were ever nested.
 */
const spareHeads: Buffer[] = [];

/** The longest row the scanner's 32-bit offsets can skim. */
const MAX_STREAMED = 2 ** 32 - 1;

/** What a skimmed row hands on for a run of `\r` within it, a piece at a time. */
const CRS = Buffer.alloc(64 << 10, CR);

interface Skimmed {
  /** The row's length without its line ending (0: a row of `\r` alone, which is no row). */
  length: number;
  scan: RowSkim['scan'] | undefined;
  /** The row's first SKIM_HEAD bytes (fewer for a shorter row). */
  head: Buffer;
  /** File offset just past the row's newline, or the file's end. */
  end: number;
  terminated: boolean;
  /** Where the reader goes on: `buf` holds the bytes after the row at [pos, len), from file offset `base`. */
  after: { base: number; len: number; pos: number; eof: boolean };
}

/**
 * Reads on through the row that fills `buf` (from file offset `base`),
 * feeding the row scanner a read at a time, to the row's newline or the
 * file's end, and copies its first bytes to `head`. Every read goes to
 * `buf` from its start.
 */
function skimRow(fd: number, buf: Buffer, base: number, path: string, head: Buffer, { onRead, listedSize, skimTap: tap }: ReaderHooks): Skimmed {
  const stream = beginRowStream()!;
  tap?.start();
  let fed = 0;
  // How many `\r` end what was fed: not part of the row unless more comes after them (and held back from the tap until then).
  let carriageReturns = 0;
  const feed = (piece: Buffer) => {
    if (fed < SKIM_HEAD) piece.copy(head, fed, 0, Math.min(piece.length, SKIM_HEAD - fed));
    stream.feed(piece);
    fed += piece.length;
    // No Buffer holds the row; the scanner's offsets are 32-bit (as Node 20's Buffers stop at 4 GiB, later ones do not).
    if (fed > MAX_STREAMED) throw rowTooLarge(fed, base, path, `more than the ${MAX_STREAMED} bytes zotpack's scanner can take`);
    let k = piece.length;
    while (k > 0 && piece[k - 1] === CR) k--;
    if (k === 0) {
      carriageReturns += piece.length;
      return;
    }
    if (tap) {
      for (let left = carriageReturns; left > 0; left -= CRS.length) tap.bytes(left >= CRS.length ? CRS : CRS.subarray(0, left));
      tap.bytes(k === piece.length ? piece : piece.subarray(0, k));
    }
    carriageReturns = piece.length - k;
  };
  feed(buf);
  let at = base + buf.length;
  for (;;) {
    const n = read(fd, buf, 0, buf.length, at, path);
    if (n > 0) onRead?.(buf.subarray(0, n));
    const eof = n === 0 || (n < buf.length && listedSize !== undefined && at + n >= listedSize);
    const nl = buf.subarray(0, n).indexOf(NL);
    if (nl >= 0 || eof) {
      const stop = nl >= 0 ? nl : n;
      if (stop > 0) feed(buf.subarray(0, stop));
      const length = fed - carriageReturns;
      return {
        length,
        scan: stream.end(length),
        head: head.subarray(0, Math.min(length, SKIM_HEAD)),
        end: nl >= 0 ? at + nl + 1 : at + n,
        terminated: nl >= 0,
        after: { base: at, len: n, pos: nl >= 0 ? nl + 1 : n, eof },
      };
    }
    feed(buf.subarray(0, n));
    at += n;
  }
}

/**
 * The skimmed `row` again, whole: read into the scanner's memory above the
 * reader's buffer when there is room (scanned in place), else into the
 * big-row buffer. Its bytes were already handed to `onRead`.
 */
function* readAgain(fd: number, row: Row, length: number, path: string, onRefill: (() => void) | undefined): Generator<Row> {
  // With its line ending, as any row sits in a reader's buffer: a writer may send a row and its `\n` as one view.
  const size = row.end - row.start;
  checkRowSize(size, row.start, path);
  const region = wasmBuffer(size);
  const big = region ? undefined : takeBigRowBuffer(size);
  try {
    const all = (region?.buf ?? big!.buf).subarray(0, size);
    for (let got = 0; got < size; ) {
      const n = read(fd, all, got, size - got, row.start + got, path);
      if (n === 0) throw new ZotpackError('E_CHANGED', `the file shrank while it was read (row at byte ${row.start})`, { path });
      got += n;
    }
    yield { bytes: all.subarray(0, length), line: row.line, start: row.start, end: row.end, terminated: row.terminated };
    onRefill?.(); // the row's memory goes back next
  } finally {
    region?.release();
    big?.release();
  }
}

/**
 * The size of the row that starts at file offset `base` and fills the buffer
 * (`len` bytes read so far), found with small look-ahead reads, so a buffer
 * that cannot grow in place is grown once to the row's exact size: doubling
 * would peak at up to 3x the row (old and new buffers alive during the
 * copy); this stays near 1x, at the cost of reading the rest of the row twice.
 */
// One look-ahead buffer per thread: allocating one per big row costs page faults each time.
const PROBE = Buffer.allocUnsafe(256 << 10);

function rowSize(fd: number, base: number, len: number, chunk: number, path: string): number {
  const probe = chunk < PROBE.length ? PROBE.subarray(0, chunk) : PROBE;
  let at = base + len;
  for (;;) {
    const n = read(fd, probe, 0, probe.length, at, path);
    if (n === 0) return at - base;
    const nl = probe.subarray(0, n).indexOf(NL);
    if (nl >= 0) return at + nl + 1 - base;
    at += n;
  }
}

/** A row Node.js cannot hold in one Buffer is an error, not a crash. */
function checkRowSize(size: number, base: number, path: string): void {
  if (size > bufferConstants.MAX_LENGTH) throw rowTooLarge(size, base, path, `more than the ${bufferConstants.MAX_LENGTH} bytes one Node.js Buffer can hold`);
}

function rowTooLarge(size: number, base: number, path: string, limit: string): ZotpackError {
  return new ZotpackError('E_ROW_TOO_LARGE', `row at byte ${base} is over ${size} bytes, ${limit}`, { path });
}

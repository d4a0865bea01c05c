/**
 * What a bundle records of a session before packing it: the sha256 of
 * exactly its first `size` bytes, and who it is.
 *
 * zot only appends to a session, so the first `size` bytes (the size a stat
 * saw) stay what they are while zot keeps writing: a bundle packs exactly
 * those bytes — less a last row zot was still writing (wholeRowsEnd) — and
 * their hash is known before the bundle is written.
 *
 * One read of the bytes, hashed as they come. The identity comes from the
 * first row (read as zot reads it); the title and the hidden flag, which
 * later rows change, from the rows that change them — meta rows (model
 * switches) and rename rows — found by their first bytes as zot writes them
 * (`{"type":"meta"` and `{"title":`, rename keys being sorted) and only those
 * rows decoded. Everything else is hashed without a look.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ZotpackError, fromFsError } from '../errors.js';
import { readRows } from '../jsonl/row-reader.js';
import { readRowHead } from '../jsonl/row-type.js';
import { stringField } from '../jsonl/go-fields.js';
import { readMetaObject, recordedCwd } from '../format/session-meta.js';
import { SessionScan } from './session-scan.js';

export interface SessionDigest {
  /** Bytes hashed: the size asked for, less a cut-off last row. */
  size: number;
  /** Bytes of a last row cut short (zot is writing it, or a crash cut it) left out: 0 mostly. */
  leftOut: number;
  sha256: string;
  id: string;
  parent: string;
  forkPoint: number;
  cwd: string;
  /** RFC 3339 as written; '' when absent. */
  started: string;
  /** The title zot shows: the last meta row's, or a later rename's. */
  title: string;
  /** The last meta row's `hide_from_sessions`. */
  hidden: boolean;
}

const CHUNK = 1 << 20;
// Rows that change the title are small; a longer candidate is not decoded.
const MAX_TITLE_ROW = 1 << 20;
const META_START = Buffer.from('\n{"type":"meta"');
const RENAME_START = Buffer.from('\n{"title":');
const OVERLAP = META_START.length - 1;
const FIRST_LOOK = 64 << 10;

export function digestSession(path: string, statSize: number): SessionDigest {
  if (statSize === 0) throw new ZotpackError('E_EMPTY', 'the file has no rows', { path });
  const first = firstMeta(path, statSize);
  const fd = openFd(path);
  try {
    const size = wholeRowsEnd(fd, statSize, path);
    const hash = createHash('sha256');
    const state = { title: first.title, hidden: first.hidden };
    const buf = Buffer.allocUnsafe(CHUNK);
    let tail = Buffer.alloc(0); // the previous chunk's last bytes: a row start split between two reads
    let pos = 0;
    while (pos < size) {
      const n = readAt(fd, buf, Math.min(CHUNK, size - pos), pos, path);
      if (n === 0) throw shrank(path, pos, size);
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      const starts = rowStarts(chunk, pos);
      if (tail.length > 0) {
        const seam = Buffer.concat([tail, chunk.subarray(0, OVERLAP)]);
        // Only matches that cross the seam: the others were found in one chunk or the other.
        starts.push(...rowStarts(seam, pos - tail.length, (at, len) => at < pos && at + len > pos));
      }
      // File order matters: a later meta row without a title clears a rename's.
      for (const start of starts.sort((a, b) => a - b)) applyTitleRow(fd, start, size, path, state);
      tail = Buffer.from(chunk.subarray(Math.max(0, n - OVERLAP)));
      pos += n;
    }
    return { ...first.identity, size, leftOut: statSize - size, sha256: hash.digest('hex'), title: state.title, hidden: state.hidden };
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the bytes to pack end: `size`, unless the last row has no newline
 * and is not valid JSON — zot is writing it, or a crash cut it short. Such a
 * fragment is left out: packed, a row zot writes next on the other machine
 * would run into it and be lost with it, while left out, a later pack
 * takes the row whole (and an unpack appends it). A last row without a
 * newline that is whole JSON is kept.
 */
function wholeRowsEnd(fd: number, size: number, path: string): number {
  // Nearly always: the last byte is a newline, and one byte is all that is read.
  const last = Buffer.allocUnsafe(1);
  if (readAt(fd, last, 1, size - 1, path) < 1) throw shrank(path, size - 1, size);
  if (last[0] === 0x0a) return size;
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, size));
  let nl = -1;
  for (let end = size; end > 0 && nl < 0; ) {
    const start = Math.max(0, end - buf.length);
    const n = readAt(fd, buf, end - start, start, path);
    if (n < end - start) throw shrank(path, start + n, size);
    const i = buf.subarray(0, n).lastIndexOf(0x0a);
    if (i >= 0) nl = start + i;
    end = start;
  }
  if (nl < 0) return size; // one row, no newline: the first row decides (firstMeta)
  const tail = Buffer.allocUnsafe(size - nl - 1);
  if (readAt(fd, tail, tail.length, nl + 1, path) < tail.length) throw shrank(path, nl + 1, size);
  let e = tail.length;
  while (e > 0 && tail[e - 1] === 0x0d) e--;
  return e === 0 || readRowHead(tail.subarray(0, e)).kind !== 'invalid' ? size : nl + 1;
}

/** File offsets of the rows in `b` (at file offset `base`) that may change the title. */
function rowStarts(b: Buffer, base: number, keep = (_at: number, _len: number) => true): number[] {
  const starts: number[] = [];
  for (const pattern of [META_START, RENAME_START]) {
    for (let i = b.indexOf(pattern); i >= 0; i = b.indexOf(pattern, i + 1)) {
      if (keep(base + i, pattern.length)) starts.push(base + i + 1);
    }
  }
  return starts;
}

function firstMeta(path: string, size: number) {
  const scan = new SessionScan(path);
  for (const row of readRows(path, { chunkSize: 64 << 10 })) {
    if (row.start + row.bytes.length > size) break;
    scan.add(row);
    const m = scan.firstMeta!.meta;
    return {
      identity: { id: m.id, parent: m.parent, forkPoint: m.forkPoint, cwd: recordedCwd(m), started: m.started ?? '' },
      title: m.title,
      hidden: m.hideFromSessions,
    };
  }
  throw new ZotpackError('E_EMPTY', 'the file has no complete first row', { path });
}

function applyTitleRow(fd: number, start: number, size: number, path: string, state: { title: string; hidden: boolean }): void {
  let buf = Buffer.allocUnsafe(Math.min(FIRST_LOOK, size - start));
  let n = readAt(fd, buf, buf.length, start, path);
  let nl = buf.subarray(0, n).indexOf(0x0a);
  if (nl < 0 && start + n < size) {
    buf = Buffer.allocUnsafe(Math.min(MAX_TITLE_ROW, size - start));
    n = readAt(fd, buf, buf.length, start, path);
    nl = buf.subarray(0, n).indexOf(0x0a);
    if (nl < 0 && start + n < size) return; // longer than any title row zot writes
  }
  let end = nl < 0 ? n : nl;
  while (end > 0 && buf[end - 1] === 0x0d) end--;
  const row = buf.subarray(0, end);
  const head = readRowHead(row);
  if (head.kind !== 'row' || head.object === null) return;
  try {
    if (head.type === 'rename') {
      const title = stringField(row, head.object, 'title');
      if (title) state.title = title;
    } else if (head.type === 'meta') {
      const meta = readMetaObject(row, head.object);
      if (meta) {
        state.title = meta.meta.title;
        state.hidden = meta.meta.hideFromSessions;
      }
    }
  } catch {
    // A field of the wrong type: zot skips the row, and so does the title.
  }
}

function shrank(path: string, at: number, size: number): ZotpackError {
  return new ZotpackError('E_CHANGED', `the file shrank to ${at} bytes while it was read (expected ${size})`, { path });
}

function openFd(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw fromFsError(err, path, 'cannot open');
  }
}

function readAt(fd: number, buf: Buffer, length: number, position: number, path: string): number {
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  } catch (err) {
    throw fromFsError(err, path, 'cannot read');
  }
}

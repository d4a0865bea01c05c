/**
 * Rows of a byte stream (a session arriving in chunks from a bundle), framed
 * exactly as `readRows` frames a file, with every byte passed on.
 *
 * The stream is split on `\n`; each row (a trailing run of `\r` trimmed,
 * empty rows skipped) goes to `onRow`, which may return replacement bytes
 * for the row. Everything else — line endings, empty lines, a last row
 * without a newline — is passed to `emit` untouched, so with no replacement
 * the output is the input byte for byte. Runs of rows that are not replaced
 * leave as one slice of the input chunk, with no copy.
 *
 * Memory: a row that spans chunks is held until its newline arrives, so
 * the buffer is bounded by the largest row, never by the stream. A short
 * one is held as its chunks and joined once; a long one (an inline image)
 * is gathered into one buffer that grows in place as chunks come, since
 * joining holds the row twice (the chunks and the joined copy).
 */
import { ZotpackError } from '../errors.js';
import { MAX_GROWABLE, ownBuffer, type BigRowBuffer } from '../jsonl/big-row-buffer.js';
import type { Row } from '../jsonl/row-reader.js';

const NL = 0x0a;
/** A row held longer than this is gathered into one growing buffer instead of joined at its end. */
const GATHER_FROM = 8 << 20;
const CR = 0x0d;

/**
 * Called for each row; returns the bytes to write in its place, or undefined
 * to keep it. `row.bytes` is valid only during the call: copy it to keep it.
 */
export type RowHandler = (row: Row) => Buffer | undefined;

export class RowStream {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** A long row's bytes so far, in one buffer that grows in place (then `pending` is empty). */
  private gathered: BigRowBuffer | undefined;
  /** Stream offset of the first pending byte. */
  private base = 0;
  private line = 0;
  private ended = false;

  constructor(
    private readonly onRow: RowHandler,
    private readonly emit: (bytes: Buffer) => void,
    /** Named in errors. */
    private readonly path?: string,
  ) {}

  /** Bytes that came in so far. */
  get bytesIn(): number {
    return this.base + this.pendingLength;
  }

  push(chunk: Buffer): void {
    if (this.ended) throw new Error('RowStream: push after end');
    if (chunk.length === 0) return;
    const last = chunk.lastIndexOf(NL);
    if (this.pendingLength + (last < 0 ? chunk.length : last + 1) > MAX_GROWABLE) {
      throw new ZotpackError('E_ROW_TOO_LARGE', `a row at byte ${this.base} is longer than the ${MAX_GROWABLE} bytes zotpack holds in one buffer`, {
        path: this.path,
      });
    }
    if (last < 0) {
      this.hold(chunk);
      return;
    }
    let block: Buffer;
    if (this.pendingLength === 0) {
      block = chunk.subarray(0, last + 1);
    } else {
      // The row that was waiting ends in this chunk.
      this.hold(chunk.subarray(0, last + 1));
      block = this.held();
    }
    this.frame(block);
    const rest = chunk.subarray(last + 1);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingLength = rest.length;
  }

  /** Keeps bytes of a row whose newline has not come. */
  private hold(bytes: Buffer): void {
    const at = this.pendingLength;
    this.pendingLength += bytes.length;
    if (this.gathered) {
      bytes.copy(this.gathered.grow(this.pendingLength), at);
      return;
    }
    this.pending.push(bytes);
    if (this.pendingLength > GATHER_FROM) {
      this.gathered = ownBuffer(this.pendingLength);
      let p = 0;
      for (const b of this.pending) p += b.copy(this.gathered.buf, p);
      this.pending = [];
    }
  }

  /** The bytes held, as one Buffer; holds nothing after. */
  private held(): Buffer {
    const block = this.gathered ? this.gathered.buf.subarray(0, this.pendingLength) : Buffer.concat(this.pending, this.pendingLength);
    this.gathered = undefined;
    this.pending = [];
    return block;
  }

  /** The last row, which has no newline after it (a crash can leave one). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.pendingLength === 0) return;
    const block = this.pending.length === 1 ? this.pending[0]! : this.held();
    this.pending = [];
    this.pendingLength = 0;
    this.frame(block);
  }

  /** Frames `block` (whole lines; only at the end may the last one lack its `\n`) and emits it. */
  private frame(block: Buffer): void {
    const base = this.base;
    let emitted = 0; // bytes of block already passed on
    let pos = 0;
    while (pos < block.length) {
      let nl = block.indexOf(NL, pos);
      if (nl < 0) nl = block.length; // the last row of the stream, unterminated
      const next = nl < block.length ? nl + 1 : nl;
      this.line++;
      let e = nl;
      while (e > pos && (block[e - 1] === CR || block[e - 1] === NL)) e--;
      if (e > pos) {
        const row: Row = { bytes: block.subarray(pos, e), line: this.line, start: base + pos, end: base + next, terminated: nl < block.length };
        const replacement = this.onRow(row);
        if (replacement !== undefined) {
          if (pos > emitted) this.emit(block.subarray(emitted, pos));
          this.emit(replacement);
          emitted = e;
        }
      }
      pos = next;
    }
    if (block.length > emitted) this.emit(block.subarray(emitted));
    this.base = base + block.length;
  }
}

/**
 * The text of each project as it is finished, handed back in the order a
 * person reads them (by cwd, then key). Projects finish in key order, a few
 * at a time; holding all their text would make memory grow with the archive,
 * so past a bound the text goes to a temp file and is copied out at the end.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byCwd } from '../batch/archive-trees.js';

interface Piece {
  cwd: string;
  key: string;
  /**
   * The text while in memory, as UTF-8: a tree's text is a UTF-16 string
   * (its box-drawing characters), twice the bytes the bound counts.
   */
  text?: Buffer;
  /** Where it is in the temp file once spilled. */
  offset: number;
  bytes: number;
}

/** Text kept in memory before the spool moves to a temp file. */
const DEFAULT_MEMORY_BYTES = 8 << 20;
const COPY_CHUNK = 1 << 20;

export class ProjectSpool {
  private readonly pieces: Piece[] = [];
  private held = 0;
  private dir: string | undefined;
  private fd: number | undefined;
  private end = 0;

  /** `name` names the temp folder (`zotpack-<name>-*`) and the spool in errors. */
  constructor(
    private readonly memoryBytes = DEFAULT_MEMORY_BYTES,
    private readonly name = 'tree',
  ) {}

  add(cwd: string, key: string, text: string): void {
    this.hold(cwd, key, Buffer.from(text, 'utf8'));
  }

  /**
   * `lines` with a newline between each two. Written line by line into one
   * buffer: joining them first copied every line once more (a tree of
   * 100,000 sessions: 180 -> 100 ms).
   */
  addLines(cwd: string, key: string, lines: readonly string[]): void {
    let size = Math.max(0, lines.length - 1);
    for (const line of lines) size += Buffer.byteLength(line, 'utf8');
    const bytes = Buffer.allocUnsafe(size);
    let at = 0;
    lines.forEach((line, i) => {
      if (i > 0) bytes[at++] = 0x0a;
      at += bytes.write(line, at, 'utf8');
    });
    this.hold(cwd, key, bytes);
  }

  private hold(cwd: string, key: string, bytes: Buffer): void {
    const piece: Piece = { cwd, key, text: bytes, offset: 0, bytes: bytes.length };
    this.pieces.push(piece);
    this.held += piece.bytes;
    if (this.fd !== undefined) this.spill(piece);
    else if (this.held > this.memoryBytes) for (const p of this.pieces) this.spill(p);
  }

  private spill(piece: Piece): void {
    if (piece.text === undefined) return;
    if (this.fd === undefined) {
      this.dir = mkdtempSync(join(tmpdir(), `zotpack-${this.name}-`));
      this.fd = openSync(join(this.dir, 'projects.txt'), 'w+', 0o600);
    }
    piece.offset = this.end;
    for (let done = 0; done < piece.bytes; ) done += writeSync(this.fd, piece.text, done);
    this.end += piece.bytes;
    piece.text = undefined;
  }

  /** Writes every piece in cwd order, each after `separator(i)`, then removes the temp file. */
  writeTo(out: { write(chunk: string | Uint8Array): unknown }, separator: (index: number) => string = () => ''): void {
    this.pieces.sort(byCwd);
    const buf = this.fd === undefined ? undefined : Buffer.allocUnsafe(COPY_CHUNK);
    this.pieces.forEach((p, i) => {
      const sep = separator(i);
      if (sep) out.write(sep);
      if (p.text !== undefined) {
        out.write(p.text);
        return;
      }
      for (let done = 0; done < p.bytes; ) {
        const n = readSync(this.fd!, buf!, 0, Math.min(COPY_CHUNK, p.bytes - done), p.offset + done);
        if (n === 0) throw new Error(`the ${this.name} spool file was cut short`);
        // A copy: the stream may still hold the chunk when the buffer is refilled.
        out.write(Buffer.from(buf!.subarray(0, n)));
        done += n;
      }
    });
    this.close();
  }

  /** Removes the temp file, if there is one. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.fd = undefined;
    this.dir = undefined;
  }
}

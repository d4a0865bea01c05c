/**
 * A fingerprint of where a session file ended when it was exported: the
 * sha256 of its last 4 KiB before that size. zot only appends, so a session
 * that grew still holds those bytes at that place; one cut short by a crash
 * or put back from an older copy, and then written on past that size, does
 * not (the new rows' times differ, if nothing else). An incremental export
 * checks it before it replaces an export with the grown file, which would
 * otherwise drop the rows the cut lost from the backup too.
 *
 * An edit wholly before the last 4 KiB goes unseen: zot makes none.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';

export const SOURCE_TAIL_BYTES = 4096;

/** The sha256 of the bytes `[end - 4096, end)` (or `[0, end)`), taken from a file's bytes as they are read in order. */
export class TailWindow {
  private readonly start: number;
  private readonly hash: Hash = createHash('sha256');
  private offset = 0;

  constructor(private readonly end: number) {
    this.start = Math.max(0, end - SOURCE_TAIL_BYTES);
  }

  /** The next bytes of the file, after every byte before them. */
  update(bytes: Buffer): void {
    const from = Math.max(this.start, this.offset);
    const to = Math.min(this.end, this.offset + bytes.length);
    if (from < to) this.hash.update(bytes.subarray(from - this.offset, to - this.offset));
    this.offset += bytes.length;
  }

  /** The fingerprint; undefined when fewer than `end` bytes came (the file shrank as it was read). */
  digest(): string | undefined {
    return this.offset >= this.end ? this.hash.digest('hex') : undefined;
  }
}

/** The fingerprint of a file as it ends at `end` now; undefined when it is shorter than that. */
export function readSourceTail(path: string, end: number): string | undefined {
  const start = Math.max(0, end - SOURCE_TAIL_BYTES);
  const buf = Buffer.allocUnsafe(end - start);
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    for (let n; got < buf.length && (n = readSync(fd, buf, got, buf.length - got, start + got)) > 0; ) got += n;
    if (got < buf.length) return undefined;
  } finally {
    closeSync(fd);
  }
  return createHash('sha256').update(buf).digest('hex');
}

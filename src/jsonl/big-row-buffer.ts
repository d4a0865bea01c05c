/**
 * The buffer for rows too big for a reader's own: one for the whole worker
 * pool, taken by one worker at a time.
 *
 * Nearly every row fits the reader's buffer in the scanner's memory. A row
 * that does not (an inline image, a huge tool output) needs a buffer of its
 * size. If each worker allocated its own, two workers on two of the largest
 * rows would need twice the memory zotpack promises (the largest row plus a
 * fixed amount), and every big row would cost fresh pages and garbage that
 * lingers until a collection. So the coordinator shares one growable
 * SharedArrayBuffer and a lock with every worker: a reader takes the lock,
 * grows the buffer to its row if it must (it never shrinks: it stays the size
 * of the largest row seen), and lets go when it is back in its own buffer.
 *
 * Without a share (single-file commands, the coordinator itself), or for a
 * reader nested inside one that holds it, a big row gets a Buffer of its own.
 */
import { constants as bufferConstants } from 'node:buffer';
import { threadId } from 'node:worker_threads';

/** What the coordinator hands every worker. */
export interface BigRowShare {
  /** Int32: 0 when free, else the holder's thread id + 1. */
  lock: SharedArrayBuffer;
  /** Growable up to the largest Buffer Node.js can make. */
  buffer: SharedArrayBuffer;
}

/** A buffer for one big row; `grow` keeps the first bytes, `release` gives it back. */
export interface BigRowBuffer {
  buf: Buffer;
  grow(size: number): Buffer;
  release(): void;
}

/** A holder that has not let go after this long is taken to be dead (a worker killed mid-row). */
const MAX_WAIT_MS = 60_000;
const ME = threadId + 1;

let share: { lock: Int32Array; buffer: SharedArrayBuffer } | undefined;
let inUse = false;

export function newBigRowShare(): BigRowShare {
  const growable = SharedArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => SharedArrayBuffer;
  return { lock: new SharedArrayBuffer(4), buffer: new growable(0, { maxByteLength: bufferConstants.MAX_LENGTH }) };
}

/** Makes this thread's readers use `s` (undefined: each big row gets a Buffer of its own). */
export function useBigRowShare(s: BigRowShare | undefined): void {
  share = s ? { lock: new Int32Array(s.lock), buffer: s.buffer } : undefined;
}

/** A buffer of at least `size` bytes for a big row; waits while another worker holds the shared one. */
export function takeBigRowBuffer(size: number): BigRowBuffer {
  if (!share || inUse) return ownBuffer(size);
  const s = share;
  lock(s.lock);
  inUse = true;
  const grow = (n: number) => {
    const b = s.buffer as unknown as { byteLength: number; grow(n: number): void };
    if (b.byteLength < n) b.grow(n);
    return Buffer.from(s.buffer, 0, n);
  };
  return {
    buf: grow(size),
    grow,
    release() {
      inUse = false;
      unlock(s.lock);
    },
  };
}

function ownBuffer(size: number): BigRowBuffer {
  const r: BigRowBuffer = {
    buf: Buffer.allocUnsafe(size),
    grow(n) {
      const bigger = Buffer.allocUnsafe(n);
      r.buf.copy(bigger);
      r.buf = bigger;
      return bigger;
    },
    release() {},
  };
  return r;
}

function lock(word: Int32Array): void {
  const deadline = Date.now() + MAX_WAIT_MS;
  for (;;) {
    const holder = Atomics.compareExchange(word, 0, 0, ME);
    if (holder === 0) return;
    if (Date.now() > deadline && Atomics.compareExchange(word, 0, holder, ME) === holder) return;
    Atomics.wait(word, 0, holder, 1_000);
  }
}

function unlock(word: Int32Array): void {
  Atomics.compareExchange(word, 0, ME, 0);
  Atomics.notify(word, 0, 1);
}

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
 * reader nested inside one that holds it, a big row gets this thread's own
 * buffer, kept the same way for the next reader (a branch reads its source
 * twice: two buffers of the largest row were twice the memory), or, while
 * that is taken, a buffer of its own.
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

const ME = threadId + 1;

/**
 * The most a growable buffer reserves: Buffer's own limit, but no more than
 * 4 GiB (Node 22's limit is 2^53 - 1, a reservation V8 refuses).
 */
export const MAX_GROWABLE = Math.min(bufferConstants.MAX_LENGTH, 2 ** 32);

let share: { lock: Int32Array; buffer: SharedArrayBuffer } | undefined;
let inUse = false;

/** A share for a new pool; undefined where growable shared memory cannot be reserved (then big rows get their own Buffers). */
export function newBigRowShare(): BigRowShare | undefined {
  const growable = SharedArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => SharedArrayBuffer;
  try {
    // Reserves address space only; pages are taken as the buffer grows.
    return { lock: new SharedArrayBuffer(4), buffer: new growable(0, { maxByteLength: MAX_GROWABLE }) };
  } catch {
    return undefined; // say, an address-space limit (ulimit -v) below 4 GiB
  }
}

/** Makes this thread's readers use `s` (undefined: each big row gets a Buffer of its own). */
export function useBigRowShare(s: BigRowShare | undefined): void {
  share = s ? { lock: new Int32Array(s.lock), buffer: s.buffer } : undefined;
}

/** A buffer of at least `size` bytes for a big row; waits while another worker holds the shared one. */
export function takeBigRowBuffer(size: number): BigRowBuffer {
  if (!share || inUse) return threadBuffer(size);
  const s = share;
  lock(s.lock);
  inUse = true;
  const release = () => {
    inUse = false;
    unlock(s.lock);
  };
  const grow = (n: number) => {
    const b = s.buffer as unknown as { byteLength: number; grow(n: number): void };
    if (b.byteLength < n) b.grow(n);
    return Buffer.from(s.buffer, 0, n);
  };
  let buf: Buffer;
  try {
    buf = grow(size);
  } catch (err) {
    release(); // the memory could not be had: the next worker may fare better with a smaller row
    throw err;
  }
  return { buf, grow, release };
}

/**
 * For the coordinator, when a worker thread ends: a worker killed while it
 * held the buffer (out of memory on one of these very rows, say) cannot let
 * go itself; this frees the lock for it and wakes whoever waits.
 */
export function releaseHeldBy(s: BigRowShare | undefined, threadId: number): void {
  if (!s) return;
  const word = new Int32Array(s.lock);
  if (Atomics.compareExchange(word, 0, threadId + 1, 0) === threadId + 1) Atomics.notify(word, 0);
}

/** This thread's big-row buffer and whether a reader holds it. */
let mine: Resizable | undefined;
let mineTaken = false;

function threadBuffer(size: number): BigRowBuffer {
  if (mineTaken || !(mine ??= resizableBuffer(0))) return ownBuffer(size);
  mineTaken = true;
  try {
    return over(mine, size, () => void (mineTaken = false));
  } catch (err) {
    mineTaken = false;
    throw err;
  }
}

/** A big-row buffer over a resizable ArrayBuffer, grown in place. */
function over(b: Resizable, size: number, release: () => void): BigRowBuffer {
  const r: BigRowBuffer = {
    buf: Buffer.alloc(0),
    grow(n) {
      if (b.byteLength < n) b.resize(n);
      r.buf = Buffer.from(b, 0, n);
      return r.buf;
    },
    release,
  };
  r.grow(size);
  return r;
}

/**
 * A big row's buffer of this thread's own. It grows in place where it can:
 * a resizable ArrayBuffer reserves address space and takes pages as it
 * grows, so a row arriving in pieces costs its size, not its size twice
 * (a copy into a bigger Buffer holds both at once).
 */
export function ownBuffer(size: number): BigRowBuffer {
  const resizable = resizableBuffer(size);
  if (resizable) return over(resizable, size, () => {});
  // No resizable buffers: grow by doubling, so that a row arriving in many
  // small pieces is copied a few times, not once per piece.
  let room = Buffer.allocUnsafe(size);
  const r: BigRowBuffer = {
    buf: room,
    grow(n) {
      if (room.length < n) {
        const bigger = Buffer.allocUnsafe(Math.min(Math.max(n, room.length * 2), bufferConstants.MAX_LENGTH));
        room.copy(bigger);
        room = bigger;
      }
      r.buf = room.subarray(0, n);
      return r.buf;
    },
    release() {},
  };
  return r;
}

type Resizable = ArrayBuffer & { resize(n: number): void };

function resizableBuffer(size: number): Resizable | undefined {
  const make = ArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => Resizable;
  try {
    const b = new make(size, { maxByteLength: MAX_GROWABLE });
    return typeof b.resize === 'function' ? b : undefined;
  } catch {
    return undefined; // no resizable buffers, or no address space for one (ulimit -v)
  }
}

function lock(word: Int32Array): void {
  for (;;) {
    const holder = Atomics.compareExchange(word, 0, 0, ME);
    if (holder === 0) return;
    // No time limit: a holder may rightly take long (a row of gigabytes from
    // a slow disk). A holder that died is let go by the coordinator
    // (releaseHeldBy), which wakes the waiters.
    Atomics.wait(word, 0, holder);
  }
}

function unlock(word: Int32Array): void {
  Atomics.compareExchange(word, 0, ME, 0);
  Atomics.notify(word, 0, 1);
}

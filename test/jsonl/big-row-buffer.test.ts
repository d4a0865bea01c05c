import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runPool } from '../../src/batch/run-pool.js';
import type { Job } from '../../src/batch/protocol.js';
import { newBigRowShare, releaseHeldBy, takeBigRowBuffer, useBigRowShare, type BigRowShare } from '../../src/jsonl/big-row-buffer.js';

const here = dirname(fileURLToPath(import.meta.url));
// Worker threads load the compiled module (npm test builds it first).
const compiled = join(here, '..', '..', 'dist', 'src', 'jsonl', 'big-row-buffer.js');

/**
 * Each thread takes the shared buffer `rounds` times, fills it with its own
 * byte, and checks nobody else wrote to it while it held it.
 */
const contender = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.module).then((m) => {
  m.useBigRowShare(workerData.share);
  const seen = new Int32Array(workerData.seen);
  let clobbered = 0;
  for (let k = 0; k < workerData.rounds; k++) {
    const big = m.takeBigRowBuffer(4096 + k);
    const inside = Atomics.add(seen, 0, 1) + 1;
    if (inside > Atomics.load(seen, 1)) Atomics.store(seen, 1, inside);
    big.buf.fill(workerData.me);
    for (let spin = 0; spin < 500; spin++) Atomics.load(seen, 0);
    if (big.buf.some((b) => b !== workerData.me)) clobbered++;
    Atomics.sub(seen, 0, 1);
    big.release();
  }
  parentPort.postMessage(clobbered);
});
`;

describe('the big-row buffer', () => {
  it('is held by one thread at a time, and no other thread writes to it meanwhile', async () => {
    const share = newBigRowShare()!;
    const seen = new SharedArrayBuffer(8);
    const threads = [1, 2, 3].map((me) => new Worker(contender, { eval: true, workerData: { module: compiled, share, seen, rounds: 200, me } }));
    const clobbered = await Promise.all(
      threads.map((t) => new Promise<number>((resolve, reject) => t.once('message', resolve).once('error', reject))),
    );
    await Promise.all(threads.map((t) => t.terminate()));
    expect(clobbered).toEqual([0, 0, 0]);
    expect(new Int32Array(seen)[1]).toBe(1);
    expect(new Int32Array(share.lock)[0]).toBe(0);
    // Grown once to the largest row asked for, and shared: it never shrinks.
    expect(share.buffer.byteLength).toBe(4096 + 199);
  });

  it('grows keeping its first bytes; a reader nested in the holder gets a Buffer of its own', () => {
    const share = newBigRowShare()!;
    useBigRowShare(share);
    try {
      const outer = takeBigRowBuffer(8);
      expect(outer.buf.buffer).toBe(share.buffer);
      outer.buf.write('abcdefgh');
      const grown = outer.grow(1 << 20);
      expect(grown.subarray(0, 8).toString()).toBe('abcdefgh');
      const inner = takeBigRowBuffer(16);
      expect(inner.buf.buffer).not.toBe(share.buffer);
      inner.release();
      expect(new Int32Array(share.lock)[0]).not.toBe(0);
      outer.release();
      expect(new Int32Array(share.lock)[0]).toBe(0);
    } finally {
      useBigRowShare(undefined);
    }
    // Without a share, the thread's own buffer, taken by one reader at a time and kept for the next.
    const first = takeBigRowBuffer(8);
    expect(first.buf.buffer).not.toBe(share.buffer);
    first.buf.write('abcdefgh');
    expect(first.grow(1 << 20).subarray(0, 8).toString()).toBe('abcdefgh');
    expect(first.grow(1 << 20).buffer).toBe(first.buf.buffer); // grown in place
    const nested = takeBigRowBuffer(8);
    expect(nested.buf.buffer).not.toBe(first.buf.buffer);
    nested.release();
    first.release();
    const next = takeBigRowBuffer(16);
    expect(next.buf.buffer).toBe(first.buf.buffer);
    next.release();
  });

  it('is shared by every worker of the pool', async () => {
    const worker = join(here, '..', 'helpers', 'lock-counting-worker.cjs');
    const units = Array.from({ length: 40 }, (_, i) => [i]);
    const jobOf = (indexes: readonly number[]) => ({ op: 'meta', files: indexes.map(() => ({ path: 'x' })) }) as Job;
    const outcomes = await runPool<number>(units, jobOf, 40, { jobs: 2, workerFile: worker });
    const counts = outcomes.map((o) => (o.ok ? o.value : -1)).sort((a, b) => a - b);
    // One counter across both threads: 1..40, each once.
    expect(counts).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('gives the lock back when the buffer cannot grow to the row', () => {
    const growable = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;
    const share: BigRowShare = { lock: new SharedArrayBuffer(4), buffer: new growable(0, { maxByteLength: 1024 }) };
    useBigRowShare(share);
    try {
      expect(() => takeBigRowBuffer(4096)).toThrow(RangeError);
      expect(new Int32Array(share.lock)[0]).toBe(0);
      const next = takeBigRowBuffer(512);
      expect(next.buf.buffer).toBe(share.buffer);
      next.release();
    } finally {
      useBigRowShare(undefined);
    }
  });

  it('is freed by the coordinator for a thread that died holding it, and only for that thread', () => {
    const share = newBigRowShare()!;
    const word = new Int32Array(share.lock);
    Atomics.store(word, 0, 41 + 1); // held by thread 41
    releaseHeldBy(share, 7);
    expect(word[0]).toBe(42);
    releaseHeldBy(share, 41);
    expect(word[0]).toBe(0);
  });

  it('does not leave the pool waiting when a worker dies holding it', async () => {
    const worker = join(here, '..', 'helpers', 'dying-holder-worker.cjs');
    const paths = ['die-holding', 'a', 'b', 'c', 'd', 'e'];
    const jobOf = (indexes: readonly number[]) => ({ op: 'meta', files: indexes.map((i) => ({ path: paths[i]! })) }) as Job;
    const outcomes = await runPool<string>(
      paths.map((_, i) => [i]),
      jobOf,
      paths.length,
      { jobs: 2, workerFile: worker },
    );
    expect(outcomes.map((o) => (o.ok ? o.value : o.error.code))).toEqual(['E_WORKER', 'a', 'b', 'c', 'd', 'e']);
  }, 20_000);
});

/**
 * Small runs on the calling thread: the same worker code, a job at a time,
 * with no thread started (WorkerPool.run decides; see SMALL_RUN).
 */
import type { Job, JobResult, Outcome } from './protocol.js';

/**
 * A run of at most this many files and bytes, none of them bigger than
 * `fileBytes`, works on the calling thread, one job after another, with the
 * same worker code: starting threads would cost more than the work. A thread
 * boots in some 150 ms (Node's own modules, then the worker's and the
 * scanner's) on a core the caller also needs, and piscina itself takes 25-40
 * ms to load; the calling thread reads and checks rows at about 1 GB/s, and a
 * small file costs it some 50 µs. Measured on 2 cores, inline against two
 * threads (library calls, 5 runs each): tree of 1,000 sessions of 4 KB
 * 363-401 ms against 608-634, export of them 727-819 against 866-1,026;
 * and past the limit, tree of 3,000 sessions of 4 KB 535-543 against
 * 703-747, of 38 MB with a 32 MB session 379-390 against 548-576. Where
 * more cores make threads pay sooner, this much work still takes less than
 * a thread's boot.
 *
 * `fileBytes` bounds what the calling thread keeps after the run (its
 * scanner memory grows to the largest row it reads, and stays: a library
 * caller's process lives on; 196 MB RSS after a 64 MiB row, against 67 MB
 * on threads) and how long one job holds it (a job is then one file or a
 * few MiB, and a Ctrl-C is heard when the job in hand ends).
 */
export const SMALL_RUN = { files: 2_000, bytes: 64 << 20, fileBytes: 8 << 20 } as const;

/** Whether a run of `files` files, `bytes` bytes in all and `largest` the biggest, is small (SMALL_RUN). */
export function isSmallRun(files: number, bytes: number, largest: number): boolean {
  return files <= SMALL_RUN.files && bytes <= SMALL_RUN.bytes && largest <= SMALL_RUN.fileBytes;
}

type SessionWorker = typeof import('../../workers/session-worker.js');
let inlineWorker: Promise<SessionWorker> | undefined;

/** The worker's code, loaded into the calling thread once, for runs that work inline. */
function loadInlineWorker(): Promise<SessionWorker> {
  return (inlineWorker ??= import('../../workers/session-worker.js').then(
    (w) => {
      // No pool data: this thread's own scanner memory and big-row buffer.
      w.start(undefined);
      return w;
    },
    (err: unknown) => {
      inlineWorker = undefined; // a build put back in place is found by the next run
      throw new Error('zotpack: the compiled worker is missing; run `npm run build`', { cause: err });
    },
  ));
}

/**
 * A small run on the calling thread, a job at a time, with a turn of the
 * event loop between jobs, so that a Ctrl-C is heard and progress drawn.
 * A job that throws (the worker code's own failure, not a file's: those are
 * outcomes) fails its files with E_WORKER, as a worker that died twice on
 * them would.
 */
export async function runInline<T>(
  units: ReadonlyArray<readonly number[]>,
  jobOf: (indexes: readonly number[]) => Job,
  settle: (indexes: readonly number[], results: Array<Outcome<T>>) => void,
  aborted: (n: number) => Array<Outcome<T>>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const worker = await loadInlineWorker();
  for (const indexes of units) {
    if (signal?.aborted) {
      settle(indexes, aborted(indexes.length));
      continue;
    }
    const job = jobOf(indexes);
    let outcomes: Array<Outcome<T>>;
    try {
      outcomes = ((await worker.default(job)) as JobResult<T>).outcomes;
    } catch (err) {
      const message = `the worker code failed: ${err instanceof Error ? err.message : String(err)}`;
      outcomes = job.files.map((f) => ({ ok: false, error: { code: 'E_WORKER', message, path: f.path } }));
    }
    settle(indexes, outcomes);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

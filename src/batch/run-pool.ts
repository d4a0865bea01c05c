/**
 * Runs jobs on a Piscina pool of worker threads and gives back one outcome
 * per file, in the caller's order. A small run (SMALL_RUN) runs the same
 * worker code on the calling thread instead, and starts no thread.
 *
 * A job whose worker dies (a crash, an out-of-memory kill) is not the end of
 * the run: a shared job is split and its files retried one by one; a single
 * file is retried once and, if its worker dies again, fails alone with
 * E_WORKER. Threads that die on every job, whatever the file, fail the run
 * (E_WORKER) after a few deaths with no job finished between them. An abort
 * stops scheduling, stops the running workers, and marks every unfinished
 * file E_ABORTED.
 */
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { LimitFunction } from 'p-limit';
import type { Piscina } from 'piscina';
import { newBigRowShare, releaseHeldBy } from '../jsonl/big-row-buffer.js';
import { scannerBytesForPool } from '../jsonl/wasm-scanner.js';
import { ZotpackError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import type { Job, JobResult, Outcome, PoolWorkerData } from './protocol.js';
import { SMALL_RUN, isSmallRun, runInline } from './run-inline.js';

export interface PoolOptions {
  /** Worker threads. */
  jobs: number;
  /** Stops the run; unfinished files get E_ABORTED outcomes. */
  signal?: AbortSignal;
  /** The worker module; default the compiled workers/session-worker-entry.cjs. */
  workerFile?: string;
  /** See BatchOptions.inlineSmallRuns. */
  inlineSmallRuns?: boolean;
  /** Each thread's young generation, in MB (default 2: see threads()). */
  youngGenerationMb?: number;
  /** Called after each job with the files it finished. */
  onFilesDone?: (indexes: readonly number[], outcomes: Array<Outcome<unknown>>) => void;
  /**
   * Keep every outcome and return them all (default true). A caller that
   * consumes outcomes in onFilesDone passes false, so memory does not grow
   * with the number of files.
   */
  retain?: boolean;
}

/** The compiled worker, whether this code runs from dist/ (installed, or bundled) or from src/ (tests run the sources). */
export function defaultWorkerFile(): string {
  const root = packageRoot();
  const path = root && join(root.dir, 'dist', 'workers', 'session-worker-entry.cjs');
  if (path && existsSync(path)) return path;
  throw new Error('zotpack: the compiled worker is missing; run `npm run build`');
}

export interface RunOptions {
  /** Called after each job with the files it finished. */
  onFilesDone?: (indexes: readonly number[], outcomes: Array<Outcome<unknown>>) => void;
  /** See PoolOptions.retain. */
  retain?: boolean;
  /** The sizes of the run's files as listed; a run that gives them may be small enough to work inline (SMALL_RUN). */
  sizes?: { bytes: number; largest: number };
}

/**
 * piscina, loaded when threads are first started: loading it takes 25-40 ms
 * of a run's start-up, which a run that works inline need not pay.
 */
function piscina(): typeof Piscina {
  return (createRequire(import.meta.url)('piscina') as typeof import('piscina')).Piscina;
}

/**
 * A pool of worker threads kept for several runs: an archive worked a few
 * projects at a time starts its threads once. The threads start with the
 * first job, or earlier with start(), so a pool that is never given work
 * costs nothing, and one given only a small run starts none.
 */
export class WorkerPool {
  private pool: Piscina | undefined;
  private readonly bigRows = newBigRowShare();
  /** Why the pool cannot run jobs, once it cannot. */
  private failure: ZotpackError | undefined;
  /**
   * The rejections of the jobs in flight, called with `failure`. Only those:
   * a promise every job raced against would keep each job's result alive
   * until it settled, which is never.
   */
  private readonly inFlight = new Set<(err: Error) => void>();
  /**
   * Workers that died since a job last finished. A file that kills its
   * worker does so twice (in its shared job, then alone) while the other
   * threads finish theirs; threads that die whatever they are given would
   * otherwise be started again twice for every file of the run.
   */
  private deathsInARow = 0;
  /** See queue(). */
  private limit: Promise<LimitFunction> | undefined;

  constructor(private readonly options: Pick<PoolOptions, 'jobs' | 'signal' | 'workerFile' | 'inlineSmallRuns' | 'youngGenerationMb'>) {}

  /** Whether a small run may work inline: not with a worker file of the caller's own, which is what the caller wants run. */
  private mayInline(): boolean {
    return this.options.inlineSmallRuns !== false && this.options.workerFile === undefined;
  }

  private threads(): Piscina {
    if (this.pool) return this.pool;
    const { jobs } = this.options;
    const bigRows = this.bigRows;
    const pool = new (piscina())({
      filename: this.options.workerFile ?? defaultWorkerFile(),
      minThreads: jobs,
      maxThreads: jobs,
      idleTimeout: 5_000,
      concurrentTasksPerWorker: 1,
      // Workers allocate short-lived views and results at a high rate; V8's
      // default young generation (up to 48 MB a thread) would be most of the
      // memory budget. 2 MB costs a few more scavenges and no measurable time
      // (tree of 2 GB, 4 runs each: 1.23-1.25 s at 2 MB, 1.19-1.32 s at 4 MB)
      // and saves 8 MB on an export of 100,000 files. A pool that only
      // describes sessions asks for more (see describe-archive.ts).
      resourceLimits: { maxYoungGenerationSizeMb: this.options.youngGenerationMb ?? 2 },
      // One buffer, one worker at a time, for rows bigger than a reader's own
      // (see big-row-buffer.ts); each reader's own grows inside its thread's
      // scanner memory, whose size depends on how many threads there are.
      workerData: { bigRows, scannerBytes: scannerBytesForPool(jobs) } satisfies PoolWorkerData,
    });
    // A worker that dies holding the big-row buffer cannot let go of it. Node
    // reports a thread's id as -1 once it has exited, so the ids are noted as
    // workers start, and a destroyed worker is whichever of them is gone.
    const started = new Set<number>();
    pool.on('workerCreate', (worker: { id: number }) => started.add(worker.id));
    pool.on('workerDestroy', () => {
      const live = new Set(pool.threads.map((t) => t.threadId));
      for (const id of started) {
        if (live.has(id)) continue;
        started.delete(id);
        releaseHeldBy(bigRows, id);
      }
    });
    // Unhandled, piscina's 'error' event would end the caller's process. After
    // an abort it is a stray result of a task given up on (its worker posted
    // it as the abort landed): nothing waits for it. Otherwise the threads
    // cannot work (a worker that fails as it starts leaves the queue waiting
    // forever): every run on the pool fails with it.
    pool.on('error', (err: Error) => {
      if (this.options.signal?.aborted || this.failure) return;
      this.failure = new ZotpackError('E_WORKER', `the worker threads failed: ${err.message}`, { cause: err });
      for (const reject of this.inFlight) reject(this.failure);
    });
    // piscina adds one abort listener per queued task: more than Node's default warning threshold of 10.
    if (this.options.signal) setMaxListeners(0, this.options.signal);
    return (this.pool = pool);
  }

  /**
   * `units`: the caller's file indexes of each job; `jobOf` makes a unit's job
   * when it starts (and a one-file job when a shared one is retried).
   */
  async run<T>(
    units: ReadonlyArray<readonly number[]>,
    jobOf: (indexes: readonly number[]) => Job,
    total: number,
    options: RunOptions = {},
  ): Promise<Array<Outcome<T>>> {
    const retain = options.retain ?? true;
    // Nothing to do (say, an incremental export of an unchanged archive): no threads to start.
    if (units.length === 0) return [];
    const { sizes } = options;
    const inline = !this.pool && this.mayInline() && sizes !== undefined && isSmallRun(total, sizes.bytes, sizes.largest);
    const pool = inline ? undefined : this.threads();
    const outcomes: Array<Outcome<T> | undefined> = new Array(retain ? total : 0);
    const signal = this.options.signal;
    const limit = pool ? await this.queue() : undefined;
    const settle = (indexes: readonly number[], results: Array<Outcome<T>>) => {
      if (retain) indexes.forEach((i, k) => (outcomes[i] = results[k]));
      options.onFilesDone?.(indexes, results);
    };
    const aborted = (n: number): Array<Outcome<T>> =>
      Array.from({ length: n }, () => ({ ok: false, error: { code: 'E_ABORTED', message: 'interrupted', path: undefined } }) as const);

    // Once the caller's consumer has failed the run, queued jobs are not started
    // (the pool may outlive this run; its caller is about to give up on it).
    let failed = false;
    const run = async (indexes: readonly number[], retried: boolean): Promise<void> => {
      if (failed) return;
      if (this.failure) throw this.failure;
      if (signal?.aborted) return settle(indexes, aborted(indexes.length));
      const job = jobOf(indexes);
      let result: JobResult<T>;
      try {
        result = await this.runJob<T>(pool!, job, signal);
      } catch (err) {
        if (signal?.aborted) return settle(indexes, aborted(indexes.length));
        if (this.failure) {
          failed = true;
          throw this.failure;
        }
        // As many deaths as some ten poisonous files in a row would cause, and no job finished between
        // them anywhere: it is the threads that are broken, not the files.
        if (++this.deathsInARow >= 12 + 4 * this.options.jobs) {
          const reason = err instanceof Error ? err.message : String(err);
          this.failure = new ZotpackError('E_WORKER', `the worker threads died ${this.deathsInARow} times in a row, with no job finished: ${reason}`, { cause: err });
          for (const reject of this.inFlight) reject(this.failure);
          failed = true;
          throw this.failure;
        }
        if (indexes.length > 1) {
          // Find the file that killed the worker: run each alone.
          await Promise.all(indexes.map((index) => run([index], false)));
        } else if (!retried) {
          await run(indexes, true);
        } else {
          const message = `the worker died twice on this file: ${err instanceof Error ? err.message : String(err)}`;
          settle(indexes, [{ ok: false, error: { code: 'E_WORKER', message, path: job.files[0]?.path } }]);
        }
        return;
      }
      this.deathsInARow = 0;
      // Outside the try: a failing consumer is not a dead worker.
      try {
        settle(indexes, result.outcomes);
      } catch (err) {
        failed = true;
        throw err;
      }
    };

    if (limit) await Promise.all(units.map((u) => limit(() => run(u, false))));
    else await runInline(units, jobOf, settle, aborted, signal);
    if (!retain) return [];
    return Array.from(outcomes, (o) => o ?? { ok: false, error: { code: 'E_ABORTED', message: 'interrupted', path: undefined } });
  }

  /**
   * The jobs handed to the threads: enough to keep every thread busy, no
   * more (an abort then has little to drain). One queue for every run on
   * the pool, first come first served, so that of two runs at once (the
   * slices of a tree, see describe-archive.ts) the earlier finishes first
   * and the later fills the threads' gaps, instead of the two sharing the
   * threads and finishing together.
   */
  private queue(): Promise<LimitFunction> {
    return (this.limit ??= import('p-limit').then((m) => m.default(this.options.jobs * 2)));
  }

  /** One job on the threads, failed at once (with `failure`) if they fail meanwhile. */
  private runJob<T>(pool: Piscina, job: Job, signal: AbortSignal | undefined): Promise<JobResult<T>> {
    return new Promise<JobResult<T>>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.inFlight.add(reject);
      pool.run(job, { signal }).then(
        (r: JobResult<T>) => (this.inFlight.delete(reject), resolve(r)),
        (err: unknown) => (this.inFlight.delete(reject), reject(err)),
      );
    });
  }

  /**
   * Starts the threads now, for a caller that knows work will come: a
   * thread takes some 150 ms to boot (Node's own modules, then the worker's
   * and the scanner's), which then overlaps the listing of the first files
   * instead of following it. A caller that says how many files the run
   * has starts none for a run that may be small (SMALL_RUN): its run
   * decides, once the files' sizes are known.
   */
  start(filesTotal?: number): void {
    if (filesTotal !== undefined && filesTotal <= SMALL_RUN.files && this.mayInline()) return;
    if (!this.failure && !this.options.signal?.aborted) this.threads();
  }

  /** Stops the threads; the pool can be used again after (it starts new ones). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}

/** One run on a pool of its own. */
export async function runPool<T>(
  units: ReadonlyArray<readonly number[]>,
  jobOf: (indexes: readonly number[]) => Job,
  total: number,
  options: PoolOptions,
): Promise<Array<Outcome<T>>> {
  const pool = new WorkerPool(options);
  try {
    return await pool.run<T>(units, jobOf, total, options);
  } finally {
    await pool.close();
  }
}

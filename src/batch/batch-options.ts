/**
 * Options every bulk run takes, documented once, with defaults applied once
 * and invalid values rejected naming the option.
 */
import { availableParallelism } from 'node:os';
import { ZotpackError } from '../errors.js';
import { isRecordableCwd } from '../format/cwd-map.js';
import type { SessionFilter } from './filters.js';
import type { WorkerPool } from './run-pool.js';

export interface Progress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  errors: number;
}

export interface BatchOptions {
  /** Zot homes, `sessions/` folders, project folders or files. Required, at least one. */
  sources: readonly string[];
  /** Which sessions to take. Default: all. */
  filter?: SessionFilter;
  /** Worker threads. Default: the machine's available parallelism. */
  jobs?: number;
  /** Stops the run: no new jobs, running ones stopped, temp files removed. */
  signal?: AbortSignal;
  /** Called as files finish. */
  onProgress?: (progress: Progress) => void;
  /** The worker module (tests and embedders); default the compiled session worker. */
  workerFile?: string;
  /**
   * Whether a small run (see SMALL_RUN in run-inline.ts) works on the calling
   * thread instead of starting worker threads, whose boot would be most of
   * its time. Default true; false always starts the threads. A run with its
   * own workerFile always starts them.
   */
  inlineSmallRuns?: boolean;
}

export interface ResolvedBatchOptions extends BatchOptions {
  jobs: number;
  filter: SessionFilter;
  /** Threads shared by the several passes of one run; without it each pass starts its own. */
  pool?: WorkerPool;
}

export function resolveBatchOptions(options: BatchOptions): ResolvedBatchOptions {
  const jobs = options.jobs ?? availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
    throw new ZotpackError('E_USAGE', `jobs must be a whole number from 1 to 256, got ${jobs}`);
  }
  if (!Array.isArray(options.sources) || options.sources.some((s) => typeof s !== 'string' || s === '')) {
    throw new ZotpackError('E_USAGE', 'sources must be a list of paths (non-empty strings)');
  }
  if (options.sources.length === 0) throw new ZotpackError('E_USAGE', 'no sources given');
  const { since, until } = options.filter ?? {};
  if (since && until && since.getTime() >= until.getTime()) {
    throw new ZotpackError('E_USAGE', `--since (${since.toISOString()}) is not before --until (${until.toISOString()}): no session can match`);
  }
  return { ...options, jobs, filter: options.filter ?? {} };
}

/**
 * `value` as the path an option names, refused unless it is a non-empty
 * string: '' would be the current folder (an export written among the
 * caller's own files), and a missing one a TypeError from deep inside.
 */
export function pathOption(value: unknown, option: string): string {
  if (typeof value !== 'string' || value === '') throw new ZotpackError('E_USAGE', `${option} must be a path (a non-empty string), got ${value === '' ? "''" : typeof value}`);
  return value;
}

/**
 * A folder a session will record as its cwd, refused unless absolute: zot
 * records an absolute cwd, and one kept relative ('rel/dir', '~/code')
 * would name a project zot never finds. (The CLI makes what is typed
 * absolute first.)
 */
export function absoluteCwd(value: unknown, option: string): string {
  const path = pathOption(value, option);
  if (!isRecordableCwd(path)) throw new ZotpackError('E_USAGE', `${option} must be an absolute folder, as zot records a cwd: got '${path}'`);
  return path;
}

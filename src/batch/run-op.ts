/**
 * Runs one op over a list of files on the pool, with progress, and returns
 * the outcomes in the files' order.
 */
import type { ResolvedBatchOptions } from './batch-options.js';
import { planJobs } from './plan-jobs.js';
import type { Job, OpValue, Outcome } from './protocol.js';
import { runPool, type RunOptions } from './run-pool.js';

type FileOf<O extends Job['op']> = Extract<Job, { op: O }>['files'][number];

export async function runOp<O extends Job['op']>(
  options: ResolvedBatchOptions,
  op: O,
  files: ReadonlyArray<FileOf<O> & { size: number }>,
  settings: Omit<Extract<Job, { op: O }>, 'op' | 'files'>,
  /** Called as each job's files finish; when given, the outcomes are not also returned at the end. */
  onOutcomes?: (indexes: readonly number[], outcomes: Array<Outcome<OpValue[O]>>) => void,
): Promise<Array<Outcome<OpValue[O]>>> {
  // (TypeScript cannot follow FileOf through the generic op: the record minus its size is the file.)
  return runOpOn(options, op, files, (f) => stripSize(f) as unknown as FileOf<O>, settings, onOutcomes);
}

/**
 * runOp over the caller's own records: `fileOf` makes a record's job file
 * when its job starts, so the caller need not keep 100,000 job files.
 */
export async function runOpOn<O extends Job['op'], R extends { size: number }>(
  options: ResolvedBatchOptions,
  op: O,
  files: readonly R[],
  fileOf: (record: R) => FileOf<O>,
  settings: Omit<Extract<Job, { op: O }>, 'op' | 'files'>,
  onOutcomes?: (indexes: readonly number[], outcomes: Array<Outcome<OpValue[O]>>) => void,
): Promise<Array<Outcome<OpValue[O]>>> {
  // Only indexes are kept per job; a job's file list is built when it starts,
  // so 100,000 files are not all copied up front.
  const units = planJobs(
    files.map((f, index) => ({ index, size: f.size })),
    { workers: options.jobs },
  ).map((group) => group.map((g) => g.index));
  const jobOf = (indexes: readonly number[]) => ({ op, ...settings, files: indexes.map((i) => fileOf(files[i]!)) }) as Job;
  const progress = { filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal: 0, errors: 0 };
  let largest = 0;
  for (const f of files) {
    progress.bytesTotal += f.size;
    largest = Math.max(largest, f.size);
  }
  options.onProgress?.({ ...progress });
  const run: RunOptions = {
    // A caller that takes outcomes as they come does not need them kept.
    retain: onOutcomes === undefined,
    sizes: { bytes: progress.bytesTotal, largest },
    onFilesDone: (indexes, outcomes) => {
      onOutcomes?.(indexes, outcomes as Array<Outcome<OpValue[O]>>);
      progress.filesDone += indexes.length;
      for (const i of indexes) progress.bytesDone += files[i]!.size;
      progress.errors += outcomes.filter((o) => !o.ok).length;
      options.onProgress?.({ ...progress });
    },
  };
  if (options.pool) return options.pool.run<OpValue[O]>(units, jobOf, files.length, run);
  return runPool<OpValue[O]>(units, jobOf, files.length, { ...run, jobs: options.jobs, signal: options.signal, workerFile: options.workerFile, inlineSmallRuns: options.inlineSmallRuns });
}

/** The record without its size, which only the coordinator needs. */
function stripSize<F extends { size: number }>(f: F): Omit<F, 'size'> {
  const { size: _size, ...rest } = f;
  return rest;
}

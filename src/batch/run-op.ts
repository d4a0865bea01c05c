/**
 * Runs one op over a list of files on the pool, with progress, and returns
 * the outcomes in the files' order.
 */
import type { ResolvedBatchOptions } from './batch-options.js';
import { planJobs } from './plan-jobs.js';
import type { Job, OpValue, Outcome } from './protocol.js';
import { runPool, type IndexedJob } from './run-pool.js';

type FileOf<O extends Job['op']> = Extract<Job, { op: O }>['files'][number];

export async function runOp<O extends Job['op']>(
  options: ResolvedBatchOptions,
  op: O,
  files: ReadonlyArray<FileOf<O> & { size: number }>,
  settings: Omit<Extract<Job, { op: O }>, 'op' | 'files'>,
  /** Called as each job's files finish; when given, the outcomes are not also returned at the end. */
  onOutcomes?: (indexes: number[], outcomes: Array<Outcome<OpValue[O]>>) => void,
): Promise<Array<Outcome<OpValue[O]>>> {
  const planned = files.map((f, index) => ({ index, size: f.size, file: f }));
  const units: IndexedJob[] = planJobs(planned).map((group) => ({
    job: { op, ...settings, files: group.map((g) => stripSize(g.file)) } as Job,
    indexes: group.map((g) => g.index),
  }));
  const progress = { filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal: 0, errors: 0 };
  for (const f of files) progress.bytesTotal += f.size;
  options.onProgress?.({ ...progress });
  return runPool<OpValue[O]>(units, files.length, {
    // A caller that takes outcomes as they come does not need them kept.
    retain: onOutcomes === undefined,
    jobs: options.jobs,
    signal: options.signal,
    workerFile: options.workerFile,
    onFilesDone: (indexes, outcomes) => {
      onOutcomes?.(indexes, outcomes as Array<Outcome<OpValue[O]>>);
      progress.filesDone += indexes.length;
      for (const i of indexes) progress.bytesDone += files[i]!.size;
      progress.errors += outcomes.filter((o) => !o.ok).length;
      options.onProgress?.({ ...progress });
    },
  });
}

function stripSize<F extends { size: number }>(f: F): Omit<F, 'size'> {
  const { size: _size, ...rest } = f;
  return rest;
}

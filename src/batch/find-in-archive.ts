/**
 * Find sessions by id prefix across every project, reading only first rows,
 * a few projects at a time (select-slices.ts): what is kept is the matches.
 */
import { resolveBatchOptions, type BatchOptions, type ResolvedBatchOptions } from './batch-options.js';
import { ReportBuilder, type BatchReport } from './batch-report.js';
import { runOp } from './run-op.js';
import { ANY_SESSION, byPath } from './discover.js';
import { WorkerPool } from './run-pool.js';
import { SliceProgress, SliceSource, type SliceLimits } from './select-slices.js';

export interface ArchiveMatch {
  id: string;
  path: string;
  cwd: string;
}

export interface ArchiveFind {
  /** Exact matches when there are any, else every prefix match. */
  matches: ArchiveMatch[];
  report: BatchReport;
}

export async function findInArchive(options: BatchOptions, idPrefix: string, limits: SliceLimits = {}): Promise<ArchiveFind> {
  const base = resolveBatchOptions(options);
  const pool = new WorkerPool(base);
  // Only the project part of a filter applies: the id is what is looked for.
  const resolved: ResolvedBatchOptions = { ...base, pool, filter: { projects: base.filter.projects } };
  const report = new ReportBuilder('find', 0);
  // Ids are hex, which people copy in either case (a UUID in capitals from another tool).
  const wanted = idPrefix.toLowerCase();
  const matches: ArchiveMatch[] = [];
  try {
    const source = new SliceSource(resolved, ANY_SESSION, limits, true);
    if (source.filesTotal > 0) pool.start(source.filesTotal);
    const progress = new SliceProgress(resolved.onProgress, source.filesTotal);
    for await (const slice of source.reported(report)) {
      const onProgress = progress.forRun(slice.sessions, slice.counted - slice.sessions.length);
      const outcomes = await runOp({ ...resolved, onProgress }, 'meta', slice.sessions, {});
      slice.sessions.forEach((s, i) => {
        const o = outcomes[i]!;
        // A session an abort kept from being read is not a failure (the report says interrupted).
        if (!o.ok) return o.error.code === 'E_ABORTED' ? undefined : report.fail(o.error);
        report.report.succeeded++;
        if (o.value.id !== '' && o.value.id.toLowerCase().startsWith(wanted)) matches.push({ id: o.value.id, path: s.path, cwd: o.value.cwd });
      });
    }
  } finally {
    await pool.close();
  }
  report.report.files = report.report.succeeded + report.report.failed;
  // In path order, as one listing of every source gives them (slices put sessions outside project folders first).
  matches.sort(byPath);
  const exact = matches.filter((m) => m.id.toLowerCase() === wanted);
  return { matches: exact.length > 0 ? exact : matches, report: report.finish(resolved.signal?.aborted) };
}

/**
 * Find sessions by id prefix across every project, reading only first rows.
 */
import { resolveBatchOptions, type BatchOptions } from './batch-options.js';
import type { BatchReport } from './batch-report.js';
import { runOp } from './run-op.js';
import { selectSessions, startReport } from './select-sessions.js';

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

export async function findInArchive(options: BatchOptions, idPrefix: string): Promise<ArchiveFind> {
  const resolved = resolveBatchOptions(options);
  const selection = await selectSessions({ ...resolved, filter: { projects: resolved.filter.projects } });
  const report = startReport('find', selection);
  const outcomes = await runOp(resolved, 'meta', selection.sessions, {});
  const matches: ArchiveMatch[] = [];
  selection.sessions.forEach((s, i) => {
    const o = outcomes[i]!;
    if (!o.ok) return report.fail(o.error);
    report.report.succeeded++;
    if (o.value.id !== '' && o.value.id.startsWith(idPrefix)) matches.push({ id: o.value.id, path: s.path, cwd: o.value.cwd });
  });
  const exact = matches.filter((m) => m.id === idPrefix);
  return { matches: exact.length > 0 ? exact : matches, report: report.finish(resolved.signal?.aborted) };
}

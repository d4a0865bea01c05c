/**
 * Every selected session described on the pool: the shared first step of
 * tree and stats.
 */
import type { SessionDescription } from '../session/describe-session.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import type { ReportBuilder } from './batch-report.js';
import { runOp } from './run-op.js';
import { selectSessions, startReport } from './select-sessions.js';
import { matchesMeta } from './filters.js';

export interface DescribedSession {
  folderKey: string;
  mtimeMs: number;
  description: SessionDescription;
}

export async function describeArchive(
  options: ResolvedBatchOptions,
  command: string,
): Promise<{ described: DescribedSession[]; report: ReportBuilder }> {
  // Describe reads every meta row anyway: filter on its result, not with an extra pass.
  const { filter } = options;
  const selection = await selectSessions({ ...options, filter: { projects: filter.projects } });
  const report = startReport(command, selection);
  const outcomes = await runOp(options, 'describe', selection.sessions, {});
  const described: DescribedSession[] = [];
  selection.sessions.forEach((s, i) => {
    const o = outcomes[i]!;
    if (!o.ok) {
      if (o.error.code !== 'E_ABORTED') report.fail(o.error);
      return;
    }
    const d = o.value;
    if (!matchesMeta(filter, { id: d.id, started: d.summary.started })) return;
    report.report.succeeded++;
    report.report.bytes += s.size;
    report.warn(d.warnings);
    described.push({ folderKey: s.folderKey, mtimeMs: s.mtimeMs, description: d });
  });
  report.report.files = described.length + report.report.failed;
  return { described, report };
}

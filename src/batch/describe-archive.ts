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
  command: 'tree' | 'stats',
): Promise<{ described: DescribedSession[]; report: ReportBuilder }> {
  // Describe reads every meta row anyway: filter on its result, not with an extra pass.
  const { filter } = options;
  const selection = await selectSessions({ ...options, filter: { projects: filter.projects } });
  const report = startReport(command, selection);
  const described: DescribedSession[] = [];
  // One copy of each model, provider and cwd: results arrive as fresh strings.
  const strings = new Map<string, string>();
  const intern = (s: string) => strings.get(s) ?? (strings.set(s, s), s);
  await runOp(options, 'describe', selection.sessions, { for: command }, (indexes, outcomes) => {
    indexes.forEach((i, k) => {
      const o = outcomes[k]!;
      const s = selection.sessions[i]!;
      if (!o.ok) {
        if (o.error.code !== 'E_ABORTED') report.fail(o.error);
        return;
      }
      const d = o.value;
      if (!matchesMeta(filter, { id: d.id, started: d.summary.started })) return;
      report.report.succeeded++;
      report.report.bytes += s.size;
      report.warn(d.warnings);
      d.path = s.path;
      d.cwd = intern(d.cwd);
      d.summary.model = intern(d.summary.model);
      d.summary.provider = intern(d.summary.provider);
      described.push({ folderKey: s.folderKey, mtimeMs: s.mtimeMs, description: d });
    });
  });
  // The order of the selection (sorted paths), whatever order jobs finished in.
  const order = new Map(selection.sessions.map((s, i) => [s.path, i]));
  described.sort((a, b) => order.get(a.description.path)! - order.get(b.description.path)!);
  report.report.files = described.length + report.report.failed;
  return { described, report };
}

/**
 * Every selected session described on the pool: the shared first step of
 * tree and stats.
 */
import type { Warning } from '../errors.js';
import type { SessionDescription } from '../session/describe-session.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import type { ReportBuilder } from './batch-report.js';
import { runOp } from './run-op.js';
import { selectSessions, startReport } from './select-sessions.js';
import { matchesMeta } from './filters.js';
import { interner } from '../format/interner.js';

// Shared by every session with nothing to say; never written to.
const NO_COUNTS: Record<string, number> = Object.freeze({}) as Record<string, number>;
const NO_WARNINGS = Object.freeze([]) as unknown as Warning[];

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
  const intern = interner();
  // Kept for the whole run, so rebuilt as object literals: a cloned object
  // keeps its fields in a separate property array (about twice the memory).
  const keep = (d: SessionDescription, path: string): SessionDescription => {
    const { summary: m, counts: c } = d;
    return {
      path,
      id: d.id,
      parent: d.parent,
      forkPoint: d.forkPoint,
      cwd: intern(d.cwd),
      hidden: d.hidden,
      summary: {
        started: m.started,
        model: intern(m.model),
        provider: intern(m.provider),
        title: m.title,
        messages: m.messages,
        firstUserText: m.firstUserText,
        cost: m.cost,
      },
      counts: {
        rows: c.rows,
        bytes: c.bytes,
        byType: Object.keys(c.byType).length > 0 ? c.byType : NO_COUNTS,
        invalid: c.invalid,
        undecodable: c.undecodable,
        largestRow: c.largestRow,
      },
      extraMetas: d.extraMetas,
      warnings: d.warnings.length > 0 ? d.warnings : NO_WARNINGS,
    };
  };
  const slots = new Array<DescribedSession | undefined>(selection.sessions.length);
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
      // At the session's place in the selection (sorted paths), whatever order jobs finish in.
      slots[i] = { folderKey: s.folderKey, mtimeMs: s.mtimeMs, description: keep(d, s.path) };
    });
  });
  const described = slots.filter((d) => d !== undefined);
  report.report.files = described.length + report.report.failed;
  return { described, report };
}

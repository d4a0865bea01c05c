/**
 * Sizes, rows, messages and cost per project and in total.
 */
import { resolveBatchOptions, type BatchOptions } from './batch-options.js';
import type { BatchReport } from './batch-report.js';
import { describeProjects } from './describe-archive.js';
import { byCwd } from './archive-trees.js';

export interface StatsFigures {
  sessions: number;
  bytes: number;
  /** Rows by type ('' for untyped), plus rows zot skips as `invalid` and `undecodable`. */
  rows: Record<string, number>;
  largestRow: number;
  messages: number;
  cost: number;
  /** Earliest session start (RFC 3339), '' when unknown. */
  firstActivity: string;
  /** Latest file modification, when the last row was written (RFC 3339). */
  lastActivity: string;
}

export interface ProjectStats extends StatsFigures {
  cwd: string;
  key: string;
}

export interface ArchiveStats {
  projects: ProjectStats[];
  total: StatsFigures;
  report: BatchReport;
}

function empty(): StatsFigures {
  return { sessions: 0, bytes: 0, rows: {}, largestRow: 0, messages: 0, cost: 0, firstActivity: '', lastActivity: '' };
}

function fold(into: StatsFigures, from: StatsFigures): void {
  into.sessions += from.sessions;
  into.bytes += from.bytes;
  for (const [t, n] of Object.entries(from.rows)) into.rows[t] = (into.rows[t] ?? 0) + n;
  into.largestRow = Math.max(into.largestRow, from.largestRow);
  into.messages += from.messages;
  into.cost += from.cost;
  if (from.firstActivity && (!into.firstActivity || Date.parse(from.firstActivity) < Date.parse(into.firstActivity))) {
    into.firstActivity = from.firstActivity;
  }
  if (from.lastActivity > into.lastActivity) into.lastActivity = from.lastActivity;
}

export async function archiveStats(options: BatchOptions): Promise<ArchiveStats> {
  const resolved = resolveBatchOptions(options);
  const projects: ProjectStats[] = [];
  const total = empty();
  // Figures only: each project's sessions are let go once folded.
  const report = await describeProjects(resolved, 'stats', (key, group) => {
    const p: ProjectStats = { cwd: group.find((d) => d.description.cwd)?.description.cwd ?? '', key, ...empty() };
    for (const { description: d, mtimeMs } of group) {
      const rows: Record<string, number> = { ...d.counts.byType };
      if (d.counts.invalid) rows.invalid = d.counts.invalid;
      if (d.counts.undecodable) rows.undecodable = d.counts.undecodable;
      fold(p, {
        sessions: 1,
        bytes: d.counts.bytes,
        rows,
        largestRow: d.counts.largestRow,
        messages: d.summary.messages,
        cost: d.summary.cost,
        firstActivity: d.summary.started ?? '',
        lastActivity: new Date(mtimeMs).toISOString(),
      });
    }
    fold(total, p);
    projects.push(p);
  });
  projects.sort(byCwd);
  return { projects, total, report: report.finish(resolved.signal?.aborted) };
}

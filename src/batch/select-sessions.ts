/**
 * The sessions a bulk run works on: discovered under the sources, then
 * narrowed by the filter. The project part of a filter is decided by folder
 * name; the time and id parts need each file's meta row, read on the pool
 * only when such a filter is given.
 */
import type { Warning } from '../errors.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { ReportBuilder } from './batch-report.js';
import { discoverSessions, type SessionEntry, type SessionExt } from './discover.js';
import { matchesMeta, needsMeta, projectKeys } from './filters.js';
import { runOp } from './run-op.js';
import type { JobError, MetaPeek } from './protocol.js';
import { projectKey } from '../format/project-key.js';

export interface Selected extends SessionEntry {
  /** The meta row, when the filter needed it. */
  meta?: MetaPeek;
}

export interface Selection {
  sessions: Selected[];
  warnings: Warning[];
  /** Files whose meta row could not be read while filtering. */
  errors: JobError[];
}

export async function selectSessions(options: ResolvedBatchOptions, ext: SessionExt = '.jsonl'): Promise<Selection> {
  const found = await discoverSessions(options.sources, ext);
  const keys = projectKeys(options.filter);
  const errors: JobError[] = [...found.errors];
  let sessions: Selected[] = found.entries;
  const keyKnown = (s: Selected) => s.folderKey !== '';
  if (keys) sessions = sessions.filter((s) => !keyKnown(s) || keys.has(s.folderKey));
  if (needsMeta(options.filter) || (keys && sessions.some((s) => !keyKnown(s)))) sessions = await filterByMeta(options, sessions, errors);
  return { sessions, warnings: found.warnings, errors };
}

/**
 * The time and id parts of a filter, and its project part for files outside
 * project folders: each file's meta row read on the pool. Files whose meta
 * row cannot be read go to `errors`.
 */
export async function filterByMeta(options: ResolvedBatchOptions, sessions: readonly SessionEntry[], errors: JobError[]): Promise<Selected[]> {
  const keys = projectKeys(options.filter);
  const peeks = await runOp({ ...options, onProgress: undefined }, 'meta', sessions, {});
  const kept: Selected[] = [];
  sessions.forEach((s, i) => {
    const o = peeks[i]!;
    if (!o.ok) {
      errors.push(o.error);
      return;
    }
    const key = s.folderKey || projectKey(o.value.cwd);
    if (keys && !keys.has(key)) return;
    if (!matchesMeta(options.filter, o.value)) return;
    kept.push({ ...s, meta: o.value });
  });
  return kept;
}

/** A report seeded with what selection found. */
export function startReport(command: string, selection: Selection): ReportBuilder {
  const report = new ReportBuilder(command, selection.sessions.length + selection.errors.length);
  report.warn(selection.warnings);
  for (const e of selection.errors) report.fail(e);
  return report;
}

/**
 * Which sessions a run selects: by project (a cwd or a project key), by start
 * time, by id prefix.
 */
import { isProjectKey, projectKey } from '../format/project-key.js';
import { ZotpackError } from '../errors.js';

export interface SessionFilter {
  /** Project cwds or 16-hex project keys; empty: every project. */
  projects?: readonly string[];
  /** Sessions started at or after this time. */
  since?: Date;
  /** Sessions started before this time. */
  until?: Date;
  /** Session ids starting with this. */
  idPrefix?: string;
}

/** The project keys a filter names (cwds hashed as zot hashes them), or undefined for all. */
export function projectKeys(filter: SessionFilter): Set<string> | undefined {
  if (!filter.projects || filter.projects.length === 0) return undefined;
  return new Set(filter.projects.map(projectKeyOf));
}

/** The key a --project value names: the value itself when it is a key, else its cwd's. */
export function projectKeyOf(project: string): string {
  if (isProjectKey(project)) return project;
  // zot records cwd as the OS gives it: no trailing separator.
  return projectKey(project.length > 1 ? project.replace(/\/+$/, '') : project);
}

/** True when a filter needs each session's meta row (time or id), not only its folder. */
export function needsMeta(filter: SessionFilter): boolean {
  return filter.since !== undefined || filter.until !== undefined || (filter.idPrefix ?? '') !== '';
}

/** Whether a session passes the time and id parts of a filter. */
export function matchesMeta(filter: SessionFilter, meta: { id: string; started: string | undefined }): boolean {
  // Ids are hex, copied in either case.
  if (filter.idPrefix && !meta.id.toLowerCase().startsWith(filter.idPrefix.toLowerCase())) return false;
  if (filter.since || filter.until) {
    const t = meta.started === undefined ? NaN : Date.parse(meta.started);
    if (Number.isNaN(t)) return false;
    if (filter.since && t < filter.since.getTime()) return false;
    if (filter.until && t >= filter.until.getTime()) return false;
  }
  return true;
}

/** Whether the date a value starts with is a day of the calendar: Date.parse takes 2026-02-30 for March 2nd. */
function realDay(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return true;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
}

/**
 * A --since/--until value: an RFC 3339 time, or a YYYY-MM-DD date, which is
 * local midnight — the day the text output shows (local, as `git log
 * --since` reads a date), not UTC's.
 */
export function parseWhen(value: string, option: string): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  // Only these two forms: Date.parse also takes 'May 6' (as 2001-05-06), '1' and '2026' (UTC midnight).
  const time = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value);
  const t = day ? Date.parse(`${value}T00:00:00`) : time ? Date.parse(value) : NaN;
  if (Number.isNaN(t) || !realDay(value)) {
    throw new ZotpackError('E_USAGE', `${option} takes a date (2026-05-06) or a time (2026-05-06T18:46:29Z), got '${value}'`);
  }
  return new Date(t);
}

/** What a filter's time and id parts say, for a message: `--id 22e0 --since 2026-05-06T00:00:00.000Z`. */
export function describeMetaFilter(filter: SessionFilter): string {
  const parts: string[] = [];
  if (filter.idPrefix) parts.push(`--id ${filter.idPrefix}`);
  if (filter.since) parts.push(`--since ${filter.since.toISOString()}`);
  if (filter.until) parts.push(`--until ${filter.until.toISOString()}`);
  return parts.join(' ');
}

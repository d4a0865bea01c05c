/**
 * Every selected session described on the pool, handed on a project at a
 * time: the shared first step of tree and stats. Only the projects of one
 * slice (see select-slices.ts) are in memory at once, plus what sessions
 * outside project folders say, which waits for their project.
 */
import type { Warning } from '../errors.js';
import type { SessionDescription } from '../session/describe-session.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { basename } from 'node:path';
import { sortByBytes } from '../format/byte-order.js';
import { projectKey } from '../format/project-key.js';
import { ReportBuilder } from './batch-report.js';
import { runOpOn } from './run-op.js';
import { WorkerPool } from './run-pool.js';
import { keyRuns, SliceProgress, SliceSource, type SliceLimits } from './select-slices.js';
import { ANY_SESSION } from './discover.js';
import { describeMetaFilter, matchesMeta } from './filters.js';
import { interner } from '../format/interner.js';
import { appendAll } from '../format/append-all.js';

// Shared by every session with nothing to say; never written to.
const NO_COUNTS: Record<string, number> = Object.freeze({}) as Record<string, number>;
const NO_WARNINGS = Object.freeze([]) as unknown as Warning[];
const NONE_LEFT_OUT: ReadonlySet<string> = new Set();

export interface DescribedSession {
  folderKey: string;
  mtimeMs: number;
  description: SessionDescription;
}

/** A project's sessions in zot's file-name order (then path, for one project gathered from several sources). */
function inZotOrder(sessions: DescribedSession[]): DescribedSession[] {
  return sortByBytes(sessions, (d) => `${basename(d.description.path)}\0${d.description.path}`);
}

/**
 * Describes every selected session and calls `onProject` once per project
 * with all of its sessions: in project-key order, except projects known only
 * from sessions outside project folders, which come last. Returns the report.
 */
export async function describeProjects(
  options: ResolvedBatchOptions,
  command: 'tree' | 'stats',
  /**
   * `report` is the run's, for the caller's own warnings; `filteredOut` the
   * ids of this project's sessions the id or time filter left out.
   */
  onProject: (key: string, sessions: DescribedSession[], report: ReportBuilder, filteredOut: ReadonlySet<string>) => void,
  limits: SliceLimits = {},
): Promise<ReportBuilder> {
  // Describe reads every meta row anyway: filter on its result, not with an extra pass.
  const { filter } = options;
  const pool = options.pool ?? new WorkerPool(options);
  const source = new SliceSource({ ...options, pool, filter: { projects: filter.projects } }, ANY_SESSION, limits, true);
  const report = new ReportBuilder(command, 0);
  const intern = interner();
  // Kept until their project is handed on, so rebuilt as object literals: a
  // cloned object keeps its fields in a separate property array (about twice the memory).
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
  // Ids the filter left out, by project until it is handed on; and how many sessions it left out in all.
  const filteredOut = new Map<string, Set<string>>();
  let leftOut = 0;
  const handOn = (key: string, group: DescribedSession[]) => {
    onProject(key, inZotOrder(group), report, filteredOut.get(key) ?? NONE_LEFT_OUT);
    filteredOut.delete(key);
  };
  // Sessions outside project folders, by the project their cwd names.
  const waiting = new Map<string, DescribedSession[]>();
  const progress = new SliceProgress(options.onProgress, source.filesTotal);
  try {
    // Inside the try: the caller's onProgress may throw, and the threads must stop then.
    if (source.filesTotal > 0) pool.start(source.filesTotal);
    for await (const slice of source.reported(report)) {
      const onProgress = progress.forRun(slice.sessions, slice.counted - slice.sessions.length);
      const slots = new Array<DescribedSession | undefined>(slice.sessions.length);
      // A job file is the path and the size it was listed at (the reader's end, RowReaderOptions.listedSize).
      await runOpOn({ ...options, pool, onProgress }, 'describe', slice.sessions, (s) => ({ path: s.path, size: s.size }), { for: command }, (indexes, outcomes) => {
        indexes.forEach((i, k) => {
          const o = outcomes[k]!;
          const s = slice.sessions[i]!;
          if (!o.ok) {
            if (o.error.code !== 'E_ABORTED') report.fail(o.error);
            return;
          }
          const d = o.value;
          if (!matchesMeta(filter, { id: d.id, started: d.summary.started })) {
            leftOut++;
            // Its children are no orphans: their parent is here, only not shown.
            if (d.id === '') return;
            const key = slice.keyless ? projectKey(d.cwd) : s.folderKey;
            let ids = filteredOut.get(key);
            if (!ids) filteredOut.set(key, (ids = new Set()));
            ids.add(d.id);
            return;
          }
          report.report.succeeded++;
          report.report.bytes += s.size;
          report.warn(d.warnings);
          // At the session's place in the slice (sorted paths), whatever order jobs finish in.
          slots[i] = { folderKey: s.folderKey, mtimeMs: s.mtimeMs, description: keep(d, s.path) };
        });
      });
      if (slice.keyless) {
        for (const d of slots) {
          if (!d) continue;
          const key = projectKey(d.description.cwd);
          let w = waiting.get(key);
          if (!w) waiting.set(key, (w = []));
          w.push(d);
        }
        continue;
      }
      // The slice is sorted by key: each run of one key is a whole project.
      for (const [key, start, end] of keyRuns(slice.sessions, (s) => s.folderKey)) {
        const group = slots.slice(start, end).filter((d) => d !== undefined);
        const joining = waiting.get(key);
        waiting.delete(key);
        if (joining) appendAll(group, joining);
        if (group.length > 0) handOn(key, group);
        else filteredOut.delete(key);
      }
    }
    for (const key of [...waiting.keys()].sort()) handOn(key, waiting.get(key)!);
  } finally {
    if (!options.pool) await pool.close();
  }
  report.report.files = report.report.succeeded + report.report.failed;
  if (report.report.succeeded === 0 && leftOut > 0 && !options.signal?.aborted) {
    report.warn([{ code: 'W_NO_SESSIONS', message: `no session of the ${leftOut} read matches ${describeMetaFilter(filter)}` }]);
  }
  return report;
}

/**
 * Every selected session described on the pool, handed on a project at a
 * time: the shared first step of tree and stats. Only the projects of one
 * slice (see select-slices.ts) are in memory at once, plus what sessions
 * outside project folders say, which waits for their project.
 */
import type { SessionDescription } from '../session/describe-session.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { basename } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { sortByBytes } from '../format/byte-order.js';
import { projectKey } from '../format/project-key.js';
import { ReportBuilder } from './batch-report.js';
import { runOpOn } from './run-op.js';
import { unpackDescription } from './packed-description.js';
import { WorkerPool } from './run-pool.js';
import { keyRuns, SliceProgress, SliceSource, type Slice, type SliceLimits } from './select-slices.js';
import type { JobError } from './protocol.js';
import { ANY_SESSION } from './discover.js';
import { describeMetaFilter, matchesMeta } from './filters.js';
import { interner } from '../format/interner.js';
import { appendAll } from '../format/append-all.js';

const NONE_LEFT_OUT: ReadonlySet<string> = new Set();

/**
 * Slices smaller than other commands' (see select-slices.ts): a slice is
 * listed and handed on while the threads work on the next, so a smaller
 * one costs no waiting, and holds less. 100,000 small files: 181 MB at peak
 * instead of 206 at 16,384.
 */
const SLICE_FILES = 4_096;

/**
 * The first slice's bound. The threads wait for a slice to be listed (an
 * lstat a file, some 30 µs here with the threads starting up beside it):
 * 100,000 small files in slices of 15,000 had their first job 0.5 s after
 * the threads were started. Later slices are listed while the threads work.
 */
const FIRST_SLICE_FILES = 2_048;

/**
 * The threads' young generation. A job's descriptions (512 small sessions,
 * about 1 MB) stay alive until it ends: in the pool's default 2 MB each
 * scavenge copied them again. 100,000 small files, per thread: 690
 * scavenges, 0.92 s, against 97 and 0.53 s at 16 MB; peak RSS 192 -> 220 MB.
 */
const YOUNG_GENERATION_MB = 16;

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
  const pool = options.pool ?? new WorkerPool({ ...options, youngGenerationMb: YOUNG_GENERATION_MB });
  const source = new SliceSource({ ...options, pool, filter: { projects: filter.projects } }, ANY_SESSION, { firstMaxFiles: FIRST_SLICE_FILES, maxFiles: SLICE_FILES, ...limits }, true);
  const report = new ReportBuilder(command, 0);
  const intern = interner();
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

  // What one slice's run found, each file at its place in the slice: its
  // session (kept, see `keep`) or why it failed; aborted files stay empty.
  type Slot = DescribedSession | JobError | undefined;
  const describe = async (slice: Slice): Promise<Slot[]> => {
    const onProgress = progress.forRun(slice.sessions, slice.counted - slice.sessions.length);
    const slots = new Array<Slot>(slice.sessions.length);
    // A job file is the path and the size it was listed at (the reader's end, RowReaderOptions.listedSize).
    await runOpOn({ ...options, pool, onProgress }, 'describe', slice.sessions, (s) => ({ path: s.path, size: s.size }), { for: command }, (indexes, outcomes) => {
      indexes.forEach((i, k) => {
        const o = outcomes[k]!;
        const s = slice.sessions[i]!;
        if (o.ok) slots[i] = { folderKey: s.folderKey, mtimeMs: s.mtimeMs, description: unpackDescription(o.value, s.path, intern) };
        else if (o.error.code !== 'E_ABORTED') slots[i] = o.error;
      });
    });
    return slots;
  };

  // Reported in the slice's order, not as jobs finish, so a report reads the same every run.
  const handOnSlice = async (slice: Slice, slots: Slot[]): Promise<void> => {
    const found: Array<DescribedSession | undefined> = new Array(slots.length);
    slots.forEach((slot, i) => {
      if (slot === undefined) return;
      if (!('description' in slot)) return report.fail(slot);
      const d = slot.description;
      if (!matchesMeta(filter, { id: d.id, started: d.summary.started })) {
        leftOut++;
        // Its children are no orphans: their parent is here, only not shown.
        if (d.id === '') return;
        const key = slice.keyless ? projectKey(d.cwd) : slot.folderKey;
        let ids = filteredOut.get(key);
        if (!ids) filteredOut.set(key, (ids = new Set()));
        ids.add(d.id);
        return;
      }
      report.report.succeeded++;
      report.report.bytes += slice.sessions[i]!.size;
      report.warn(d.warnings);
      found[i] = slot;
    });
    if (slice.keyless) {
      for (const d of found) {
        if (!d) continue;
        const key = projectKey(d.description.cwd);
        let w = waiting.get(key);
        if (!w) waiting.set(key, (w = []));
        w.push(d);
      }
      return;
    }
    // The slice is sorted by key: each run of one key is a whole project.
    for (const [key, start, end] of keyRuns(slice.sessions, (s) => s.folderKey)) {
      // A project of 5,000 sessions takes some 50 ms to link and draw; the
      // threads' next jobs are handed out in between.
      if (start > 0) await setImmediate();
      const group = found.slice(start, end).filter((d) => d !== undefined);
      const joining = waiting.get(key);
      waiting.delete(key);
      if (joining) appendAll(group, joining);
      if (group.length > 0) handOn(key, group);
      else filteredOut.delete(key);
    }
  };

  // The slice before this one: described and handed on, or failing the run.
  let before: Promise<void> = Promise.resolve();
  try {
    // Inside the try: the caller's onProgress may throw, and the threads must stop then.
    if (source.filesTotal > 0) pool.start(source.filesTotal);
    for await (const slice of source.reported(report)) {
      // A slice's jobs queue behind the last one's as soon as it is listed,
      // and the next slice is listed while they run: the threads do not
      // wait for the coordinator to list files or draw trees between
      // slices (100,000 small files: a third of their time). Two slices at
      // most are held, and they are handed on in order.
      const described = describe(slice);
      const handed = before.then(async () => handOnSlice(slice, await described));
      // Awaited through `handed`, or given up on when a slice before it fails the run.
      described.catch(() => {});
      handed.catch(() => {});
      await before;
      before = handed;
    }
    await before;
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

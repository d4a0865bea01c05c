/**
 * Bulk export: every selected session to `<out>/<project key>/<name>.zotsession`
 * plus `<out>/manifest.json`, on the worker pool.
 *
 * Incremental: zot only ever appends to a session file, so any change to one
 * changes its size and modification time. A session whose size and mtime
 * match the manifest, and whose export is still there at its recorded size,
 * is skipped without being opened — a second run over an unchanged archive
 * costs one stat pass and changes nothing. A grown session is exported again
 * (replacing its earlier export atomically); a deleted one is reported and
 * its export kept.
 *
 * The archive is worked a few projects at a time (see select-slices.ts): the
 * previous manifest is read, and the next one written, a range of projects
 * at a time, so memory follows the largest project, not the archive.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ZotpackError } from '../errors.js';
import { projectKey } from '../format/project-key.js';
import { PORTABLE_EXT, SESSION_EXT } from '../format/session-names.js';
import { pathOption, resolveBatchOptions, type BatchOptions, type Progress, type ResolvedBatchOptions } from './batch-options.js';
import { ReportBuilder, type BatchReport } from './batch-report.js';
import {
  compareOutputs,
  Journal,
  MANIFEST_NAME,
  ManifestCursor,
  ManifestWriter,
  outputKey,
  readJournal,
  type ManifestEntry,
  type ManifestHead,
} from './export-manifest.js';
import { runOp, runOpOn } from './run-op.js';
import { WorkerPool } from './run-pool.js';
import { keyRuns, SliceProgress, SliceSource, type SliceLimits } from './select-slices.js';
import type { Selected } from './select-sessions.js';
import { removeTempFiles } from './temp-files.js';
import { withRunLock } from './run-lock.js';
import { BatchPublisher, publishFailure, workerDurability } from './publish-durably.js';
import type { ExportResult } from '../session/export-session.js';
import { interner } from '../format/interner.js';
import { version } from '../version.js';
import { readSourceTail } from '../session/source-tail.js';
import { statQuietly } from '../session/stat-quietly.js';

export interface ExportArchiveOptions extends BatchOptions {
  /** The export folder. */
  out: string;
  /** Plan only: report what would be exported, write nothing. */
  dryRun?: boolean;
  /** fsync every output before publishing it. Default true. */
  durable?: boolean;
  /** zotpack's version, recorded in the manifest; default this zotpack's (tests give another). */
  version?: string;
  /**
   * Called with each session's plan as its project is planned. When given,
   * the result's `plan` is left empty: 100,000 plan items need not be kept.
   */
  onPlan?: (item: ExportPlanItem) => void;
}

export type PlanStatus = 'new' | 'changed' | 'unchanged';

export interface ExportPlanItem {
  source: string;
  output: string;
  status: PlanStatus;
}

export interface ExportArchiveResult {
  out: string;
  manifest: string;
  plan: ExportPlanItem[];
  /** Sessions by plan status. */
  planned: Record<PlanStatus, number>;
  /** Sources in the manifest this run found gone (their exports are kept, marked; each is reported once). */
  deleted: string[];
  report: BatchReport;
}

/** Durable runs sync and publish once this many output bytes, or files, are waiting. */
const PUBLISH_BATCH_BYTES = 512 << 20;
const PUBLISH_BATCH_FILES = 4096;

// One copy of each cwd, key, model and provider across 100,000 entries.
const intern = interner();

/** One session to export, with where its export goes. */
interface ExportItem {
  session: Selected;
  size: number;
  /** As outputFor gives it, or as the manifest recorded it. */
  output: string;
}

function manifestEntry(out: string, { session: s, output: planned }: ExportItem, r: ExportResult): ManifestEntry {
  // Where the export really went (as the manifest records it), sharing the
  // planned string when it is the same, as it nearly always is.
  const written = relative(out, r.output).split(sep).join('/');
  const output = written === planned ? planned : written;
  return {
    source: s.path,
    output,
    cwd: intern(r.cwd),
    key: intern(basename(dirname(r.output))),
    id: r.id,
    parent: r.parent,
    forkPoint: r.forkPoint,
    started: r.summary.started ?? '',
    title: r.summary.title,
    model: intern(r.summary.model),
    provider: intern(r.summary.provider),
    size: s.size,
    mtimeMs: s.mtimeMs,
    rows: r.rowsKept + 1,
    bytes: r.bytesOut,
    sha256: r.sha256 ?? '',
    ...(r.sourceTail === undefined ? {} : { sourceTail: r.sourceTail }),
  };
}

/** Where a session's export goes, relative to the export folder, with `/` separators (as the manifest records it). */
function outputFor(s: Selected, key: string): string {
  // join, not +: a concatenation is a tree of string pieces in V8 (and a flat
  // copy on top once used as a Map key); join makes one flat string.
  return [key, '/', basename(s.path, SESSION_EXT), PORTABLE_EXT].join('');
}

function unchanged(out: string, s: Selected, prev: ManifestEntry | undefined): boolean {
  if (!prev || prev.size !== s.size || prev.mtimeMs !== s.mtimeMs || prev.sourceDeleted) return false;
  try {
    return statSync(join(out, prev.output)).size === prev.bytes;
  } catch {
    return false;
  }
}

/**
 * Why a changed session no longer begins with what its export holds, if it
 * does not and the export is still there to keep: smaller than when it was
 * exported, or not ending where it did then as it did (source-tail.ts).
 * zot only appends: either is damage, or an older copy put back, and the
 * export may be the only whole copy left. A session deleted and back
 * (restored from elsewhere, say) is checked the same way.
 */
function diverged(out: string, s: Selected, prev: ManifestEntry): string | undefined {
  if (!statQuietly(join(out, prev.output))) return undefined;
  if (s.size < prev.size) return `shrank from ${prev.size} to ${s.size} bytes since its last export`;
  if (prev.sourceTail === undefined) return undefined;
  let now: string | undefined;
  try {
    now = readSourceTail(s.path, prev.size);
  } catch {
    return undefined; // gone or unreadable since it was listed: its export fails with the reason
  }
  if (now === prev.sourceTail) return undefined;
  return `its first ${prev.size} bytes are no longer those its last export read (cut short and written again, or put back from an older copy)`;
}

/** A session with the project key its export goes under. */
interface Keyed {
  session: Selected;
  key: string;
}

/** The project keys of sessions outside project folders, from their meta rows (read on the pool). */
async function keysOfKeyless(options: ResolvedBatchOptions, sessions: readonly Selected[], report: ReportBuilder): Promise<Keyed[]> {
  const unread = sessions.filter((s) => s.meta === undefined);
  const metas = unread.length > 0 ? await runOp({ ...options, onProgress: undefined }, 'meta', unread, {}) : [];
  const cwds = new Map(unread.map((s, i) => [s, metas[i]!]));
  const keyed: Keyed[] = [];
  for (const s of sessions) {
    if (s.meta) {
      keyed.push({ session: s, key: projectKey(s.meta.cwd) });
      continue;
    }
    const o = cwds.get(s)!;
    if (o.ok) keyed.push({ session: s, key: projectKey(o.value.cwd) });
    else report.fail(o.error);
  }
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Takes from the front of a key-sorted list every item whose key is `key` or sorts before it (all when undefined). */
function takeThrough<T>(sorted: T[], keyOf: (t: T) => string, key: string | undefined): T[] {
  let n = 0;
  while (n < sorted.length && (key === undefined || keyOf(sorted[n]!) <= key)) n++;
  return sorted.splice(0, n);
}

/** Exports the selected sessions into `options.out`; one zotpack at a time writes there (run-lock.ts). */
export async function exportArchive(options: ExportArchiveOptions, limits: SliceLimits = {}): Promise<ExportArchiveResult> {
  pathOption(options.out, 'out');
  return withRunLock(options.dryRun ? undefined : resolve(options.out), 'export', () => exportUnlocked(options, limits));
}

async function exportUnlocked(options: ExportArchiveOptions, limits: SliceLimits): Promise<ExportArchiveResult> {
  const resolved = resolveBatchOptions(options);
  const out = resolve(options.out);
  const durable = options.durable ?? true;
  const dryRun = options.dryRun === true;
  const previous = ManifestCursor.open(out);
  // Sessions a killed run finished but could not record in the manifest.
  let recovered: ManifestEntry[];
  try {
    recovered = [...readJournal(out).values()].sort((a, b) => compareOutputs(a.output, b.output));
  } catch (err) {
    previous?.close();
    throw err;
  }
  const pool = resolved.pool ?? new WorkerPool(resolved);
  const run = { ...resolved, pool };
  const report = new ReportBuilder('export', 0, { rows: true });
  const plan: ExportPlanItem[] = [];
  const planned: Record<PlanStatus, number> = { new: 0, changed: 0, unchanged: 0 };
  const deleted: string[] = [];
  const head: ManifestHead = {
    ...(previous?.head ?? { format: 'zotpack-export', version: 1, zotpack: '' }),
    zotpack: options.version ?? version(),
    updated: new Date().toISOString(),
  };
  let writer: ManifestWriter | undefined;
  const journal = new Journal(out);

  // Durable runs publish in batches: one file-system sync per batch, then the
  // batch's files appear. Each published export is journaled at once.
  interface Done {
    size: number;
    entry: ManifestEntry;
    rowsKept: number;
    dropped: ExportResult['dropped'];
    warnings: ExportResult['warnings'];
    pending: ExportResult['pending'];
    /** The entries of the session's range, which it joins once published. */
    range: Map<string, ManifestEntry>;
  }
  // Nothing exported and nothing newly deleted: the manifest is left as it was.
  let changed = recovered.length > 0;
  const record = (d: Done) => {
    const r2 = report.report;
    r2.succeeded++;
    r2.bytes += d.size;
    report.rows(d.rowsKept, d.dropped);
    report.warn(d.warnings);
    d.range.set(d.entry.source, d.entry);
    journal.add(d.entry);
    changed = true;
  };
  const publisher = new BatchPublisher<Done>(
    (d, err) => {
      if (err) report.fail(publishFailure(err, d.entry.source));
      else record(d);
    },
    { bytes: PUBLISH_BATCH_BYTES, files: PUBLISH_BATCH_FILES },
  );

  // The previous entries come from two sources in the manifest's order: the
  // manifest, and what a killed run journaled (which overrides it).
  const nextPreviousKey = (): string | undefined => {
    const a = previous?.nextKey();
    const b = recovered.length > 0 ? outputKey(recovered[0]!.output) : undefined;
    return a === undefined ? b : b === undefined || a < b ? a : b;
  };
  /** The previous entries of one project, by source. */
  const previousOf = (key: string): Map<string, ManifestEntry> => {
    const entries = new Map<string, ManifestEntry>();
    for (const e of previous?.takeThrough(key) ?? []) entries.set(e.source, e);
    for (const e of takeThrough(recovered, (x) => outputKey(x.output), key)) entries.set(e.source, e);
    return entries;
  };
  /** A source gone since it was exported: reported, its export kept. */
  const markGone = (entries: Map<string, ManifestEntry>, selected: ReadonlySet<string>) => {
    for (const e of entries.values()) {
      if (selected.has(e.source) || existsSync(e.source)) continue;
      // Reported once, in the run that finds it gone (the manifest says so from then on).
      if (e.sourceDeleted) continue;
      deleted.push(e.source);
      entries.set(e.source, { ...e, sourceDeleted: true });
      changed = true;
    }
  };
  // Opened with the first entry: a run with nothing to record creates nothing.
  const write = (entries: Map<string, ManifestEntry>) => {
    if (dryRun || entries.size === 0) return;
    writer ??= ManifestWriter.open(out, head, durable);
    for (const e of [...entries.values()].sort((a, b) => compareOutputs(a.output, b.output))) writer.add(e);
  };

  /** Projects next to each other in the manifest's order, worked as one run on the pool. */
  interface Range {
    sessions: Keyed[];
    /** Their previous entries, by source. */
    entries: Map<string, ManifestEntry>;
    /** Files of the range counted up front (for the progress bar). */
    counted: number;
  }

  /**
   * A range's sessions planned against their previous entries, and their
   * exports started; finishRange then writes the range's entries to the next
   * manifest. The next range starts before this one finishes, so the pool
   * never drains between them.
   */
  const startRange = ({ sessions, entries, counted }: Range) => {
    // Which source owns each output path: two sources (say, two homes given
    // with --from) with one project and file name must not share an export.
    const owners = new Map<string, string>();
    for (const e of entries.values()) owners.set(e.output, e.source);
    const todo: ExportItem[] = [];
    const selected = new Set<string>();
    // In path order: of two sessions with one export path, the first by path keeps it, whatever their sources.
    for (const { session: s, key } of [...sessions].sort((a, b) => (a.session.path < b.session.path ? -1 : a.session.path > b.session.path ? 1 : 0))) {
      let prev = entries.get(s.path);
      const output = prev?.output ?? outputFor(s, key);
      const owner = owners.get(output);
      if (owner !== undefined && owner !== s.path) {
        const theirs = entries.get(owner);
        if (prev || !theirs || selected.has(owner) || existsSync(owner)) {
          // (A copy of the home exported into a copy of its backup, or two homes into one folder: each needs a folder of its own.)
          report.fail({
            code: 'E_EXISTS',
            message: `its export ${output} belongs to another session (${owner}): export this one into a folder of its own (a copy of a home, or a second home, cannot share a backup)`,
            path: s.path,
          });
          continue;
        }
        // The export's source is gone and this file has its name, in its project: the same session, moved
        // (its project folder renamed in the home, say). It takes the export over rather than fail every run.
        entries.delete(owner);
        prev = { ...theirs, source: s.path };
        entries.set(s.path, prev);
        changed = true;
      }
      owners.set(output, s.path);
      selected.add(s.path);
      const same = unchanged(out, s, prev);
      const why = prev && !same ? diverged(out, s, prev) : undefined;
      if (why !== undefined) {
        report.fail({
          code: 'E_CHANGED',
          message: `${why}, and zot only appends to a session: its export ${prev!.output} is kept, and may hold rows the session lost; move that file aside to export the session as it is now`,
          path: s.path,
        });
        continue;
      }
      const status: PlanStatus = same ? 'unchanged' : prev ? 'changed' : 'new';
      planned[status]++;
      const item = { source: s.path, output, status };
      if (options.onPlan) options.onPlan(item);
      else plan.push(item);
      if (status !== 'unchanged') todo.push({ session: s, size: s.size, output });
    }
    markGone(entries, selected);
    const onProgress = dryRun ? progress.forRun([], counted) : progress.forRun(todo, counted - todo.length);
    const exporting = dryRun ? Promise.resolve() : exportRange(todo, entries, onProgress);
    // Awaited by finishRange; until then a failure is recorded, not unhandled.
    exporting.catch(() => {});
    return { entries, exporting };
  };

  const exportRange = async (todo: readonly ExportItem[], range: Map<string, ManifestEntry>, onProgress: ((p: Progress) => void) | undefined) => {
    if (todo.length === 0) return;
    // The export folder is zotpack's: an output left by an interrupted run
    // (written, but not yet in the manifest) is replaced by a fresh export.
    const fileOf = (t: ExportItem) => ({ path: t.session.path, destination: join(out, t.output), replace: true, tailAt: t.session.size });
    try {
      await runOpOn({ ...run, onProgress }, 'export', todo, fileOf, workerDurability(durable), (indexes, outcomes) => {
        publisher.check();
        indexes.forEach((i, k) => {
          const o = outcomes[k]!;
          const t = todo[i]!;
          if (!o.ok) {
            if (o.error.code !== 'E_ABORTED') report.fail(o.error);
            return;
          }
          const r = o.value;
          const d: Done = { size: t.size, entry: manifestEntry(out, t, r), rowsKept: r.rowsKept, dropped: r.dropped, warnings: r.warnings, pending: r.pending, range };
          if (d.pending) publisher.add(d, d.pending, r.bytesOut);
          else record(d);
        });
      });
    } finally {
      // Whatever happened, what finished is published (a re-run then does only the rest).
      await publisher.finish();
    }
  };

  type Started = ReturnType<typeof startRange>;
  const inFlight: Started[] = [];
  const finishRange = async (range: Started) => {
    await range.exporting;
    write(range.entries);
    journal.flush();
  };
  let building: Range | undefined;
  /** Starts the range being built; at most two run at once. */
  const launch = async () => {
    if (building) inFlight.push(startRange(building));
    building = undefined;
    while (inFlight.length > 1) await finishRange(inFlight.shift()!);
  };
  const drain = async () => {
    while (inFlight.length > 0) await finishRange(inFlight.shift()!);
  };
  /**
   * Previous entries of projects this run has no session of (left out by a
   * filter, or gone from the archive), before `key` (all when undefined):
   * written straight through, a project at a time, after everything before
   * them. So they are never held beyond one project.
   */
  const passThrough = async (key: string | undefined) => {
    let k = nextPreviousKey();
    if (k === undefined || (key !== undefined && k >= key)) return;
    await launch();
    await drain();
    for (; k !== undefined && (key === undefined || k < key); k = nextPreviousKey()) {
      const entries = previousOf(k);
      markGone(entries, new Set());
      write(entries);
    }
  };
  /** Adds one project's sessions to the range being built. */
  const addProject = async (key: string, sessions: readonly Keyed[], counted: number) => {
    await passThrough(key);
    building ??= { sessions: [], entries: new Map(), counted: 0 };
    for (const s of sessions) building.sessions.push(s);
    for (const [source, e] of previousOf(key)) building.entries.set(source, e);
    building.counted += counted;
  };

  let progress: SliceProgress;
  try {
    const source = new SliceSource(run, '.jsonl', limits, true);
    progress = new SliceProgress(resolved.onProgress, source.filesTotal);
    // Temp files a killed run left (its workers could not remove them) go first.
    if (!dryRun) await removeTempFiles(out);
    // Sessions outside project folders wait for the range of their project.
    let keyless: Keyed[] = [];
    for await (const slice of source.slices()) {
      report.warn(slice.warnings);
      for (const e of slice.errors) report.fail(e);
      report.report.files += slice.sessions.length + slice.errors.length;
      if (slice.keyless) {
        keyless = await keysOfKeyless(run, slice.sessions, report);
        // They stay in the total until their range comes.
        progress.forRun([], slice.counted - keyless.length);
        continue;
      }
      if (resolved.signal?.aborted) break;
      const last = slice.sessions[slice.sessions.length - 1];
      if (!last) {
        progress.forRun([], slice.counted);
        continue;
      }
      // The slice's projects, with the outside sessions of projects up to its last, in key order.
      const joining = takeThrough(keyless, (k) => k.key, last.folderKey);
      const keyed = [...slice.sessions.map((s) => ({ session: s, key: s.folderKey })), ...joining].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      let counted = slice.counted + joining.length;
      for (const [key, start, end] of keyRuns(keyed, (k) => k.key)) {
        await addProject(key, keyed.slice(start, end), counted);
        counted = 0;
      }
      await launch();
    }
    // The rest: sessions outside project folders whose projects came last
    // (unless interrupted), then whatever the previous manifest holds beyond.
    if (!resolved.signal?.aborted) {
      for (const [key, start, end] of keyRuns(keyless, (k) => k.key)) await addProject(key, keyless.slice(start, end), end - start);
    }
    await launch();
    await passThrough(undefined);
    await drain();
    previous?.close();
    if (writer) {
      if (changed) writer.commit();
      else writer.abort();
      writer = undefined;
    }
    // The manifest now holds everything the journal did (lines a kill cut short were never sessions).
    journal.close(!dryRun);
  } catch (err) {
    // Exports already started are published and journaled before the run gives up.
    await Promise.allSettled(inFlight.map((r) => r.exporting));
    writer?.abort();
    try {
      journal.close(false);
    } catch {
      // A full disk: the sessions it could not record are exported again next run.
    }
    if (!(err instanceof ZotpackError) || err.code === 'E_ABORTED') throw err;
    // The manifest or journal could not be written (a full disk): a failure
    // of the run, reported with every other, not instead of them.
    report.fail({ code: err.code, message: err.reason, path: err.path });
  } finally {
    previous?.close();
    if (!resolved.pool) await pool.close();
    // No temp file outlives the run: a worker that died or was stopped leaves its partial ones behind.
    if (!dryRun) await removeTempFiles(out);
  }
  report.report.skipped = planned.unchanged;
  const interrupted = resolved.signal?.aborted === true;
  return { out, manifest: join(out, MANIFEST_NAME), plan, planned, deleted, report: report.finish(interrupted) };
}

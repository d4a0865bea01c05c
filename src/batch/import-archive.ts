/**
 * Bulk import: many `.zotsession` files, or whole export folders, into a zot
 * home — each session to its recorded project (or one project with `cwd`).
 *
 * Sessions keep their ids, so trees survive; a session whose id is already
 * in the home is skipped (not duplicated), which makes a re-run — after an
 * interrupt, or of the same command — finish the rest and add nothing twice.
 *
 * The sources are worked a few projects at a time (select-slices.ts) and
 * what each session comes to is handed on as it is known, so what grows
 * with the archive is only the index of ids (id-paths.ts): the home's, with
 * their paths, and those this run imports. Sources come in the slices'
 * order (files outside project folders, then by project key, then path); of
 * two with one id, the first in that order is imported.
 */
import { basename, dirname, resolve } from 'node:path';
import { sessionsRoot } from '../format/project-key.js';
import { absoluteCwd, pathOption, resolveBatchOptions, type BatchOptions, type ResolvedBatchOptions } from './batch-options.js';
import { ReportBuilder, type BatchReport } from './batch-report.js';
import { runOp, runOpOn } from './run-op.js';
import { ExportHashes, realSessionPath, type Listed } from './export-hashes.js';
import { needsMeta, projectKeys } from './filters.js';
import { WorkerPool } from './run-pool.js';
import { IdPaths, indexHomeIds } from './id-paths.js';
import { SliceProgress, SliceSource, type SliceLimits } from './select-slices.js';
import type { Selected } from './select-sessions.js';
import type { MetaPeek, Outcome } from './protocol.js';
import { removeTempFiles } from './temp-files.js';
import { withRunLock } from './run-lock.js';
import { BatchPublisher, publishFailure, workerDurability } from './publish-durably.js';
import { importCwd, importCwdMap, type ImportResult } from '../session/import-session.js';
import { cwdMapOf, refuseIfNoneMoved, type CwdRule } from '../format/cwd-map.js';

export interface ImportArchiveOptions extends BatchOptions {
  /** The zot home to import into. */
  home: string;
  /** One project for everything; default each session's recorded cwd. */
  cwd?: string;
  /**
   * `OLD=NEW` rules moving recorded project folders under OLD to NEW (an
   * export made on another machine); not with `cwd`. A rule that moves no
   * session is reported (W_UNUSED_MAP).
   */
  mapCwd?: ReadonlyArray<string | CwdRule>;
  /** For files that record no cwd (zot's own exports). */
  fallbackCwd?: string;
  /** New ids and start times (zot's behaviour): nothing is skipped as already present. */
  freshId?: boolean;
  durable?: boolean;
  dryRun?: boolean;
  /**
   * Each session chosen for import, before it is imported (in a dry run,
   * instead). Without it, a dry run's result lists them in `planned`.
   */
  onPlanned?: (p: PlannedImport) => void;
  /** Each session as it is imported. When given, the result's `imported` list stays empty. */
  onImported?: (s: ImportedSession) => void;
  /** Each source skipped as already present. When given, the result's `present` list stays empty. */
  onPresent?: (p: PresentSession) => void;
}

export interface PlannedImport {
  source: string;
  /** The id the session has in its file (--fresh-id gives it a new one). */
  id: string;
  /** The project it goes to. */
  cwd: string;
}

export interface ImportedSession {
  source: string;
  output: string;
  id: string;
  cwd: string;
}

export interface PresentSession {
  source: string;
  id: string;
  /** Where the home has it, or "(an earlier file of this run)". */
  path: string;
}

export interface ImportArchiveResult {
  /** In a dry run without onPlanned, the sessions it would import; else empty. */
  planned: PlannedImport[];
  /** Sessions imported (without onImported). */
  imported: ImportedSession[];
  /** Sources skipped because their session is already in the home (without onPresent). */
  present: PresentSession[];
  report: BatchReport;
}

const NOTHING_LISTED: ReadonlyMap<string, Listed> = new Map();

/**
 * Before anything is written: refuses rules of which not one moves a
 * session (refuseIfNoneMoved). Reads meta rows until one moves: one slice,
 * mostly; all of them only when none does.
 */
async function refuseIfNoneMoves(options: ImportArchiveOptions, resolved: ResolvedBatchOptions, limits: SliceLimits): Promise<void> {
  const map = cwdMapOf(options.mapCwd);
  let sessions = 0;
  for await (const slice of new SliceSource(resolved, '.zotsession', limits).slices()) {
    if (resolved.signal?.aborted) return;
    const unread = slice.sessions.filter((s) => !s.meta);
    const read = await runOp({ ...resolved, onProgress: undefined }, 'meta', unread, {});
    for (const o of [...slice.sessions.flatMap((s) => (s.meta ? [s.meta] : [])), ...read.flatMap((r) => (r.ok ? [r.value] : []))]) {
      sessions++;
      if (o.cwd !== '' && map.map(o.cwd) !== undefined) return;
    }
  }
  if (sessions > 0) refuseIfNoneMoved(map, resolved.sources.length === 1 ? resolve(resolved.sources[0]!) : undefined);
}

/** Where a source's session is when an earlier source of the same run has its id. */
export const EARLIER_IN_RUN = '(an earlier file of this run)';

/** Imports into `options.home`; one zotpack at a time writes into a home's sessions (run-lock.ts). */
export async function importArchive(options: ImportArchiveOptions, limits: SliceLimits = {}): Promise<ImportArchiveResult> {
  pathOption(options.home, 'home');
  if (options.cwd !== undefined) absoluteCwd(options.cwd, 'cwd');
  return withRunLock(options.dryRun ? undefined : sessionsRoot(resolve(options.home)), 'import', () => importUnlocked(options, limits));
}

async function importUnlocked(options: ImportArchiveOptions, limits: SliceLimits): Promise<ImportArchiveResult> {
  const cwdMap = importCwdMap(options);
  const base = resolveBatchOptions(options);
  const pool = new WorkerPool(base);
  const resolved: ResolvedBatchOptions = { ...base, pool };
  const home = resolve(options.home);
  const planned: PlannedImport[] = [];
  const imported: ImportedSession[] = [];
  const present: PresentSession[] = [];
  // Without a callback, a list kept for the result; `planned` only in a dry run (it would repeat `imported`).
  const onPlanned = options.onPlanned ?? ((p: PlannedImport) => options.dryRun && planned.push(p));
  const onImported = options.onImported ?? ((s: ImportedSession) => imported.push(s));
  const onPresent = options.onPresent ?? ((p: PresentSession) => present.push(p));
  const settings = {
    home,
    cwd: options.cwd,
    mapCwd: cwdMap.all,
    fallbackCwd: options.fallbackCwd,
    freshId: options.freshId === true,
    // Made durable a batch at a time, with one file-system sync, not an fsync per file.
    ...workerDurability(options.durable ?? true),
    // Checked here, against the whole home and the run, before any job starts.
    checkDuplicates: false,
  };
  const report = new ReportBuilder('import', 0, { rows: true });
  let files = 0;
  let hashes: ExportHashes | undefined;
  try {
    if (cwdMap.size > 0 && !options.dryRun) await refuseIfNoneMoves(options, resolved, limits);
    // Ids already in the home, then those taken earlier in this run.
    const taken = options.freshId ? new IdPaths('') : await indexHomeIds(home, resolved, limits);
    if (resolved.signal?.aborted) return { planned, imported, present, report: report.finish(true) };
    // Folders are searched for .zotsession files; files named directly are taken whatever their name.
    const source = new SliceSource(resolved, '.zotsession', limits, true);
    hashes = ExportHashes.open(base.sources, (w) => report.warn(w));
    const keys = projectKeys(base.filter);
    const wanted = (key: string) => !keys || keys.has(key);
    // The manifest's entries are keyed by real path (a folder given through a link is the folder).
    const realFolders = new Map<string, string>();
    const realPath = (path: string) => realSessionPath(path, realFolders);
    // With a time or id filter, a listed file not among those selected may be one the filter left out.
    const missing = needsMeta(base.filter)
      ? undefined
      : (path: string) => {
          files++;
          report.fail({ code: 'E_NOT_FOUND', message: 'listed in the export manifest, missing: not imported', path });
        };
    const progress = new SliceProgress(options.onProgress, source.filesTotal);
    /**
     * A zotpack export holds the session's rows as an import writes them,
     * so one whose rows take more bytes than those of the home's copy
     * holds rows the home has not: the session grew after the home got it.
     * Import leaves a session that is there as it is; that is said, not
     * passed over as "already present". (zot's own exports keep meta rows
     * and rows zot skips, which an import folds or leaves out: no sizes to
     * compare.)
     */
    const warnIfGrown = (s: Selected, meta: MetaPeek, there: string) => {
      const home = taken.rowBytesOf(meta.id);
      const more = s.size - meta.headerBytes - (home ?? Infinity);
      if (!meta.zotpackExport || !(more > 0)) return;
      report.warn([
        {
          code: 'W_GROWN',
          message: `holds ${more} bytes of rows past the end of the home's copy (${there}): the session grew after the home got it, and import leaves a session that is there as it is (pack and unpack append what it gained)`,
          path: s.path,
        },
      ]);
    };
    /** Plans one session: skipped as present, or to import (its id taken for this run). */
    const plan = (s: Selected, meta: MetaPeek, todo: Selected[]) => {
      const { id } = meta;
      // Placed before the id is looked up, so that a rule that moved only sessions already present counts as used.
      const cwd = importCwd(options, meta.cwd, cwdMap);
      if (!options.freshId && id !== '') {
        const there = taken.where(id);
        if (there !== undefined) {
          report.report.skipped++;
          if (there !== null) warnIfGrown(s, meta, there);
          onPresent({ source: s.path, id, path: there ?? EARLIER_IN_RUN });
          return;
        }
        taken.reserve(id);
      }
      todo.push(s);
      onPlanned({ source: s.path, id, cwd });
    };
    /** Imports `todo`, each checked against what its export folder's manifest lists; `notToDo`: files counted up front it leaves. */
    const importAll = async (todo: Selected[], expected: ReadonlyMap<string, Listed>, notToDo: number) => {
      const onProgress = progress.forRun(todo, notToDo);
      const done = new Array<ImportedSession | undefined>(todo.length);
      const record = (i: number, r: ImportResult) => {
        report.report.succeeded++;
        report.report.bytes += todo[i]!.size;
        report.rows(r.rowsKept, r.dropped);
        report.warn(r.warnings);
        done[i] = { source: todo[i]!.path, output: r.output, id: r.id, cwd: r.cwd };
      };
      const publisher = new BatchPublisher<{ i: number; r: ImportResult }>(({ i, r }, err) => {
        if (err) report.fail(publishFailure(err, todo[i]!.path));
        else record(i, r);
      });
      try {
        const fileOf = (s: Selected) => {
          const listed = expected.get(realPath(s.path));
          return { path: s.path, expect: listed && { bytes: listed.bytes, sha256: listed.sha256 } };
        };
        await runOpOn({ ...resolved, onProgress }, 'import', todo, fileOf, settings, (indexes, outcomes) => {
          publisher.check();
          indexes.forEach((i, k) => {
            const o = outcomes[k]!;
            if (!o.ok) {
              if (o.error.code !== 'E_ABORTED') report.fail(o.error);
              return;
            }
            if (o.value.pending) publisher.add({ i, r: o.value }, o.value.pending, o.value.bytesOut);
            else record(i, o.value);
          });
        });
      } finally {
        // Whatever happened, what finished is published (a re-run then does only the rest).
        await publisher.finish();
      }
      // In source order, whatever order the jobs finished in.
      for (const d of done) if (d) onImported(d);
    };
    // Exports the manifest marks sourceDeleted (kept for a session gone from the source) come last: a session
    // that moved to another project has a live export too, which is the one to import, whatever the path order.
    const later: Array<{ s: Selected; meta: MetaPeek; listed: Listed }> = [];
    for await (const slice of source.reported(report)) {
      files += slice.sessions.length + slice.errors.length;
      // What the export folder's manifest says each file holds: a file changed since is not imported, one gone is reported (a dry run too).
      const last = slice.sessions[slice.sessions.length - 1];
      const inSlice = new Set([...slice.sessions.map((s) => s.folderKey), ...slice.errors.map((e) => basename(dirname(e.path ?? '')))]);
      const expected = !slice.keyless && last !== undefined && hashes ? hashes.through(last.folderKey, (k) => inSlice.has(k), wanted, missing) : NOTHING_LISTED;
      if (missing) {
        const here = new Set([...slice.sessions.map((s) => realPath(s.path)), ...slice.errors.flatMap((e) => (e.path ? [realPath(e.path)] : []))]);
        for (const [path, listed] of expected) if (listed.covered && !here.has(path)) missing(path);
      }
      // A time or id filter has read some meta rows already: not again.
      const read = await runOp({ ...resolved, onProgress: undefined }, 'meta', slice.sessions.filter((s) => !s.meta), {});
      let next = 0;
      const todo: Selected[] = [];
      const deferred = later.length;
      slice.sessions.forEach((s) => {
        const o: Outcome<MetaPeek> = s.meta ? { ok: true, value: s.meta } : read[next++]!;
        if (!o.ok) {
          if (o.error.code !== 'E_ABORTED') report.fail(o.error);
          return;
        }
        const listed = expected.get(realPath(s.path));
        if (listed?.sourceDeleted) later.push({ s, meta: o.value, listed });
        else plan(s, o.value, todo);
      });
      if (!options.dryRun) await importAll(todo, expected, slice.counted - todo.length - (later.length - deferred));
    }
    if (later.length > 0 && !resolved.signal?.aborted) {
      const todo: Selected[] = [];
      for (const { s, meta } of later) plan(s, meta, todo);
      if (!options.dryRun) await importAll(todo, new Map(later.map(({ s, listed }) => [realPath(s.path), listed])), later.length - todo.length);
    }
    if (missing && !resolved.signal?.aborted) hashes?.rest(wanted, missing);
  } finally {
    hashes?.close();
    try {
      await pool.close();
    } finally {
      // A worker that died or was stopped cannot remove its temp files.
      if (!options.dryRun) await removeTempFiles(sessionsRoot(home));
    }
  }
  report.report.files = files;
  // Every session was placed: a rule that moved none has an OLD that names no project (a typo, a trailing part).
  if (files > 0 && !resolved.signal?.aborted) {
    const path = base.sources.length === 1 ? resolve(base.sources[0]!) : undefined;
    for (const r of cwdMap.unused()) {
      report.warn([{ code: 'W_UNUSED_MAP', message: `--map-cwd ${r.from}=${r.to}: no session to import has its project folder under ${r.from}`, path }]);
    }
  }
  return { planned, imported, present, report: report.finish(resolved.signal?.aborted === true) };
}


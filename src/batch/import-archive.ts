/**
 * Bulk import: many `.zotsession` files, or whole export folders, into a zot
 * home — each session to its recorded project (or one project with `cwd`).
 *
 * Sessions keep their ids, so trees survive; a session whose id is already
 * in the home is skipped (not duplicated), which makes a re-run — after an
 * interrupt, or of the same command — finish the rest and add nothing twice.
 *
 * The sources are worked a few projects at a time (select-slices.ts) and
 * what each session comes to is handed on as it is known, so the only thing
 * that grows with the archive is the index of the ids in the home (home-ids.ts).
 */
import { resolve } from 'node:path';
import { sessionsRoot } from '../format/project-key.js';
import { resolveBatchOptions, type BatchOptions, type ResolvedBatchOptions } from './batch-options.js';
import { ReportBuilder, type BatchReport } from './batch-report.js';
import { runOp } from './run-op.js';
import { WorkerPool } from './run-pool.js';
import { HomeIds, indexHomeIds } from './home-ids.js';
import { SliceProgress, SliceSource, type SliceLimits } from './select-slices.js';
import type { Selected } from './select-sessions.js';
import { removeTempFiles } from './temp-files.js';

export interface ImportArchiveOptions extends BatchOptions {
  /** The zot home to import into. */
  home: string;
  /** One project for everything; default each session's recorded cwd. */
  cwd?: string;
  /** For files that record no cwd (zot's own exports). */
  fallbackCwd?: string;
  /** New ids and start times (zot's behaviour): nothing is skipped as already present. */
  freshId?: boolean;
  durable?: boolean;
  dryRun?: boolean;
  /**
   * Each session chosen for import, before it is imported (in a dry run,
   * instead). When given, the result's `planned` list stays empty.
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
  /** Sessions chosen for import (without onPlanned). */
  planned: PlannedImport[];
  /** Sessions imported (without onImported). */
  imported: ImportedSession[];
  /** Sources skipped because their session is already in the home (without onPresent). */
  present: PresentSession[];
  report: BatchReport;
}

export async function importArchive(options: ImportArchiveOptions, limits: SliceLimits = {}): Promise<ImportArchiveResult> {
  const base = resolveBatchOptions(options);
  const pool = new WorkerPool(base);
  const resolved: ResolvedBatchOptions = { ...base, pool };
  const home = resolve(options.home);
  const result: ImportArchiveResult = { planned: [], imported: [], present: [], report: undefined as unknown as BatchReport };
  const onPlanned = options.onPlanned ?? ((p) => result.planned.push(p));
  const onImported = options.onImported ?? ((s) => result.imported.push(s));
  const onPresent = options.onPresent ?? ((p) => result.present.push(p));
  const settings = {
    home,
    cwd: options.cwd,
    fallbackCwd: options.fallbackCwd,
    freshId: options.freshId === true,
    durable: options.durable ?? true,
    // Checked here, against the whole home and the run, before any job starts.
    checkDuplicates: false,
  };
  const report = new ReportBuilder('import', 0);
  let files = 0;
  try {
    // Ids already in the home, then those taken earlier in this run.
    const taken = options.freshId ? new HomeIds(sessionsRoot(home)) : await indexHomeIds(home, resolved, limits);
    // Folders are searched for .zotsession files; files named directly are taken whatever their name.
    const source = new SliceSource(resolved, '.zotsession', limits);
    const progress = new SliceProgress(options.onProgress, source.filesTotal);
    for await (const slice of source.slices()) {
      if (resolved.signal?.aborted) break;
      report.warn(slice.warnings);
      for (const e of slice.errors) report.fail(e);
      files += slice.sessions.length + slice.errors.length;
      const peeks = await runOp({ ...resolved, onProgress: undefined }, 'meta', slice.sessions, {});
      const todo: Selected[] = [];
      slice.sessions.forEach((s, i) => {
        const o = peeks[i]!;
        if (!o.ok) {
          if (o.error.code !== 'E_ABORTED') report.fail(o.error);
          return;
        }
        const { id } = o.value;
        if (!options.freshId && id !== '') {
          const there = taken.where(id);
          if (there !== undefined) {
            report.report.skipped++;
            onPresent({ source: s.path, id, path: there });
            return;
          }
          taken.take(id);
        }
        todo.push(s);
        onPlanned({ source: s.path, id, cwd: options.cwd ?? (o.value.cwd || options.fallbackCwd || '') });
      });
      if (options.dryRun) continue;
      const onProgress = progress.forRun(todo, slice.counted - todo.length);
      const done = new Array<ImportedSession | undefined>(todo.length);
      await runOp({ ...resolved, onProgress }, 'import', todo, settings, (indexes, outcomes) => {
        indexes.forEach((i, k) => {
          const o = outcomes[k]!;
          const s = todo[i]!;
          if (!o.ok) {
            if (o.error.code !== 'E_ABORTED') report.fail(o.error);
            return;
          }
          report.report.succeeded++;
          report.report.bytes += s.size;
          report.report.rowsKept += o.value.rowsKept;
          report.drop(o.value.dropped);
          report.warn(o.value.warnings);
          done[i] = { source: s.path, output: o.value.output, id: o.value.id, cwd: o.value.cwd };
        });
      });
      // In source order, whatever order the jobs finished in.
      for (const d of done) if (d) onImported(d);
    }
  } finally {
    await pool.close();
  }
  report.report.files = files;
  const interrupted = resolved.signal?.aborted === true;
  // A worker that died or was stopped cannot remove its temp files.
  if (!options.dryRun) await removeTempFiles(sessionsRoot(home));
  result.report = report.finish(interrupted);
  return result;
}

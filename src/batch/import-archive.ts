/**
 * Bulk import: many `.zotsession` files, or whole export folders, into a zot
 * home — each session to its recorded project (or one project with `cwd`).
 *
 * Sessions keep their ids, so trees survive; a session whose id is already
 * in the home is skipped (not duplicated), which makes a re-run — after an
 * interrupt, or of the same command — finish the rest and add nothing twice.
 */
import { resolve } from 'node:path';
import { sessionsRoot } from '../format/project-key.js';
import { resolveBatchOptions, type BatchOptions } from './batch-options.js';
import type { BatchReport } from './batch-report.js';
import { runOp } from './run-op.js';
import { selectSessions, startReport } from './select-sessions.js';
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
}

export interface ImportedSession {
  source: string;
  output: string;
  id: string;
  cwd: string;
}

export interface ImportArchiveResult {
  imported: ImportedSession[];
  /** Sources skipped because their session is already in the home. */
  present: Array<{ source: string; id: string; path: string }>;
  report: BatchReport;
}

export async function importArchive(options: ImportArchiveOptions): Promise<ImportArchiveResult> {
  const resolved = resolveBatchOptions(options);
  const home = resolve(options.home);
  // Folders are searched for .zotsession files; files named directly are taken whatever their name.
  const selection = await selectSessions(resolved, '.zotsession');
  const sources = selection.sessions;
  const report = startReport('import', selection);

  const present: ImportArchiveResult['present'] = [];
  let todo = sources;
  if (!options.freshId) {
    // One index of the home's ids, instead of a folder scan per imported file.
    const [homeMeta, sourceMeta] = await Promise.all([
      (async () => {
        const inHome = await selectSessions({ ...resolved, sources: [sessionsRoot(home)], filter: {} });
        const peeks = await runOp({ ...resolved, onProgress: undefined }, 'meta', inHome.sessions, {});
        const ids = new Map<string, string>();
        inHome.sessions.forEach((s, i) => {
          const o = peeks[i]!;
          if (o.ok && o.value.id !== '') ids.set(o.value.id, s.path);
        });
        return ids;
      })(),
      runOp({ ...resolved, onProgress: undefined }, 'meta', sources, {}),
    ]);
    const seen = new Set<string>();
    todo = [];
    sources.forEach((s, i) => {
      const o = sourceMeta[i]!;
      if (!o.ok) return report.fail(o.error);
      const id = o.value.id;
      const there = homeMeta.get(id);
      if (id !== '' && (there !== undefined || seen.has(id))) {
        present.push({ source: s.path, id, path: there ?? '(an earlier file of this run)' });
        return;
      }
      if (id !== '') seen.add(id);
      todo.push(s);
    });
  }
  report.report.skipped = present.length;
  if (options.dryRun) return { imported: [], present, report: report.finish() };

  const outcomes = await runOp(resolved, 'import', todo, {
    home,
    cwd: options.cwd,
    fallbackCwd: options.fallbackCwd,
    freshId: options.freshId === true,
    durable: options.durable ?? true,
    checkDuplicates: false,
  });
  const imported: ImportedSession[] = [];
  todo.forEach((s, i) => {
    const o = outcomes[i]!;
    if (!o.ok) {
      if (o.error.code !== 'E_ABORTED') report.fail(o.error);
      return;
    }
    report.report.succeeded++;
    report.report.bytes += s.size;
    report.report.rowsKept += o.value.rowsKept;
    report.drop(o.value.dropped);
    report.warn(o.value.warnings);
    imported.push({ source: s.path, output: o.value.output, id: o.value.id, cwd: o.value.cwd });
  });
  const interrupted = resolved.signal?.aborted === true;
  // A worker that died or was stopped cannot remove its temp files.
  await removeTempFiles(sessionsRoot(home));
  return { imported, present, report: report.finish(interrupted) };
}

/**
 * Bulk export: every selected session to `<out>/<project key>/<name>.zotsession`
 * plus `<out>/manifest.json`, on the worker pool.
 *
 * Incremental: zot only ever appends to a session file, so any change to one
 * changes its size and modification time. A session whose size and mtime
 * match the manifest, and whose export is still there at its recorded size,
 * is skipped without being opened — a second run over an unchanged archive
 * costs one stat pass and writes nothing. A grown session is exported again
 * (replacing its earlier export atomically); a deleted one is reported and
 * its export kept.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { projectKey } from '../format/project-key.js';
import { PORTABLE_EXT, SESSION_EXT } from '../format/session-names.js';
import { resolveBatchOptions, type BatchOptions, type ResolvedBatchOptions } from './batch-options.js';
import type { BatchReport, ReportBuilder } from './batch-report.js';
import { MANIFEST_NAME, readManifest, writeManifest, type ExportManifest, type ManifestEntry } from './export-manifest.js';
import { runOp, runOpOn } from './run-op.js';
import { selectSessions, startReport, type Selected, type Selection } from './select-sessions.js';
import { removeTempFiles } from './temp-files.js';
import { publishDurablyAsync } from './publish-durably.js';
import type { ExportResult } from '../session/export-session.js';
import { interner } from '../format/interner.js';

export interface ExportArchiveOptions extends BatchOptions {
  /** The export folder. */
  out: string;
  /** Plan only: report what would be exported, write nothing. */
  dryRun?: boolean;
  /** fsync every output before publishing it. Default true. */
  durable?: boolean;
  /** zotpack's version, recorded in the manifest. */
  version?: string;
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
  /** Sources in the manifest that no longer exist (their exports are kept). */
  deleted: string[];
  report: BatchReport;
}

/** Durable runs sync and publish once this many output bytes, or files, are waiting. */
const PUBLISH_BATCH_BYTES = 512 << 20;
const PUBLISH_BATCH_FILES = 4096;
/** How often a long run records its progress in the manifest. */
const MANIFEST_SAVE_MS = 10_000;

// One copy of each cwd, key, model and provider across 100,000 entries.
const intern = interner();

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
  };
}

/** Where a session's export goes, relative to the export folder, with `/` separators (as the manifest records it). */
function outputFor(s: Selected, key: string): string {
  // join, not +: a concatenation is a tree of string pieces in V8 (and a flat
  // copy on top once used as a Map key); join makes one flat string.
  return [key, '/', basename(s.path, SESSION_EXT), PORTABLE_EXT].join('');
}

/** One session to export (100,000 of these stay in memory: two fields). */
interface ExportItem {
  session: Selected;
  size: number;
  /** As outputFor gives it, or as the manifest recorded it. */
  output: string;
}

function unchanged(out: string, s: Selected, prev: ManifestEntry | undefined): boolean {
  if (!prev || prev.size !== s.size || prev.mtimeMs !== s.mtimeMs || prev.sourceDeleted) return false;
  try {
    return statSync(join(out, prev.output)).size === prev.bytes;
  } catch {
    return false;
  }
}

/** The project key of each session outside a project folder, from its meta row (read on the pool). */
async function keysOfKeyless(options: ResolvedBatchOptions, selection: Selection, report: ReportBuilder): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  const keyless = selection.sessions.filter((s) => s.folderKey === '' && s.meta === undefined);
  if (keyless.length === 0) return keys;
  const metas = await runOp({ ...options, onProgress: undefined }, 'meta', keyless, {});
  keyless.forEach((s, i) => {
    const o = metas[i]!;
    if (o.ok) keys.set(s.path, projectKey(o.value.cwd));
    else report.fail(o.error);
  });
  return keys;
}

/**
 * What to export and where. A function of its own so that its lookup maps
 * (100,000 entries each) are garbage before the first job starts.
 */
function planExport(
  out: string,
  sessions: readonly Selected[],
  previous: ExportManifest | undefined,
  keys: ReadonlyMap<string, string>,
  report: ReportBuilder,
): { plan: ExportPlanItem[]; todo: ExportItem[]; deleted: string[] } {
  const bySource = new Map((previous?.sessions ?? []).map((e) => [e.source, e]));
  const plan: ExportPlanItem[] = [];
  const todo: ExportItem[] = [];
  // Which source owns each output path: two sources (say, two homes given
  // with --from) with one project and file name must not share an export.
  const owners = new Map((previous?.sessions ?? []).map((e) => [e.output, e.source]));
  for (const s of sessions) {
    const key = s.folderKey || (s.meta ? projectKey(s.meta.cwd) : keys.get(s.path));
    if (key === undefined) continue; // its meta row failed: already reported
    const prev = bySource.get(s.path);
    const output = prev?.output ?? outputFor(s, key);
    const owner = owners.get(output);
    if (owner !== undefined && owner !== s.path) {
      report.fail({ code: 'E_EXISTS', message: `its export ${output} belongs to another session (${owner})`, path: s.path });
      continue;
    }
    owners.set(output, s.path);
    const status: PlanStatus = unchanged(out, s, prev) ? 'unchanged' : prev ? 'changed' : 'new';
    plan.push({ source: s.path, output, status });
    if (status === 'unchanged') continue;
    todo.push({ session: s, size: s.size, output });
  }
  const deleted = [...bySource.values()].filter((e) => !existsSync(e.source)).map((e) => e.source);
  report.report.skipped = plan.filter((p) => p.status === 'unchanged').length;
  return { plan, todo, deleted };
}

export async function exportArchive(options: ExportArchiveOptions): Promise<ExportArchiveResult> {
  const resolved = resolveBatchOptions(options);
  const out = resolve(options.out);
  const durable = options.durable ?? true;
  const previous = readManifest(out);
  const selection = await selectSessions(resolved);
  const report = startReport('export', selection);

  const keys = await keysOfKeyless(resolved, selection, report);
  const { plan, todo, deleted } = planExport(out, selection.sessions, previous, keys, report);

  if (options.dryRun) {
    return { out, manifest: join(out, MANIFEST_NAME), plan, deleted, report: report.finish() };
  }
  const manifest: ExportManifest = previous ?? {
    format: 'zotpack-export',
    version: 1,
    zotpack: options.version ?? '',
    updated: '',
    sessions: [],
  };
  const entries = new Map(manifest.sessions.map((e) => [e.source, e]));
  let changedManifest = false;
  const saveManifest = () => {
    if (!changedManifest) return;
    manifest.sessions = [...entries.values()];
    manifest.updated = new Date().toISOString();
    if (options.version) manifest.zotpack = options.version;
    writeManifest(out, manifest, durable);
    changedManifest = false;
  };
  // A finished export, reduced to what the report and manifest need: a run
  // over 100,000 files must not keep 100,000 full results.
  interface Done {
    size: number;
    entry: ManifestEntry;
    rowsKept: number;
    dropped: ExportResult['dropped'];
    warnings: ExportResult['warnings'];
    pending: ExportResult['pending'];
  }
  const record = (d: Done) => {
    const r2 = report.report;
    r2.succeeded++;
    r2.bytes += d.size;
    r2.rowsKept += d.rowsKept;
    report.drop(d.dropped);
    report.warn(d.warnings);
    changedManifest = true;
    entries.set(d.entry.source, d.entry);
  };
  // Durable runs publish in batches: one file-system sync per batch, then the
  // batch's files appear. The manifest is saved every few seconds and at the
  // end; a crash loses at most what it did not record, which the next run redoes.
  let batch: Done[] = [];
  let batchBytes = 0;
  let savedAt = performance.now();
  // Batches are synced one after another, while the pool goes on exporting.
  let publishing: Promise<void> = Promise.resolve();
  // A batch that could not be published (say, the manifest cannot be saved)
  // stops the run at the next finished job, as any failure here would.
  let publishFailure: { error: unknown } | undefined;
  const publishBatch = () => {
    const done = batch;
    batch = [];
    batchBytes = 0;
    if (done.length === 0) return;
    publishing = publishing.then(async () => {
      const errors = await publishDurablyAsync(
        done.map((d) => d.pending!),
        out,
      );
      done.forEach((d, k) => {
        const err = errors[k];
        if (err) report.fail({ code: err.code, message: err.reason, path: d.entry.source });
        else record(d);
      });
      if (performance.now() - savedAt > MANIFEST_SAVE_MS) {
        saveManifest();
        savedAt = performance.now();
      }
    });
    // Awaited at the end (which rethrows); until then it is recorded, not unhandled.
    publishing.catch((error: unknown) => {
      publishFailure ??= { error };
    });
  };
  // Temp files a killed run left (its workers could not remove them) go first.
  await removeTempFiles(out);
  try {
    // The export folder is zotpack's: an output left by an interrupted run
    // (written, but not yet in the manifest) is replaced by a fresh export.
    const fileOf = (t: ExportItem) => ({ path: t.session.path, destination: join(out, t.output), replace: true });
    const settings = { durable: false, defer: durable };
    await runOpOn(resolved, 'export', todo, fileOf, settings, (indexes, outcomes) => {
      if (publishFailure) throw publishFailure.error;
      indexes.forEach((i, k) => {
        const o = outcomes[k]!;
        const t = todo[i]!;
        if (!o.ok) {
          if (o.error.code !== 'E_ABORTED') report.fail(o.error);
          return;
        }
        const r = o.value;
        const d: Done = { size: t.size, entry: manifestEntry(out, t, r), rowsKept: r.rowsKept, dropped: r.dropped, warnings: r.warnings, pending: r.pending };
        if (d.pending) {
          batch.push(d);
          batchBytes += r.bytesOut;
        } else {
          record(d);
        }
      });
      if (batchBytes >= PUBLISH_BATCH_BYTES || batch.length >= PUBLISH_BATCH_FILES) publishBatch();
    });
  } finally {
    // Whatever happened, what finished is published (a re-run then does only
    // the rest), and no temp file outlives the run: a worker that died or was
    // stopped leaves its partial ones behind.
    publishBatch();
    try {
      await publishing;
    } finally {
      await removeTempFiles(out);
    }
  }
  for (const source of deleted) {
    const e = entries.get(source);
    if (e && !e.sourceDeleted) {
      e.sourceDeleted = true;
      changedManifest = true;
    }
  }
  const interrupted = resolved.signal?.aborted === true;
  saveManifest();
  return { out, manifest: join(out, MANIFEST_NAME), plan, deleted, report: report.finish(interrupted) };
}

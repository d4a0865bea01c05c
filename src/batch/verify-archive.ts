/**
 * Verify: is a bundle (or a folder of sessions) whole and consistent?
 *
 * Problems — each fails the run: a manifest that is not one, an entry that
 * is refused, missing, cut short or whose size or sha256 differs from the
 * manifest; a file zot cannot open as a session (empty, a BOM, no meta
 * row); two sessions with one id. Warnings — facts about the sessions that
 * zot lives with, reported, failing the run unless `lenient`: rows that
 * are not valid JSON (zot skips them; a crash leaves a cut-off last row) and
 * parents that are not there (the session is a root in zot's tree).
 *
 * A folder is a zot home, its sessions/ folder or a project folder (every
 * session described on the pool), or a zotpack export folder, whose
 * manifest's sizes and sha256 are checked too. A folder is worked a few
 * projects at a time (select-slices.ts): what is kept of every session is
 * its id and path (id-paths.ts), for the duplicate-id check.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { emptyAsWarning, ZotpackError, type Warning } from '../errors.js';
import { isProjectKey, projectKey } from '../format/project-key.js';
import type { SessionDescription } from '../session/describe-session.js';
import type { SessionSummary } from '../session/session-scan.js';
import { interner } from '../format/interner.js';
import { linkTree, type TreeNode } from '../session/session-tree.js';
import { callerCallback, rethrowCallers } from './caller-error.js';
import { pathOption, resolveBatchOptions, type Progress, type ResolvedBatchOptions } from './batch-options.js';
import { ReportBuilder, type BatchReport } from './batch-report.js';
import { MANIFEST_NAME, ManifestCursor, outputKey, readJournal, type ManifestEntry } from './export-manifest.js';
import { IdPaths } from './id-paths.js';
import type { JobError } from './protocol.js';
import { bundleName, probeBundle, probeBundleStream, type BundleSource } from './read-bundle.js';
import { runOp, runOpOn } from './run-op.js';
import { NO_COUNTS, NO_WARNINGS, unpackDescription } from './packed-description.js';
import { WorkerPool } from './run-pool.js';
import { ANY_SESSION, byPath } from './discover.js';
import { keyRuns, SliceProgress, SliceSource, type SliceLimits } from './select-slices.js';
import { checkBundle, type CheckedSession } from './verify-bundle.js';
import { appendAll } from '../format/append-all.js';

export interface VerifyArchiveOptions {
  /** A bundle file, a folder, or a bundle as a stream (read once). */
  path: BundleSource;
  /**
   * Pass a run whose only findings are what zot lives with: rows it skips
   * and parents that are not there. Default false: any finding fails it.
   */
  lenient?: boolean;
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  workerFile?: string;
  /** See BatchOptions.inlineSmallRuns. */
  inlineSmallRuns?: boolean;
}

export interface VerifiedProject {
  key: string;
  cwd: string;
  sessions: number;
  bytes: number;
  rows: number;
  invalidRows: number;
  problems: number;
  warnings: number;
}

export interface VerifyArchiveResult {
  path: string;
  kind: 'bundle' | 'folder';
  /** No problem, and no warning unless lenient. */
  ok: boolean;
  manifest?: { created: string; zotpack: string; sessions: number };
  projects: VerifiedProject[];
  problems: JobError[];
  warnings: Warning[];
  report: BatchReport;
}

/** One session as checked: where it is, what it is, what is wrong with it. */
interface Checked {
  path: string;
  key: string;
  bytes: number;
  description: SessionDescription | undefined;
  problems: JobError[];
  /** An export its manifest keeps for a source that is gone (deleted, or moved to another project). */
  sourceDeleted?: boolean;
}

export async function verifyArchive(options: VerifyArchiveOptions, limits: SliceLimits = {}): Promise<VerifyArchiveResult> {
  return rethrowCallers(() => verifyGuarded({ ...options, onProgress: callerCallback(options.onProgress) }, limits));
}

async function verifyGuarded(options: VerifyArchiveOptions, limits: SliceLimits): Promise<VerifyArchiveResult> {
  if (typeof options.path !== 'object' || options.path === null) pathOption(options.path, 'path');
  const given = typeof options.path === 'string' ? resolve(options.path) : options.path;
  const path = bundleName(given);
  const resolved = resolveBatchOptions({ sources: [path], jobs: options.jobs, signal: options.signal, workerFile: options.workerFile, inlineSmallRuns: options.inlineSmallRuns, onProgress: options.onProgress });
  const isDir = typeof given === 'string' && existsSync(path) && statSync(path).isDirectory();
  const report = new ReportBuilder('verify', 0, { rows: true });
  let manifest: VerifyArchiveResult['manifest'];
  let found: Findings;
  if (isDir) {
    found = await checkFolder(path, resolved, limits);
  } else {
    const bundleFound = (found = new Findings(''));
    const intern = interner();
    // Plainly no bundle: the run's error, before anything else.
    if (typeof given === 'string') probeBundle(given);
    const source = typeof given === 'string' ? Promise.resolve(given) : probeBundleStream(given, options.signal);
    const check = async (s: BundleSource) =>
      checkBundle(s, {
        signal: options.signal,
        onProgress: options.onProgress,
        // Each session's figures as it is checked; a project's trees once it is whole.
        onSession: (c: CheckedSession) =>
          bundleFound.addSessions([{ path: c.entry.path, key: c.entry.key, bytes: c.entry.size, description: c.description, problems: c.problems }], false),
        onProject: (key, descriptions) => bundleFound.linkProject(key, descriptions),
        keep: (d) => trim(d, intern),
      });
    const b = await source.then(check).catch((err: unknown) => {
      // Ctrl-C: what was checked so far, reported as interrupted (exit 130), not as a failure.
      if (err instanceof ZotpackError && err.code === 'E_ABORTED' && options.signal?.aborted) return undefined;
      throw err;
    });
    if (b) {
      appendAll(found.archiveProblems, b.problems);
      appendAll(found.archiveWarnings, b.warnings);
      found.countArchiveFindings(b.namedKeys);
      manifest = b.manifest;
    }
  }
  // A folder with nothing to check is not a backup that checks out (a wrong path, an export that never ran).
  if (isDir && found.files === 0 && found.archiveProblems.length === 0 && !resolved.signal?.aborted) {
    found.archiveWarnings.push({ code: 'W_NO_SESSIONS', message: 'no sessions here to check (.jsonl or .zotsession files)', path });
  }
  found.finishLinks();
  const problems = [...found.archiveProblems, ...found.sessionProblems, ...found.linkProblems];
  const warnings = [...found.archiveWarnings, ...found.sessionWarnings, ...found.linkWarnings];
  // Counted by file, not by problem: a checked session with two problems is
  // one failed file, an entry the manifest lists and the bundle or folder
  // lacks is one more, and the archive's own problem (cut short) is none.
  const missing = new Set<string>();
  for (const p of found.archiveProblems) if (p.path !== undefined && p.path !== path && !found.failedChecked.has(p.path)) missing.add(p.path);
  report.report.files = found.files + missing.size;
  report.report.succeeded = found.files - found.failedChecked.size;
  report.report.bytes = found.bytes;
  report.rows(found.rows - found.invalid - found.undecodable, { invalid: found.invalid, undecodable: found.undecodable, meta: 0 });
  for (const p of problems) report.fail(p);
  report.report.failed = found.failedChecked.size + missing.size;
  report.warn(warnings);
  // An interrupted run has not seen everything: it cannot say the archive is whole.
  const ok = problems.length === 0 && warnings.every((w) => !failsCheck(w, options.lenient === true)) && !resolved.signal?.aborted;
  return { path, kind: isDir ? 'folder' : 'bundle', ok, manifest, projects: found.projects(), problems, warnings, report: report.finish(resolved.signal?.aborted) };
}

/**
 * Whether a warning fails the check. --lenient excuses what zot lives with,
 * not a folder with nothing in it. An export kept for a session that moved
 * is what export promises, an empty session file one zot has just created,
 * and a branch whose parent is in another project of the archive has
 * nothing missing: none fails it, for a nightly verify must pass.
 */
export function failsCheck(w: Warning, lenient: boolean): boolean {
  if (w.code === 'W_MOVED' || w.code === 'W_EMPTY' || w.code === 'W_OTHER_PROJECT') return false;
  return !lenient || w.code === 'W_NO_SESSIONS';
}

/**
 * What a verification has found, fed sessions in the run's order (a slice
 * at a time) and then each whole project. Problems and warnings are kept in
 * three lists each, as they are reported: the archive's own (its manifest,
 * its folders), each session's, and those between sessions (ids, parents).
 */
class Findings {
  readonly archiveProblems: JobError[] = [];
  readonly archiveWarnings: Warning[] = [];
  readonly sessionProblems: JobError[] = [];
  readonly sessionWarnings: Warning[] = [];
  readonly linkProblems: JobError[] = [];
  readonly linkWarnings: Warning[] = [];
  files = 0;
  /** Checked sessions with a problem of their own, a duplicate id, or one the archive names. */
  readonly failedChecked = new Set<string>();
  bytes = 0;
  rows = 0;
  invalid = 0;
  undecodable = 0;
  private readonly ids: IdPaths;
  private readonly byKey = new Map<string, VerifiedProject>();
  /** The projects of sessions outside project folders (their folder does not name it). */
  private readonly keylessKeys = new Map<string, string>();
  /** Exports whose manifest entry says their source is gone. */
  private readonly sourceDeleted = new Set<string>();

  constructor(folder: string) {
    this.ids = new IdPaths(folder);
  }

  private project(key: string): VerifiedProject {
    let p = this.byKey.get(key);
    if (!p) this.byKey.set(key, (p = { key, cwd: '', sessions: 0, bytes: 0, rows: 0, invalidRows: 0, problems: 0, warnings: 0 }));
    return p;
  }

  /**
   * Sessions in the run's order: their figures and findings, and their ids
   * against every id before them. `ownWarnings`: report what describing
   * each session found (a bundle's check reports it among its own).
   */
  addSessions(checked: readonly Checked[], ownWarnings: boolean): void {
    for (const c of checked) {
      const p = this.project(c.key);
      const d = c.description;
      this.files++;
      if (c.problems.length > 0) this.failedChecked.add(c.path);
      this.bytes += c.bytes;
      this.rows += d?.counts.rows ?? 0;
      this.invalid += d?.counts.invalid ?? 0;
      this.undecodable += d?.counts.undecodable ?? 0;
      p.sessions++;
      p.bytes += c.bytes;
      p.rows += d?.counts.rows ?? 0;
      p.invalidRows += d?.counts.invalid ?? 0;
      if (p.cwd === '' && d) p.cwd = d.cwd;
      this.sessionProblems.push(...c.problems);
      p.problems += c.problems.filter((x) => x.path === c.path).length;
      if (d && ownWarnings) {
        this.sessionWarnings.push(...d.warnings);
        p.warnings += d.warnings.filter((w) => w.path === c.path).length;
      }
      if (!isProjectKey(basename(dirname(c.path)))) this.keylessKeys.set(c.path, c.key);
      if (c.sourceDeleted) this.sourceDeleted.add(c.path);
      const id = d?.id ?? '';
      if (id === '') continue;
      const other = this.ids.where(id);
      if (other === undefined || other === null) {
        this.ids.add(id, c.path);
        continue;
      }
      if (c.sourceDeleted || this.sourceDeleted.has(other)) {
        // A session moved to another project: its old export is kept beside
        // its new one, as export keeps every export of a source gone. The
        // id stays with the live session, which a third file may share.
        if (!c.sourceDeleted) this.ids.add(id, c.path);
        const [kept, live] = c.sourceDeleted ? [c.path, other] : [other, c.path];
        this.linkWarnings.push({ code: 'W_MOVED', message: `id ${id} is also used by ${live}; the manifest keeps this export of a source that is gone (moved?)`, path: kept });
        this.project(kept === c.path ? c.key : this.keyOfSeen(kept)).warnings++;
        continue;
      }
      // Of two files with one id, the first in path order keeps it, whatever
      // order the slices came in (sessions outside project folders come first).
      const [first, second] = other < c.path ? [other, c.path] : [c.path, other];
      if (first === c.path) this.ids.add(id, c.path);
      this.failedChecked.add(second);
      this.linkProblems.push({ code: 'E_DUPLICATE_ID', message: `id ${id} is also used by ${first}`, path: second });
      this.project(second === c.path ? c.key : this.keyOfSeen(second)).problems++;
    }
  }

  /** The project of a session already added, from its path. */
  private keyOfSeen(path: string): string {
    return this.keylessKeys.get(path) ?? basename(dirname(path));
  }

  /**
   * The archive's own findings that name a checked session count for its
   * project (a bundle entry the manifest disagrees with): `keys` gives, for
   * each problem and then each warning, that session's project.
   */
  countArchiveFindings(keys: ReadonlyArray<string | undefined>): void {
    [...this.archiveProblems, ...this.archiveWarnings].forEach((x, i) => {
      const key = keys[i];
      if (key === undefined) return;
      if (x.code.startsWith('E_') && x.path !== undefined) this.failedChecked.add(x.path);
      if (x.code.startsWith('E_')) this.project(key).problems++;
      else this.project(key).warnings++;
    });
  }

  /** Sessions whose parent is not in their project, told apart once every id is known (finishLinks). */
  private readonly orphans: Array<{ path: string; parent: string }> = [];

  /** Every session of one project, described: parents that are not in it. */
  linkProject(key: string, sessions: SessionDescription[]): void {
    const p = this.project(key);
    const walk = (nodes: readonly TreeNode[]) => {
      for (const n of nodes) {
        if (n.orphan) this.orphans.push({ path: n.path, parent: n.parent });
        if (n.cycle) this.linkWarnings.push({ code: 'W_ORPHAN', message: `parent chain loops back to this session (parent ${n.parent})`, path: n.path });
        if (n.orphan || n.cycle) p.warnings += Number(n.orphan) + Number(n.cycle);
        walk(n.children);
      }
    };
    walk(linkTree(sessions.filter((d) => d.id !== '')).roots);
  }

  /**
   * After the last project: a parent in another project of the archive
   * (`zotpack branch --cwd` makes such a branch) is there, only not where
   * zot's tree looks; one in no project is gone.
   */
  finishLinks(): void {
    for (const o of this.orphans) {
      const elsewhere = this.ids.where(o.parent);
      if (typeof elsewhere === 'string') {
        this.linkWarnings.push({ code: 'W_OTHER_PROJECT', message: `parent ${o.parent} is in another project (${elsewhere}): zot's tree shows this session as a root of its own project`, path: o.path });
      } else {
        this.linkWarnings.push({ code: 'W_ORPHAN', message: `parent ${o.parent} is not in the archive (zot shows this session as a root)`, path: o.path });
      }
    }
    this.orphans.length = 0;
  }

  /** By cwd, then key. */
  projects(): VerifiedProject[] {
    return [...this.byKey.values()].sort((a, b) => (a.cwd < b.cwd ? -1 : a.cwd > b.cwd ? 1 : a.key < b.key ? -1 : 1));
  }
}

const NO_SUMMARY: SessionSummary = Object.freeze({ started: undefined, model: '', provider: '', title: '', messages: 0, firstUserText: '', cost: 0 });

/** What verify uses of a description: identity, row counts and warnings; not the summary or the counts by row type. */
function trim(d: SessionDescription, intern: (s: string) => string): SessionDescription {
  const c = d.counts;
  return {
    path: d.path,
    id: d.id,
    parent: d.parent,
    forkPoint: d.forkPoint,
    cwd: intern(d.cwd),
    hidden: d.hidden,
    summary: NO_SUMMARY,
    counts: { rows: c.rows, bytes: c.bytes, byType: NO_COUNTS, invalid: c.invalid, undecodable: c.undecodable, largestRow: c.largestRow },
    extraMetas: d.extraMetas,
    warnings: d.warnings.length > 0 ? d.warnings : NO_WARNINGS,
    sha256: d.sha256,
  };
}

/** The described sessions of each project, in the order they come. */
function groupByKey(checked: readonly Checked[]): Map<string, SessionDescription[]> {
  const byKey = new Map<string, SessionDescription[]>();
  for (const c of checked) {
    if (!c.description) continue;
    const group = byKey.get(c.key);
    if (group) group.push(c.description);
    else byKey.set(c.key, [c.description]);
  }
  return byKey;
}

/** A project's key: its folder's name when that is one, else the key of the cwd the session records. */
function keyOf(path: string, description: SessionDescription | undefined): string {
  const folder = basename(dirname(path));
  return isProjectKey(folder) ? folder : projectKey(description?.cwd ?? '');
}

async function checkFolder(dir: string, options: ResolvedBatchOptions, limits: SliceLimits): Promise<Findings> {
  const found = new Findings(dir);
  // An export folder, or one project folder of it (then that project's entries only): its manifest is read a range of projects at a time, as the slices come.
  const project = basename(dir);
  const inExport = !existsSync(join(dir, MANIFEST_NAME)) && isProjectKey(project) && existsSync(join(dirname(dir), MANIFEST_NAME));
  const root = inExport ? dirname(dir) : dir;
  const mine = (e: ManifestEntry) => !inExport || outputKey(e.output) === project;
  const manifest = ManifestCursor.open(root);
  // A killed export's finished sessions, published but not yet in the manifest, by output.
  const journal = manifest ? new Map([...readJournal(root).values()].filter(mine).map((e) => [e.output, e])) : undefined;
  const pool = new WorkerPool(options);
  // Sessions outside project folders, by the project their cwd names, until that project is whole.
  const waiting = new Map<string, SessionDescription[]>();
  const intern = interner();
  const missing = (entries: readonly ManifestEntry[], present: ReadonlySet<string>) => {
    for (const e of entries) {
      const p = join(root, e.output);
      if (!present.has(p)) found.archiveProblems.push({ code: 'E_NOT_FOUND', message: 'listed in the export manifest, missing', path: p });
    }
  };
  try {
    const run: ResolvedBatchOptions = { ...options, pool, filter: {} };
    const source = new SliceSource(run, manifest ? '.zotsession' : ANY_SESSION, limits);
    if (source.filesTotal > 0) pool.start(source.filesTotal);
    const progress = new SliceProgress(options.onProgress, source.filesTotal);
    for await (const slice of source.slices()) {
      if (options.signal?.aborted) break;
      found.archiveProblems.push(...slice.errors);
      found.archiveWarnings.push(...slice.warnings);
      const onProgress = progress.forRun(slice.sessions, slice.counted - slice.sessions.length);
      const checked = new Array<Checked>(slice.sessions.length);
      // Each description trimmed as it comes: a whole one is a few KB, 16,000 of them most of the memory budget.
      // In an export folder each file is hashed as it is described, in the same read.
      const job = (s: (typeof slice.sessions)[number]) => ({ path: s.path, size: s.size, hashBytes: manifest ? s.size : undefined });
      await runOpOn({ ...run, onProgress }, 'describe', slice.sessions, job, { for: 'stats' }, (indexes, outcomes) => {
        indexes.forEach((i, k) => {
          const o = outcomes[k]!;
          const s = slice.sessions[i]!;
          const description = o.ok ? trim(unpackDescription(o.value, s.path), intern) : undefined;
          const empty = o.ok ? undefined : emptyAsWarning(o.error);
          if (empty) found.archiveWarnings.push(empty);
          checked[i] = { path: s.path, key: keyOf(s.path, description), bytes: s.size, description, problems: o.ok || empty ? [] : [o.error] };
        });
      });
      // A slice cut short by an abort is left out whole: a session not read is no problem of the archive (an
      // aborted hash would read as a mismatch, an aborted description as a failure).
      if (options.signal?.aborted) break;
      if (manifest) {
        const entries: ManifestEntry[] = [];
        // A killed export's journal holds the later export of an output: its entry wins.
        for (const [key] of keyRuns(slice.sessions, (s) => s.folderKey)) entries.push(...manifest.takeThrough(key).filter(mine).map((e) => latest(journal!, e)));
        await checkHashes(root, checked, entries, { ...run, onProgress: undefined });
        await checkUnlisted(root, checked, entries, journal!, { ...run, onProgress: undefined });
        if (options.signal?.aborted) break;
        missing(entries, new Set(checked.map((c) => c.path)));
      }
      found.addSessions(checked, true);
      if (slice.keyless) {
        for (const [key, group] of groupByKey(checked)) waiting.set(key, [...(waiting.get(key) ?? []), ...group]);
        continue;
      }
      // The slice is sorted by key: each run of one key is a whole project.
      for (const [key, start, end] of keyRuns(checked, (c) => c.key)) {
        const group = checked.slice(start, end).flatMap((c) => (c.description ? [c.description] : []));
        // In path order, as one listing of the folder gives them: which of a loop is lifted depends on it.
        found.linkProject(key, [...group, ...(waiting.get(key) ?? [])].sort(byPath));
        waiting.delete(key);
      }
    }
    if (!options.signal?.aborted) {
      for (const key of [...waiting.keys()].sort()) found.linkProject(key, waiting.get(key)!);
      if (manifest) missing(manifest.takeAll().filter(mine).map((e) => latest(journal!, e)), new Set());
      // Journaled exports of sessions the manifest does not list, no longer there.
      if (journal) missing([...journal.values()], new Set());
    }
  } finally {
    manifest?.close();
    await pool.close();
  }
  return found;
}

/**
 * The sessions of a slice the manifest does not list: checked against a
 * killed export's journal where it lists them, else each a problem — a file
 * with nothing to check its bytes against (put there by hand, or its entry
 * edited out of the manifest).
 */
/** A manifest entry, or the later export a killed run's journal holds of its output (taken: what is left are the journal's own). */
function latest(journal: Map<string, ManifestEntry>, e: ManifestEntry): ManifestEntry {
  const later = journal.get(e.output);
  journal.delete(e.output);
  return later ?? e;
}

async function checkUnlisted(dir: string, checked: Checked[], entries: readonly ManifestEntry[], journal: Map<string, ManifestEntry>, options: ResolvedBatchOptions): Promise<void> {
  const listed = new Set(entries.map((e) => join(dir, e.output)));
  const unlisted = checked.filter((c) => !listed.has(c.path));
  if (unlisted.length === 0) return;
  const output = (c: Checked) => relative(dir, c.path).split(sep).join('/');
  const journaled = unlisted.flatMap((c) => journal.get(output(c)) ?? []);
  await checkHashes(dir, unlisted, journaled, options);
  for (const c of unlisted) {
    if (journal.delete(output(c))) continue;
    c.problems.push({ code: 'E_UNLISTED', message: 'not in the export manifest: no size or sha256 to check it against (put there by hand, or its entry removed)', path: c.path });
  }
}

/**
 * Each session the manifest lists against the size and sha256 it records:
 * the hash taken as the session was described, or, for a file that could not
 * be described (or was shorter when read than when listed), one taken alone.
 */
async function checkHashes(dir: string, checked: Checked[], entries: readonly ManifestEntry[], options: ResolvedBatchOptions): Promise<void> {
  const byPath = new Map(checked.map((c) => [c.path, c]));
  const present = entries.flatMap((e) => {
    const c = byPath.get(join(dir, e.output));
    return c ? [{ e, c }] : [];
  });
  const alone = present.filter(({ c }) => c.description?.sha256 === undefined);
  const hashes = await runOp(options, 'hash', alone.map(({ e, c }) => ({ path: c.path, bytes: e.bytes, size: e.bytes })), {});
  const hashOf = new Map(alone.map(({ c }, i) => [c, hashes[i]!]));
  present.forEach(({ e, c }) => {
    c.sourceDeleted = e.sourceDeleted === true;
    const sha256 = c.description?.sha256;
    const h = sha256 !== undefined ? ({ ok: true, value: { sha256 } } as const) : hashOf.get(c)!;
    if (c.bytes !== e.bytes || !h.ok || h.value.sha256 !== e.sha256) {
      const got = h.ok ? h.value.sha256 : h.error.message;
      c.problems.push({ code: 'E_HASH_MISMATCH', message: `${c.bytes} bytes, sha256 ${got}; the manifest says ${e.bytes} bytes, ${e.sha256}`, path: c.path });
    }
  });
}

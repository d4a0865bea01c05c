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
 * manifest's sizes and sha256 are checked too.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Warning } from '../errors.js';
import { projectKey } from '../format/project-key.js';
import type { SessionDescription } from '../session/describe-session.js';
import { linkTree, type TreeNode } from '../session/session-tree.js';
import { resolveBatchOptions, type Progress } from './batch-options.js';
import { ReportBuilder, type BatchReport } from './batch-report.js';
import { MANIFEST_NAME, readManifest } from './export-manifest.js';
import type { JobError } from './protocol.js';
import { probeBundle } from './read-bundle.js';
import { runOp } from './run-op.js';
import { selectSessions } from './select-sessions.js';
import { checkBundle, type CheckedSession } from './verify-bundle.js';

export interface VerifyArchiveOptions {
  /** A bundle file, or a folder. */
  path: string;
  /**
   * Pass a run whose only findings are what zot lives with: rows it skips
   * and parents that are not there. Default false: any finding fails it.
   */
  lenient?: boolean;
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  workerFile?: string;
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
}

export async function verifyArchive(options: VerifyArchiveOptions): Promise<VerifyArchiveResult> {
  const path = resolve(options.path);
  const resolved = resolveBatchOptions({ sources: [path], jobs: options.jobs, signal: options.signal, workerFile: options.workerFile });
  const report = new ReportBuilder('verify', 0);
  const isDir = existsSync(path) && statSync(path).isDirectory();
  let checked: Checked[];
  let problems: JobError[];
  let warnings: Warning[];
  let manifest: VerifyArchiveResult['manifest'];
  if (isDir) {
    ({ checked, problems, warnings } = await checkFolder(path, resolved));
  } else {
    const b = await checkBundle(path, { signal: options.signal, onProgress: options.onProgress, size: probeBundle(path).size });
    checked = b.sessions.map((s: CheckedSession) => ({ path: s.entry.path, key: s.entry.key, bytes: s.entry.size, description: s.description, problems: s.problems }));
    ({ problems, warnings } = b);
    if (b.manifest) manifest = { created: b.manifest.created, zotpack: b.manifest.zotpack, sessions: b.manifest.sessions.length };
  }
  const links = crossCheck(checked);
  problems = [...problems, ...checked.flatMap((c) => c.problems), ...links.problems];
  warnings = [...warnings, ...links.warnings];
  report.report.files = checked.length;
  for (const c of checked) {
    if (c.problems.length === 0) report.report.succeeded++;
    report.report.bytes += c.bytes;
    report.report.rowsKept += c.description?.counts.rows ?? 0;
  }
  for (const p of problems) report.fail(p);
  report.warn(warnings);
  const ok = problems.length === 0 && (options.lenient === true || warnings.length === 0);
  return { path, kind: isDir ? 'folder' : 'bundle', ok, manifest, projects: projectsOf(checked, problems, warnings), problems, warnings, report: report.finish(resolved.signal?.aborted) };
}

/** Duplicate ids (anywhere) are problems; parents not there are warnings. */
function crossCheck(checked: readonly Checked[]): { problems: JobError[]; warnings: Warning[] } {
  const problems: JobError[] = [];
  const warnings: Warning[] = [];
  const first = new Map<string, string>();
  for (const c of checked) {
    const id = c.description?.id ?? '';
    if (id === '') continue;
    const other = first.get(id);
    if (other !== undefined) problems.push({ code: 'E_DUPLICATE_ID', message: `id ${id} is also used by ${other}`, path: c.path });
    else first.set(id, c.path);
  }
  const byKey = new Map<string, SessionDescription[]>();
  for (const c of checked) {
    if (!c.description || c.description.id === '') continue;
    const g = byKey.get(c.key) ?? [];
    g.push(c.description);
    byKey.set(c.key, g);
  }
  const walk = (nodes: readonly TreeNode[]) => {
    for (const n of nodes) {
      if (n.orphan) warnings.push({ code: 'W_ORPHAN', message: `parent ${n.parent} is not there (zot shows it as a root)`, path: n.path });
      if (n.cycle) warnings.push({ code: 'W_ORPHAN', message: `parent chain loops back to this session (parent ${n.parent})`, path: n.path });
      walk(n.children);
    }
  };
  for (const group of byKey.values()) walk(linkTree(group).roots);
  return { problems, warnings };
}

async function checkFolder(dir: string, options: ReturnType<typeof resolveBatchOptions>): Promise<{ checked: Checked[]; problems: JobError[]; warnings: Warning[] }> {
  const exported = existsSync(join(dir, MANIFEST_NAME)) ? readManifest(dir) : undefined;
  const selection = await selectSessions({ ...options, filter: {} }, exported ? '.zotsession' : '.jsonl');
  const described = await runOp(options, 'describe', selection.sessions, { for: 'stats' });
  const problems: JobError[] = [...selection.errors];
  const warnings: Warning[] = [...selection.warnings];
  const checked: Checked[] = selection.sessions.map((s, i) => {
    const o = described[i]!;
    const folder = basename(dirname(s.path));
    const description = o.ok ? o.value : undefined;
    if (description) warnings.push(...description.warnings);
    return { path: s.path, key: /^[0-9a-f]{16}$/.test(folder) ? folder : projectKey(description?.cwd ?? ''), bytes: s.size, description, problems: o.ok ? [] : [o.error] };
  });
  if (exported) {
    const byPath = new Map(checked.map((c) => [c.path, c]));
    const listed = exported.sessions.map((e) => ({ e, path: join(dir, e.output) }));
    const present = listed.filter((l) => byPath.has(l.path));
    for (const l of listed) if (!byPath.has(l.path)) problems.push({ code: 'E_NOT_FOUND', message: 'listed in the export manifest, missing', path: l.path });
    const hashes = await runOp({ ...options, onProgress: undefined }, 'hash', present.map((l) => ({ path: l.path, bytes: l.e.bytes, size: l.e.bytes })), {});
    present.forEach((l, i) => {
      const c = byPath.get(l.path)!;
      const h = hashes[i]!;
      if (c.bytes !== l.e.bytes || !h.ok || h.value.sha256 !== l.e.sha256) {
        const got = h.ok ? h.value.sha256 : h.error.message;
        c.problems.push({ code: 'E_HASH_MISMATCH', message: `${c.bytes} bytes, sha256 ${got}; the manifest says ${l.e.bytes} bytes, ${l.e.sha256}`, path: l.path });
      }
    });
  }
  return { checked, problems, warnings };
}

function projectsOf(checked: readonly Checked[], problems: readonly JobError[], warnings: readonly Warning[]): VerifiedProject[] {
  const byKey = new Map<string, VerifiedProject>();
  const keyOf = new Map(checked.map((c) => [c.path, c.key]));
  for (const c of checked) {
    let p = byKey.get(c.key);
    if (!p) byKey.set(c.key, (p = { key: c.key, cwd: '', sessions: 0, bytes: 0, rows: 0, invalidRows: 0, problems: 0, warnings: 0 }));
    p.sessions++;
    p.bytes += c.bytes;
    p.rows += c.description?.counts.rows ?? 0;
    p.invalidRows += c.description?.counts.invalid ?? 0;
    if (p.cwd === '' && c.description) p.cwd = c.description.cwd;
  }
  for (const x of [...problems, ...warnings]) {
    const p = byKey.get(keyOf.get(x.path ?? '') ?? '');
    if (!p) continue;
    if (x.code.startsWith('E_')) p.problems++;
    else p.warnings++;
  }
  return [...byKey.values()].sort((a, b) => (a.cwd < b.cwd ? -1 : a.cwd > b.cwd ? 1 : a.key < b.key ? -1 : 1));
}

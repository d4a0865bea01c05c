/**
 * The branch trees of every project in an archive at once: each session
 * described on the pool (a pass over its bytes), then linked per project.
 */
import type { Warning } from '../errors.js';
import type { SessionDescription } from '../session/describe-session.js';
import { linkTree, type TreeNode } from '../session/session-tree.js';
import { resolveBatchOptions, type BatchOptions } from './batch-options.js';
import type { BatchReport } from './batch-report.js';
import { describeProjects } from './describe-archive.js';
import type { SliceLimits } from './select-slices.js';
import { appendAll } from '../format/append-all.js';
import { ExportHashes, realSessionPath } from './export-hashes.js';

export interface ArchiveProject {
  /** The project's cwd, as most of its sessions record it ('' when none does). */
  cwd: string;
  /** Its folder name under sessions/: 16 hex characters of sha256(cwd). */
  key: string;
  sessions: number;
  roots: TreeNode[];
  warnings: Warning[];
}

export interface ArchiveTrees {
  projects: ArchiveProject[];
  report: BatchReport;
}

/** The value most often seen, first seen on ties. */
function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = '';
  let n = 0;
  for (const [v, c] of counts) if (c > n) [best, n] = [v, c];
  return best;
}

/** One project's tree, from its described sessions in zot's order. */
function projectTree(
  key: string,
  group: readonly SessionDescription[],
  filteredOut: ReadonlySet<string>,
  deletedAtSource: ((path: string) => boolean) | undefined,
): ArchiveProject {
  const warnings: Warning[] = [];
  const withId = group.filter((d) => {
    if (d.id !== '') return true;
    warnings.push({ code: 'W_NO_ID', message: 'left out of the tree: the meta row has no id', path: d.path });
    return false;
  });
  const linked = linkTree(withId, filteredOut, deletedAtSource);
  appendAll(warnings, linked.warnings);
  return { cwd: mostCommon(group.map((d) => d.cwd).filter(Boolean)), key, sessions: withId.length, roots: linked.roots, warnings };
}

/** Projects in the order zot users read them: by cwd, then key. */
export function byCwd(a: { cwd: string; key: string }, b: { cwd: string; key: string }): number {
  return a.cwd < b.cwd ? -1 : a.cwd > b.cwd ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * The tree of every project. With `onProject`, each project is handed on as
 * soon as it is linked and not kept (they come in project-key order; the
 * result's `projects` is then empty): memory follows the largest project,
 * not the archive. Without it, the result holds them all, sorted by cwd.
 */
export async function archiveTrees(
  options: BatchOptions,
  onProject?: (project: ArchiveProject) => void,
  limits?: SliceLimits,
): Promise<ArchiveTrees> {
  const resolved = resolveBatchOptions(options);
  const projects: ArchiveProject[] = [];
  // A backup looked into (tree --from an export folder) shows which of its sessions are gone from their source.
  const unreadable: Warning[] = [];
  const kept = ExportHashes.keptForDeleted(resolved.sources, (w) => appendAll(unreadable, w));
  const folders = new Map<string, string>();
  const deletedAtSource = kept.size === 0 ? undefined : (path: string) => kept.has(realSessionPath(path, folders));
  const report = await describeProjects(
    resolved,
    'tree',
    (key, group, report, filteredOut) => {
      const project = projectTree(key, group.map((d) => d.description), filteredOut, deletedAtSource);
      report.warn(project.warnings);
      if (onProject) onProject(project);
      else projects.push(project);
    },
    limits,
  );
  report.warn(unreadable);
  projects.sort(byCwd);
  return { projects, report: report.finish(resolved.signal?.aborted) };
}

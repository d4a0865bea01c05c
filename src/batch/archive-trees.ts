/**
 * The branch trees of every project in an archive at once: each session
 * described on the pool (a pass over its bytes), then linked per project.
 */
import { basename } from 'node:path';
import type { Warning } from '../errors.js';
import { sortByBytes } from '../format/byte-order.js';
import { projectKey } from '../format/project-key.js';
import type { SessionDescription } from '../session/describe-session.js';
import { linkTree, type TreeNode } from '../session/session-tree.js';
import { resolveBatchOptions, type BatchOptions } from './batch-options.js';
import type { BatchReport } from './batch-report.js';
import { describeArchive } from './describe-archive.js';

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

/** Groups described sessions by project key, each group in zot's file-name order. */
export function groupByProject(sessions: ReadonlyArray<{ folderKey: string; description: SessionDescription }>) {
  const groups = new Map<string, SessionDescription[]>();
  for (const s of sessions) {
    const key = s.folderKey || projectKey(s.description.cwd);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(s.description);
  }
  // zot's order: by file name (then path, for one project gathered from several sources).
  for (const [key, g] of groups) groups.set(key, sortByBytes(g, (d) => `${basename(d.path)}\0${d.path}`));
  return groups;
}

export async function archiveTrees(options: BatchOptions): Promise<ArchiveTrees> {
  const resolved = resolveBatchOptions(options);
  const { described, report } = await describeArchive(resolved, 'tree');
  const projects: ArchiveProject[] = [];
  const groups = groupByProject(described);
  // From here each description is held by its group only, and each group is
  // let go once linked: descriptions and tree nodes of 100,000 sessions are
  // never in memory together.
  described.length = 0;
  for (const [key, group] of groups) {
    groups.delete(key);
    const warnings: Warning[] = [];
    const withId = group.filter((d) => {
      if (d.id !== '') return true;
      warnings.push({ code: 'W_NO_ID', message: 'left out of the tree: the meta row has no id', path: d.path });
      return false;
    });
    const linked = linkTree(withId);
    warnings.push(...linked.warnings);
    report.warn(warnings);
    projects.push({ cwd: mostCommon(group.map((d) => d.cwd).filter(Boolean)), key, sessions: withId.length, roots: linked.roots, warnings });
  }
  projects.sort((a, b) => (a.cwd < b.cwd ? -1 : a.cwd > b.cwd ? 1 : a.key < b.key ? -1 : 1));
  return { projects, report: report.finish(resolved.signal?.aborted) };
}

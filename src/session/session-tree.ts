/**
 * A project's branch tree: sessions linked by the `parent` id of their first
 * meta row, children in file-name order, as zot's BuildSessionTree builds it.
 *
 * Where zot loses sessions, zotpack keeps and flags them: a session whose
 * parent is missing is a root marked `orphan`; two files with one id are
 * both shown, the second marked `duplicate`; sessions caught in a parent
 * cycle (which zot never reaches from a root) become roots marked `cycle`.
 */
import { ZotpackError, type Warning } from '../errors.js';
import { describeSession, type SessionDescription } from './describe-session.js';
import { listSessionFiles } from './find-session.js';
import { appendAll } from '../format/append-all.js';

export interface TreeNode extends SessionDescription {
  /** The parent id names no session in the set (nor one a filter left out). */
  orphan: boolean;
  /** The parent is in the archive, but a filter left it out: a root here, not an orphan. */
  parentFiltered: boolean;
  /** Another file earlier in order has the same id. */
  duplicate: boolean;
  /** The session's parent chain loops back to itself. */
  cycle: boolean;
  /** An export a backup keeps for a session gone from its source (the manifest's `sourceDeleted`). */
  sourceDeleted: boolean;
  children: TreeNode[];
}

export interface ProjectTree {
  dir: string;
  roots: TreeNode[];
  /** Sessions in the tree. */
  sessions: number;
  /** Files left out (not readable as sessions) and flagged nodes. */
  warnings: Warning[];
}

/**
 * Links described sessions (in file order) into a forest. `filteredOut`: ids
 * of sessions a filter left out of `sessions`, whose children are roots here
 * but not orphans. `deletedAtSource`: whether a session's file is an export
 * kept for a session gone from its source.
 */
export function linkTree(
  sessions: SessionDescription[],
  filteredOut?: ReadonlySet<string>,
  deletedAtSource?: (path: string) => boolean,
): { roots: TreeNode[]; warnings: Warning[] } {
  const warnings: Warning[] = [];
  // Built field by field: spreading 100,000 descriptions is several times slower.
  const nodes: TreeNode[] = sessions.map((s) => ({
    path: s.path,
    id: s.id,
    parent: s.parent,
    forkPoint: s.forkPoint,
    cwd: s.cwd,
    hidden: s.hidden,
    summary: s.summary,
    counts: s.counts,
    extraMetas: s.extraMetas,
    warnings: s.warnings,
    orphan: false,
    parentFiltered: false,
    duplicate: false,
    cycle: false,
    sourceDeleted: deletedAtSource?.(s.path) ?? false,
    children: [],
  }));
  const byId = new Map<string, TreeNode>();
  for (const n of nodes) {
    if (byId.has(n.id)) {
      n.duplicate = true;
      warnings.push({ code: 'W_DUPLICATE_ID', message: `id ${n.id} is also used by ${byId.get(n.id)!.path}`, path: n.path });
    } else {
      byId.set(n.id, n);
    }
  }
  const roots: TreeNode[] = [];
  for (const n of nodes) {
    const parent = n.parent === '' ? undefined : byId.get(n.parent);
    if (n.parent !== '' && parent === undefined && filteredOut?.has(n.parent)) {
      n.parentFiltered = true;
    } else if (n.parent !== '' && parent === undefined) {
      n.orphan = true;
      warnings.push({ code: 'W_ORPHAN', message: `parent ${n.parent} is not in the session's project (zot shows it as a root)`, path: n.path });
    }
    if (parent === n) {
      // Its own parent: a loop of one, which zot never reaches from a root either.
      n.cycle = true;
      warnings.push({ code: 'W_ORPHAN', message: `parent chain loops back to this session (parent ${n.parent})`, path: n.path });
    }
    if (parent === undefined || parent === n) roots.push(n);
    else parent.children.push(n);
  }
  // Whatever no root reaches sits in a parent cycle: lift the first of each loop.
  const reached = new Set<TreeNode>();
  const mark = (n: TreeNode) => {
    const stack = [n];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (reached.has(x)) continue;
      reached.add(x);
      appendAll(stack, x.children);
    }
  };
  roots.forEach(mark);
  for (const n of nodes) {
    if (reached.has(n)) continue;
    const parent = byId.get(n.parent)!;
    parent.children.splice(parent.children.indexOf(n), 1);
    n.cycle = true;
    roots.push(n);
    mark(n);
    warnings.push({ code: 'W_ORPHAN', message: `parent chain loops back to this session (parent ${n.parent})`, path: n.path });
  }
  return { roots, warnings };
}

/** The tree of one project folder (`<home>/sessions/<key>`). */
export function projectTree(dir: string): ProjectTree {
  const described: SessionDescription[] = [];
  const warnings: Warning[] = [];
  for (const path of listSessionFiles(dir)) {
    try {
      const d = describeSession(path);
      if (d.id === '') {
        warnings.push({ code: 'W_NO_ID', message: 'left out of the tree: the meta row has no id', path });
        continue;
      }
      described.push(d);
      warnings.push(...d.warnings);
    } catch (err) {
      if (!(err instanceof ZotpackError)) throw err;
      warnings.push({ code: 'W_UNREADABLE', message: `left out of the tree: ${err.reason}`, path });
    }
  }
  const linked = linkTree(described);
  return { dir, roots: linked.roots, sessions: described.length, warnings: [...warnings, ...linked.warnings] };
}

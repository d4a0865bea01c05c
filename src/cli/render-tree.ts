/**
 * Text rendering of branch trees: one line per session, box-drawing
 * connectors, the fork point before each branch.
 */
import type { TreeNode } from '../session/session-tree.js';
import { localTime } from './local-time.js';
import { firstLine } from './printable.js';

export function formatCost(usd: number): string {
  return `$${usd.toFixed(usd >= 1 ? 2 : 4)}`;
}

/** `title · id8 · model · N msgs · $cost · started` */
export function nodeLabel(n: TreeNode): string {
  const s = n.summary;
  const name = s.title || firstLine(s.firstUserText, 50) || '(no prompt)';
  // A parent the filter left out is named, so the branch is not taken for a root of its own.
  // (Appended one by one: most sessions have none, and a list of six filtered and mapped for each line cost more than the rest of it.)
  let flags = '';
  if (n.orphan) flags += ' [orphan]';
  if (n.parentFiltered) flags += ` [branch of ${n.parent.slice(0, 8)}]`;
  if (n.duplicate) flags += ' [duplicate id]';
  if (n.cycle) flags += ' [parent cycle]';
  if (n.hidden) flags += ' [hidden]';
  if (n.sourceDeleted) flags += ' [deleted at the source]';
  const started = s.started ? localTime(s.started, 'minute') : '';
  const fork = n.parent && !n.orphan && !n.cycle ? `@${n.forkPoint} ` : '';
  return `${fork}${name} · ${n.id.slice(0, 8)} · ${s.model || '?'} · ${s.messages} ${s.messages === 1 ? 'msg' : 'msgs'} · ${formatCost(s.cost)} · ${started}${flags}`;
}

/** Lines for a forest, children indented under their parent. */
export function renderTree(roots: readonly TreeNode[]): string[] {
  const lines: string[] = [];
  const walk = (nodes: readonly TreeNode[], prefix: string) => {
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${nodeLabel(n)}`);
      walk(n.children, `${prefix}${last ? '   ' : '│  '}`);
    });
  };
  walk(roots, '');
  return lines;
}

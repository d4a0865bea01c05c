/**
 * The order sessions go into a bundle: project by project (by key), and in
 * each project down its branch trees — a parent before its children,
 * siblings in zot's order (by file name). An unpack then meets a session's
 * parent before the session itself; sessions in a parent cycle come last.
 */
import { sortByBytes } from '../format/byte-order.js';

export interface Orderable {
  key: string;
  /** The session file name (zot orders children by it). */
  file: string;
  id: string;
  parent: string;
}

export function bundleOrder<T extends Orderable>(items: readonly T[]): T[] {
  const byKey = new Map<string, T[]>();
  for (const it of items) {
    const g = byKey.get(it.key);
    if (g) g.push(it);
    else byKey.set(it.key, [it]);
  }
  const out: T[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const group = sortByBytes(byKey.get(key)!, (s) => s.file);
    const ids = new Set(group.map((s) => s.id).filter((id) => id !== ''));
    const children = new Map<string, T[]>();
    const roots: T[] = [];
    for (const s of group) {
      if (s.parent !== '' && s.parent !== s.id && ids.has(s.parent)) {
        const c = children.get(s.parent);
        if (c) c.push(s);
        else children.set(s.parent, [s]);
      } else roots.push(s);
    }
    const placed = new Set<T>();
    const visit = (s: T) => {
      // Iterative, parents first: trees can be deep.
      const stack = [s];
      while (stack.length > 0) {
        const x = stack.pop()!;
        if (placed.has(x)) continue;
        placed.add(x);
        out.push(x);
        const kids = x.id === '' ? [] : (children.get(x.id) ?? []);
        for (let k = kids.length - 1; k >= 0; k--) stack.push(kids[k]!);
      }
    };
    roots.forEach(visit);
    // What no root reaches sits in a parent cycle: in file-name order, at the end.
    for (const s of group) if (!placed.has(s)) visit(s);
  }
  return out;
}

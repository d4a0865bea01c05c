/**
 * The header row of a session zotpack writes: the session's last meta (its
 * current model and provider, title and every field zotpack does not know),
 * with the tree identity — id, parent, fork point — of the first meta, which
 * is the row zot's tree and find read.
 */
import { goString } from '../format/go-json.js';
import { editMetaObject, type MetaObject } from '../format/session-meta.js';

export type MetaChanges = Array<readonly [string, string | null]>;

/** `last`, with the first meta's identity and then `changes` applied. */
export function currentHeader(first: MetaObject, last: MetaObject, changes: MetaChanges): Buffer {
  const identity: MetaChanges = [];
  const f = first.meta;
  const l = last.meta;
  if (f.id && f.id !== l.id) identity.push(['id', goString(f.id)]);
  if (f.parent !== l.parent) identity.push(['parent', f.parent ? goString(f.parent) : null]);
  if (f.forkPoint !== l.forkPoint) identity.push(['fork_point', f.forkPoint ? String(f.forkPoint) : null]);
  // Later entries win: the caller's changes override the identity fix-ups.
  const merged = new Map<string, string | null>([...identity, ...changes]);
  return editMetaObject(last, [...merged]);
}

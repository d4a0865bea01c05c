/**
 * Session ids zotpack gives: UUID-v4-shaped, but derived from the old id
 * instead of drawn at random, so that running the same unpack again gives
 * the same ids — and finds the sessions it wrote the first time instead of
 * making another copy.
 */
import { createHash } from 'node:crypto';

/** Why an id is derived: `fresh` (--fresh-ids) or `copy` (a conflict kept as a copy). */
export type IdPurpose = 'fresh' | 'copy';

/** A UUID-v4-shaped id determined by `purpose` and `id`. */
export function derivedId(purpose: IdPurpose, id: string): string {
  const h = createHash('sha256').update(`zotpack:${purpose}:${id}`).digest('hex');
  const variant = '89ab'[parseInt(h[16]!, 16) & 3]!;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * A session file name for a new id: zot's `<time>-<id8>.jsonl` keeps its
 * time (children in a tree are ordered by file name) with the new id's first
 * 8 characters; any other name gets `-<id8>` before `.jsonl`.
 */
export function renamedFor(name: string, id: string): string {
  const m = /^(\d{8}-\d{6})-[^.]*\.jsonl$/.exec(name);
  if (m) return `${m[1]}-${id.slice(0, 8)}.jsonl`;
  return `${name.replace(/\.jsonl$/, '')}-${id.slice(0, 8)}.jsonl`;
}

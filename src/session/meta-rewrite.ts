/**
 * Rewriting the meta rows of a session as it moves: the cwd through a
 * CwdMap, the id and parent through an id map. Only the changed values are
 * spliced into the row's bytes; every other byte of the row (unknown fields,
 * Go's escaping, key order) stays as zot wrote it, and every row that is not
 * a meta row zot reads is left alone.
 */
import { field, GoTypeError } from '../jsonl/go-fields.js';
import type { Row } from '../jsonl/row-reader.js';
import { readRowHead } from '../jsonl/row-type.js';
import { goString } from '../format/go-json.js';
import type { CwdMap } from '../format/cwd-map.js';
import { editMetaObject, readMetaObject } from '../format/session-meta.js';

/** New ids for old ones: a Map, or anything that answers as one (an unpack asks its manifest). */
export interface IdMapping {
  get(id: string): string | undefined;
  /** 0 when it maps no id. */
  readonly size: number;
}

export interface MetaRewrite {
  /** New cwds for old ones. */
  cwd?: CwdMap;
  /** New ids for old ones, applied to `id` and `parent`. */
  ids?: IdMapping;
}

/** True when a rewrite can change nothing: the bytes can pass through unframed. */
export function isIdentity(rewrite: MetaRewrite): boolean {
  return (rewrite.cwd === undefined || rewrite.cwd.size === 0) && (rewrite.ids === undefined || rewrite.ids.size === 0);
}

/**
 * False when the row cannot decode as a meta row, decided with two byte
 * searches instead of a parse: its `type` must decode to `meta`, so the row
 * holds those four letters literally, or one of them as a `\u006x` /
 * `\u007x` escape (JSON's only way to write a letter otherwise). Go's own
 * escapes of `<`, `>` and `&` (`\u003c`...) do not count, so message rows —
 * nearly every row — are passed over without being parsed.
 */
function mayBeMeta(row: Buffer): boolean {
  return row.indexOf(META) >= 0 || row.indexOf(ESCAPED_6) >= 0 || row.indexOf(ESCAPED_7) >= 0;
}

const META = Buffer.from('meta');
const ESCAPED_6 = Buffer.from('\\u006');
const ESCAPED_7 = Buffer.from('\\u007');

/** The row with its meta rewritten, or undefined when nothing changes. */
export function rewriteMetaRow(row: Buffer, rewrite: MetaRewrite): Buffer | undefined {
  if (!mayBeMeta(row)) return undefined;
  const head = readRowHead(row);
  if (head.kind !== 'row' || head.type !== 'meta' || head.object === null) return undefined;
  try {
    const member = field(row, head.object, 'meta', 'object');
    const meta = readMetaObject(row, head.object);
    if (member === undefined || meta === undefined) return undefined;
    const changes: Array<[string, string]> = [];
    const cwd = meta.meta.cwd === '' ? undefined : rewrite.cwd?.map(meta.meta.cwd);
    if (cwd !== undefined && cwd !== meta.meta.cwd) changes.push(['cwd', goString(cwd)]);
    const id = rewrite.ids?.get(meta.meta.id);
    if (id !== undefined) changes.push(['id', goString(id)]);
    const parent = meta.meta.parent === '' ? undefined : rewrite.ids?.get(meta.meta.parent);
    if (parent !== undefined) changes.push(['parent', goString(parent)]);
    if (changes.length === 0) return undefined;
    const edited = editMetaObject(meta, changes);
    return Buffer.concat([row.subarray(0, member.valueStart), edited, row.subarray(member.valueEnd)]);
  } catch (err) {
    if (err instanceof GoTypeError) return undefined; // zot skips the row: so does the rewrite
    throw err;
  }
}

/** A RowStream handler applying `rewrite`. */
export function metaRewriter(rewrite: MetaRewrite): (row: Row) => Buffer | undefined {
  return (row) => rewriteMetaRow(row.bytes, rewrite);
}

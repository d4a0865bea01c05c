/**
 * The meta row: reading its fields the way zot's Go struct reads them, and
 * rewriting it without re-encoding what zotpack does not change.
 *
 * A rewrite splices new values into the original bytes, so unknown fields
 * (newer zot builds add some), big integers and Go's escaping survive as
 * they were written.
 */
import { boolField, field, intField, stringField, timeField } from '../jsonl/go-fields.js';
import { findMember, keyMatches, scanObject, type Member, type ScannedObject } from '../jsonl/object-members.js';
import { goString } from './go-json.js';

/** The meta fields zotpack reads. Absent strings are ''. */
export interface SessionMeta {
  id: string;
  cwd: string;
  model: string;
  provider: string;
  /** RFC 3339 as written; undefined when absent (Go's zero time). */
  started: string | undefined;
  version: string;
  title: string;
  parent: string;
  forkPoint: number;
  hideFromSessions: boolean;
  /** Where a zotpack export came from; absent in zot's own exports and live sessions. */
  origin: ExportOrigin | undefined;
}

/**
 * The field zotpack adds to an exported header. zot ignores meta fields it
 * does not know, so its import still reads the file.
 */
export interface ExportOrigin {
  /** The session's cwd on the machine it was exported from. */
  cwd: string;
  /** The session's id when exported. */
  id: string;
  /** The session's file name (zot's names do not always end in the id). */
  file: string;
}

export const ORIGIN_FIELD = 'zotpack';

/** A meta object: its fields, and its bytes (a private copy) with member spans for rewriting. */
export interface MetaObject {
  meta: SessionMeta;
  bytes: Buffer;
  members: Member[];
}

function readOrigin(b: Buffer, obj: ScannedObject): ExportOrigin | undefined {
  const m = findMember(b, obj.members, ORIGIN_FIELD);
  if (!m || b[m.valueStart] !== 0x7b) return undefined;
  const o = scanObject(b, m.valueStart);
  if (!o) return undefined;
  try {
    return {
      cwd: stringField(b, o, 'cwd') ?? '',
      id: stringField(b, o, 'id') ?? '',
      file: stringField(b, o, 'file') ?? '',
    };
  } catch {
    return undefined; // not ours to judge: zot ignores the field
  }
}

/** The cwd a session file says it belongs to: a zotpack export's origin, else its meta. */
export function recordedCwd(meta: SessionMeta): string {
  return meta.cwd !== '' ? meta.cwd : (meta.origin?.cwd ?? '');
}

/**
 * The meta object of a row whose top-level members are `row`; undefined when
 * the row has no meta object (Go: a nil pointer). Throws GoTypeError when a
 * field has a type zot's struct rejects.
 */
export function readMetaObject(row: Buffer, top: ScannedObject): MetaObject | undefined {
  const m = field(row, top, 'meta', 'object');
  if (!m) return undefined;
  // A private copy: the row's buffer is reused by the reader.
  const bytes = Buffer.from(row.subarray(m.valueStart, m.valueEnd));
  const obj = scanObject(bytes, 0)!;
  const meta: SessionMeta = {
    id: stringField(bytes, obj, 'id') ?? '',
    cwd: stringField(bytes, obj, 'cwd') ?? '',
    model: stringField(bytes, obj, 'model') ?? '',
    provider: stringField(bytes, obj, 'provider') ?? '',
    started: timeField(bytes, obj, 'started'),
    version: stringField(bytes, obj, 'version') ?? '',
    title: stringField(bytes, obj, 'title') ?? '',
    parent: stringField(bytes, obj, 'parent') ?? '',
    forkPoint: intField(bytes, obj, 'fork_point') ?? 0,
    hideFromSessions: boolField(bytes, obj, 'hide_from_sessions') ?? false,
    origin: readOrigin(bytes, obj),
  };
  return { meta, bytes, members: obj.members };
}

/**
 * A copy of a meta object with some fields set or removed. `changes` maps a
 * field name to its new raw JSON value, or to null to remove it. Fields are
 * replaced in place (every key Go would match, so no stale duplicate wins);
 * new ones are added at the end in the order given.
 */
export function editMetaObject(src: MetaObject, changes: ReadonlyArray<readonly [string, string | null]>): Buffer {
  const b = src.bytes;
  const members: Buffer[][] = [];
  const done = new Set<string>();
  for (const m of src.members) {
    const change = changes.find(([name]) => keyMatches(b, m, name));
    if (!change) {
      members.push([b.subarray(m.keyStart, m.valueEnd)]);
      continue;
    }
    done.add(change[0]);
    if (change[1] !== null) members.push([b.subarray(m.keyStart, m.keyEnd), Buffer.from(`:${change[1]}`)]);
  }
  for (const [name, value] of changes) {
    if (!done.has(name) && value !== null) members.push([Buffer.from(`${goString(name)}:${value}`)]);
  }
  const out: Buffer[] = [Buffer.from('{')];
  members.forEach((parts, k) => {
    if (k > 0) out.push(Buffer.from(','));
    out.push(...parts);
  });
  out.push(Buffer.from('}'));
  return Buffer.concat(out);
}

/** The whole meta row for a meta object: `{"type":"meta","meta":{...}}`. */
export function metaRow(metaObject: Buffer): Buffer {
  return Buffer.concat([Buffer.from('{"type":"meta","meta":'), metaObject, Buffer.from('}')]);
}

/** The raw JSON of an export origin, with Go's escaping. */
export function originJson(origin: ExportOrigin): string {
  return `{"cwd":${goString(origin.cwd)},"id":${goString(origin.id)},"file":${goString(origin.file)}}`;
}

/** A fresh meta object in zot's struct order, omitting empty optional fields as zot does. */
export function newMetaObject(meta: Omit<SessionMeta, 'origin' | 'hideFromSessions'>): Buffer {
  let s =
    `{"id":${goString(meta.id)},"cwd":${goString(meta.cwd)},"model":${goString(meta.model)},` +
    `"provider":${goString(meta.provider)},"started":${goString(meta.started ?? '0001-01-01T00:00:00Z')},` +
    `"version":${goString(meta.version)}`;
  if (meta.title) s += `,"title":${goString(meta.title)}`;
  if (meta.parent) s += `,"parent":${goString(meta.parent)}`;
  if (meta.forkPoint) s += `,"fork_point":${meta.forkPoint}`;
  return Buffer.from(`${s}}`);
}

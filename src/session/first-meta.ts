/**
 * The first row of a session file, which is all zot reads to place a session
 * in a tree or find it by id.
 */
import { ZotpackError } from '../errors.js';
import { readRows } from '../jsonl/row-reader.js';
import type { MetaObject } from '../format/session-meta.js';
import { SessionScan } from './session-scan.js';

// Meta rows are small: a short first read, grown only for an unusual one.
const FIRST_ROW_CHUNK = 64 << 10;

/** The meta of the file's first row. Throws a ZotpackError (E_NOT_META, E_EMPTY, ...) when zot could not read it. */
export function readFirstMeta(path: string): MetaObject {
  return readFirstMetaRow(path).meta;
}

/** The first row's meta, and the file offset where the rows after it begin. */
export function readFirstMetaRow(path: string): { meta: MetaObject; end: number } {
  const scan = new SessionScan(path);
  for (const row of readRows(path, { chunkSize: FIRST_ROW_CHUNK })) {
    scan.add(row);
    return { meta: scan.firstMeta!, end: row.end };
  }
  throw new ZotpackError('E_EMPTY', 'the file has no rows', { path });
}

/**
 * What kind of row a line is, read off the bytes the way zot's Go reader
 * would decode it — without `JSON.parse`.
 *
 * zot decodes each row into a struct whose `type` field says what it is, and
 * skips the row when decoding fails. The rule here: for every line, zotpack
 * sees the type Go's encoding/json would decode. zot writes `type` first (or
 * last, in rename rows, whose keys are sorted); those rows take the cheapest
 * branches below (a raw-byte key compare, no decoding). Anything unusual —
 * whitespace, escaped keys, keys in another case (Go folds case), repeated
 * keys (the last wins), a `"type"` inside nested objects (ignored) — goes
 * through the same scan and gets the same answer Go would.
 */
import { scanValue, skipWs } from './json-scan.js';
import { keyMatches, scanObject, type ScannedObject } from './object-members.js';
import { inScannerMemory, scanRowInPlace, scanRowThrough } from './wasm-scanner.js';

export type RowHead =
  /** Not valid JSON: zot skips it. */
  | { kind: 'invalid' }
  /** Valid JSON that zot's row struct cannot decode (an array, a number, a `type` that is not a string): zot skips it. */
  | { kind: 'undecodable' }
  /** A row zot reads; `type` is '' when absent or null. `object` is null for a top-level `null`. */
  | { kind: 'row'; type: string; object: ScannedObject | null };

const INVALID: RowHead = { kind: 'invalid' };
const UNDECODABLE: RowHead = { kind: 'undecodable' };

/** Rows outside the scanner's memory from this size on are scanned through it (scanRowThrough); smaller ones in TypeScript. */
const THROUGH_FROM = 64 << 10;

/** Reads a row's head: validity and the `type` Go would decode. */
export function readRowHead(row: Buffer): RowHead {
  const inPlace = scanRowInPlace(row) ?? (row.length >= THROUGH_FROM && !inScannerMemory(row) ? scanRowThrough(row) : undefined);
  if (inPlace !== undefined) return headOfScan(row, inPlace);
  const start = skipWs(row, 0);
  if (row[start] !== 0x7b) {
    const end = scanValue(row, start);
    return headOfScan(row, end < 0 || skipWs(row, end) !== row.length ? 'invalid' : 'not-object');
  }
  const object = scanObject(row, start);
  return headOfScan(row, object === null || skipWs(row, object.end) !== row.length ? 'invalid' : object);
}

/**
 * The head of a row already scanned. `row` may be only the row's start (a
 * skimmed row) when it holds the first value's first byte, every member's
 * key, and the value of any member whose key is `type`.
 */
export function headOfScan(row: Buffer, scan: ScannedObject | 'invalid' | 'not-object'): RowHead {
  if (scan === 'invalid') return INVALID;
  // Go decodes `null` into a struct as a no-op: a row with an empty type.
  if (scan === 'not-object') return row[skipWs(row, 0)] === 0x6e ? { kind: 'row', type: '', object: null } : UNDECODABLE;
  let type = '';
  for (const m of scan.members) {
    if (!keyMatches(row, m, 'type')) continue;
    const c = row[m.valueStart];
    if (c === 0x22) type = knownType(row, m.valueStart, m.valueEnd) ?? decodeString(row, m.valueStart, m.valueEnd);
    else if (c !== 0x6e) return UNDECODABLE; // Go: a type error fails the whole row
  }
  return { kind: 'row', type, object: scan };
}

/**
 * The row types zot writes, read without making a string: one per row of a
 * tree of 100,000 sessions is some 1.3 million strings, each hashed again
 * as a key of the counts by type. Undefined for any other (or escaped) type.
 */
function knownType(b: Buffer, start: number, end: number): string | undefined {
  const n = end - start - 2;
  const t = n === 7 ? 'message' : n === 4 ? 'meta' : n === 5 ? 'usage' : n === 10 ? 'compaction' : n === 6 ? 'rename' : undefined;
  if (t === undefined) return undefined;
  for (let i = 0; i < n; i++) if (b[start + 1 + i] !== t.charCodeAt(i)) return undefined;
  return t;
}

/**
 * decodeString of at most the first `maxBytes` bytes of the string's text,
 * cut before an escape or a UTF-8 sequence it would split: a first prompt of
 * many MB (a pasted log) is shown by its start, and one past V8's longest
 * string (about 537 million characters) cannot be decoded whole at all.
 */
export function decodeStringStart(b: Buffer, start: number, end: number, maxBytes: number): string {
  if (end - start - 2 <= maxBytes) return decodeString(b, start, end);
  const limit = start + 1 + maxBytes;
  let i = start + 1;
  let escaped = false;
  while (i < limit) {
    const step = b[i] !== 0x5c ? 1 : b[i + 1] === 0x75 ? 6 : 2;
    if (i + step > limit) break;
    if (step > 1) escaped = true;
    i += step;
  }
  while (i > start + 1 && (b[i]! & 0xc0) === 0x80) i--; // not inside a character
  const body = b.toString('utf8', start + 1, i);
  return escaped ? (JSON.parse(`"${body}"`) as string) : body;
}

/** Decodes the JSON string at `[start, end)` (quotes included). */
export function decodeString(b: Buffer, start: number, end: number): string {
  for (let k = start + 1; k < end - 1; k++) {
    if (b[k] === 0x5c) return JSON.parse(b.toString('utf8', start, end)) as string;
  }
  return b.toString('utf8', start + 1, end - 1);
}

/**
 * Reading single fields of a scanned object with the rules Go's
 * encoding/json applies when it fills a struct: keys match case-insensitively,
 * the last matching key wins, `null` leaves a scalar unset, and a value of
 * the wrong JSON type fails the whole decode (zot then skips the row).
 */
import { keyMatches, scanArray, scanObject, type Member, type ScannedObject } from './object-members.js';
import { decodeString, decodeStringStart } from './row-type.js';
import { isGoBase64 } from './go-base64.js';
import { scanObjectInPlace } from './wasm-scanner.js';

/** A field held a value of the wrong JSON type: Go's decode of the row fails. */
export class GoTypeError extends Error {
  constructor(readonly field: string) {
    super(`field "${field}" has the wrong JSON type`);
  }
}

/**
 * The Go types zotpack checks fields against: 'bytes' is []byte, 'strings'
 * is []string, 'string-map' is map[string]string; 'any' is json.RawMessage.
 */
type Kind = 'string' | 'number' | 'int' | 'bool' | 'object' | 'array' | 'bytes' | 'strings' | 'string-map' | 'any';

/** Kinds that `null` resets (pointers, slices, maps, raw values) rather than leaves alone. */
const RESET_BY_NULL: ReadonlySet<Kind> = new Set(['object', 'array', 'bytes', 'strings', 'string-map', 'any']);

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

function kindOk(c: number | undefined, kind: Kind, b: Buffer, m: Member): boolean {
  switch (kind) {
    case 'string':
      return c === 0x22;
    case 'number':
      return c === 0x2d || isDigit(c);
    case 'int': {
      // Go parses ints with ParseInt: no fraction, no exponent.
      if (!(c === 0x2d || isDigit(c))) return false;
      for (let k = m.valueStart; k < m.valueEnd; k++) {
        const d = b[k]!;
        if (d === 0x2e || d === 0x65 || d === 0x45) return false;
      }
      return true;
    }
    case 'bool':
      return c === 0x74 || c === 0x66;
    case 'object':
      return c === 0x7b;
    case 'array':
      return c === 0x5b;
    case 'bytes':
      return c === 0x22 ? isGoBase64(b, m.valueStart, m.valueEnd) : c === 0x5b && isByteList(b, m.valueStart);
    case 'strings':
      return c === 0x5b && (scanArray(b, m.valueStart) ?? []).every(([s]) => b[s] === 0x22 || b[s] === 0x6e);
    case 'string-map':
      return c === 0x7b && (scanObject(b, m.valueStart)?.members ?? []).every((v) => b[v.valueStart] === 0x22 || b[v.valueStart] === 0x6e);
    case 'any':
      return true;
  }
}

/** True when the array at `start` holds only integers 0..255 and nulls: Go decodes such an array into a []byte too. */
function isByteList(b: Buffer, start: number): boolean {
  return (scanArray(b, start) ?? []).every(([s, e]) => {
    if (b[s] === 0x6e) return true;
    for (let k = s; k < e; k++) if (!isDigit(b[k])) return false; // ParseUint: no sign, fraction or exponent
    return Number(b.toString('latin1', s, e)) <= 255;
  });
}

/**
 * The member Go would decode into `name`, checked against `kind`; undefined
 * when absent or null. Throws GoTypeError on a wrong type.
 */
export function field(b: Buffer, obj: ScannedObject, name: string, kind: Kind): Member | undefined {
  let found: Member | undefined;
  for (const m of obj.members) {
    if (!keyMatches(b, m, name)) continue;
    const c = b[m.valueStart];
    if (c === 0x6e) {
      // null: a no-op for scalars, resets pointers, slices, maps and raw values.
      if (RESET_BY_NULL.has(kind)) found = undefined;
      continue;
    }
    if (!kindOk(c, kind, b, m)) throw new GoTypeError(name);
    found = m;
  }
  return found;
}

export function stringField(b: Buffer, obj: ScannedObject, name: string): string | undefined {
  const m = field(b, obj, name, 'string');
  return m && decodeString(b, m.valueStart, m.valueEnd);
}

/** stringField, of a text that may be huge: its first `maxBytes` bytes (decodeStringStart). */
export function stringFieldStart(b: Buffer, obj: ScannedObject, name: string, maxBytes: number): string | undefined {
  const m = field(b, obj, name, 'string');
  return m && decodeStringStart(b, m.valueStart, m.valueEnd, maxBytes);
}

export function numberField(b: Buffer, obj: ScannedObject, name: string): number | undefined {
  const m = field(b, obj, name, 'number');
  if (!m) return undefined;
  const n = Number(b.toString('latin1', m.valueStart, m.valueEnd));
  if (!Number.isFinite(n)) throw new GoTypeError(name); // Go: out of range
  return n;
}

export function intField(b: Buffer, obj: ScannedObject, name: string): number | undefined {
  const m = field(b, obj, name, 'int');
  if (!m) return undefined;
  const n = Number(b.toString('latin1', m.valueStart, m.valueEnd));
  if (!Number.isSafeInteger(n)) throw new GoTypeError(name);
  return n;
}

export function boolField(b: Buffer, obj: ScannedObject, name: string): boolean | undefined {
  const m = field(b, obj, name, 'bool');
  return m && b[m.valueStart] === 0x74;
}

export function objectField(b: Buffer, obj: ScannedObject, name: string): ScannedObject | undefined {
  const m = field(b, obj, name, 'object');
  if (!m) return undefined;
  // The value was already validated by the enclosing scan. In the scanner's
  // memory it is scanned there: a message object, scanned to read its role,
  // is most of its row (describing a small session: 30.3 -> 28.8 µs).
  return scanObjectInPlace(b, m.valueStart, m.valueEnd) ?? scanObject(b, m.valueStart) ?? undefined;
}

export function arrayField(b: Buffer, obj: ScannedObject, name: string): Array<[number, number]> | undefined {
  const m = field(b, obj, name, 'array');
  return m && (scanArray(b, m.valueStart) ?? undefined);
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The two decimal digits at `i` as a number, or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 0x30;
  const b = s.charCodeAt(i + 1) - 0x30;
  // (Past the end charCodeAt is NaN, and every comparison with NaN is false.)
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * True when Go's time.Time would accept `s` (RFC 3339 as its UnmarshalJSON
 * reads it): `YYYY-MM-DDTHH:MM:SS`, a fraction of any number of digits (Go
 * keeps nine), then `Z` or `+HH:MM`/`-HH:MM`, with a real date and time of
 * day. Read character by character, not with a regular expression: every
 * message row has a time, and the match's nine strings and the array of
 * numbers made from them were 2.5% of a worker's time in a tree of small
 * sessions.
 */
export function isGoTime(s: string): boolean {
  const century = twoDigits(s, 0);
  const year = twoDigits(s, 2);
  const mo = twoDigits(s, 5);
  const d = twoDigits(s, 8);
  const h = twoDigits(s, 11);
  const mi = twoDigits(s, 14);
  const se = twoDigits(s, 17);
  if (century < 0 || year < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0) return false;
  if (s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d || s.charCodeAt(10) !== 0x54 || s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a) return false;
  let i = 19;
  if (s.charCodeAt(i) === 0x2e) {
    const from = ++i;
    while (s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    if (i === from) return false;
  }
  const zone = s.charCodeAt(i);
  if (zone === 0x5a) {
    if (i + 1 !== s.length) return false;
  } else if (zone === 0x2b || zone === 0x2d) {
    if (i + 6 !== s.length || twoDigits(s, i + 1) < 0 || s.charCodeAt(i + 3) !== 0x3a || twoDigits(s, i + 4) < 0) return false;
  } else {
    return false;
  }
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(mo, century * 100 + year) && h < 24 && mi < 60 && se < 60;
}

/** A time field: the raw RFC 3339 string Go would accept, or undefined. */
export function timeField(b: Buffer, obj: ScannedObject, name: string): string | undefined {
  const m = field(b, obj, name, 'string');
  if (!m) return undefined;
  // Go's Time.UnmarshalJSON parses the bytes between the quotes without
  // decoding escapes, so a time written with an escape fails there too.
  const s = b.toString('latin1', m.valueStart + 1, m.valueEnd - 1);
  if (!isGoTime(s)) throw new GoTypeError(name);
  return s;
}

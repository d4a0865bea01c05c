/**
 * The members of a JSON object as byte spans, and key matching the way Go's
 * encoding/json matches keys to struct fields.
 *
 * zotpack reads a handful of fields from rows and rewrites meta rows without
 * re-encoding them: a span keeps every byte of the fields it does not touch
 * (unknown fields, big integers, Go's escaping) exactly as zot wrote them.
 */
import { MAX_DEPTH, scanString, scanValue, skipWs } from './json-scan.js';

/** One `"key": value` of an object; `key*` spans include the quotes. */
export interface Member {
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

/** An object's members in document order, and the index just past its `}`. */
export interface ScannedObject {
  members: Member[];
  end: number;
}

/**
 * Scans the object whose `{` is at `i`. Returns null when the bytes there are
 * not a valid JSON object. `depth` is the nesting depth of the object itself.
 */
export function scanObject(b: Buffer, i: number, depth = 1): ScannedObject | null {
  if (b[i] !== 0x7b || depth > MAX_DEPTH) return null;
  const members: Member[] = [];
  i = skipWs(b, i + 1);
  if (b[i] === 0x7d) return { members, end: i + 1 };
  for (;;) {
    if (b[i] !== 0x22) return null;
    const keyStart = i;
    const keyEnd = scanString(b, i);
    if (keyEnd < 0) return null;
    i = skipWs(b, keyEnd);
    if (b[i] !== 0x3a) return null;
    const valueStart = skipWs(b, i + 1);
    const valueEnd = scanValue(b, valueStart, depth);
    if (valueEnd < 0) return null;
    members.push({ keyStart, keyEnd, valueStart, valueEnd });
    i = skipWs(b, valueEnd);
    if (b[i] === 0x2c) {
      i = skipWs(b, i + 1);
      continue;
    }
    if (b[i] === 0x7d) return { members, end: i + 1 };
    return null;
  }
}

/** Scans the array whose `[` is at `i`; returns its elements' spans or null. */
export function scanArray(b: Buffer, i: number, depth = 1): Array<[number, number]> | null {
  if (b[i] !== 0x5b || depth > MAX_DEPTH) return null;
  const items: Array<[number, number]> = [];
  i = skipWs(b, i + 1);
  if (b[i] === 0x5d) return items;
  for (;;) {
    const end = scanValue(b, i, depth);
    if (end < 0) return null;
    items.push([i, end]);
    i = skipWs(b, end);
    if (b[i] === 0x2c) {
      i = skipWs(b, i + 1);
      continue;
    }
    return b[i] === 0x5d ? items : null;
  }
}

/**
 * Go's case folding of a struct field name: ASCII letters fold to upper case,
 * and the only non-ASCII runes whose fold set holds an ASCII letter are
 * U+017F (long s) and U+212A (Kelvin sign).
 */
export function goFoldKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (ch === '\u017f') out += 'S';
    else if (ch === '\u212a') out += 'K';
    else if (ch >= 'a' && ch <= 'z') out += String.fromCharCode(ch.charCodeAt(0) - 32);
    else out += ch;
  }
  return out;
}

/**
 * True when the key of `m` selects the struct field `name` (lower-case ASCII) in Go.
 *
 * A key decodes to no more characters than it has bytes (an escape takes
 * two to twelve, a non-ASCII character two to four, a byte that is not
 * UTF-8 one, for a U+FFFD that matches no name), and folding keeps its
 * length. So a key of fewer bytes than `name` never matches, one of as
 * many matches only as plain ASCII, and a longer one only through an
 * escape or a non-ASCII byte: most keys are decided on their length or in
 * one pass, which matters because a row's every field lookup compares
 * every key (2% of a tree of small sessions).
 */
export function keyMatches(b: Buffer, m: Member, name: string): boolean {
  const start = m.keyStart + 1;
  const len = m.keyEnd - 1 - start;
  if (len < name.length) return false;
  if (len === name.length) {
    for (let k = 0; k < len; k++) {
      let c = b[start + k]!;
      if (c >= 0x41 && c <= 0x5a) c += 32;
      if (c !== name.charCodeAt(k)) return false;
    }
    return true;
  }
  for (let k = start; k < start + len; k++) {
    const c = b[k]!;
    if (c === 0x5c || c >= 0x80) {
      const key = JSON.parse(b.toString('utf8', m.keyStart, m.keyEnd)) as string;
      return goFoldKey(key) === goFoldKey(name);
    }
  }
  return false;
}

/** The member Go would decode into field `name`: the last one whose key matches. */
export function findMember(b: Buffer, members: readonly Member[], name: string): Member | undefined {
  for (let k = members.length - 1; k >= 0; k--) {
    const m = members[k]!;
    if (keyMatches(b, m, name)) return m;
  }
  return undefined;
}

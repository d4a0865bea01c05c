/**
 * Random JSON texts and random damage to them, for checking the byte scanner
 * against a reference. The texts are written token by token (not through
 * JSON.stringify) so they hold what real files hold and JSON.stringify never
 * writes: whitespace between tokens, `\u` escapes in either case, surrogate
 * escapes, `\/`, exponents, non-ASCII text.
 */
import type { Random } from './seeded-random.js';

const WS = [' ', '\t', '\n', '\r'];
const PLAIN = [...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 _-+/.,:;!?=()[]{}<>&\'`~', 'é', 'ß', '中', '😀', '\u2028', '\u2029', '\u007f', '\u0080', '\ufeff'];
const SHORT_ESCAPES = ['\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t'];
const HEX = '0123456789abcdefABCDEF';

function ws(r: Random): string {
  if (r.chance(0.7)) return '';
  let s = '';
  for (let n = r.between(1, 3); n > 0; n--) s += r.pick(WS);
  return s;
}

function digits(r: Random, min: number, max: number): string {
  let s = '';
  for (let n = r.between(min, max); n > 0; n--) s += String(r.int(10));
  return s;
}

function number(r: Random): string {
  let s = r.chance(0.3) ? '-' : '';
  s += r.chance(0.2) ? '0' : String(r.between(1, 9)) + digits(r, 0, r.chance(0.1) ? 25 : 6);
  if (r.chance(0.3)) s += '.' + digits(r, 1, 8);
  if (r.chance(0.2)) s += r.pick(['e', 'E']) + r.pick(['', '+', '-']) + digits(r, 1, 3);
  return s;
}

/** A JSON string literal, quotes included. */
export function randomJsonString(r: Random, maxLength = 12): string {
  let s = '"';
  for (let n = r.int(maxLength + 1); n > 0; n--) {
    const k = r.int(10);
    if (k < 6) s += r.pick(PLAIN);
    else if (k < 8) s += r.pick(SHORT_ESCAPES);
    else {
      s += '\\u';
      for (let h = 0; h < 4; h++) s += HEX[r.int(HEX.length)];
    }
  }
  return s + '"';
}

/** A random JSON text, nested at most `maxDepth` deep. */
export function randomJson(r: Random, maxDepth = 4): string {
  return ws(r) + value(r, maxDepth) + ws(r);
}

function value(r: Random, depth: number): string {
  const k = r.int(depth > 0 ? 9 : 6);
  switch (k) {
    case 0:
      return 'null';
    case 1:
      return r.chance(0.5) ? 'true' : 'false';
    case 2:
    case 3:
      return number(r);
    case 4:
    case 5:
      return randomJsonString(r);
    case 6:
    case 7: {
      const n = r.int(5);
      if (n === 0) return '[' + ws(r) + ']';
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(ws(r) + value(r, depth - 1) + ws(r));
      return '[' + items.join(',') + ']';
    }
    default: {
      const n = r.int(5);
      if (n === 0) return '{' + ws(r) + '}';
      const members: string[] = [];
      for (let i = 0; i < n; i++) members.push(ws(r) + randomJsonString(r, 6) + ws(r) + ':' + ws(r) + value(r, depth - 1) + ws(r));
      return '{' + members.join(',') + '}';
    }
  }
}

/** Bytes that matter to a JSON scanner, for insertions and replacements. */
const INTERESTING = [...'"\\,:[]{}0123456789-+.eEtrufalsn u '].map((c) => c.charCodeAt(0)).concat([0x00, 0x09, 0x0a, 0x0d, 0x1f, 0x7f, 0x80, 0xc3, 0xe2, 0xef, 0xff]);

/** One random mutation of `b`: a truncation, a byte flip, an insertion, a deletion or a swap. */
export function mutate(r: Random, b: Buffer): Buffer {
  if (b.length === 0) return Buffer.from([r.pick(INTERESTING)]);
  const at = r.int(b.length);
  switch (r.int(6)) {
    case 0:
      return b.subarray(0, at);
    case 1: {
      const c = Buffer.from(b);
      c[at] = r.int(256);
      return c;
    }
    case 2: {
      const c = Buffer.from(b);
      c[at] = r.pick(INTERESTING);
      return c;
    }
    case 3:
      return Buffer.concat([b.subarray(0, at), Buffer.from([r.pick(INTERESTING)]), b.subarray(at)]);
    case 4:
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    default: {
      const c = Buffer.from(b);
      const other = r.int(b.length);
      [c[at], c[other]] = [c[other]!, c[at]!];
      return c;
    }
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** True when `b` is well-formed UTF-8. */
export function isUtf8(b: Uint8Array): boolean {
  try {
    strictUtf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * The reference: JSON.parse, which on well-formed UTF-8 accepts exactly what
 * Go's encoding/json accepts, except nesting deeper than 10,000.
 */
export function parsesAsJson(b: Buffer): boolean {
  try {
    JSON.parse(b.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * A byte-level JSON syntax check that never builds a string.
 *
 * zot drops every row that Go's encoding/json rejects, so zotpack must answer
 * "valid or not" for every row it keeps — including base64 image rows of many
 * megabytes and rows past V8's ~512 MiB string limit, where `JSON.parse`
 * cannot even be called. String bodies, which are nearly all of a row's
 * bytes, are skipped with `indexOf` and checked for control bytes four at a
 * time; only the structure between them is walked byte by byte.
 *
 * The accepted language is Go's: RFC 8259 plus Go's quirks — invalid UTF-8
 * inside strings is accepted (Go substitutes U+FFFD), nesting deeper than
 * 10,000 is an error, and only space, tab, CR and LF are whitespace.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Go's encoding/json refuses documents nested deeper than this. */
export const MAX_DEPTH = 10_000;

// Container kinds on the scan stack.
const OBJECT = 1;
const ARRAY = 2;
const stack = new Uint8Array(MAX_DEPTH + 1);

/** Index of the first non-whitespace byte at or after `i`. */
export function skipWs(b: Uint8Array, i: number): number {
  const end = b.length;
  while (i < end) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** True when `b[from, to)` holds a byte below 0x20, which JSON forbids inside strings. */
export function hasControlByte(b: Buffer, from: number, to: number): boolean {
  let i = from;
  if (to - from >= 64) {
    // Align to 4 bytes, then test four words per step: (v - 0x20202020) & ~v
    // & 0x80808080 is non-zero exactly when some byte of v is below 0x20.
    // Int32Array, not Uint32Array: V8 keeps int32 values unboxed (~1.5x).
    while (((b.byteOffset + i) & 3) !== 0) {
      if (b[i++]! < 0x20) return true;
    }
    const words = (to - i) >>> 2;
    const w = new Int32Array(b.buffer, b.byteOffset + i, words);
    let k = 0;
    for (; k + 3 < words; k += 4) {
      const v0 = w[k]!;
      const v1 = w[k + 1]!;
      const v2 = w[k + 2]!;
      const v3 = w[k + 3]!;
      if (
        (((v0 - 0x20202020) & ~v0) | ((v1 - 0x20202020) & ~v1) | ((v2 - 0x20202020) & ~v2) | ((v3 - 0x20202020) & ~v3)) &
        0x80808080
      ) {
        return true;
      }
    }
    i += k * 4;
  }
  for (; i < to; i++) if (b[i]! < 0x20) return true;
  return false;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66));
}

/** Index just past the string whose opening quote is at `i`, or -1 when it is not a valid JSON string. */
export function scanString(b: Buffer, i: number): number {
  let j = i + 1;
  // The closing-quote candidate is looked up once and reused until an escape
  // passes it; looking again per escape would make escape-heavy strings
  // (tool output) quadratic.
  let q = -1;
  for (;;) {
    if (q < j) {
      q = b.indexOf(QUOTE, j);
      if (q < 0) return -1;
    }
    // Text between escapes is short: walk it. A long run (base64) is left to
    // memchr and the word-wise control check.
    const lim = q - j > 256 ? j + 256 : q;
    let k = j;
    for (; k < lim; k++) {
      const c = b[k]!;
      if (c === BACKSLASH) break;
      if (c < 0x20) return -1;
    }
    let bs = k;
    if (k === lim && lim < q) {
      const rel = b.subarray(k, q).indexOf(BACKSLASH);
      bs = rel < 0 ? q : k + rel;
      if (hasControlByte(b, k, bs)) return -1;
    }
    if (bs === q) return q + 1;
    const e = b[bs + 1];
    if (e === 0x75 /* u */) {
      if (!isHex(b[bs + 2]) || !isHex(b[bs + 3]) || !isHex(b[bs + 4]) || !isHex(b[bs + 5])) return -1;
      j = bs + 6;
    } else if (
      e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 ||
      e === 0x6e || e === 0x72 || e === 0x74
    ) {
      j = bs + 2;
    } else {
      return -1;
    }
  }
}

function scanLiteral(b: Uint8Array, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) {
    if (b[i + k] !== word.charCodeAt(k)) return -1;
  }
  return i + word.length;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** Index just past the number at `i`, or -1. Grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
export function scanNumber(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i])) while (isDigit(b[i])) i++;
  else return -1;
  if (b[i] === 0x2e) {
    i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  return i;
}

/**
 * Index just past the JSON value that starts at `i` (no leading whitespace),
 * or -1 when it is not valid. Iterative, so depth costs no JS stack.
 */
export function scanValue(b: Buffer, i: number, depth0 = 0): number {
  let depth = 0;
  value: for (;;) {
    const c = b[i];
    switch (c) {
      case QUOTE:
        i = scanString(b, i);
        break;
      case 0x7b /* { */:
      case 0x5b /* [ */: {
        if (depth0 + depth >= MAX_DEPTH) return -1;
        i = skipWs(b, i + 1);
        const close = c === 0x7b ? 0x7d : 0x5d;
        if (b[i] === close) {
          i++;
          break;
        }
        stack[++depth] = c === 0x7b ? OBJECT : ARRAY;
        if (c === 0x7b) {
          i = scanKey(b, i);
          if (i < 0) return -1;
        }
        continue value;
      }
      case 0x74:
        i = scanLiteral(b, i, 'true');
        break;
      case 0x66:
        i = scanLiteral(b, i, 'false');
        break;
      case 0x6e:
        i = scanLiteral(b, i, 'null');
        break;
      default:
        i = scanNumber(b, i);
    }
    if (i < 0) return -1;
    // A value ended: close every container that ends here.
    for (;;) {
      if (depth === 0) return i;
      i = skipWs(b, i);
      const d = b[i];
      if (d === 0x2c /* , */) {
        i = skipWs(b, i + 1);
        if (stack[depth] === OBJECT) {
          i = scanKey(b, i);
          if (i < 0) return -1;
        }
        continue value;
      }
      if (d !== (stack[depth] === OBJECT ? 0x7d : 0x5d)) return -1;
      i++;
      depth--;
    }
  }
}

/** Scans `"key" :` and the whitespace after it; returns the value's start or -1. */
function scanKey(b: Buffer, i: number): number {
  if (b[i] !== QUOTE) return -1;
  i = scanString(b, i);
  if (i < 0) return -1;
  i = skipWs(b, i);
  if (b[i] !== 0x3a /* : */) return -1;
  return skipWs(b, i + 1);
}

/** True when the whole of `b` is one valid JSON document (surrounding whitespace allowed). */
export function isValidJson(b: Buffer): boolean {
  const i = scanValue(b, skipWs(b, 0));
  return i >= 0 && skipWs(b, i) === b.length;
}

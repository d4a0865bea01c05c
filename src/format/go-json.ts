/**
 * JSON text as Go's encoding/json writes it, so that rows zotpack writes are
 * byte-identical to rows zot would write: `<`, `>`, `&`, U+2028 and U+2029
 * escaped; times in RFC 3339 with trailing zeros of the fraction trimmed.
 */

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** A JSON string literal for `s`, escaped as Go escapes it. */
export function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!);
}

/** Any JSON-able value, with strings escaped as Go escapes them. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!);
}

/** RFC 3339 in UTC with up to nanoseconds, trailing zeros trimmed (Go's time.RFC3339Nano). */
export function goTime(date: Date, extraNanos = 0): string {
  const iso = date.toISOString(); // 2026-05-06T18:46:29.123Z
  const ms = iso.slice(20, 23);
  const frac = (ms + String(extraNanos).padStart(6, '0')).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

/** Go's `20060102-150405` layout in UTC, for file names. Unparseable or absent times are Go's zero time. */
export function compactUtc(rfc3339: string | undefined): string {
  const ms = rfc3339 === undefined ? NaN : Date.parse(rfc3339);
  if (Number.isNaN(ms)) return '00010101-000000';
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`
  );
}

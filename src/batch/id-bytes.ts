/**
 * A session id as the bytes IdPaths keeps: UTF-8, except that UTF-8 turns
 * every lone surrogate into the same three bytes, so an id holding any
 * surrogate is kept as UTF-16 behind a 0xff byte (which UTF-8 never
 * produces). Two ids are then the same bytes only when they are the same
 * string, as they were as keys of a Map.
 */
const SURROGATE = /[\uD800-\uDFFF]/;
const WIDE = 0xff;

/** How many bytes writeId writes for `id`. */
export function idBytes(id: string): number {
  return SURROGATE.test(id) ? 1 + id.length * 2 : Buffer.byteLength(id);
}

/** Writes `id` at `at` (room for idBytes(id) is the caller's); returns the bytes written. */
export function writeId(buf: Buffer, id: string, at: number): number {
  if (!SURROGATE.test(id)) return buf.write(id, at);
  buf[at] = WIDE;
  return 1 + buf.write(id, at + 1, 'utf16le');
}

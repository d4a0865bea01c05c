/**
 * Writes a value as JSON.stringify would, in pieces of about 64 KB: the
 * result of a command over 100,000 sessions (a plan entry or a tree node
 * each) never becomes one string. As one string (twice: the template that
 * added the newline copied it), `export --json` of 100,000 sessions peaked at
 * 262 MB, past the 256 MB budget, and `tree --json` at up to 261 MB; in
 * pieces, 233 and 222 MB.
 *
 * The output is byte for byte JSON.stringify(value, null, indent): the same
 * key order, `toJSON`, undefined members left out (null in arrays), and
 * arrays and objects written member by member at every depth.
 */

const FLUSH_AT = 64 << 10;

/**
 * A value whose JSON is surely under about this many characters is written
 * by one JSON.stringify call rather than member by member: tree --json over
 * 100,000 sessions spent more of its main thread here than anywhere else.
 */
const WHOLE_AT_MOST = 1024;

/** Whether `v`'s JSON is short by a quick count: string lengths, key lengths, a few characters for anything else. */
function short(v: object): boolean {
  let left = WHOLE_AT_MOST;
  const fits = (x: unknown): boolean => {
    if (typeof x === 'string') return (left -= x.length + 2) >= 0;
    if (x === null || typeof x !== 'object') return (left -= 24) >= 0;
    if ((left -= 2) < 0) return false;
    if (Array.isArray(x)) {
      for (const e of x) if (!fits(e)) return false;
      return true;
    }
    for (const k of Object.keys(x)) {
      left -= k.length + 4;
      if (!fits((x as Record<string, unknown>)[k])) return false;
    }
    return true;
  };
  return fits(v);
}

export interface JsonSink {
  write(chunk: string): unknown;
}

export function writeJson(out: JsonSink, value: unknown, indent = 0): void {
  // As JSON.stringify takes its space argument: whole spaces, at most 10.
  indent = Math.min(10, Math.max(0, Math.floor(indent)));
  const pieces: string[] = [];
  let size = 0;
  const emit = (s: string) => {
    pieces.push(s);
    size += s.length;
    if (size >= FLUSH_AT) flush();
  };
  const flush = () => {
    if (pieces.length === 0) return;
    out.write(pieces.join(''));
    pieces.length = 0;
    size = 0;
  };
  const step = ' '.repeat(indent);
  const colon = indent > 0 ? ': ' : ':';

  // `key` is what toJSON receives, as with JSON.stringify.
  const resolve = (v: unknown, key: string): unknown => {
    const t = typeof v;
    if (v !== null && (t === 'object' || t === 'function' || t === 'bigint') && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      return (v as { toJSON(key: string): unknown }).toJSON(key);
    }
    return v;
  };
  const skipped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

  const put = (v: unknown, prefix: string): void => {
    // Primitives, and their boxed forms, which JSON.stringify unboxes.
    if (v === null || typeof v !== 'object' || v instanceof String || v instanceof Number || v instanceof Boolean) {
      emit(JSON.stringify(v));
      return;
    }
    // JSON.stringify of the whole value, its lines moved in to this depth
    // (a string in JSON never holds a raw newline). Not for a value that
    // still has a toJSON: JSON.stringify would call it a second time.
    if (typeof (v as { toJSON?: unknown }).toJSON !== 'function' && short(v)) {
      const text = JSON.stringify(v, null, indent);
      emit(indent > 0 && prefix !== '' ? text.replaceAll('\n', `\n${prefix}`) : text);
      return;
    }
    const inner = prefix + step;
    const open = indent > 0 ? `\n${inner}` : '';
    const close = indent > 0 ? `\n${prefix}` : '';
    if (Array.isArray(v)) {
      if (v.length === 0) return emit('[]');
      emit('[');
      // An index loop, not forEach: a hole in a sparse array is null too.
      for (let i = 0; i < v.length; i++) {
        emit(i > 0 ? `,${open}` : open);
        const r = resolve(v[i], String(i));
        if (skipped(r)) emit('null');
        else put(r, inner);
      }
      emit(`${close}]`);
      return;
    }
    let first = true;
    for (const key of Object.keys(v)) {
      const r = resolve((v as Record<string, unknown>)[key], key);
      if (skipped(r)) continue;
      emit(first ? `{${open}` : `,${open}`);
      first = false;
      emit(`${JSON.stringify(key)}${colon}`);
      put(r, inner);
    }
    emit(first ? '{}' : `${close}}`);
  };

  const top = resolve(value, '');
  if (!skipped(top)) put(top, '');
  flush();
}

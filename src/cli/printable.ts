/**
 * Text from sessions and file names, made safe to show on a terminal. A
 * title, prompt, model, id or path can hold control characters: a prompt
 * pasted from coloured output, or a bundle from a stranger written to
 * recolour the screen, move the cursor, rename the window or write the
 * clipboard (OSC 52) when `zotpack tree` prints it, or to break one line of
 * the tree into two. Text output shows them as escapes instead; `--json`
 * keeps every string exact.
 */

// C0 and C1 controls and DEL; the bidirectional embeddings, overrides and
// isolates, which reorder the rest of a line ("Trojan Source"); and
// surrogates without their pair (with the u flag a paired one is one code
// point, never in the range), which a terminal would show as U+FFFD.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;

// The same characters without the u flag, where a surrogate pair matches
// too: a test that lets most text through without the u flag's slower walk
// by code points (a tree line: 0.5 -> 0.12 µs).
const MAYBE_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every character a terminal would act on written as an escape (`\x1b`, `\n`, `\u202e`). */
export function printable(text: string): string {
  return MAYBE_UNSAFE.test(text) ? text.replace(UNSAFE, escape) : text;
}

/**
 * The first line of `text`, trimmed and cut to `max` characters, never
 * inside a surrogate pair; with an ellipsis when anything was left out (the
 * rest of the line, or more lines), so a prompt shown by its first line is
 * not taken for all of it.
 */
export function firstLine(text: string, max: number): string {
  // From the first line with text on it: a prompt may start with blank lines.
  const start = textFrom(text, 0);
  const end = text.indexOf('\n', start);
  const line = (end < 0 ? text.slice(start) : text.slice(start, end)).trim();
  const more = end >= 0 && textFrom(text, end + 1) < text.length;
  if (line.length <= max && !more) return line;
  let cut = Math.min(line.length, max - 1);
  const last = line.charCodeAt(cut - 1);
  if (cut < line.length && last >= 0xd800 && last <= 0xdbff) cut--;
  return `${line.slice(0, cut)}…`;
}

/** Where `text` holds something other than white space, from `from` on (its length if nowhere): no copy of a prompt of megabytes. */
function textFrom(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
  }
  return i;
}

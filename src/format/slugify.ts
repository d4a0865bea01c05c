/**
 * zot's slug for export file names: lower-cased, every run of characters
 * other than a-z and 0-9 folded to one `-`, cut at `max` characters.
 */
export function slugify(s: string, max = 40): string {
  const text = s.trim();
  if (text === '') return '';
  let out = '';
  let prevDash = false;
  for (const ch of text) {
    // Go lower-cases rune by rune; a rune whose JS lower case is several
    // characters (U+0130) lower-cases to its first one in Go.
    const c = ch.toLowerCase()[0]!;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
      prevDash = false;
    } else if (!prevDash && out.length > 0) {
      out += '-';
      prevDash = true;
    }
    if (out.length >= max) break;
  }
  return out.replace(/-+$/, '');
}

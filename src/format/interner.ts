/**
 * One copy of each repeated string. Strings that arrive from a worker, a
 * JSON parse or a directory listing are fresh copies; 100,000 sessions share
 * a few dozen cwds, project keys and model names.
 */

/** A function returning the first-seen copy of each string it is given. */
export function interner(): (s: string) => string {
  const strings = new Map<string, string>();
  return (s) => {
    const known = strings.get(s);
    if (known !== undefined) return known;
    strings.set(s, s);
    return s;
  };
}

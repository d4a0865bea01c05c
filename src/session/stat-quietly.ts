/**
 * A stat that answers "not there" instead of throwing, for callers that
 * decide by what they find and leave naming a problem to the code that
 * then opens the file.
 */
import { statSync, type Stats } from 'node:fs';

/** The stat of `path` (links followed), or undefined when there is none to be had. */
export function statQuietly(path: string): Stats | undefined {
  // throwIfNoEntry: a missing path is the common case, and a thrown ENOENT
  // (with its stack) costs more than the stat itself.
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // a link that loops, a part that is not a folder
  }
}

/** Whether `path` leads to a folder (false for a link that loops or dangles). */
export function isFolder(path: string): boolean {
  return statQuietly(path)?.isDirectory() === true;
}

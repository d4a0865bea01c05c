/**
 * File names zot gives sessions and exports.
 */
import { compactUtc } from './go-json.js';
import { slugify } from './slugify.js';

export const SESSION_EXT = '.jsonl';
export const PORTABLE_EXT = '.zotsession';

/**
 * The first 8 characters of an id, as a file name holds them. zot's ids are
 * UUIDs, which pass unchanged; in an id written by hand (or by a stranger)
 * anything but a letter, digit, `-` or `_` is `_`: `/../../x` must not make
 * a name a path.
 */
function idInName(id: string): string {
  return id.slice(0, 8).replace(/[^0-9A-Za-z_-]/g, '_');
}

/** `<YYYYMMDD-HHMMSS>-<first 8 of id>.jsonl`, the time in UTC. */
export function sessionFileName(started: string, id: string): string {
  return `${compactUtc(started)}-${idInName(id)}${SESSION_EXT}`;
}

/** `<YYYYMMDD-HHMMSS>[-<id8>][-<slug of the first prompt>].zotsession` */
export function exportFileName(started: string | undefined, id: string, firstPrompt: string): string {
  let base = compactUtc(started);
  if (id.length >= 8) base += `-${idInName(id)}`;
  const slug = slugify(firstPrompt, 40);
  if (slug !== '') base += `-${slug}`;
  return base + PORTABLE_EXT;
}

/** True for a name zot treats as a session file. */
export function isSessionFileName(name: string): boolean {
  return name.endsWith(SESSION_EXT);
}

/**
 * Whether `name`, recorded in a session (an export's origin), may name its
 * file: a plain name ending in .jsonl — no folder, control character, `\\`
 * or `:`, not hidden, within 255 bytes — as a bundle entry's must be.
 */
export function isPlainSessionName(name: string): boolean {
  return (
    name.endsWith(SESSION_EXT) &&
    name.length > SESSION_EXT.length &&
    !name.startsWith('.') &&
    !/[/\\:\u0000-\u001f\u007f]/.test(name) &&
    Buffer.byteLength(name) <= 255
  );
}

/**
 * File names zot gives sessions and exports.
 */
import { compactUtc } from './go-json.js';
import { slugify } from './slugify.js';

export const SESSION_EXT = '.jsonl';
export const PORTABLE_EXT = '.zotsession';

/** `<YYYYMMDD-HHMMSS>-<first 8 of id>.jsonl`, the time in UTC. */
export function sessionFileName(started: string, id: string): string {
  return `${compactUtc(started)}-${id.slice(0, 8)}${SESSION_EXT}`;
}

/** `<YYYYMMDD-HHMMSS>[-<id8>][-<slug of the first prompt>].zotsession` */
export function exportFileName(started: string | undefined, id: string, firstPrompt: string): string {
  let base = compactUtc(started);
  if (id.length >= 8) base += `-${id.slice(0, 8)}`;
  const slug = slugify(firstPrompt, 40);
  if (slug !== '') base += `-${slug}`;
  return base + PORTABLE_EXT;
}

/** True for a name zot treats as a session file. */
export function isSessionFileName(name: string): boolean {
  return name.endsWith(SESSION_EXT);
}

/**
 * Find sessions in a project folder by id or id prefix, reading only each
 * file's first row, as zot's FindSessionByID does.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ZotpackError, fromFsError, type Warning } from '../errors.js';
import { sortByBytes } from '../format/byte-order.js';
import { isSessionFileName } from '../format/session-names.js';
import { readFirstMeta } from './first-meta.js';

export interface FoundSession {
  path: string;
  id: string;
}

/** Session files of a folder in zot's order: regular `*.jsonl` entries sorted by name bytes. */
export function listSessionFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromFsError(err, dir, 'cannot list');
  }
  const names = entries.filter((e) => !e.isDirectory() && isSessionFileName(e.name)).map((e) => e.name);
  return sortByBytes(names, (name) => name).map((name) => join(dir, name));
}

export interface FindResult {
  /** Sessions whose id starts with the prefix; an exact match alone when there is one. */
  matches: FoundSession[];
  /** Files that could not be read as sessions. */
  warnings: Warning[];
}

export function findSessions(dir: string, idPrefix: string): FindResult {
  const matches: FoundSession[] = [];
  const warnings: Warning[] = [];
  for (const path of listSessionFiles(dir)) {
    let id: string;
    try {
      id = readFirstMeta(path).meta.id;
    } catch (err) {
      if (!(err instanceof ZotpackError)) throw err;
      warnings.push({ code: 'W_UNREADABLE', message: err.reason, path });
      continue;
    }
    if (id !== '' && id.startsWith(idPrefix)) matches.push({ path, id });
  }
  const exact = matches.filter((m) => m.id === idPrefix);
  return { matches: exact.length > 0 ? exact : matches, warnings };
}

/**
 * The first session file in any project folder of `sessionsRoot` whose id
 * is `id`: a session is one id in the whole home, wherever its project is.
 */
export function findIdInHome(sessionsRoot: string, id: string): FoundSession | undefined {
  let projects;
  try {
    projects = readdirSync(sessionsRoot, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromFsError(err, sessionsRoot, 'cannot list');
  }
  for (const p of sortByBytes(projects.filter((e) => e.isDirectory() && !e.name.startsWith('.')), (e) => e.name)) {
    const twin = findSessions(join(sessionsRoot, p.name), id).matches.find((m) => m.id === id);
    if (twin) return twin;
  }
  return undefined;
}

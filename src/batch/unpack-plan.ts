/**
 * Where a bundled session goes, decided from its manifest entry and the
 * home's ids before a byte of its data is read: its cwd (through the
 * mapping), its project folder (the new cwd's key), its id (kept, or
 * derived with --fresh-ids) and file name, and the local session it must be
 * compared with, if any. Each session is planned when its entry comes;
 * what is planned for the whole bundle up front is per project.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { ZotpackError } from '../errors.js';
import type { CwdMap } from '../format/cwd-map.js';
import { derivedId, renamedFor } from '../format/derived-id.js';
import { projectKey, sessionsRoot } from '../format/project-key.js';
import { readFirstMeta } from '../session/first-meta.js';
import type { IdMapping } from '../session/meta-rewrite.js';
import { sessionEntryPath } from './bundle-entry.js';
import type { BundleSession } from './bundle-manifest.js';
import type { IdPaths } from './id-paths.js';
import type { BundleManifestFile } from './manifest-file.js';

/** Where a session goes, from its manifest entry alone. */
export interface Route {
  entry: BundleSession;
  /** The id in the home (the bundled one unless --fresh-ids). */
  id: string;
  /** The cwd in the home. */
  cwd: string;
  /** A --map-cwd rule applied. */
  mapped: boolean;
  key: string;
  file: string;
  /** `<home>/sessions/<key>/<file>` */
  target: string;
}

export interface PlannedSession extends Route {
  /** The local session file with this id, compared byte for byte. */
  twin: string | undefined;
  /** No twin, and another file already has the target name. */
  nameTaken: boolean;
}

/** One project as it moves: from its folder and cwd in the bundle to its folder and cwd here. */
export interface ProjectPlan {
  fromKey: string;
  fromCwd: string;
  key: string;
  toCwd: string;
  /** `<home>/sessions/<key>` */
  folder: string;
  sessions: number;
}

export interface RouteOptions {
  home: string;
  cwdMap: CwdMap;
  freshIds: boolean;
}

export interface PlanOptions extends RouteOptions {
  /** The ids of the home, and of the sessions this run has written. */
  index: IdPaths;
  /** True when a file has this path (default: one is there now). */
  taken?: (target: string) => boolean;
}

/** Where a project goes: its cwd here (through the mapping) and its folder's key. */
function routeProject(key: string, cwd: string, options: RouteOptions): { cwd: string; mapped: boolean; key: string } {
  const newCwd = cwd === '' ? undefined : options.cwdMap.map(cwd);
  // An unmapped session stays in the folder it came from (its cwd's key, normally).
  return newCwd === undefined ? { cwd, mapped: false, key } : { cwd: newCwd, mapped: true, key: projectKey(newCwd) };
}

export function routeSession(entry: BundleSession, options: RouteOptions): Route {
  const { file: bundledFile } = sessionEntryPath(entry.path);
  const { cwd, mapped, key } = routeProject(entry.key, entry.cwd, options);
  const id = options.freshIds && entry.id !== '' ? derivedId('fresh', entry.id) : entry.id;
  const file = id === entry.id ? bundledFile : renamedFor(bundledFile, id);
  return { entry, id, cwd, mapped, key, file, target: join(sessionsRoot(options.home), key, file) };
}

export function planSession(entry: BundleSession, options: PlanOptions): PlannedSession {
  const route = routeSession(entry, options);
  const twin = twinOf(route.id, route.target, options.index);
  const nameTaken = twin === undefined && (options.taken ?? exists)(route.target);
  return { ...route, twin, nameTaken };
}

/** True when something (a file, a folder, a link) has this path. */
export function exists(path: string): boolean {
  try {
    // Not an exception for a missing file: a new session's name is nearly always free, and an exception costs more than the lstat.
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false; // a folder on the way is a file, say: nothing can be there
  }
}

/**
 * The local session with this id: the file at `target` when it has the id
 * (a home with two files of one id compares the one the bundle's would
 * be), else the one the index names.
 */
export function twinOf(id: string, target: string, index: IdPaths): string | undefined {
  if (id === '') return undefined;
  const there = index.where(id);
  if (there === undefined || there === null || there === target) return there ?? undefined;
  try {
    if (lstatSync(target, { throwIfNoEntry: false })?.isFile() && readFirstMeta(target).meta.id === id) return target;
  } catch {
    // no file there, or not a session: the index's
  }
  return there;
}

/** Each project of the bundle as it moves, with its sessions counted; by new cwd, then key. */
export function planProjects(manifest: BundleManifestFile, options: RouteOptions): ProjectPlan[] {
  const byPair = new Map<string, ProjectPlan>();
  for (const g of manifest.projects()) {
    const to = routeProject(g.key, g.cwd, options);
    const pair = `${g.key}>${to.key}`;
    let p = byPair.get(pair);
    if (!p) {
      p = { fromKey: g.key, fromCwd: g.cwd, key: to.key, toCwd: to.cwd, folder: join(sessionsRoot(options.home), to.key), sessions: 0 };
      byPair.set(pair, p);
    }
    p.sessions += g.sessions;
  }
  return [...byPair.values()].sort((a, b) => (a.toCwd < b.toCwd ? -1 : a.toCwd > b.toCwd ? 1 : a.key < b.key ? -1 : 1));
}

/**
 * True when some bundled session has something in the home to be compared
 * with: a session with its id, or a file with its name. Stops at the first.
 */
export function meetsHome(manifest: BundleManifestFile, options: PlanOptions): boolean {
  if (!exists(sessionsRoot(options.home))) return false;
  for (const [, entry] of manifest.all()) {
    const s = routeSession(entry, options);
    if ((s.id !== '' && options.index.where(s.id) !== undefined) || (options.taken ?? exists)(s.target)) return true;
  }
  return false;
}

/**
 * --fresh-ids: every id of a session in the bundle to its derived one,
 * answered from the manifest (so no map of 300,000 ids is kept).
 */
export function freshIdMapping(manifest: BundleManifestFile): IdMapping {
  return {
    size: manifest.idCount,
    get: (id) => (manifest.hasId(id) ? derivedId('fresh', id) : undefined),
  };
}

/**
 * Project folders an unpack must not write into: a link (writing through it
 * would write outside the home) or not a folder, by key. Throws when the
 * home's `sessions/` itself is such a thing.
 */
export function unsafeFolders(home: string, keys: Iterable<string>): Map<string, ZotpackError> {
  const root = sessionsRoot(home);
  const check = (dir: string): ZotpackError | undefined => {
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      return undefined; // created when needed
    }
    if (st.isSymbolicLink()) return new ZotpackError('E_UNSAFE_PATH', 'a symbolic link: zotpack does not write through links', { path: dir });
    if (!st.isDirectory()) return new ZotpackError('E_NOT_DIR', 'expected a folder', { path: dir });
    return undefined;
  };
  const top = check(root);
  if (top) throw top;
  const bad = new Map<string, ZotpackError>();
  for (const key of new Set(keys)) {
    const err = check(join(root, key));
    if (err) bad.set(key, err);
  }
  return bad;
}

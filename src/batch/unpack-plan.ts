/**
 * Where each bundled session goes, decided from the manifest and the home's
 * index before a byte of session data is read: its cwd (through the
 * mapping), its project folder (the new cwd's key), its id (kept, or derived
 * with --fresh-ids) and file name, and the local session it must be compared
 * with, if any.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { ZotpackError } from '../errors.js';
import type { CwdMap } from '../format/cwd-map.js';
import { derivedId, renamedFor } from '../format/derived-id.js';
import { projectKey, sessionsRoot } from '../format/project-key.js';
import { sessionEntryPath } from './bundle-entry.js';
import type { BundleSession } from './bundle-manifest.js';
import type { HomeIndex, LocalSession } from './home-index.js';

export interface PlannedSession {
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
  /** The local session with this id, compared byte for byte. */
  twin: LocalSession | undefined;
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

export interface UnpackPlan {
  sessions: PlannedSession[];
  projects: ProjectPlan[];
  /** Old id -> new id (--fresh-ids): every `id` and `parent` inside the bundle is rewritten through it. */
  ids: Map<string, string>;
}

export interface PlanOptions {
  home: string;
  cwdMap: CwdMap;
  freshIds: boolean;
  index: HomeIndex;
}

export function planUnpack(sessions: readonly BundleSession[], options: PlanOptions): UnpackPlan {
  const ids = new Map<string, string>();
  if (options.freshIds) for (const s of sessions) if (s.id !== '') ids.set(s.id, derivedId('fresh', s.id));
  const planned = sessions.map((entry) => {
    const { file: bundledFile } = sessionEntryPath(entry.path);
    const newCwd = entry.cwd === '' ? undefined : options.cwdMap.map(entry.cwd);
    const mapped = newCwd !== undefined;
    const cwd = newCwd ?? entry.cwd;
    // An unmapped session stays in the folder it came from (its cwd's key, normally).
    const key = mapped ? projectKey(cwd) : entry.key;
    const id = ids.get(entry.id) ?? entry.id;
    const file = id === entry.id ? bundledFile : renamedFor(bundledFile, id);
    const target = join(sessionsRoot(options.home), key, file);
    const twin = id === '' ? undefined : options.index.withId(id, target)[0];
    const nameTaken = twin === undefined && options.index.hasName(key, file);
    return { entry, id, cwd, mapped, key, file, target, twin, nameTaken };
  });
  return { sessions: planned, projects: projectsOf(planned, options.home), ids };
}

function projectsOf(sessions: readonly PlannedSession[], home: string): ProjectPlan[] {
  const byPair = new Map<string, ProjectPlan>();
  for (const s of sessions) {
    const pair = `${s.entry.key}>${s.key}`;
    let p = byPair.get(pair);
    if (!p) {
      p = { fromKey: s.entry.key, fromCwd: s.entry.cwd, key: s.key, toCwd: s.cwd, folder: join(sessionsRoot(home), s.key), sessions: 0 };
      byPair.set(pair, p);
    }
    p.sessions++;
  }
  return [...byPair.values()].sort((a, b) => (a.toCwd < b.toCwd ? -1 : a.toCwd > b.toCwd ? 1 : a.key < b.key ? -1 : 1));
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

/**
 * Finding the session files of the sources a run is given.
 *
 * A source may be a zot home, its `sessions/` folder, one project folder or
 * a single file. A run first finds the folders that hold sessions (the layout
 * zot writes: a source folder and the folders in it), then lists each folder
 * with fast-glob when it needs that folder's files, so an archive can be
 * worked a few projects at a time without ever holding every path. Symbolic
 * links are followed only where they stay inside the source; one pointing
 * out of it, an unreadable folder or a missing source is reported as a
 * warning, never fatal.
 */
import { lstatSync, opendirSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import fg from 'fast-glob';
import { fromFsError, type Warning } from '../errors.js';
import type { JobError } from './protocol.js';
import { isProjectKey } from '../format/project-key.js';
import { interner } from '../format/interner.js';

export interface SessionEntry {
  /** Absolute path as found (a link's own path when it is a link). */
  path: string;
  size: number;
  mtimeMs: number;
  /** The project key of the folder holding it, or '' when the folder is not a project folder. */
  folderKey: string;
}

export interface Discovery {
  entries: SessionEntry[];
  warnings: Warning[];
  /** Sources that are not there or cannot be read. */
  errors: JobError[];
}

/** A folder holding session files. */
export interface SessionFolder {
  dir: string;
  /** Its name when that is a project key, else ''. */
  key: string;
  /** The real path of the source it was found in: links are followed only inside it. */
  root: string;
}

/** Where the sessions are, before any folder is listed. */
export interface FolderDiscovery {
  /** The endings of a session file's name, by preference (folderExt). */
  exts: readonly string[];
  /** Each folder's ending, once decided. */
  folderExts: Map<string, string>;
  /** Every folder once, sorted by key ('' first), then path. */
  folders: SessionFolder[];
  /** Files given as sources themselves, other than those a listed folder holds. */
  files: SessionEntry[];
  warnings: Warning[];
  /** Sources that are not there or cannot be read: failures, since the user named them (or the home). */
  errors: JobError[];
  /** Real paths of the folders: a link to a file one of them holds is that file again. */
  realDirs: Set<string>;
  /**
   * Files that may be reached under more than one name, by device and inode:
   * files with several hard links, targets of links, single files given as
   * sources. Each is taken once. (Other files have one name in one folder,
   * and each folder is listed once: no need to keep a number per file.)
   */
  named: Map<number, Set<number>>;
}

/** How the names of zotpack's own files in a folder begin (the export journal, run locks). */
const OWN_PREFIX = '.zotpack-';

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep));
}

// One string per project folder name, shared by its (possibly 100,000) sessions.
const folderName = interner();

function keyOf(dir: string): string {
  const name = folderName(basename(dir));
  return isProjectKey(name) ? name : '';
}

/** `folderKey`: the key of the folder the file is in, when the caller knows it (a listing: one key for the folder's files). */
function entryOf(path: string, st: Stats, folderKey = keyOf(dirname(path))): SessionEntry {
  return { path, size: st.size, mtimeMs: st.mtimeMs, folderKey };
}

/** The folder to list for a source folder: a zot home's `sessions/`, else the folder itself. */
function globBase(dir: string): string {
  try {
    if (statSync(join(dir, 'sessions')).isDirectory()) return join(dir, 'sessions');
  } catch {
    // not a zot home
  }
  return dir;
}

/** Sessions in path order, the order every listing hands out. */
export const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** True once per file: a file reached under several names (links, sources) is taken under the first. */
function firstName(d: FolderDiscovery, st: Stats, mayRepeat = false): boolean {
  if (st.nlink < 2 && !mayRepeat) return true;
  let inodes = d.named.get(st.dev);
  if (!inodes) d.named.set(st.dev, (inodes = new Set()));
  if (inodes.has(st.ino)) return false;
  inodes.add(st.ino);
  return true;
}

/** Whether `path` (a real path) is a session file one of the folders lists itself. */
function listedElsewhere(d: FolderDiscovery, path: string): boolean {
  const name = basename(path);
  return d.realDirs.has(dirname(path)) && isSessionName(name, folderExt(d, dirname(path)));
}

/** Whether a name in a listed folder is a session file's (a hidden name is passed over, with a warning from listFolder). */
function isSessionName(name: string, ext: string): boolean {
  return !name.startsWith('.') && name.endsWith(ext);
}

/**
 * The ending of a folder's session files: the first of `d.exts` that a name
 * in it has. So a zot home's project folder is its `.jsonl` files (zot reads
 * nothing else), even with an export written into it, and an export folder
 * (no `.jsonl`) is its `.zotsession` files.
 */
function folderExt(d: FolderDiscovery, dir: string, names?: readonly string[]): string {
  if (d.exts.length === 1) return d.exts[0]!;
  let ext = d.folderExts.get(dir);
  if (ext === undefined) {
    let listed = names;
    try {
      listed ??= readdirSync(dir);
    } catch {
      listed = []; // listFolder reports what it cannot read
    }
    ext = d.exts.find((x) => listed.some((name) => isSessionName(name, x))) ?? d.exts[0]!;
    d.folderExts.set(dir, ext);
  }
  return ext;
}

/** Session file endings, one or several (tree reads a zot home's `.jsonl` and an export's `.zotsession`). */
export type SessionExt = string | readonly string[];

/**
 * What the commands that only read sessions (tree, stats, find) list: a zot
 * home's sessions, or an export folder's, so a backup can be looked at where
 * it is (one kind a folder: folderExt). Commands that write keep to one kind.
 */
export const ANY_SESSION: SessionExt = ['.jsonl', '.zotsession'];

/**
 * The folders under the sources (not yet listed) and the single files given.
 * Costs one directory read per source: 100,000 sessions in 20 projects are
 * 20 folders here.
 */
export function findFolders(sources: readonly string[], ext: SessionExt = '.jsonl', wanted: (key: string) => boolean = () => true): FolderDiscovery {
  const d: FolderDiscovery = { exts: typeof ext === 'string' ? [ext] : ext, folderExts: new Map(), folders: [], files: [], warnings: [], errors: [], realDirs: new Set(), named: new Map() };
  // Folders by device and inode: one folder reached twice (from a home and
  // one of its projects, through a bind mount) is listed once.
  const seenDirs = new Map<number, Set<number>>();
  const singles: Array<{ path: string; st: Stats }> = [];
  const addFolder = (dir: string, root: string) => {
    const key = keyOf(dir);
    // A project a filter leaves out is not listed (and a link into it is followed).
    if (key !== '' && !wanted(key)) return;
    let real: string;
    let st: Stats;
    try {
      real = realpathSync(dir);
      st = statSync(real);
    } catch {
      return;
    }
    let inodes = seenDirs.get(st.dev);
    if (!inodes) seenDirs.set(st.dev, (inodes = new Set()));
    if (inodes.has(st.ino)) return;
    inodes.add(st.ino);
    d.realDirs.add(real);
    d.folders.push({ dir, key, root });
  };
  for (const source of sources) {
    const abs = resolve(source);
    let st: Stats;
    try {
      st = statSync(abs);
    } catch (err) {
      const e = fromFsError(err, abs, 'cannot read');
      d.errors.push({ code: e.code, message: e.reason, path: abs });
      continue;
    }
    if (st.isFile()) {
      singles.push({ path: abs, st });
      continue;
    }
    if (!st.isDirectory()) {
      d.errors.push({ code: 'E_UNREADABLE', message: 'not a regular file or a folder (a pipe or device)', path: abs });
      continue;
    }
    const base = globBase(abs);
    const root = realpathSync(base);
    addFolder(base, root);
    for (const e of readdirSync(base, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(base, e.name);
      if (e.isSymbolicLink()) {
        try {
          if (statSync(p).isDirectory()) d.warnings.push({ code: 'W_UNREADABLE', message: 'linked folder not followed', path: p });
        } catch {
          // a dangling link: nothing to follow
        }
      } else if (e.isDirectory()) {
        // fast-glob passes over folders it cannot read: say which.
        try {
          opendirSync(p).closeSync();
        } catch (err) {
          // Its sessions would be missing from a backup that passed: a failure, not a warning.
          const e = fromFsError(err, p, 'cannot list the project folder');
          d.errors.push({ code: e.code, message: e.reason, path: p });
          continue;
        }
        addFolder(p, root);
      }
    }
  }
  for (const { path, st } of singles) {
    let real = path;
    try {
      real = realpathSync(path);
    } catch {
      // listed as given
    }
    if (listedElsewhere(d, real)) continue;
    const e = entryOf(path, st);
    if (e.folderKey !== '' && !wanted(e.folderKey)) continue;
    if (firstName(d, st, true)) d.files.push(e);
  }
  d.files.sort(byPath);
  d.folders.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  return d;
}

/** The real path of the folder a source folder is listed from (its `sessions/` for a zot home): SessionFolder.root. */
export function sourceRoot(source: string): string {
  const base = globBase(resolve(source));
  try {
    return realpathSync(base);
  } catch {
    return base;
  }
}

/**
 * Whether a source folder holds a session file, in it or a folder in it:
 * asked only of one whose own folders counted none — it may be a folder
 * another source listed first (a project folder of a home also given).
 */
export function holdsSessions(d: FolderDiscovery, source: string): boolean {
  const base = globBase(resolve(source));
  const holds = (dir: string) => {
    try {
      const names = readdirSync(dir);
      const ext = folderExt(d, dir, names);
      return names.some((name) => isSessionName(name, ext));
    } catch {
      return false;
    }
  };
  if (holds(base)) return true;
  try {
    return readdirSync(base, { withFileTypes: true }).some((e) => e.isDirectory() && !e.name.startsWith('.') && holds(join(base, e.name)));
  } catch {
    return false;
  }
}

/** The names of a folder's session files, without a stat: what a progress bar's total needs. */
export function countFolder(d: FolderDiscovery, folder: SessionFolder): number {
  try {
    const names = readdirSync(folder.dir);
    const ext = folderExt(d, folder.dir, names);
    let n = 0;
    for (const name of names) if (isSessionName(name, ext)) n++;
    return n;
  } catch {
    return 0;
  }
}

/** One folder's session files, sorted by path; problems go to `d.warnings`. */
export function listFolder(d: FolderDiscovery, folder: SessionFolder): SessionEntry[] {
  return [...folderEntries(d, folder)];
}

/**
 * listFolder's entries one at a time, so that a caller can let other work in
 * between: stat-ing a folder of 20,000 sessions takes a quarter of a second
 * (an lstat each), which a coordinator does not spend with its threads idle.
 */
export function* folderEntries(d: FolderDiscovery, folder: SessionFolder): Generator<SessionEntry, void> {
  // (folder.dir is resolved: a name after it needs no join's normalizing, which cost 5% of a listing.)
  const prefix = folder.dir.endsWith(sep) ? folder.dir : `${folder.dir}${sep}`;
  // Names only: fast-glob's own stats cost 3x the walk; one lstat each is enough.
  const hits = fg
    .sync(`*${folderExt(d, folder.dir)}`, {
      cwd: folder.dir,
      onlyFiles: false,
      followSymbolicLinks: false,
      objectMode: true,
      dot: true,
      suppressErrors: true,
      // One pattern in one folder names each file once: no set of every path
      // seen to check it against (1.2 -> 0.75 µs a file).
      unique: false,
    })
    // The path from the name as listed: fast-glob's own turns a `\` in a name into a `/`.
    .map((hit) => ({ dirent: hit.dirent, name: hit.name, path: `${prefix}${hit.name}` }))
    .sort(byPath);
  // In path order, so that of two names of one file the same one is always taken.
  for (const hit of hits) {
    if (hit.name.startsWith('.')) {
      // zotpack's own files (the export journal) start with '.zotpack-'; no session zot writes starts with a dot.
      if (!hit.name.startsWith(OWN_PREFIX)) d.warnings.push({ code: 'W_UNREADABLE', message: 'a hidden file (its name starts with a dot): skipped, as bundles cannot carry it', path: hit.path });
      continue;
    }
    if (hit.dirent.isFile()) {
      let st: Stats;
      try {
        st = lstatSync(hit.path);
      } catch {
        // Node.js reads a name that is not UTF-8 with U+FFFD in it, and cannot open the file by that name.
        if (hit.name.includes('\ufffd')) d.errors.push({ code: 'E_UNREADABLE', message: 'cannot open: its name is not valid UTF-8', path: hit.path });
        else d.warnings.push({ code: 'W_UNREADABLE', message: 'vanished while listing: skipped', path: hit.path });
        continue;
      }
      if (firstName(d, st)) yield entryOf(hit.path, st, folder.key);
    } else if (hit.dirent.isSymbolicLink()) {
      let tst: Stats;
      try {
        const target = realpathSync(hit.path);
        tst = statSync(target);
        if (!tst.isFile()) continue;
        if (!isInside(folder.root, target)) {
          d.warnings.push({ code: 'W_UNREADABLE', message: `link points out of the source (${target}): skipped`, path: hit.path });
          continue;
        }
        // The file it points to is found under its own name.
        if (listedElsewhere(d, target)) continue;
      } catch (err) {
        const loop = (err as NodeJS.ErrnoException).code === 'ELOOP';
        d.warnings.push({ code: 'W_UNREADABLE', message: loop ? 'a link that loops: skipped' : 'dangling link: skipped', path: hit.path });
        continue;
      }
      if (firstName(d, tst, true)) yield entryOf(hit.path, tst, folder.key);
    }
  }
}

/**
 * Every session file (by `ext`) under the sources, sorted by path, each file
 * once however many sources reach it.
 */
export async function discoverSessions(sources: readonly string[], ext: SessionExt = '.jsonl'): Promise<Discovery> {
  const d = findFolders(sources, ext);
  const entries = [...d.files];
  for (const folder of d.folders) for (const e of listFolder(d, folder)) entries.push(e);
  return { entries: entries.sort(byPath), warnings: d.warnings, errors: d.errors };
}

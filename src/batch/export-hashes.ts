/**
 * What an import checks a backup against: the size and sha256 that an
 * export folder's manifest records for each of its sessions, so that a
 * session whose bytes changed since it was exported (a bad disk, an edit)
 * is refused, not imported.
 *
 * Entries are handed out a range of project keys at a time, in the order
 * the import's slices come (select-slices.ts), from a cursor over each
 * manifest (export-manifest.ts): what is held follows the slice, not the
 * archive.
 */
import { closeSync, existsSync, openSync, readSync, realpathSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { ZotpackError, fromFsError, type Warning } from '../errors.js';
import { sourceMismatch } from '../session/copy-session.js';
import { isProjectKey } from '../format/project-key.js';
import { MANIFEST_NAME, ManifestCursor, outputKey, readJournal, type ManifestEntry } from './export-manifest.js';

/** A session file's size and sha256 as its export recorded them. */
export interface ExpectedBytes {
  bytes: number;
  sha256: string;
}

/** The export folder a source is, or holds a project folder or session file of; undefined for anything else. */
function exportRoot(source: string): string | undefined {
  const path = resolve(source);
  if (existsSync(join(path, MANIFEST_NAME))) return path;
  for (const folder of [path, dirname(path)]) {
    if (isProjectKey(basename(folder)) && existsSync(join(dirname(folder), MANIFEST_NAME))) return dirname(folder);
  }
  return undefined;
}

/**
 * A session file's path as through() keys it: the real path of the folder
 * above its project folder (the export folder, reached through a link or
 * not), then the project folder's name and its own, as the manifest names
 * them — a project folder that is itself a link stays by name. `folders`
 * caches each folder's real path (there are few).
 */
export function realSessionPath(path: string, folders = new Map<string, string>()): string {
  const project = dirname(path);
  const root = dirname(project);
  let real = folders.get(root);
  if (real === undefined) folders.set(root, (real = realOrAsGiven(root)));
  return join(real, basename(project), basename(path));
}

function realOrAsGiven(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** One export folder: its manifest, read a range of projects at a time, and a killed run's journal over it. */
interface ExportFolder {
  root: string;
  cursor: ManifestCursor;
  /** Exports a killed run published after the manifest was written, by output: newer than its entries. */
  journal: Map<string, ManifestEntry>;
  /** The projects whose every listed session the sources take in: all (the folder was given), or the project folders given. */
  covers: 'all' | Set<string>;
}

/** A listed session's expected bytes, and whether its absence is a loss (its folder was given, not single files of it). */
export interface Listed extends ExpectedBytes {
  covered: boolean;
  /** The export of a session gone from its source, kept (a session that moved project has a live export too). */
  sourceDeleted: boolean;
}

/** Each entry of a folder's manifest not yet taken, then its journal's that the manifest does not list. */
function forEachRest(f: ExportFolder, each: (output: string, e: ManifestEntry) => void): void {
  f.cursor.forEachRest((e) => each(e.output, e));
  for (const [output, e] of f.journal) each(output, e);
}

export class ExportHashes {
  private constructor(private readonly folders: ExportFolder[]) {}

  /**
   * The manifests of the sources that are export folders, or project
   * folders or files of one. A manifest that cannot be read is a warning:
   * its sessions are imported unchecked, as from a folder with no manifest.
   */
  static open(sources: readonly string[], warn: (w: Warning[]) => void, unchecked = 'its sessions are imported without a check of their sha256'): ExportHashes {
    const folders = new Map<string, ExportFolder>();
    const unreadable = new Set<string>();
    for (const source of sources) {
      const given = exportRoot(source);
      // By its real path: one export folder reached two ways (a link, a bind mount) is one folder, as discovery lists it once.
      const root = given === undefined ? undefined : realOrAsGiven(given);
      if (root === undefined || unreadable.has(root)) continue;
      let f = folders.get(root);
      if (!f) {
        try {
          const cursor = ManifestCursor.open(root);
          if (!cursor) continue;
          const journal = new Map([...readJournal(root).values()].map((e) => [e.output, e]));
          folders.set(root, (f = { root, cursor, journal, covers: new Set() }));
        } catch (err) {
          if (!(err instanceof ZotpackError)) throw err;
          unreadable.add(root);
          warn([{ code: 'W_UNREADABLE', message: `${err.reason}; ${unchecked}`, path: err.path }]);
          continue;
        }
      }
      const path = resolve(source);
      if (path === given) f.covers = 'all';
      else if (f.covers !== 'all' && dirname(path) === given) f.covers.add(basename(path));
    }
    return new ExportHashes([...folders.values()]);
  }

  /**
   * The listed sessions of the projects in a slice (`inSlice`) whose keys
   * sort up to `key`, by real path (realSessionPath). Those of other projects are passed
   * over, not kept — what is held follows the slice — except that a
   * project the sources take in whole but no slice held (its folder gone)
   * is missing: each of its sessions goes to `onMissing`.
   */
  through(key: string, inSlice: (key: string) => boolean, wanted: (key: string) => boolean, onMissing?: (path: string) => void): Map<string, Listed> {
    const into = new Map<string, Listed>();
    for (const f of this.folders) {
      const each = (output: string, e: ManifestEntry) => this.hand(f, output, e, inSlice, wanted, into, onMissing);
      f.cursor.forEachThrough(key, (e) => each(e.output, e));
      for (const [output, e] of f.journal) if (outputKey(output) <= key) each(output, e);
    }
    return into;
  }

  /** At the end: the listed sessions of projects the sources take in whole that no slice held. */
  rest(wanted: (key: string) => boolean, onMissing: (path: string) => void): void {
    for (const f of this.folders) forEachRest(f, (output, e) => this.hand(f, output, e, () => false, wanted, new Map(), onMissing));
  }

  /**
   * The exports the sources' manifests keep for sessions gone from their
   * source (`sourceDeleted`), by path as realSessionPath gives it: what
   * `tree` of a backup marks. Only those are held, not the whole manifest.
   */
  static keptForDeleted(sources: readonly string[], warn: (w: Warning[]) => void): Set<string> {
    const hashes = ExportHashes.open(sources, warn, 'sessions deleted at the source are not marked');
    const kept = new Set<string>();
    try {
      for (const f of hashes.folders) {
        forEachRest(f, (output, e) => {
          const latest = f.journal.get(output) ?? e;
          f.journal.delete(output);
          if (latest.sourceDeleted) kept.add(join(f.root, output));
        });
      }
    } finally {
      hashes.close();
    }
    return kept;
  }

  private hand(
    f: ExportFolder,
    output: string,
    e: ManifestEntry,
    inSlice: (key: string) => boolean,
    wanted: (key: string) => boolean,
    into: Map<string, Listed>,
    onMissing: ((path: string) => void) | undefined,
  ): void {
    // The journal's entry is the later export of the same output.
    const latest = f.journal.get(output) ?? e;
    f.journal.delete(output);
    const key = outputKey(output);
    const covered = f.covers === 'all' || f.covers.has(key);
    const path = join(f.root, output);
    if (inSlice(key)) into.set(path, { bytes: latest.bytes, sha256: latest.sha256, covered, sourceDeleted: latest.sourceDeleted === true });
    else if (covered && wanted(key)) onMissing?.(path);
  }

  /** The expected bytes of one session file (an import of one file), if an export folder's manifest lists it. */
  static of(file: string, warn: (w: Warning[]) => void): ExpectedBytes | undefined {
    const path = resolve(file);
    const key = basename(dirname(path));
    const hashes = ExportHashes.open([path], warn);
    try {
      return hashes.through(key, (k) => k === key, () => false).get(realSessionPath(path));
    } finally {
      hashes.close();
    }
  }

  /**
   * Throws E_HASH_MISMATCH unless `file` holds the bytes its export
   * recorded. A check before anything is written: an import of one file
   * that fails leaves not even a new project folder behind.
   */
  static check(file: string, expected: ExpectedBytes): void {
    const hash = createHash('sha256');
    let bytes = 0;
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; bytes += n) hash.update(buf.subarray(0, n));
    } catch (err) {
      throw fromFsError(err, file, 'cannot read');
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const sha256 = hash.digest('hex');
    if (bytes !== expected.bytes || sha256 !== expected.sha256) throw sourceMismatch(file, bytes, sha256, expected);
  }

  close(): void {
    for (const { cursor } of this.folders) cursor.close();
  }
}

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
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { ZotpackError, fromFsError, type Warning } from '../errors.js';
import { sourceMismatch } from '../session/copy-session.js';
import { isProjectKey } from '../format/project-key.js';
import { MANIFEST_NAME, ManifestCursor } from './export-manifest.js';

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

export class ExportHashes {
  private constructor(private readonly cursors: Array<{ root: string; cursor: ManifestCursor }>) {}

  /**
   * The manifests of the sources that are export folders (or project
   * folders of one). A manifest that cannot be read is a warning: its
   * sessions are imported unchecked, as from a folder with no manifest.
   */
  static open(sources: readonly string[], warn: (w: Warning[]) => void): ExportHashes {
    const cursors: Array<{ root: string; cursor: ManifestCursor }> = [];
    for (const root of new Set(sources.map(exportRoot))) {
      if (root === undefined) continue;
      try {
        const cursor = ManifestCursor.open(root);
        if (cursor) cursors.push({ root, cursor });
      } catch (err) {
        if (!(err instanceof ZotpackError)) throw err;
        warn([{ code: 'W_UNREADABLE', message: `${err.reason}; its sessions are imported without a check of their sha256`, path: err.path }]);
      }
    }
    return new ExportHashes(cursors);
  }

  /** The expected bytes of every listed session of the project keys up to `key`, by absolute path. */
  through(key: string, into: Map<string, ExpectedBytes>): void {
    for (const { root, cursor } of this.cursors) {
      for (const e of cursor.takeThrough(key)) into.set(join(root, e.output), { bytes: e.bytes, sha256: e.sha256 });
    }
  }

  /** The expected bytes of one session file (an import of one file), if an export folder's manifest lists it. */
  static of(file: string, warn: (w: Warning[]) => void): ExpectedBytes | undefined {
    const path = resolve(file);
    const hashes = ExportHashes.open([path], warn);
    try {
      const found = new Map<string, ExpectedBytes>();
      hashes.through(basename(dirname(path)), found);
      return found.get(path);
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
    for (const { cursor } of this.cursors) cursor.close();
  }
}

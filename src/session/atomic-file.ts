/**
 * An output file that appears whole or not at all.
 *
 * Bytes go to a hidden temp file beside the target (same folder, so the final
 * step is a rename on one file system), which is fsynced and then published:
 * by `link` when the target must not exist (atomic "create if absent", so a
 * concurrent writer or an existing file is never clobbered), by `rename`
 * when replacing is intended. The temp name never ends in `.jsonl`, so zot
 * never mistakes a half-written file for a session.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  linkSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { basename, dirname, join } from 'node:path';
import { ZotpackError, fromFsError } from '../errors.js';
import { makeFolders } from './make-folders.js';

// Unique per process and thread without a random draw per file: a random
// prefix once, then a counter.
const TEMP_PREFIX = `${randomBytes(4).toString('hex')}${process.pid.toString(36)}${threadId.toString(36)}`;
let tempCounter = 0;

function tempSuffix(): string {
  return `${TEMP_PREFIX}${(tempCounter++).toString(36)}`;
}

/** Marks zotpack's temp files, so an interrupted run's leftovers can be found and removed. */
export const TEMP_MARK = '.zotpack-tmp';

/** Longest target name a temp name holds whole: with its dot, suffix and mark it stays within a file system's 255 bytes. */
const NAME_IN_TEMP_BYTES = 200;

/**
 * How the names of `target`'s temp files begin: `.<name>.<suffix>.zotpack-tmp`,
 * beside it; for a name too long to hold whole (up to 255 bytes is a valid
 * name, and the temp name adds some 30), a hash of it stands in.
 */
export function tempPrefixOf(target: string): string {
  const name = basename(target);
  if (Buffer.byteLength(name) <= NAME_IN_TEMP_BYTES) return `.${name}.`;
  return `.${createHash('sha256').update(name).digest('hex').slice(0, 32)}.`;
}

export interface AtomicFileOptions {
  /** Replace an existing target (export manifests); default false: refuse with E_EXISTS. */
  overwrite?: boolean;
  /** fsync the file and its folder before publishing. Default true. */
  durable?: boolean;
  /** File mode; zot uses 0644. */
  mode?: number;
  /** The modification time to give the file (a session moved keeps its own); default: when it is written. */
  mtime?: Date;
}

export class AtomicFile {
  private _target: string;
  readonly tempPath: string;
  private fd: number;
  private open = true;
  bytesWritten = 0;

  private constructor(target: string, tempPath: string, fd: number, private readonly options: AtomicFileOptions) {
    this._target = target;
    this.tempPath = tempPath;
    this.fd = fd;
  }

  /** Where commit publishes the file. */
  get target(): string {
    return this._target;
  }

  /** Publishes under another name in the same folder (names that depend on the content). */
  set target(target: string) {
    if (dirname(target) !== dirname(this._target)) throw new Error(`retarget across folders: ${target}`);
    this._target = target;
  }

  /** Opens a temp file beside `target`, creating the folder (0755) if needed. */
  static create(target: string, options: AtomicFileOptions = {}): AtomicFile {
    const dir = dirname(target);
    const tempPath = join(dir, `${tempPrefixOf(target)}${tempSuffix()}${TEMP_MARK}`);
    // 'wx' is O_CREAT|O_EXCL: never follows or reuses whatever sits at the path.
    const open = () => openSync(tempPath, 'wx', options.mode ?? 0o644);
    try {
      return new AtomicFile(target, tempPath, open(), options);
    } catch (err) {
      // Named by its folder: the temp file's name is zotpack's, the folder is what the user gave.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromFsError(err, dir, 'cannot create a file in the folder', true);
    }
    // The folder is missing: make it (0755, as zot does) and try once more.
    try {
      makeFolders(dir, 0o755);
    } catch (err) {
      throw fromFsError(err, dir, 'cannot create folder', true);
    }
    try {
      return new AtomicFile(target, tempPath, open(), options);
    } catch (err) {
      throw fromFsError(err, dir, 'cannot create a file in the folder', true);
    }
  }

  // Every write says where it goes (at bytesWritten), so that cutting the
  // file back (truncate) needs no seek, which Node.js does not offer.
  write(buf: Uint8Array): void {
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, this.bytesWritten + off);
    } catch (err) {
      throw fromFsError(err, this.target, 'cannot write', true);
    }
    this.bytesWritten += buf.length;
  }

  /** Writes many slices in as few system calls as the kernel allows. */
  writev(bufs: Uint8Array[]): void {
    let total = 0;
    for (const b of bufs) total += b.length;
    try {
      let done = writevSync(this.fd, bufs, this.bytesWritten);
      // A short writev (full disk, signals) leaves a tail: finish it slice by slice.
      if (done < total) {
        let at = this.bytesWritten + done;
        for (const b of bufs) {
          if (done >= b.length) {
            done -= b.length;
            continue;
          }
          const rest = b.subarray(done);
          done = 0;
          let off = 0;
          while (off < rest.length) off += writeSync(this.fd, rest, off, rest.length - off, at + off);
          at += rest.length;
        }
      }
    } catch (err) {
      throw fromFsError(err, this.target, 'cannot write', true);
    }
    this.bytesWritten += total;
  }

  /** Cuts the file back to its first `length` bytes; writes go on from there. */
  truncate(length: number): void {
    try {
      ftruncateSync(this.fd, length);
    } catch (err) {
      throw fromFsError(err, this.target, 'cannot write', true);
    }
    this.bytesWritten = length;
  }

  /** Makes the file durable and publishes it at the target. */
  commit(): void {
    publishFile(this.finish(), this.options.durable ?? true);
  }

  /**
   * Closes the file (fsynced when durable) without publishing it: the caller
   * publishes it later with publishFile, after making many such files
   * durable at once (one file-system sync instead of one fsync each).
   */
  finish(): PendingFile {
    try {
      if (this.options.mtime) futimesSync(this.fd, new Date(), this.options.mtime);
      if (this.options.durable ?? true) fsyncSync(this.fd);
      // Marked closed first: a close that fails has still freed the number,
      // which another thread may reuse, so it must never be closed twice.
      this.open = false;
      closeSync(this.fd);
    } catch (err) {
      this.abort();
      throw fromFsError(err, this.target, 'cannot write', true);
    }
    return { temp: this.tempPath, target: this.target, overwrite: this.options.overwrite === true };
  }

  /** Drops the temp file; the target is untouched. Safe to call twice. */
  abort(): void {
    if (this.open) {
      this.open = false;
      try {
        closeSync(this.fd);
      } catch {
        // the number is freed either way
      }
    }
    try {
      unlinkSync(this.tempPath);
    } catch {
      // gone already, or never made it to disk
    }
  }
}

/** A finished temp file waiting to be published at its target. */
export interface PendingFile {
  temp: string;
  target: string;
  overwrite: boolean;
}

/**
 * Publishes a finished temp file: `link` when the target must not exist
 * (atomic create-if-absent), `rename` when replacing is intended. On failure
 * the temp file is removed and the target left as it was.
 */
export function publishFile(p: PendingFile, durable: boolean): void {
  try {
    if (p.overwrite) {
      renameSync(p.temp, p.target);
    } else {
      linkSync(p.temp, p.target);
      unlinkSync(p.temp);
    }
  } catch (err) {
    try {
      unlinkSync(p.temp);
    } catch {
      // already gone
    }
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ZotpackError('E_EXISTS', 'already exists; zotpack never overwrites', { path: p.target, cause: err });
    }
    throw fromFsError(err, p.target, 'cannot publish', true);
  }
  if (durable) fsyncDir(dirname(p.target));
}

/** Persists a folder's entries (a new or renamed file) across a crash. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders; the data itself is synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

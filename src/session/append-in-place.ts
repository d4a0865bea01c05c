/**
 * Appending to a session file where it is, as zot appends: the new bytes
 * written at its end through O_APPEND, never a new file renamed over it. A
 * zot that has the session open keeps writing to the file it opened; after
 * a rename its rows would go to the old, unlinked file, and be lost.
 *
 * The append happens only if the file is still the one compared (same
 * inode, size and modification time); a run killed in the middle leaves the
 * file a byte prefix of what it was to become (the bytes are written in
 * order), so a run again finishes it, and a reader in the meantime sees at
 * most a last row cut short, as after a crash of zot.
 */
import { closeSync, constants, fstatSync, fsyncSync, futimesSync, openSync, readSync, writeSync, type Stats } from 'node:fs';
import { fromFsError } from '../errors.js';

const PIECE = 1 << 20;

export interface AppendOptions {
  durable: boolean;
  /** The modification time the grown file gets (the bundled session's). */
  mtime?: Date;
}

/**
 * Appends the first `length` bytes of the file at `source` to the file at `path`;
 * false, writing nothing, when `path` is no longer the file `compared` was
 * (another inode, size or modification time: it changed meanwhile).
 */
export function appendInPlace(path: string, compared: Stats, source: string, length: number, options: AppendOptions): boolean {
  let fd: number | undefined;
  let src: number | undefined;
  try {
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
    } catch (err) {
      // Gone, or a link now: not the file compared.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') return false;
      throw err;
    }
    const now = fstatSync(fd);
    if (!now.isFile() || now.ino !== compared.ino || now.dev !== compared.dev || now.size !== compared.size || now.mtimeMs !== compared.mtimeMs) return false;
    src = openSync(source, 'r');
    const buf = Buffer.allocUnsafe(Math.min(PIECE, Math.max(1, length)));
    for (let at = 0; at < length; ) {
      const n = readSync(src, buf, 0, Math.min(buf.length, length - at), at);
      if (n === 0) throw new Error(`the temp file ends at byte ${at}, before ${length}`);
      for (let done = 0; done < n; ) done += writeSync(fd, buf, done, n - done);
      at += n;
    }
    if (options.mtime) futimesSync(fd, new Date(), options.mtime);
    if (options.durable) fsyncSync(fd);
    return true;
  } catch (err) {
    throw fromFsError(err, path, 'cannot append to the local session', true);
  } finally {
    if (src !== undefined) closeSync(src);
    if (fd !== undefined) closeSync(fd);
  }
}

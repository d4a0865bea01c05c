/**
 * Making many finished outputs durable at once, then publishing them.
 *
 * One fsync per file costs a journal commit each: thousands of small
 * exports spend longer waiting for the disk than writing. Instead the
 * workers leave finished temp files; the coordinator syncs the output file
 * system once (`sync -f`, i.e. syncfs(2)) and only then links each file to
 * its name. A crash before the sync leaves temp files (removed by the next
 * run), never a published file whose data is not on disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { ZotpackError, fromFsError } from '../errors.js';
import { fsyncDir, publishFile, type PendingFile } from '../session/atomic-file.js';

/** Flushes the file system holding `dir`; false where `sync -f` is not available. */
function syncFileSystem(dir: string): boolean {
  if (process.platform !== 'linux') return false;
  const r = spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
  return r.status === 0;
}

/** The same, without blocking: the pool keeps working while the disk catches up. */
function syncFileSystemAsync(dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn('sync', ['-f', dir], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('close', (code) => resolve(code === 0));
  });
}

/** Syncs then publishes each file; returns, per file, the error that stopped it (or undefined). */
export function publishDurably(files: readonly PendingFile[], dir: string): Array<ZotpackError | undefined> {
  if (files.length === 0) return [];
  return publishSynced(files, syncFileSystem(dir));
}

/**
 * publishDurably for a coordinator that must stay responsive: the file
 * system sync runs in a child process while the event loop goes on.
 */
export async function publishDurablyAsync(files: readonly PendingFile[], dir: string): Promise<Array<ZotpackError | undefined>> {
  if (files.length === 0) return [];
  return publishSynced(files, await syncFileSystemAsync(dir));
}

/** After a file-system sync (or, where there was none, one fsync per file): every file linked to its name. */
function publishSynced(files: readonly PendingFile[], synced: boolean): Array<ZotpackError | undefined> {
  const errors: Array<ZotpackError | undefined> = new Array(files.length);
  if (!synced) {
    files.forEach((f, i) => {
      let fd: number | undefined;
      try {
        fd = openSync(f.temp, 'r+');
        fsyncSync(fd);
      } catch (err) {
        errors[i] = fromFsError(err, f.target, 'cannot sync');
        try {
          unlinkSync(f.temp);
        } catch {
          // already gone
        }
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    });
  }
  const dirs = new Set<string>();
  files.forEach((f, i) => {
    if (errors[i]) return;
    try {
      publishFile(f, false);
      dirs.add(dirname(f.target));
    } catch (err) {
      errors[i] = err instanceof ZotpackError ? err : fromFsError(err, f.target, 'cannot publish');
    }
  });
  for (const d of dirs) fsyncDir(d);
  return errors;
}

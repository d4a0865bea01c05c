/**
 * Making many finished outputs durable at once, then publishing them.
 *
 * One fsync per file costs a journal commit each: thousands of small
 * exports spend longer waiting for the disk than writing. Instead the
 * workers leave finished temp files; the coordinator syncs each file system
 * they are on once (`sync -f`, i.e. syncfs(2)) and only then links each
 * file to its name. A crash before the sync leaves temp files (removed by
 * the next run), never a published file whose data is not on disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { ZotpackError, fromFsError } from '../errors.js';
import { fsyncDir, publishFile, type PendingFile } from '../session/atomic-file.js';
import type { JobError } from './protocol.js';

/**
 * Whether a whole file system can be synced here (`sync -f` is Linux's).
 * Elsewhere bulk runs have their workers fsync each file instead, in
 * parallel, rather than leave it to the coordinator.
 */
export const CAN_SYNC_FILE_SYSTEMS = process.platform === 'linux';

/**
 * How a bulk run's workers write durable outputs: left as finished temp
 * files for a BatchPublisher where file systems can be synced, else fsynced
 * each by its worker. Without `durable`, neither.
 */
export function workerDurability(durable: boolean): { durable: boolean; defer: boolean } {
  return { durable: durable && !CAN_SYNC_FILE_SYSTEMS, defer: durable && CAN_SYNC_FILE_SYSTEMS };
}

/**
 * One folder on each file system that holds one of `files` (a project
 * folder may be a link to another disk, and syncfs flushes only its own).
 */
export function syncRoots(files: readonly PendingFile[]): string[] {
  const byDevice = new Map<number, string>();
  for (const dir of new Set(files.map((f) => dirname(f.temp)))) {
    try {
      const dev = statSync(dir).dev;
      if (!byDevice.has(dev)) byDevice.set(dev, dir);
    } catch {
      byDevice.set(-1 - byDevice.size, dir); // unreadable: sync -f fails on it, and every file is fsynced instead
    }
  }
  return [...byDevice.values()];
}

// Detached: a Ctrl-C meant for zotpack must not kill the sync of what it
// finished, which would leave every file of the batch to an fsync of its own.
const SYNC_OPTIONS = { stdio: 'ignore', detached: true } as const;

/** Flushes the file systems holding `dirs`; false where one could not be. */
function syncFileSystems(dirs: readonly string[]): boolean {
  if (!CAN_SYNC_FILE_SYSTEMS) return false;
  return dirs.every((dir) => spawnSync('sync', ['-f', dir], SYNC_OPTIONS).status === 0);
}

/** The same, without blocking: the pool keeps working while the disk catches up. */
async function syncFileSystemsAsync(dirs: readonly string[]): Promise<boolean> {
  if (!CAN_SYNC_FILE_SYSTEMS) return false;
  const one = (dir: string) =>
    new Promise<boolean>((resolve) => {
      const child = spawn('sync', ['-f', dir], SYNC_OPTIONS);
      child.once('error', () => resolve(false));
      child.once('close', (code) => resolve(code === 0));
    });
  return (await Promise.all(dirs.map(one))).every(Boolean);
}

/** Syncs then publishes each file; returns, per file, the error that stopped it (or undefined). */
export function publishDurably(files: readonly PendingFile[]): Array<ZotpackError | undefined> {
  if (files.length === 0) return [];
  return publishSynced(files, syncFileSystems(syncRoots(files)));
}

/**
 * publishDurably for a coordinator that must stay responsive: the file
 * system sync runs in a child process while the event loop goes on.
 */
export async function publishDurablyAsync(files: readonly PendingFile[]): Promise<Array<ZotpackError | undefined>> {
  if (files.length === 0) return [];
  return publishSynced(files, await syncFileSystemsAsync(syncRoots(files)));
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
        errors[i] = fromFsError(err, f.target, 'cannot sync', true);
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
      errors[i] = err instanceof ZotpackError ? err : fromFsError(err, f.target, 'cannot publish', true);
    }
  });
  for (const d of dirs) fsyncDir(d);
  return errors;
}

/**
 * A publishing failure for a report: about the output, as a worker's failure
 * is about the file it concerns, and naming the source it was made from.
 */
export function publishFailure(err: ZotpackError, source: string): JobError {
  const path = err.path ?? source;
  return { code: err.code, message: path === source ? err.reason : `${err.reason} (made from ${source})`, path };
}

/**
 * Finished outputs of a bulk run, made durable and published in batches
 * while the pool goes on: a batch is synced and linked once enough bytes or
 * files wait, batches one after another. `onPublished` hears about each
 * output once its batch is done, with the error that stopped it if any; if
 * it throws, the batches after it are not published (the run fails, and
 * its temp files are removed), and check and finish rethrow it.
 */
export class BatchPublisher<T> {
  private batch: Array<{ item: T; file: PendingFile }> = [];
  private bytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly onPublished: (item: T, error: ZotpackError | undefined) => void,
    private readonly limits = { bytes: 512 << 20, files: 4096 },
  ) {}

  /** Throws what stopped an earlier batch. */
  check(): void {
    if (this.failure) throw this.failure.error;
  }

  add(item: T, file: PendingFile, bytes: number): void {
    this.batch.push({ item, file });
    this.bytes += bytes;
    if (this.bytes >= this.limits.bytes || this.batch.length >= this.limits.files) this.publish();
  }

  /** Starts publishing what waits, after the batches before it. */
  publish(): void {
    const done = this.batch;
    this.batch = [];
    this.bytes = 0;
    if (done.length === 0) return;
    this.chain = this.chain.then(async () => {
      const errors = await publishDurablyAsync(done.map((d) => d.file));
      done.forEach((d, k) => this.onPublished(d.item, errors[k]));
    });
    // Awaited by finish (which rethrows); until then it is recorded, not unhandled.
    this.chain.catch((error: unknown) => {
      this.failure ??= { error };
    });
  }

  /** Publishes what waits and waits for every batch. */
  async finish(): Promise<void> {
    this.publish();
    await this.chain;
  }
}

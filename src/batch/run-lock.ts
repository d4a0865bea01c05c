/**
 * One zotpack at a time writes into a folder: an export folder, or a zot
 * home's sessions folder for import and unpack. Two runs there at once
 * would each remove the other's temp files as an interrupted run's
 * leftovers, and each write a manifest that misses the other's sessions.
 *
 * Each run leaves a file of its own, `.zotpack-lock.<host>.<pid>`, then
 * looks for others. Another one whose process still runs (or that comes
 * from another host, whose processes cannot be checked) makes this run
 * give up with E_BUSY before it writes anything; one whose process has
 * ended (a run killed with SIGKILL) is removed. Two runs that start at the
 * same instant may both give up; never do both go on.
 */
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { ZotpackError, fromFsError } from '../errors.js';

const PREFIX = '.zotpack-lock.';

/** The host part of a lock's name: no dots, so that the pid after the last one is found again. */
function hostPart(): string {
  return hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'host';
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the other run's lock says of it, for the message. */
function describe(path: string, pid: string, host: string): string {
  let command = 'zotpack';
  try {
    const held = JSON.parse(readFileSync(path, 'utf8')) as { command?: string; started?: string };
    if (held.command) command = `zotpack ${held.command}${held.started ? ` (started ${held.started})` : ''}`;
  } catch {
    // Being written, or gone: the name says enough.
  }
  return `${command}, process ${pid} on ${host}`;
}

export class RunLock {
  private constructor(
    private readonly path: string,
    private readonly dir: string,
    /** The topmost folder that taking the lock made, if it made any. */
    private readonly made: string | undefined,
  ) {}

  /** Takes `dir` for this process (making the folder if needed); E_BUSY when another zotpack writes there. */
  static take(dir: string, command: string): RunLock {
    let made: string | undefined;
    try {
      made = mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw fromFsError(err, dir, 'cannot make the folder');
    }
    const host = hostPart();
    const own = `${PREFIX}${host}.${process.pid}`;
    const path = join(dir, own);
    try {
      // 'w', not 'wx': a file of this name is a dead run's whose pid this process now has.
      writeFileSync(path, `${JSON.stringify({ command, pid: process.pid, host: hostname(), started: new Date().toISOString() })}\n`);
    } catch (err) {
      throw fromFsError(err, path, 'cannot write the lock file');
    }
    const lock = new RunLock(path, dir, made);
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(PREFIX) || name === own) continue;
      const dot = name.lastIndexOf('.');
      const otherHost = name.slice(PREFIX.length, dot);
      const pid = Number(name.slice(dot + 1));
      const other = join(dir, name);
      if (otherHost === host && Number.isInteger(pid) && pid > 0 && !running(pid)) {
        try {
          unlinkSync(other);
        } catch {
          // Another run removed it first.
        }
        continue;
      }
      lock.release();
      throw new ZotpackError(
        'E_BUSY',
        `another zotpack writes here (${describe(other, String(pid), otherHost)}); run again when it has ended, or remove ${other} if it is not running`,
        { path: dir },
      );
    }
    return lock;
  }

  /** Lets the folder go; removes the folders taking it made if the run left them empty. */
  release(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // Removed by hand: nothing to do.
    }
    if (this.made === undefined) return;
    for (let d = this.dir; ; d = dirname(d)) {
      try {
        rmdirSync(d);
      } catch {
        return; // not empty: the run wrote there
      }
      if (d === this.made) return;
    }
  }
}

/** `run` with `dir` taken (nothing taken when `dir` is undefined: a dry run writes nothing). */
export async function withRunLock<T>(dir: string | undefined, command: string, run: () => Promise<T>): Promise<T> {
  const lock = dir === undefined ? undefined : RunLock.take(dir, command);
  try {
    return await run();
  } finally {
    lock?.release();
  }
}

/**
 * One zotpack at a time writes into a folder: an export folder, or a zot
 * home's sessions folder for import and unpack. Two runs there at once
 * would each remove the other's temp files as an interrupted run's
 * leftovers, and each write a manifest that misses the other's sessions.
 *
 * Each run leaves a file of its own, `.zotpack-lock.<host>.<pid>`, then
 * looks for others. (One shared lock file would need a way to take it over
 * from a dead run that no second taker can race; a file per run needs
 * none.) Another run's lock makes this run give up with E_BUSY before it
 * writes anything, unless that run has certainly ended: this host, and
 * either an earlier boot, or its pid gone, a zombie or now another
 * process's (Linux tells by the process start time); then the lock is
 * removed. A lock from another host, or from another pid namespace on this
 * one, cannot be checked, and counts as held. Two runs that start at the
 * same instant may both give up; never do both go on.
 */
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { lstatSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { ZotpackError, fromFsError } from '../errors.js';
import { makeFolders } from '../session/make-folders.js';

const LOCK_NAME = /^\.zotpack-lock\.([A-Za-z0-9_-]+)\.(\d+)$/;

/** The host part of a lock's name: letters, digits, - and _ only. */
function hostPart(): string {
  return hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'host';
}

/** What tells a process apart beyond its pid, where the system says (Linux's /proc); undefined elsewhere. */
interface Identity {
  boot?: string;
  pidns?: string;
  start?: string;
}

function readOr<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** From /proc/PID/stat: the state (field 3; Z for a zombie) and when the process started (field 22, clock ticks since boot). */
function procStat(pid: number | 'self'): { state: string; start: string } | undefined {
  return readOr(() => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name, which may hold spaces and parentheses, come fields 3, 4, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[3 - 3]!, start: fields[22 - 3]! };
  });
}

function ownIdentity(): Identity {
  return {
    boot: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    pidns: readOr(() => readlinkSync('/proc/self/ns/pid')),
    start: procStat('self')?.start,
  };
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

interface Held extends Identity {
  command?: string;
  started?: string;
  host?: string;
}

function readHeld(path: string): Held | undefined {
  const held = readOr(() => JSON.parse(readFileSync(path, 'utf8')) as unknown);
  return typeof held === 'object' && held !== null ? (held as Held) : undefined;
}

/** True when the run that holds `held` (pid `pid`, under this host's name) has certainly ended. */
function ended(pid: number, held: Held | undefined, own: Identity): boolean {
  // Two machines of one name on a shared disk: the other's processes are not ours to check.
  if (held?.host !== undefined && held.host !== hostname()) return false;
  // boot_id is the host's, whatever the namespace: a lock from an earlier boot is a dead run's.
  if (held?.boot && own.boot && held.boot !== own.boot) return true;
  if (held?.pidns && own.pidns && held.pidns !== own.pidns) return false; // its pids are not ours to check
  if (!running(pid)) return true;
  // The pid runs: the same process (ended if a zombie), or a new one that was given the pid.
  const now = procStat(pid);
  if (now === undefined) return false;
  return now.state === 'Z' || (held?.start !== undefined && now.start !== held.start);
}

/** Folders this process holds: a second run in it is refused like another process's. */
const heldHere = new Set<string>();

export class RunLock {
  private readonly onExit = () => unlinkQuietly(this.path);
  private released = false;

  private constructor(
    private readonly path: string,
    private readonly dir: string,
    private readonly key: string,
    /** The topmost folder that taking the lock made, if it made any. */
    private readonly made: string | undefined,
  ) {
    // process.exit (a second Ctrl-C, a closed pipe) skips `finally`: the lock goes anyway.
    process.once('exit', this.onExit);
  }

  /**
   * Takes `dir` for this run (making the folder if needed); E_BUSY when
   * another zotpack writes there. `refuseLinks`: a `dir` that is a symbolic
   * link is E_UNSAFE_PATH (unpack never writes through links).
   */
  static take(dir: string, command: string, options: { refuseLinks?: boolean } = {}): RunLock {
    const host = hostPart();
    const own = `.zotpack-lock.${host}.${process.pid}`;
    const path = join(dir, own);
    const identity = ownIdentity();
    const content = `${JSON.stringify({ command, pid: process.pid, host: hostname(), started: new Date().toISOString(), ...identity })}\n`;
    let made: string | undefined;
    let key: string;
    // Twice at most: another run's release may remove a folder it made just as this run writes into it.
    for (let attempt = 0; ; attempt++) {
      let wrote = false;
      try {
        made = makeFolder(dir, options.refuseLinks === true) ?? made;
        // The folder itself, however it is named (case, links, bind mounts).
        const st = statSync(dir);
        key = `${st.dev}:${st.ino}`;
        // Before writing: the lock file of a run in this process has this very name.
        if (heldHere.has(key)) throw busy(dir, `this process (${process.pid}) already writes here`);
        // A file of this name is a dead run's that had this pid; 'wx' never writes through a link put there.
        unlinkQuietly(path);
        wrote = true;
        writeFileSync(path, content, { flag: 'wx' });
        break;
      } catch (err) {
        if (wrote) unlinkQuietly(path);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt === 0) continue;
        removeMade(dir, made);
        throw err instanceof ZotpackError ? err : fromFsError(err, path, 'cannot write the lock file', true);
      }
    }
    const lock = new RunLock(path, dir, key, made);
    try {
      for (const name of readdirSync(dir)) {
        const m = LOCK_NAME.exec(name);
        if (!m || name === own) continue;
        const [, otherHost, pidText] = m as unknown as [string, string, string];
        const other = join(dir, name);
        const held = readHeld(other);
        if (otherHost === host && ended(Number(pidText), held, identity)) {
          unlinkQuietly(other); // (or another run removed it first)
          continue;
        }
        const what = held?.command ? `zotpack ${held.command}${held.started ? ` (started ${held.started})` : ''}` : 'zotpack';
        throw busy(dir, `another zotpack writes here (${what}, process ${pidText} on ${otherHost}); run again when it has ended, or remove ${other} if it is not running`);
      }
    } catch (err) {
      lock.release();
      throw err instanceof ZotpackError ? err : fromFsError(err, dir, 'cannot list the folder');
    }
    heldHere.add(key);
    return lock;
  }

  /** Lets the folder go; removes the folders taking it made if the run left them empty. Once: a second call does nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    heldHere.delete(this.key);
    unlinkQuietly(this.path);
    removeMade(this.dir, this.made);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there (removed by hand, or never written).
  }
}

/** Removes `dir` and its parents up to `made` (the topmost folder taking the lock made), while they are empty. */
function removeMade(dir: string, made: string | undefined): void {
  if (made === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty: the run wrote there
    }
    if (d === made) return;
  }
}

function busy(dir: string, reason: string): ZotpackError {
  return new ZotpackError('E_BUSY', reason, { path: dir });
}

/** Makes `dir` if it is not there; the topmost folder made, if any. */
function makeFolder(dir: string, refuseLinks: boolean): string | undefined {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink() && refuseLinks) throw new ZotpackError('E_UNSAFE_PATH', 'a symbolic link: zotpack does not write through links', { path: dir });
  if (st && !st.isDirectory() && !st.isSymbolicLink()) throw new ZotpackError('E_NOT_DIR', 'expected a folder', { path: dir });
  try {
    return makeFolders(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new ZotpackError('E_NOT_DIR', 'expected a folder', { path: dir, cause: err });
    throw fromFsError(err, dir, 'cannot make the folder', true);
  }
}

/** `run` with `dir` taken (nothing taken when `dir` is undefined: a dry run writes nothing). */
export async function withRunLock<T>(dir: string | undefined, command: string, run: () => Promise<T>, options: { refuseLinks?: boolean } = {}): Promise<T> {
  const lock = dir === undefined ? undefined : RunLock.take(dir, command, options);
  try {
    return await run();
  } finally {
    lock?.release();
  }
}

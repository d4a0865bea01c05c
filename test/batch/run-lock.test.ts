/**
 * One zotpack at a time writes into a folder: a live run's lock stops a
 * second one before it writes anything; a dead run's lock is cleared; the
 * bulk commands take the lock, dry runs do not. Real processes throughout:
 * a lock names a live child, or one that has ended.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunLock } from '../../src/batch/run-lock.js';
import { ZotpackError } from '../../src/errors.js';
import { sessionsRoot } from '../../src/format/project-key.js';
import { errorLine, zotpack } from '../helpers/run-cli.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir, type SampleArchive } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const HOST = hostname().replace(/[^A-Za-z0-9_-]/g, '_');
const locks = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.zotpack-lock.'));

/** A process that runs until killed: the holder of a live lock. */
let holder: ChildProcess | undefined;
function liveHolder(): number {
  holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return holder.pid!;
}
afterEach(() => {
  holder?.kill();
  holder = undefined;
});

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

function plantLock(dir: string, host: string, pid: number, command = 'export', identity: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `.zotpack-lock.${host}.${pid}`);
  // A lock records the host's own name; its file name, the name made safe.
  writeFileSync(path, JSON.stringify({ command, pid, host: host === HOST ? hostname() : host, started: '2026-11-25T10:00:00.000Z', ...identity }));
  return path;
}

/** This machine's boot and this process's pid namespace, as a lock records them. */
const BOOT = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const PIDNS = readlinkSync('/proc/self/ns/pid');
function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

function busy(take: () => unknown): ZotpackError {
  try {
    take();
  } catch (err) {
    expect(err).toBeInstanceOf(ZotpackError);
    expect((err as ZotpackError).code).toBe('E_BUSY');
    return err as ZotpackError;
  }
  throw new Error('expected E_BUSY');
}

describe('RunLock', () => {
  it('holds a file of its own while taken; a folder it made and nothing filled is removed again', () => {
    const parent = makeTempDir();
    const dir = join(parent, 'a', 'b');
    const lock = RunLock.take(dir, 'export');
    expect(locks(dir)).toEqual([`.zotpack-lock.${HOST}.${process.pid}`]);
    lock.release();
    expect(readdirSync(parent)).toEqual([]);
    // A folder that was there stays, and one the run wrote into.
    const kept = makeTempDir();
    RunLock.take(kept, 'import').release();
    expect(existsSync(kept)).toBe(true);
    const filled = join(makeTempDir(), 'out');
    const second = RunLock.take(filled, 'export');
    writeFileSync(join(filled, 'manifest.json'), '{}');
    second.release();
    expect(readdirSync(filled)).toEqual(['manifest.json']);
  });

  it('gives up with E_BUSY while another run on this host is alive, and leaves no lock of its own', () => {
    const dir = makeTempDir();
    const pid = liveHolder();
    const other = plantLock(dir, HOST, pid, 'unpack');
    const err = busy(() => RunLock.take(dir, 'import'));
    expect(err.path).toBe(dir);
    expect(err.reason).toContain(`zotpack unpack (started 2026-11-25T10:00:00.000Z), process ${pid} on ${HOST}`);
    expect(err.reason).toContain(`remove ${other} if it is not running`);
    expect(locks(dir)).toEqual([`.zotpack-lock.${HOST}.${pid}`]);
  });

  it("clears a lock whose process has ended (a run killed with SIGKILL), and takes the folder", () => {
    const dir = makeTempDir();
    const dead = deadPid();
    plantLock(dir, HOST, dead);
    const lock = RunLock.take(dir, 'export');
    expect(locks(dir)).toEqual([`.zotpack-lock.${HOST}.${process.pid}`]);
    lock.release();
    expect(locks(dir)).toEqual([]);
  });

  it('clears a lock whose pid now belongs to another process, or that is from before the last boot', () => {
    const pid = liveHolder();
    const reused = makeTempDir();
    plantLock(reused, HOST, pid, 'export', { boot: BOOT, pidns: PIDNS, start: String(Number(startOf(pid)) - 1) });
    RunLock.take(reused, 'export').release();
    expect(locks(reused)).toEqual([]);
    const rebooted = makeTempDir();
    plantLock(rebooted, HOST, pid, 'export', { boot: 'another-boot', pidns: PIDNS, start: startOf(pid) });
    RunLock.take(rebooted, 'export').release();
    expect(locks(rebooted)).toEqual([]);
    // The same process, as its lock describes it: held.
    const same = makeTempDir();
    plantLock(same, HOST, pid, 'export', { boot: BOOT, pidns: PIDNS, start: startOf(pid) });
    busy(() => RunLock.take(same, 'export'));
  });

  it('counts a lock from another pid namespace as held, its pid dead here or not, unless it is from before the last boot', () => {
    const dir = makeTempDir();
    plantLock(dir, HOST, deadPid(), 'import', { boot: BOOT, pidns: 'pid:[1]' });
    expect(busy(() => RunLock.take(dir, 'export')).reason).toContain('zotpack import');
    const rebooted = makeTempDir();
    plantLock(rebooted, HOST, liveHolder(), 'import', { boot: 'another-boot', pidns: 'pid:[1]' });
    RunLock.take(rebooted, 'export').release();
    expect(locks(rebooted)).toEqual([]);
  });

  it('a second machine of the same name (its lock records the full name) counts as another host', () => {
    const dir = makeTempDir();
    const path = join(dir, `.zotpack-lock.${HOST}.${deadPid()}`);
    writeFileSync(path, JSON.stringify({ command: 'export', host: `${hostname()}.elsewhere`, boot: 'another-boot' }));
    busy(() => RunLock.take(dir, 'export'));
  });

  it('never writes through a link where its own lock file goes, and lets go only once', () => {
    const dir = makeTempDir();
    const victim = join(makeTempDir(), 'victim');
    writeFileSync(victim, 'keep me');
    symlinkSync(victim, join(dir, `.zotpack-lock.${HOST}.${process.pid}`));
    const first = RunLock.take(dir, 'export');
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(JSON.parse(readFileSync(join(dir, `.zotpack-lock.${HOST}.${process.pid}`), 'utf8')).command).toBe('export');
    first.release();
    const second = RunLock.take(dir, 'import');
    first.release(); // again: must not take the second run's lock away
    expect(locks(dir)).toEqual([`.zotpack-lock.${HOST}.${process.pid}`]);
    expect(() => RunLock.take(dir, 'export')).toThrow(expect.objectContaining({ code: 'E_BUSY' }));
    second.release();
  });

  it('a folder reached by a link is the same folder to a second run in this process', () => {
    const dir = makeTempDir();
    const link = join(makeTempDir(), 'link');
    symlinkSync(dir, link);
    const first = RunLock.take(dir, 'export');
    expect(busy(() => RunLock.take(link, 'export')).reason).toContain('this process');
    first.release();
  });

  it('a lock it cannot write leaves nothing behind: no empty lock file, no folder it made', () => {
    const parent = makeTempDir();
    const lockModule = join(process.cwd(), 'dist', 'src', 'batch', 'run-lock.js');
    // With a file size limit of 0 every write to a file fails (EFBIG); the lock file is made, then cannot be written.
    const script = `const { RunLock } = await import(${JSON.stringify(lockModule)});
      try { RunLock.take(${JSON.stringify(join(parent, 'a', 'out'))}, 'export'); process.exitCode = 5; }
      catch (e) { process.exitCode = e.code === 'E_WRITE' ? 7 : 9; }`;
    const r = spawnSync('sh', ['-c', 'ulimit -f 0; exec "$0" --input-type=module -e "$1"', process.execPath, script], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([7, '']);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('refuses a second run in the same process, and leaves the first one its lock', () => {
    const dir = makeTempDir();
    const first = RunLock.take(dir, 'export');
    expect(busy(() => RunLock.take(join(dir, '.'), 'import')).reason).toContain('this process');
    expect(locks(dir)).toEqual([`.zotpack-lock.${HOST}.${process.pid}`]);
    first.release();
    RunLock.take(dir, 'import').release();
  });

  it('goes with the process when it exits without letting go (process.exit skips finally)', () => {
    const dir = makeTempDir();
    const lockModule = join(process.cwd(), 'dist', 'src', 'batch', 'run-lock.js');
    const script = `const { RunLock } = await import(${JSON.stringify(lockModule)}); RunLock.take(${JSON.stringify(dir)}, 'export'); process.exit(3);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([3, '']);
    expect(locks(dir)).toEqual([]);
  });

  it('ignores names that only look like locks; a file where the folder should be is E_NOT_DIR', () => {
    const dir = makeTempDir();
    for (const name of ['.zotpack-lock.foo', `.zotpack-lock.${HOST}.12~`, '.zotpack-lock..5']) writeFileSync(join(dir, name), '');
    RunLock.take(dir, 'export').release();
    const file = join(makeTempDir(), 'out');
    writeFileSync(file, 'not a folder');
    expect(() => RunLock.take(file, 'export')).toThrow(expect.objectContaining({ code: 'E_NOT_DIR', path: file }));
  });

  it("counts another host's lock as held: its process cannot be checked from here", () => {
    const dir = makeTempDir();
    plantLock(dir, 'other-machine', deadPid());
    expect(busy(() => RunLock.take(dir, 'export')).reason).toContain('on other-machine');
  });
});

describe('the bulk commands take the folder they write into', () => {
  let sample: SampleArchive;
  beforeAll(() => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 100_000 });
  });

  it('export, import and unpack stop with E_BUSY, writing nothing; a dry run still plans', async () => {
    const work = makeTempDir();
    const out = join(work, 'out');
    const pid = liveHolder();
    plantLock(out, HOST, pid);
    const exported = zotpack(['export', '--out', out, '--from', sample.named.root, '-q'], { cwd: work });
    expect(exported.status).toBe(1);
    expect(errorLine(exported)).toMatch(new RegExp(`^zotpack: ${out}: another zotpack writes here .*\\[E_BUSY\\]$`));
    expect(readdirSync(out)).toEqual([`.zotpack-lock.${HOST}.${pid}`]);
    expect(zotpack(['export', '--out', out, '--from', sample.named.root, '--dry-run', '-q'], { cwd: work }).status).toBe(0);

    // The export, made for real, into a home where another run writes.
    const free = join(work, 'free');
    expect(zotpack(['export', '--out', free, '--from', sample.named.root, '-q'], { cwd: work }).status).toBe(0);
    expect(locks(free)).toEqual([]);
    const home = join(work, 'home');
    plantLock(sessionsRoot(home), HOST, pid, 'unpack');
    const imported = zotpack(['import', free, '-q'], { cwd: work, home });
    expect(imported.status).toBe(1);
    expect(errorLine(imported)).toMatch(/\[E_BUSY\]$/);
    const bundle = join(work, 'b.zotpack');
    expect(zotpack(['pack', '-o', bundle, '--from', sample.named.root, '-q'], { cwd: work }).status).toBe(0);
    const unpacked = zotpack(['unpack', bundle, '-q'], { cwd: work, home });
    expect(unpacked.status).toBe(1);
    expect(errorLine(unpacked)).toMatch(/\[E_BUSY\]$/);
    expect(readdirSync(sessionsRoot(home))).toEqual([`.zotpack-lock.${HOST}.${pid}`]);

    // Once the other run has ended, its lock is cleared and the import goes ahead.
    const ended = new Promise((resolve) => holder!.once('exit', resolve));
    holder!.kill('SIGKILL');
    await ended; // and reaped: a zombie still answers kill -0
    expect(zotpack(['import', free, '-q'], { cwd: work, home }).status).toBe(0);
    expect(locks(sessionsRoot(home))).toEqual([]);
    expect(readdirSync(sessionsRoot(home)).length).toBe(1); // the root session's project

    // unpack never writes through a link, not even its lock.
    const target = makeTempDir();
    const linked = join(work, 'linked');
    mkdirSync(linked);
    symlinkSync(target, sessionsRoot(linked));
    const refused = zotpack(['unpack', bundle, '-q'], { cwd: work, home: linked });
    expect(refused.status).toBe(1);
    expect(errorLine(refused)).toMatch(/sessions: a symbolic link: zotpack does not write through links \[E_UNSAFE_PATH\]$/);
    expect(readdirSync(target)).toEqual([]);
  });
});

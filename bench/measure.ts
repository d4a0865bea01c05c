/**
 * Timing commands fairly: each variant runs as a child process, best of N,
 * with the variants interleaved round by round so that a slow minute of the
 * machine (writeback, another job) lands on every variant alike rather than
 * on whichever ran during it.
 *
 * Wall clock: `performance.now()` around spawn → exit, so Node's start-up is
 * billed to the Node variants, as a user pays it.
 *
 * Peak RSS: each command runs under `/usr/bin/time -f %M -o FILE` (GNU
 * time), which reports the child's ru_maxrss: the peak of the largest single
 * process in its tree (the kernel keeps a maximum, not a sum). zotpack's
 * workers are threads of one process, so for zotpack and the naive scripts
 * this is the whole tree; for shell pipelines (`find | xargs cat`) it is the
 * largest member, a few MB either way. Without /usr/bin/time RSS is unknown.
 *
 * `sync` before every timed run (untimed): the previous run's dirty pages
 * (a 2 GB `cp -r` leaves seconds of writeback) would otherwise be flushed
 * during — and billed to — whichever variant runs next. The cost of this
 * choice: `cp -r` and `--no-fsync` are timed without their own writeback
 * (the time a user waits for them), while the default export and import
 * make their output durable inside their time; the export table shows
 * `cp -r && sync` for that.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TIME = '/usr/bin/time';
const HAS_TIME = existsSync(TIME);

/** One way of doing the job under test. */
export interface Variant {
  name: string;
  /** zotpack itself, a hardware ceiling (cp, cat), or the naive Node baseline. */
  kind: 'zotpack' | 'ceiling' | 'naive';
  /** The command; stdout is discarded (/dev/null), stderr kept. A function is called for each run (see freshOutputs). */
  argv: string[] | (() => string[]);
  /**
   * Untimed, before and after each run: removes the run's output, so every
   * run starts from the same state and outputs do not pile up (six 2 GB
   * copies would push the warm corpus out of the page cache).
   */
  clean?: () => void;
  /**
   * At most this many rounds. Quick mode, which must stay under 2 minutes,
   * runs once what no target there hangs on or what is many times slower
   * than what it is measured against (a naive script): a second round would
   * change no verdict.
   */
  rounds?: number;
}

/** In quick mode, one round for a slow baseline or a secondary line (see Variant.rounds). */
export const onceWhenQuick = (quick: boolean): Pick<Variant, 'rounds'> => (quick ? { rounds: 1 } : {});

/** One run of one command. */
export interface Run {
  seconds: number;
  /** Peak RSS in MB (10^6 bytes), or null when unknown. */
  rssMB: number | null;
  code: number | null;
  signal: string | null;
  stderr: string;
}

/** A variant's figures over all rounds. */
export interface Measurement {
  variant: Variant;
  /** The fastest successful run, or null if none succeeded. */
  best: Run | null;
  /** Every run's seconds, in order, failed ones included. */
  seconds: number[];
  /** Highest peak RSS over all runs (MB), or null when unknown. */
  rssMB: number | null;
  /** Why runs failed (exit code and the tail of stderr), one entry per failed run. */
  failures: string[];
  /** Which of `seconds` are failed runs' (their indexes). */
  failedRounds: number[];
}

/** Runs `argv` once; stdout to /dev/null, stderr captured (its last 64 KB). */
export function runOnce(argv: string[]): Promise<Run> {
  const rssDir = HAS_TIME ? mkdtempSync(join(tmpdir(), 'zotpack-bench-')) : '';
  const rssFile = join(rssDir, 'rss');
  const full = HAS_TIME ? [TIME, '-f', '%M', '-o', rssFile, ...argv] : argv;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-65536);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - start) / 1000;
      let rssMB: number | null = null;
      if (HAS_TIME) {
        // GNU time writes "Command exited with non-zero status N" before the figure.
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
        const kb = Number(lines[lines.length - 1]);
        if (Number.isFinite(kb) && kb > 0) rssMB = (kb * 1024) / 1e6; // KiB to MB, as every figure here
        rmSync(rssDir, { recursive: true, force: true });
      }
      resolve({ seconds, rssMB, code, signal, stderr });
    });
  });
}

/** Flushes dirty pages so the next timed run does not pay for the last one's writeback. */
export function sync(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

/** Reads every file under `dir` named `*.<ext>` once, so timed runs start with a warm page cache. */
export function warmCache(dir: string, ext = 'jsonl'): void {
  spawnSync('sh', ['-c', `find "$1" -type f -name '*.${ext}' -print0 | xargs -0 cat > /dev/null`, 'sh', dir], { stdio: 'ignore' });
}

/** `find DIR -name '*.EXT' | xargs cat > /dev/null`: the read ceiling (xargs keeps clear of argument limits). */
export function catArgv(dir: string, ext = 'jsonl'): string[] {
  return ['sh', '-c', `find "$1" -type f -name '*.${ext}' -print0 | xargs -0 cat`, 'sh', dir];
}

/**
 * Output folders for the variants that write: a new folder for every run,
 * under `parent`, removed (untimed) right after the run.
 *
 * Why not one folder per variant, emptied between runs: on ext4 without a
 * journal (this machine's root file system), allocating an inode skips every
 * free inode of its block group deleted in the last 60 s (360 s while its
 * inode table block is dirty), one lookup each, from the start of the group.
 * Folders made again and again under one parent land in the parent's group,
 * where the last few minutes' runs deleted tens of thousands of files, and
 * every file created walks past all of them: creating the 2,000 empty files
 * of the 2 GB corpus (`cp -r --attributes-only`) took 0.6-1.4 s there and
 * 0.03 s in a fresh group; `cp -r` of it 1.5-2.4 s against 0.72-0.77 s.
 * What a variant paid depended on the history of its group, not on the
 * variant. A user exporting into a new folder pays none of it.
 *
 * So `parent` gets ext4's TOPDIR flag (`chattr +T`, best effort; elsewhere
 * it is a no-op), which makes the kernel spread the new folders under it
 * across block groups, starting its search from a hash of the name, and
 * each run's folder has a name of its own (this process's id in it, so the
 * next bench does not start where this one did). With thousands of groups
 * it most likely lands in one where nothing was just deleted; not surely,
 * since a group emptied by a delete is a candidate again.
 */
export function freshOutputs(parent: string): (name: string, argv: (out: string) => string[]) => Pick<Variant, 'argv' | 'clean'> {
  mkdirSync(parent, { recursive: true });
  spawnSync('chattr', ['+T', parent], { stdio: 'ignore' });
  let runs = 0;
  return (name, argv) => {
    let current: string | undefined;
    return {
      argv: () => {
        current = join(parent, `${name}-${process.pid}-${++runs}`);
        return argv(current);
      },
      clean: () => {
        if (current !== undefined) rmSync(current, { recursive: true, force: true });
      },
    };
  };
}

/** Exit status and why: lines naming an error code if any, else the tail of stderr. */
function failure(run: Run): string {
  const lines = run.stderr.trim().split('\n');
  const coded = lines.filter((l) => /\bE_[A-Z_]+\b|Error\b/.test(l));
  const tail = (coded.length > 0 ? coded.slice(0, 3) : lines.slice(-3)).join(' | ').slice(0, 300);
  return `${run.signal ? `killed by ${run.signal}` : `exit ${run.code}`}${tail ? `: ${tail}` : ''}`;
}

const runsIn = (v: Variant, round: number): boolean => v.rounds === undefined || round <= v.rounds;

/**
 * What round `round` will take, by each variant's last run (`took`, cleaning
 * and sync included): only the variants that run in it. Not the last round's
 * whole time: a variant that ran once is not in the next.
 */
export function nextRoundSeconds(variants: readonly Variant[], took: ReadonlyMap<Variant, number>, round: number): number {
  let s = 0;
  for (const v of variants) if (runsIn(v, round)) s += took.get(v) ?? 0;
  return s;
}

/**
 * Best of `reps` per variant, interleaved: for each round, for each variant,
 * clean and sync (untimed), run (timed), clean (untimed). With `maxSeconds`,
 * a round after the first starts only if it fits, counting for each variant
 * that runs in it what its last run took, cleaning included (quick mode's
 * time box); `rounds` says how many ran.
 */
export async function measureInterleaved(
  label: string,
  variants: Variant[],
  reps: number,
  maxSeconds = Infinity,
): Promise<{ measurements: Map<string, Measurement>; rounds: number }> {
  const out = new Map<string, Measurement>(
    variants.map((v) => [v.name, { variant: v, best: null, seconds: [], rssMB: null, failures: [], failedRounds: [] }]),
  );
  const start = performance.now();
  const took = new Map<Variant, number>();
  let round = 1;
  for (; round <= reps; round++) {
    const elapsed = (performance.now() - start) / 1000;
    if (round > 1 && elapsed + nextRoundSeconds(variants, took, round) > maxSeconds) {
      process.stderr.write(`  ${label}: stopping after ${round - 1} round(s), another would pass the ${maxSeconds} s time box\n`);
      break;
    }
    for (const v of variants) {
      if (!runsIn(v, round)) continue;
      const t = performance.now();
      v.clean?.();
      sync();
      const untimed = (performance.now() - t) / 1000;
      const run = await runOnce(typeof v.argv === 'function' ? v.argv() : v.argv);
      v.clean?.();
      took.set(v, (performance.now() - t) / 1000);
      const m = out.get(v.name)!;
      m.seconds.push(run.seconds);
      if (run.rssMB !== null) m.rssMB = Math.max(m.rssMB ?? 0, run.rssMB);
      const ok = run.code === 0;
      if (!ok) {
        m.failures.push(failure(run));
        m.failedRounds.push(m.seconds.length - 1);
      } else if (m.best === null || run.seconds < m.best.seconds) m.best = run;
      process.stderr.write(
        `  ${label} ${round}/${Math.min(reps, v.rounds ?? reps)} ${v.name}: ${run.seconds.toFixed(2)} s${run.rssMB === null ? '' : `, ${Math.round(run.rssMB)} MB`}` +
          ` (untimed clean + sync before: ${untimed.toFixed(2)} s)${ok ? '' : ` ${failure(run)}`}\n`,
      );
    }
  }
  return { measurements: out, rounds: round - 1 };
}

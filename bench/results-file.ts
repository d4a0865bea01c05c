/**
 * Where a run's figures go: one JSON line appended to bench/results.jsonl
 * (the history), and the tables as markdown in bench/latest.md (what the
 * README links to), so nobody copies numbers by hand.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import type { Corpus } from './corpus.js';
import { LATEST_FILE, RESULTS_FILE, ROOT } from './paths.js';
import type { BenchResult } from './table.js';

/** `git rev-parse --short HEAD`, plus `-dirty` when the tree has changes other than the two result files. */
export function gitCommit(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', '.', ':!bench/results.jsonl', ':!bench/latest.md') !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
}

export function machine(): Machine {
  return { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}

export interface RunRecord extends Machine {
  commit: string;
  date: string;
  quick: boolean;
  /** Rounds for export and tree, and for the other scripts. */
  reps: number;
  secondaryReps: number;
  /** Whole run, corpus generation included. */
  seconds: number;
  corpora: Record<string, Omit<Corpus, 'dir'>>;
  /** Per script: its lines' figures and checks; or the error that stopped it. */
  benches: Record<string, { question: string; reps: number; lines: BenchResult['lines'] } | { error: string }>;
  /** Target checks that failed, over all scripts. */
  failedChecks: number;
}

export function appendResults(record: RunRecord): void {
  // Five significant digits are plenty for timings this noisy, and keep the lines short.
  const round = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(5)) : v);
  appendFileSync(RESULTS_FILE, `${JSON.stringify(record, round)}\n`);
}

export function writeLatest(markdown: string): void {
  writeFileSync(LATEST_FILE, markdown);
}

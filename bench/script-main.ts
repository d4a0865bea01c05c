/**
 * How a benchmark script is run: its options, and the command line that
 * runs one script alone (`node dist/bench/bench-tree.js [--quick] [--reps N]`)
 * and prints its table. run-all calls the same functions for every script.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SCRATCH_DIR } from './paths.js';
import { renderMarkdown, type BenchResult } from './table.js';

export interface BenchOptions {
  /** The small corpora and fewer rounds: the whole suite in under 2 minutes. */
  quick: boolean;
  /** Rounds per variant (best of this many) for the headline questions: export and tree. */
  reps: number;
  /** Rounds for import, scaling and the giant row: one fewer, to keep quick under 2 minutes. */
  secondaryReps: number;
  /** Where timed runs write; each script uses a subfolder and removes it. */
  scratch: string;
}

export type Bench = (o: BenchOptions) => Promise<BenchResult>;

/** `--quick` and `--reps N` (default: 2 quick, 3 full; the secondary questions get one fewer, at least 1). */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({ args: argv, options: { quick: { type: 'boolean' }, reps: { type: 'string' } } });
  const quick = values.quick ?? false;
  const reps = values.reps === undefined ? (quick ? 2 : 3) : Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, not ${values.reps}`);
  return { quick, reps, secondaryReps: Math.max(1, reps - 1), scratch: SCRATCH_DIR };
}

/** Runs one bench script from the command line and prints its table (no results file: that is run-all's). */
export async function standalone(bench: Bench): Promise<void> {
  const o = parseBenchArgs(process.argv.slice(2));
  rmSync(o.scratch, { recursive: true, force: true });
  mkdirSync(o.scratch, { recursive: true });
  try {
    process.stdout.write(renderMarkdown(await bench(o)));
  } finally {
    rmSync(o.scratch, { recursive: true, force: true });
  }
}

/**
 * `npm run bench:compare [-- [BEFORE] [AFTER] [--check]]`: two runs from
 * bench/results.jsonl side by side (see compare-runs.ts). AFTER defaults to
 * the last run, BEFORE to the latest earlier run of the same mode on the
 * same corpora and machine. A run is a commit (prefix) or ~N, the Nth
 * before the last (~0 is the last).
 * --file F reads another results file (another clone's, say).
 * With --check, exits 1 when a line of zotpack's own got slower, failed or
 * grew in memory, and 2 when the runs do not compare.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compareRuns, findRun, previousComparable, regressions, renderComparison } from './compare-runs.js';
import { RESULTS_FILE } from './paths.js';
import type { RunRecord } from './results-file.js';

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { check: { type: 'boolean' }, file: { type: 'string' } } });
  if (positionals.length > 2) throw new Error('at most two runs: BEFORE and AFTER');
  const file = values.file ?? RESULTS_FILE;
  const runs = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RunRecord);
  if (runs.length === 0) throw new Error(`${file} holds no run yet: npm run bench (or bench:quick) first`);
  // No run named: the last against the one before it; one: that against the last; two: in that order.
  const after = findRun(runs, positionals[1] ?? '~0');
  const before = positionals[0] === undefined ? previousComparable(runs, after) : findRun(runs, positionals[0]);
  if (before === undefined) throw new Error(`no earlier run of ${runs[after]!.commit} on the same corpora and machine to compare with; name one`);
  const comparison = compareRuns(runs[before]!, runs[after]!);
  process.stdout.write(renderComparison(comparison));
  if (!values.check) return 0;
  // A check of runs that do not compare proves nothing either way.
  if (comparison.caveats.length > 0) throw new Error(`--check: the runs do not compare (${comparison.caveats.join('; ')})`);
  return regressions(comparison).length > 0 ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench:compare: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}

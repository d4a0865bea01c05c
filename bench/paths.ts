/** Where the benchmarks find the CLI, keep their corpora and write their results. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The built CLI, run as a user runs it. */
export const ZOTPACK = join(ROOT, 'bin', 'zotpack.js');

/** Compiled naive baselines. */
export const NAIVE_EXPORT = join(ROOT, 'dist', 'bench', 'naive-export.js');
export const NAIVE_TREE = join(ROOT, 'dist', 'bench', 'naive-tree.js');

/** The floors under tree and export: the work they cannot skip, and nothing else. */
export const FLOORS = join(ROOT, 'dist', 'bench', 'floors.js');

/** Generated corpora, cached between runs (gitignored). */
export const CORPUS_DIR = join(ROOT, 'bench', 'corpus');

/** Outputs of timed runs; removed when a script ends. Same file system as the corpora, as a real backup would be. */
export const SCRATCH_DIR = join(CORPUS_DIR, 'scratch');

/** History: one JSON line per `npm run bench`. */
export const RESULTS_FILE = join(ROOT, 'bench', 'results.jsonl');

/** The latest run's tables, for the README to link. */
export const LATEST_FILE = join(ROOT, 'bench', 'latest.md');

/** `node bin/zotpack.js ...args`, with this Node. */
export function zotpack(...args: string[]): string[] {
  return [process.execPath, ZOTPACK, ...args];
}

/** True when `url` (a module's import.meta.url) is the script Node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(url);
}

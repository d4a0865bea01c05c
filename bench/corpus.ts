/**
 * The corpora the benchmarks run on, generated once and cached under
 * bench/corpus/<shape>-<size>-<seed>/ (size: MB for `skewed` and `giant`,
 * files for `small`). A corpus counts as present only when its
 * `corpus.json` is there, written after generation and the largest-row
 * scan; anything else at that path is a killed generation and is redone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpus, generateSmallCorpus } from './gen-corpus.js';
import { generateGiantRow } from './gen-giant-row.js';
import { CORPUS_DIR, zotpack } from './paths.js';

export interface CorpusSpec {
  /** skewed: gen-corpus's real-world archive; small: N files of ~4 KB; giant: one session with one row over 512 MB. */
  shape: 'skewed' | 'small' | 'giant';
  /** MB for skewed and giant, number of files for small. */
  size: number;
  seed: number;
}

export interface Corpus {
  spec: CorpusSpec;
  /** A zot home: `<dir>/sessions/<key>/*.jsonl`. */
  dir: string;
  files: number;
  bytes: number;
  /** Largest row in bytes, from `zotpack stats` (once per corpus). */
  largestRow: number;
}

/** A short name for tables: "skewed 200 MB", "small 20000 files". */
export function corpusLabel(c: CorpusSpec): string {
  return c.shape === 'small' ? `${c.size} small files` : `${c.shape} ${c.size} MB`;
}

/** The corpora of a quick or a full run. `scaleSmall` is a tenth of `main`, for the linearity check. */
export function corpusSpecs(quick: boolean): Record<'main' | 'scaleSmall' | 'small' | 'giant', CorpusSpec> {
  return {
    main: { shape: 'skewed', size: quick ? 200 : 2000, seed: 1 },
    scaleSmall: { shape: 'skewed', size: quick ? 20 : 200, seed: 1 },
    small: { shape: 'small', size: quick ? 20_000 : 100_000, seed: 1 },
    giant: { shape: 'giant', size: 600, seed: 1 },
  };
}

/** Every `.jsonl` under `<dir>/sessions/*` with its size. */
function sessionFiles(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const root = join(dir, 'sessions');
  for (const key of readdirSync(root)) {
    for (const name of readdirSync(join(root, key))) {
      if (!name.endsWith('.jsonl')) continue;
      files++;
      bytes += statSync(join(root, key, name)).size;
    }
  }
  return { files, bytes };
}

/** The largest row, as zotpack's own scan reports it. */
function largestRow(dir: string): number {
  const argv = zotpack('stats', '--json', '--from', dir);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`zotpack stats failed on ${dir} (exit ${r.status}): ${r.stderr.slice(-500)}`);
  const n = (JSON.parse(r.stdout) as { total: { largestRow: number } }).total.largestRow;
  if (!Number.isFinite(n)) throw new Error(`zotpack stats gave no total.largestRow for ${dir}`);
  return n;
}

/** The corpus for `spec`, generated (and scanned) unless cached. */
export function ensureCorpus(spec: CorpusSpec): Corpus {
  const dir = join(CORPUS_DIR, `${spec.shape}-${spec.size}-${spec.seed}`);
  const marker = join(dir, 'corpus.json');
  if (existsSync(marker)) return { spec, dir, ...(JSON.parse(readFileSync(marker, 'utf8')) as Omit<Corpus, 'spec' | 'dir'>) };
  rmSync(dir, { recursive: true, force: true });
  const t = performance.now();
  process.stderr.write(`generating ${corpusLabel(spec)} in ${dir} …\n`);
  if (spec.shape === 'skewed') generateCorpus({ mb: spec.size, seed: spec.seed, out: dir });
  else if (spec.shape === 'small') generateSmallCorpus({ count: spec.size, seed: spec.seed, out: dir });
  else generateGiantRow({ mb: spec.size, seed: spec.seed, out: dir });
  const figures = { ...sessionFiles(dir), largestRow: largestRow(dir) };
  // Cached for good, so check it: a row is never empty and never larger than the whole archive.
  if (!(figures.largestRow > 0 && figures.largestRow <= figures.bytes)) throw new Error(`zotpack stats gave largestRow ${figures.largestRow} for ${dir}`);
  writeFileSync(marker, `${JSON.stringify(figures)}\n`);
  process.stderr.write(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  return { spec, dir, ...figures };
}

/**
 * Question: does zotpack scale — with cores (`--jobs 1` vs `--jobs 2`) and
 * with bytes (a corpus ten times larger must cost ten times as much, and no
 * more memory)? Full run: 200 MB vs 2 GB; quick: 20 MB vs 200 MB, both from
 * gen-corpus with the same seed. The fixed start-up cost (the same command
 * on an archive of one small session, so the worker pool starts) is
 * measured too and taken out of the per-byte comparison, or it would
 * flatter the larger corpus.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { corpusSpecs, ensureCorpus, type Corpus } from './corpus.js';
import { catArgv, freshOutputs, measureInterleaved, warmCache, type Variant } from './measure.js';
import { isMain, zotpack } from './paths.js';
import { standalone, type BenchOptions } from './script-main.js';
import { addCheck, lineOf, setRatio, type BenchResult, type Line } from './table.js';
import { atMost, rssCheck, TARGETS } from './targets.js';

/** A zot home holding only the smallest session of `c`: the fixed cost of a run. */
function oneSessionArchive(c: Corpus, home: string): string {
  let best: { path: string; key: string; name: string; size: number } | null = null;
  for (const key of readdirSync(join(c.dir, 'sessions'))) {
    for (const name of readdirSync(join(c.dir, 'sessions', key))) {
      const path = join(c.dir, 'sessions', key, name);
      const size = statSync(path).size;
      if (name.endsWith('.jsonl') && (best === null || size < best.size)) best = { path, key, name, size };
    }
  }
  if (best === null) throw new Error(`no session in ${c.dir}`);
  mkdirSync(join(home, 'sessions', best.key), { recursive: true });
  copyFileSync(best.path, join(home, 'sessions', best.key, best.name));
  return home;
}

const size = (c: Corpus) => (c.bytes >= 1e9 ? `${(c.bytes / 1e9).toFixed(1)} GB` : `${Math.round(c.bytes / 1e6)} MB`);

export async function benchScaling(o: BenchOptions): Promise<BenchResult> {
  const specs = corpusSpecs(o.quick);
  const big = ensureCorpus(specs.main);
  const small = ensureCorpus(specs.scaleSmall);
  const dir = join(o.scratch, 'scaling');
  const one = oneSessionArchive(small, join(dir, 'one'));
  const fresh = freshOutputs(join(dir, 'runs'));
  const tree = (c: Corpus, jobs: number): Variant => ({
    name: `zotpack tree --jobs ${jobs}, ${size(c)}`,
    kind: 'zotpack',
    argv: zotpack('tree', '--from', c.dir, '-q', '--jobs', String(jobs)),
  });
  const exp = (c: Corpus, jobs: number): Variant => ({
    name: `zotpack export --jobs ${jobs}, ${size(c)}`,
    kind: 'zotpack',
    ...fresh(`export-${jobs}-${c.spec.size}`, (o) => zotpack('export', '--out', o, '--from', c.dir, '-q', '--jobs', String(jobs))),
  });
  const cat = (c: Corpus): Variant => ({ name: `cat, ${size(c)}`, kind: 'ceiling', argv: catArgv(c.dir) });
  const treeOne: Variant = { name: 'zotpack tree, one small session', kind: 'zotpack', argv: zotpack('tree', '--from', one, '-q', '--jobs', '2') };
  const expOne: Variant = {
    name: 'zotpack export, one small session',
    kind: 'zotpack',
    ...fresh('export-one', (o) => zotpack('export', '--out', o, '--from', one, '-q', '--jobs', '2')),
  };
  const v = {
    tree1: tree(big, 1),
    tree2: tree(big, 2),
    treeSmall: tree(small, 2),
    exp1: exp(big, 1),
    exp2: exp(big, 2),
    expSmall: exp(small, 2),
    catBig: cat(big),
    catSmall: cat(small),
    treeOne,
    expOne,
  };
  const variants = Object.values(v);
  warmCache(big.dir);
  warmCache(small.dir);
  const m = (await measureInterleaved('scaling', variants, o.secondaryReps)).measurements;
  rmSync(dir, { recursive: true, force: true });
  const of = (x: Variant, c: Corpus | null): Line => lineOf(m.get(x.name)!, c ?? { bytes: 0, files: 0, largestRow: 0 });
  const l = {
    tree1: of(v.tree1, big),
    tree2: of(v.tree2, big),
    treeSmall: of(v.treeSmall, small),
    exp1: of(v.exp1, big),
    exp2: of(v.exp2, big),
    expSmall: of(v.expSmall, small),
    catBig: of(v.catBig, big),
    catSmall: of(v.catSmall, small),
    treeOne: of(v.treeOne, null),
    expOne: of(v.expOne, null),
  };
  setRatio(l.tree2, l.tree1, 'jobs 1');
  setRatio(l.exp2, l.exp1, 'jobs 1');
  // Seconds per byte beyond the fixed cost, big corpus over small: 1 is linear.
  const linear = (a: Line, b: Line, fixed: Line) => {
    const t0 = fixed.seconds ?? 0;
    const x = a.seconds === null || b.seconds === null ? null : ((a.seconds - t0) / big.bytes) / ((b.seconds - t0) / small.bytes);
    return atMost(`per-byte cost ${x === null ? '?' : x.toFixed(2)}x ${size(small)}'s <= ${TARGETS.linearSlack}x`, x, TARGETS.linearSlack);
  };
  addCheck(l.tree2, linear(l.tree2, l.treeSmall, l.treeOne));
  addCheck(l.exp2, linear(l.exp2, l.expSmall, l.expOne));
  l.catBig.ratioOf = `MB/s of ${size(small)}`;
  l.catBig.ratio = l.catBig.mbPerS !== null && l.catSmall.mbPerS !== null ? l.catBig.mbPerS / l.catSmall.mbPerS : null;
  for (const x of [l.tree1, l.tree2, l.treeSmall, l.exp1, l.exp2, l.expSmall]) addCheck(x, rssCheck(x.rssMB, x.largestRowMB * 1e6));
  for (const x of [l.treeOne, l.expOne]) {
    x.mbPerS = null;
    x.filesPerS = null;
    x.notes.push('fixed cost: start-up and shut-down (a run this small starts no thread)');
  }
  return {
    name: 'scaling',
    question: `--jobs 1 vs --jobs 2, and ${size(small)} vs ${size(big)} (cost must grow linearly with bytes)`,
    setup: `skewed corpora of ${size(small)} (${small.files} files) and ${size(big)} (${big.files} files), same generator and seed, cache warm`,
    reps: o.secondaryReps,
    lines: Object.values(l),
    notes: [
      `ratio: for --jobs 2, throughput over --jobs 1's; for cat on ${size(big)}, MB/s over cat's on ${size(small)}.`,
      `per-byte cost: (seconds - the one-session seconds) / bytes, on ${size(big)} over the same on ${size(small)}; 1 is linear. Memory must not grow with the archive: the RSS check applies to every size.`,
    ],
  };
}

if (isMain(import.meta.url)) await standalone(benchScaling);

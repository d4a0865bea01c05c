/**
 * Question: how many files per second do tree, export and import sustain over a
 * hundred thousand (quick: twenty thousand) sessions of about 4 KB, where
 * per-file costs dominate, against `cat`, `cp -r` and the naive scripts
 * measured in this run?
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { corpusLabel, corpusSpecs, ensureCorpus } from './corpus.js';
import { catArgv, freshOutputs, measureInterleaved, onceWhenQuick, runOnce, warmCache, type Variant } from './measure.js';
import { isMain, NAIVE_EXPORT, NAIVE_TREE, zotpack } from './paths.js';
import { standalone, type BenchOptions } from './script-main.js';
import { addCheck, linesOf, setRatio, type BenchResult } from './table.js';
import { atLeast, rssCheck, TARGETS } from './targets.js';

export async function benchSmallFiles(o: BenchOptions): Promise<BenchResult> {
  const c = ensureCorpus(corpusSpecs(o.quick).small);
  const dir = join(o.scratch, 'small-files');
  mkdirSync(dir, { recursive: true });
  const out = (name: string) => join(dir, name);
  const fresh = freshOutputs(join(dir, 'runs'));
  const tree: Variant = { name: 'zotpack tree', kind: 'zotpack', argv: zotpack('tree', '--from', c.dir, '-q') };
  // --json holds the memory budget too: its one document covers every session.
  const treeJson: Variant = { name: 'zotpack tree --json', kind: 'zotpack', argv: zotpack('tree', '--from', c.dir, '-q', '--json') };
  const cat: Variant = { name: 'cat', kind: 'ceiling', argv: catArgv(c.dir) };
  const naiveTree: Variant = { name: 'naive tree', kind: 'naive', argv: [process.execPath, NAIVE_TREE, '--from', c.dir] };
  const exportTo = (name: string, ...flags: string[]): Variant => ({
    name: ['zotpack export', ...flags].join(' '),
    kind: 'zotpack',
    ...fresh(name, (o) => zotpack('export', '--out', o, '--from', c.dir, '-q', ...flags)),
  });
  // (Quick mode: once. The second round is for the tree's target, and its baseline.)
  const exp: Variant = { ...exportTo('z'), ...onceWhenQuick(o.quick) };
  const expNoFsync = exportTo('z-nofsync', '--no-fsync');
  const cp: Variant = { name: 'cp -r', kind: 'ceiling', ...fresh('cp', (o) => ['cp', '-r', c.dir, o]), ...onceWhenQuick(o.quick) };
  const naiveExport: Variant = {
    name: 'naive export',
    kind: 'naive',
    ...fresh('naive', (o) => [process.execPath, NAIVE_EXPORT, '--from', c.dir, '--out', o]),
  };
  // Import (full mode only): the export of these files into an empty home, and again into a home an
  // import already filled (every session present: the index of the home's ids is the most import holds).
  const forImport = out('for-import');
  const importInto = (home: string, ...flags: string[]) => zotpack('import', forImport, '--home', home, '-q', ...flags);
  const impDurable: Variant = { name: 'zotpack import', kind: 'zotpack', ...fresh('home-durable', (h) => importInto(h)) };
  const imp: Variant = { name: 'zotpack import --no-fsync', kind: 'zotpack', ...fresh('home', (h) => importInto(h, '--no-fsync')) };
  const again: Variant = { name: 'zotpack import, all present', kind: 'zotpack', argv: importInto(out('home-full'), '--no-fsync') };
  if (!o.quick) {
    for (const argv of [zotpack('export', '--out', forImport, '--from', c.dir, '-q', '--no-fsync'), importInto(out('home-full'), '--no-fsync')]) {
      const run = await runOnce(argv);
      if (run.code !== 0) throw new Error(`small files: setting up the import lines failed: ${run.stderr.trim().split('\n').pop()}`);
    }
  }
  // The naive scripts take two thirds of this script's time and --no-fsync a sixth; quick mode leaves them out to stay under 2 minutes.
  const variants = o.quick ? [tree, cat, exp, cp] : [tree, treeJson, cat, naiveTree, exp, expNoFsync, cp, naiveExport, impDurable, imp, again];
  // A target hangs on the tree's files/s, so best of 2 even in quick mode, if a second round fits in 40 s (file creation
  // here swings tenfold with the machine's load); not 3 in full: 100,000 files take minutes a round.
  warmCache(c.dir);
  const { measurements, rounds: reps } = await measureInterleaved('small files', variants, Math.min(o.reps, 2), o.quick ? 40 : Infinity);
  const { lines, line } = linesOf(variants, measurements, c);
  // Memory must not grow with the number of sessions: the same commands over a fifth of the files, once each.
  const growth: string[] = [];
  if (!o.quick) {
    const fifth = ensureCorpus(corpusSpecs(true).small);
    warmCache(fifth.dir);
    for (const [v, argv] of [
      [tree, zotpack('tree', '--from', fifth.dir, '-q')],
      [expNoFsync, zotpack('export', '--out', out('fifth'), '--from', fifth.dir, '-q', '--no-fsync')],
    ] as const) {
      const run = await runOnce(argv);
      rmSync(out('fifth'), { recursive: true, force: true });
      const many = measurements.get(v.name)?.rssMB;
      if (run.code === 0 && run.rssMB !== null && many != null) {
        growth.push(`\`${v.name}\` ${Math.round(run.rssMB)} MB at ${fifth.files} files, ${Math.round(many)} MB at ${c.files}`);
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const ran = (...vs: Variant[]) => vs.filter((v) => variants.includes(v));
  setRatio(line(tree), line(cat), 'cat');
  for (const v of ran(treeJson)) setRatio(line(v), line(cat), 'cat');
  line(cat).ratioOf = 'read ceiling';
  for (const v of ran(naiveTree)) setRatio(line(v), line(tree), 'zotpack tree');
  for (const v of ran(exp, expNoFsync)) setRatio(line(v), line(cp), 'cp -r');
  line(cp).ratioOf = 'copy ceiling';
  for (const v of ran(naiveExport)) setRatio(line(v), line(exp), 'zotpack export');
  for (const v of ran(impDurable, imp, again)) setRatio(line(v), line(cp), 'cp -r');
  addCheck(line(tree), atLeast(`>= ${TARGETS.smallTreeFilesPerS} files/s`, line(tree).filesPerS, TARGETS.smallTreeFilesPerS));
  for (const v of ran(tree, treeJson, exp, expNoFsync, impDurable, imp, again)) addCheck(line(v), rssCheck(line(v).rssMB, c.largestRow));
  return {
    name: 'small files',
    question: 'files/s for tree, export and import over many ~4 KB sessions',
    setup: `${corpusLabel(c.spec)}: ${c.files} files, ${(c.bytes / 1e6).toFixed(0)} MB, cache warm`,
    reps,
    lines,
    notes: [
      `ratio: tree over \`cat\`, export${o.quick ? '' : ' and import'} over \`cp -r\`${o.quick ? '' : ', each naive line over the zotpack line it mirrors'}.`,
      ...(o.quick ? [] : ['import reads the export of these files (made untimed, `--no-fsync`); "all present" imports it again into a home that already holds every session.']),
      ...(o.quick ? ['Quick mode leaves out the naive scripts, `--no-fsync` and import here (`npm run bench` has them), and runs the export and `cp -r` once.'] : []),
      ...(growth.length > 0 ? [`Peak RSS against the number of sessions (the coordinator works a few projects at a time): ${growth.join('; ')}.`] : []),
      'zotpack export and import (default) make their output durable inside their time; `--no-fsync` and `cp -r` do not (sync runs, untimed, before every run). Every run writes into a new folder, in a block group where nothing was just deleted (bench/measure.ts, freshOutputs); bench/results.jsonl keeps every run\'s seconds.',
    ],
  };
}

if (isMain(import.meta.url)) await standalone(benchSmallFiles);

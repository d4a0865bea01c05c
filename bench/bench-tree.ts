/**
 * Question: how fast is the tree of every project, against the read
 * ceiling (`cat` of every file) and a naive Node script, measured in this
 * run on the same corpus? (The tree needs every row: message counts and
 * cost come from the whole file.)
 */
import { corpusLabel, corpusSpecs, ensureCorpus } from './corpus.js';
import { catArgv, measureInterleaved, onceWhenQuick, warmCache, type Variant } from './measure.js';
import { FLOORS, isMain, NAIVE_TREE, zotpack } from './paths.js';
import { standalone, type BenchOptions } from './script-main.js';
import { addCheck, linesOf, setRatio, type BenchResult } from './table.js';
import { atLeast, rssCheck, TARGETS, vsNaiveCheck } from './targets.js';

export async function benchTree(o: BenchOptions): Promise<BenchResult> {
  const c = ensureCorpus(corpusSpecs(o.quick).main);
  const z: Variant = { name: 'zotpack tree', kind: 'zotpack', argv: zotpack('tree', '--from', c.dir, '-q') };
  const jobs1: Variant = { name: 'zotpack tree --jobs 1', kind: 'zotpack', argv: zotpack('tree', '--from', c.dir, '-q', '--jobs', '1'), ...onceWhenQuick(o.quick) };
  const cat: Variant = { name: 'cat', kind: 'ceiling', argv: catArgv(c.dir) };
  const naive: Variant = { name: 'naive (readline + JSON.parse)', kind: 'naive', argv: [process.execPath, NAIVE_TREE, '--from', c.dir], ...onceWhenQuick(o.quick) };
  // What reading costs Node.js here, and reading plus zotpack's validation of every byte with nothing else.
  const floorRead: Variant = { name: 'floor: Node reads every byte', kind: 'ceiling', argv: [process.execPath, FLOORS, '--from', c.dir, '--mode', 'read'] };
  const floorScan: Variant = { name: 'floor: ... and validates it', kind: 'ceiling', argv: [process.execPath, FLOORS, '--from', c.dir, '--mode', 'scan'] };
  const variants = [z, jobs1, cat, floorRead, floorScan, naive];
  warmCache(c.dir);
  const { lines, line } = linesOf(variants, (await measureInterleaved('tree', variants, o.reps)).measurements, c);
  for (const v of [z, jobs1, floorRead, floorScan]) setRatio(line(v), line(cat), 'cat');
  line(cat).ratioOf = 'read ceiling';
  setRatio(line(naive), line(z), 'zotpack');
  addCheck(line(z), atLeast(`>= ${TARGETS.treeVsCat}x cat`, line(z).ratio, TARGETS.treeVsCat));
  addCheck(line(z), vsNaiveCheck(line(z), line(naive)));
  for (const v of [z, jobs1]) addCheck(line(v), rssCheck(line(v).rssMB, c.largestRow));
  return {
    name: 'tree',
    question: 'the tree of every project vs the read ceiling and a naive script',
    setup: `${corpusLabel(c.spec)}: ${c.files} files, ${(c.bytes / 1e6).toFixed(0)} MB, cache warm, stdout to /dev/null`,
    reps: o.reps,
    lines,
    notes: [
      "ratio: throughput over `cat`'s (> 1 is faster); for the naive line, over zotpack's.",
      'floors (bench/floors.ts, same threads as the pool): a Node.js program that only reads every file in 1 MiB reads; then one that also frames rows and runs the WebAssembly validator on each, and nothing else. zotpack tree cannot beat the second: zot skips a row that is not valid JSON, so its counts depend on every byte.',
      ...(o.quick ? ['Quick mode runs `--jobs 1` and the naive script once.'] : []),
    ],
  };
}

if (isMain(import.meta.url)) await standalone(benchTree);

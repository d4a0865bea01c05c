/**
 * Question: does a row too big for a JavaScript string (over 512 MB) go
 * through tree and export, verify and unpack of a bundle, and branch, and
 * within what memory? The naive scripts die on it (V8's string limit); the
 * table says so rather than leaving it out.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { corpusLabel, corpusSpecs, ensureCorpus } from './corpus.js';
import { catArgv, freshOutputs, measureInterleaved, warmCache, type Variant } from './measure.js';
import { isMain, NAIVE_EXPORT, NAIVE_TREE, zotpack } from './paths.js';
import { standalone, type BenchOptions } from './script-main.js';
import { addCheck, linesOf, setRatio, type BenchResult } from './table.js';
import { rssCheck } from './targets.js';

export async function benchGiantRow(o: BenchOptions): Promise<BenchResult> {
  const c = ensureCorpus(corpusSpecs(o.quick).giant);
  const dir = join(o.scratch, 'giant-row');
  const out = freshOutputs(dir);
  const tree: Variant = { name: 'zotpack tree', kind: 'zotpack', argv: zotpack('tree', '--from', c.dir, '-q') };
  const exp: Variant = {
    name: 'zotpack export',
    kind: 'zotpack',
    ...out('z', (o) => zotpack('export', '--out', o, '--from', c.dir, '-q')),
  };
  const cat: Variant = { name: 'cat', kind: 'ceiling', argv: catArgv(c.dir) };
  const cp: Variant = { name: 'cp -r', kind: 'ceiling', ...out('cp', (o) => ['cp', '-r', c.dir, o]) };
  const naiveTree: Variant = { name: 'naive tree', kind: 'naive', argv: [process.execPath, NAIVE_TREE, '--from', c.dir] };
  const naiveExport: Variant = {
    name: 'naive export',
    kind: 'naive',
    ...out('naive', (o) => [process.execPath, NAIVE_EXPORT, '--from', c.dir, '--out', o]),
  };
  // The paths that hold a row whole outside the worker pool: a bundle's
  // rows checked or rewritten as they stream (verify, unpack --map-cwd), and
  // a one-file command reading its source twice (branch). Quick mode leaves
  // them out: 24 of the 39 timed seconds of this script's quick run at
  // efc72e6, and the bundle they need, made untimed.
  const bundle = join(dir, 'giant.tar');
  if (!o.quick) {
    const [node, ...packArgs] = zotpack('pack', '--from', c.dir, '-o', bundle, '--no-gzip', '--no-fsync', '-q');
    const packed = spawnSync(node!, packArgs);
    if (packed.status !== 0) throw new Error(`cannot pack the giant corpus: ${String(packed.stderr)}`);
  }
  const session = readdirSync(join(c.dir, 'sessions'), { recursive: true, withFileTypes: true }).find((e) => e.isFile() && e.name.endsWith('.jsonl'))!;
  const verify: Variant = { name: 'zotpack verify (bundle)', kind: 'zotpack', argv: zotpack('verify', bundle, '--lenient', '-q') };
  const unpack: Variant = {
    name: 'zotpack unpack --map-cwd',
    kind: 'zotpack',
    ...out('unpack', (o) => zotpack('unpack', bundle, '--to', o, '--map-cwd', '/home=/moved', '--no-fsync', '-q')),
  };
  const branch: Variant = {
    name: 'zotpack branch',
    kind: 'zotpack',
    ...out('branch', (o) => zotpack('branch', join(session.parentPath ?? session.path, session.name), '--at', '1', '--home', o, '--no-fsync', '-q')),
  };
  const holders = o.quick ? [] : [verify, unpack, branch];
  const variants = [tree, exp, ...holders, cat, cp, naiveTree, ...(o.quick ? [] : [naiveExport])];
  warmCache(c.dir);
  const { lines, line } = linesOf(variants, (await measureInterleaved('giant row', variants, o.secondaryReps)).measurements, c);
  rmSync(dir, { recursive: true, force: true });
  setRatio(line(tree), line(cat), 'cat');
  setRatio(line(exp), line(cp), 'cp -r');
  setRatio(line(naiveTree), line(tree), 'zotpack tree');
  if (!o.quick) setRatio(line(naiveExport), line(exp), 'zotpack export');
  for (const v of [tree, exp, ...holders]) addCheck(line(v), rssCheck(line(v).rssMB, c.largestRow));
  return {
    name: 'giant row',
    question: 'a row over 512 MB through tree, export, verify and unpack of its bundle, and branch, and the memory each takes',
    setup: `${corpusLabel(c.spec)}: one session, one row of ${(c.largestRow / 1e6).toFixed(0)} MB, cache warm`,
    reps: o.secondaryReps,
    lines,
    notes: [
      'A naive line that "failed on 1 of 1 files" did not finish the job: its seconds are the time to die.',
      ...(o.quick ? ['Quick mode leaves out verify, unpack and branch, and the naive export (`npm run bench` has them).'] : []),
    ],
  };
}

if (isMain(import.meta.url)) await standalone(benchGiantRow);

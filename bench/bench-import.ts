/**
 * Question: how fast is the import of a whole export folder into a fresh
 * zot home, against copying that folder (`cp -r`) and reading it (`cat`),
 * measured in this run? The export folder is made once, untimed, by
 * zotpack itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { corpusLabel, corpusSpecs, ensureCorpus } from './corpus.js';
import { catArgv, freshOutputs, measureInterleaved, warmCache, type Variant } from './measure.js';
import { isMain, zotpack } from './paths.js';
import { standalone, type BenchOptions } from './script-main.js';
import { addCheck, linesOf, setRatio, type BenchResult, type Work } from './table.js';
import { rssCheck } from './targets.js';

/** Count and bytes of the `.zotsession` files under `dir`. */
function zotsessions(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.zotsession')) continue;
    files++;
    bytes += statSync(join(e.parentPath, e.name)).size;
  }
  return { files, bytes };
}

export async function benchImport(o: BenchOptions): Promise<BenchResult> {
  const c = ensureCorpus(corpusSpecs(o.quick).main);
  const dir = join(o.scratch, 'import');
  mkdirSync(dir, { recursive: true });
  const src = join(dir, 'export');
  const exportArgv = zotpack('export', '--out', src, '--from', c.dir, '-q', '--no-fsync');
  const made = spawnSync(exportArgv[0]!, exportArgv.slice(1), { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`making the export folder failed (exit ${made.status}): ${made.stderr.slice(-500)}`);
  // The export headers differ from the source meta rows by a few hundred bytes; the largest row is the corpus's.
  const work: Work = { ...zotsessions(src), largestRow: c.largestRow };
  // A fresh home each run: a second import into one would skip every session.
  const home = freshOutputs(join(dir, 'homes'));
  const importTo = (name: string, ...flags: string[]): Variant => ({
    name: ['zotpack import', ...flags].join(' '),
    kind: 'zotpack',
    ...home(name, (h) => zotpack('import', src, '--home', h, '-q', ...flags)),
  });
  const z = importTo('z');
  const noFsync = importTo('z-nofsync', '--no-fsync');
  const jobs1 = importTo('z-jobs1', '--jobs', '1');
  const cp: Variant = { name: 'cp -r', kind: 'ceiling', ...home('cp', (h) => ['cp', '-r', src, h]) };
  const cat: Variant = { name: 'cat', kind: 'ceiling', argv: catArgv(src, 'zotsession') };
  const variants = [z, noFsync, jobs1, cp, cat];
  warmCache(src, 'zotsession');
  const { lines, line } = linesOf(variants, (await measureInterleaved('import', variants, o.secondaryReps)).measurements, work);
  rmSync(dir, { recursive: true, force: true });
  for (const v of [z, noFsync, jobs1, cat]) setRatio(line(v), line(cp), 'cp -r');
  line(cp).ratioOf = 'copy ceiling';
  for (const v of [z, noFsync, jobs1]) addCheck(line(v), rssCheck(line(v).rssMB, work.largestRow));
  return {
    name: 'import',
    question: 'import of a whole export folder into a fresh zot home vs the copy and read ceilings',
    setup: `the export of ${corpusLabel(c.spec)}: ${work.files} .zotsession files, ${(work.bytes / 1e6).toFixed(0)} MB, cache warm`,
    reps: o.secondaryReps,
    lines,
    notes: [
      "ratio: throughput over `cp -r`'s. No throughput target in the issue for import; the RSS target applies.",
      'zotpack import (default) makes its output durable inside its time; `cp -r` and `--no-fsync` leave writeback to the kernel (sync runs, untimed, before every run).',
    ],
  };
}

if (isMain(import.meta.url)) await standalone(benchImport);

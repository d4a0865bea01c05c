/**
 * Question: how fast is a bulk export of a realistic archive, against the
 * copy ceiling (`cp -r`), the read ceiling (`cat`) and a naive Node script,
 * all measured in this run on the same corpus?
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { corpusLabel, corpusSpecs, ensureCorpus } from './corpus.js';
import { catArgv, freshOutputs, measureInterleaved, onceWhenQuick, warmCache, type Variant } from './measure.js';
import { FLOORS, isMain, NAIVE_EXPORT, zotpack } from './paths.js';
import { standalone, type BenchOptions } from './script-main.js';
import { addCheck, linesOf, setRatio, type BenchResult } from './table.js';
import { atLeast, rssCheck, TARGETS, vsNaiveCheck } from './targets.js';

export async function benchExport(o: BenchOptions): Promise<BenchResult> {
  const c = ensureCorpus(corpusSpecs(o.quick).main);
  const dir = join(o.scratch, 'export');
  // A new target each run: a second export into one would be incremental.
  const out = freshOutputs(dir);
  const exportTo = (name: string, ...flags: string[]): Variant => ({
    name: ['zotpack export', ...flags].join(' '),
    kind: 'zotpack',
    ...out(name, (o) => zotpack('export', '--out', o, '--from', c.dir, '-q', ...flags)),
  });
  const z = exportTo('z');
  const noFsync = exportTo('z-nofsync', '--no-fsync');
  const jobs1: Variant = { ...exportTo('z-jobs1', '--jobs', '1'), ...onceWhenQuick(o.quick) };
  const cp: Variant = { name: 'cp -r', kind: 'ceiling', ...out('cp', (o) => ['cp', '-r', c.dir, o]) };
  const cpSync: Variant = {
    name: 'cp -r && sync',
    kind: 'ceiling',
    ...out('cps', (o) => ['sh', '-c', 'cp -r "$1" "$2" && sync', 'sh', c.dir, o]),
  };
  const cat: Variant = { name: 'cat', kind: 'ceiling', argv: catArgv(c.dir) };
  const naive: Variant = {
    name: 'naive (readline + JSON.parse/stringify)',
    kind: 'naive',
    ...out('naive', (o) => [process.execPath, NAIVE_EXPORT, '--from', c.dir, '--out', o]),
    ...onceWhenQuick(o.quick),
  };
  // The work an export cannot skip, in Node.js, with nothing of zotpack's own: copying, hashing, validating.
  const floor = (mode: string, name: string): Variant => ({
    name,
    kind: 'ceiling',
    ...out(`floor-${mode}`, (o) => [process.execPath, FLOORS, '--from', c.dir, '--out', o, '--mode', mode]),
  });
  const floorCopy = floor('copy', 'floor: Node reads and writes every byte');
  const floorHash = floor('hash', 'floor: ... and hashes it (sha256)');
  const floorExport = floor('export', 'floor: ... and validates every row');
  const variants = [z, noFsync, jobs1, cp, cpSync, cat, floorCopy, floorHash, floorExport, naive];
  warmCache(c.dir);
  const { lines, line } = linesOf(variants, (await measureInterleaved('export', variants, o.reps)).measurements, c);
  rmSync(dir, { recursive: true, force: true });
  for (const v of [z, noFsync, jobs1, cpSync, cat, floorCopy, floorHash, floorExport]) setRatio(line(v), line(cp), 'cp -r');
  line(cp).ratioOf = 'copy ceiling';
  setRatio(line(naive), line(z), 'zotpack');
  for (const v of [z, noFsync]) addCheck(line(v), atLeast(`>= ${TARGETS.exportVsCp}x cp -r`, line(v).ratio, TARGETS.exportVsCp));
  addCheck(line(z), vsNaiveCheck(line(z), line(naive)));
  for (const v of [z, noFsync, jobs1]) addCheck(line(v), rssCheck(line(v).rssMB, c.largestRow));
  return {
    name: 'export',
    question: 'bulk export of a whole archive vs the copy and read ceilings and a naive script',
    setup: `${corpusLabel(c.spec)}: ${c.files} files, ${(c.bytes / 1e6).toFixed(0)} MB, cache warm`,
    reps: o.reps,
    lines,
    notes: [
      'ratio: throughput over `cp -r`\'s (> 1 is faster); for the naive line, over zotpack\'s.',
      'floors (bench/floors.ts, same threads as the pool, no fsync, so against `--no-fsync`): a Node.js program that reads every file in 1 MiB reads and writes it to a new file; then one that also takes its sha256, which the manifest must carry for every export; then one that also frames and validates every row (zot drops rows that are not valid JSON; an export leaves them out and counts them), writing the valid ones as read. zotpack export cannot beat the last.',
      'zotpack export (default) makes its output durable inside its time; `cp -r` and `--no-fsync` leave writeback to the kernel. `sync` runs (untimed) before every timed run so no run pays for the previous one\'s writeback; `cp -r && sync` is the durable copy (its sync flushes the whole machine).',
      ...(o.quick ? ['Quick mode runs `--jobs 1` and the naive script once.'] : []),
    ],
  };
}

if (isMain(import.meta.url)) await standalone(benchExport);

/**
 * Question: how fast is a move to another machine — `pack` of a whole
 * archive into one bundle, and `unpack` of that bundle into a fresh home —
 * against tar making and unpacking an uncompressed archive of the same
 * files, measured in this run? And the move with no bundle file, `pack -o -
 * | unpack -` (as over ssh), against `tar -cf - | tar -xf -`. The bundles
 * and the tar to unpack are made once, untimed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { corpusLabel, corpusSpecs, ensureCorpus } from './corpus.js';
import { freshOutputs, measureInterleaved, warmCache, type Variant } from './measure.js';
import { isMain, zotpack } from './paths.js';
import { standalone, type BenchOptions } from './script-main.js';
import { addCheck, linesOf, setRatio, type BenchResult } from './table.js';
import { rssCheck } from './targets.js';

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
/** A pipeline of argvs as one bash command; it fails when any part fails. */
const piped = (...parts: string[][]): string[] => ['bash', '-c', `set -o pipefail; ${parts.map((argv) => argv.map(quote).join(' ')).join(' | ')}`];

function make(argv: string[], what: string): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`making ${what} failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
}

export async function benchMigrate(o: BenchOptions): Promise<BenchResult> {
  const c = ensureCorpus(corpusSpecs(o.quick).main);
  const dir = join(o.scratch, 'migrate');
  mkdirSync(dir, { recursive: true });
  const gz = join(dir, 'all.zotpack');
  const plain = join(dir, 'plain.zotpack');
  const tarFile = join(dir, 'sessions.tar');
  if (!o.quick) make(zotpack('pack', '--from', c.dir, '-o', gz, '-q', '--no-fsync'), 'the bundle');
  make(zotpack('pack', '--from', c.dir, '-o', plain, '-q', '--no-fsync', '--no-gzip'), 'the uncompressed bundle');
  make(['tar', '-cf', tarFile, '-C', c.dir, 'sessions'], 'the tar');
  // pack writes one file (its path is the run's fresh output); unpack and tar -x a folder of sessions.
  const fresh = freshOutputs(join(dir, 'runs'));
  const pack = (name: string, ...flags: string[]): Variant => ({
    name: ['zotpack pack', ...flags].join(' '),
    kind: 'zotpack',
    ...fresh(name, (out) => zotpack('pack', '--from', c.dir, '-o', out, '-q', ...flags)),
  });
  const unpack = (name: string, bundle: string, what: string, ...flags: string[]): Variant => ({
    name: ['zotpack unpack', ...flags].join(' ') + ` (${what})`,
    kind: 'zotpack',
    ...fresh(name, (home) => zotpack('unpack', bundle, '--to', home, '-q', ...flags)),
  });
  const tarC: Variant = { name: 'tar -cf (no compression)', kind: 'ceiling', ...fresh('tar-c', (out) => ['tar', '-cf', out, '-C', c.dir, 'sessions']) };
  const tarX: Variant = {
    name: 'tar -xf (no compression)',
    kind: 'ceiling',
    ...fresh('tar-x', (out) => ['sh', '-c', 'mkdir "$2" && tar -xf "$1" -C "$2"', 'sh', tarFile, out]),
  };
  const pipeVariant = (name: string, what: string, ...flags: string[]): Variant => ({
    name: `zotpack pack -o - | zotpack unpack - --no-fsync (${what})`,
    kind: 'zotpack',
    ...fresh(name, (home) => piped(zotpack('pack', '--from', c.dir, '-o', '-', '-q', ...flags), zotpack('unpack', '-', '--to', home, '-q', '--no-fsync'))),
  });
  const pipe = pipeVariant('pipe', 'gzip');
  const pipePlain = pipeVariant('pipe-plain', 'no gzip', '--no-gzip');
  const tarPipe: Variant = {
    name: 'tar -cf - | tar -xf - (no compression)',
    kind: 'ceiling',
    ...fresh('tar-pipe', (out) => ['sh', '-c', 'mkdir "$2" && tar -cf - -C "$1" sessions | tar -xf - -C "$2"', 'sh', c.dir, out]),
  };
  const packGz = pack('pack');
  const packPlain = pack('pack-plain', '--no-gzip', '--no-fsync');
  const unpackGz = unpack('unpack', gz, 'gzip');
  const unpackGzNoFsync = unpack('unpack-nofsync', gz, 'gzip', '--no-fsync');
  const unpackPlain = unpack('unpack-plain', plain, 'no gzip', '--no-fsync');
  // Quick mode unpacks the uncompressed bundle only, and leaves out the gzip pipe: 9 of the 20 timed seconds of this
  // script's quick run at efc72e6, and the gzip bundle made (untimed) for them.
  const unpacks = o.quick ? [unpackPlain] : [unpackGz, unpackGzNoFsync, unpackPlain];
  const pipes = o.quick ? [pipePlain] : [pipe, pipePlain];
  const variants = [packGz, packPlain, tarC, ...unpacks, tarX, ...pipes, tarPipe];
  warmCache(c.dir);
  const { lines, line } = linesOf(variants, (await measureInterleaved('migrate', variants, o.secondaryReps)).measurements, c);
  rmSync(dir, { recursive: true, force: true });
  for (const v of [packGz, packPlain]) setRatio(line(v), line(tarC), 'tar -cf');
  line(tarC).ratioOf = 'archive ceiling';
  for (const v of unpacks) setRatio(line(v), line(tarX), 'tar -xf');
  line(tarX).ratioOf = 'extract ceiling';
  for (const v of pipes) setRatio(line(v), line(tarPipe), 'tar | tar');
  line(tarPipe).ratioOf = 'pipe ceiling';
  for (const v of [packGz, packPlain, ...unpacks, ...pipes]) addCheck(line(v), rssCheck(line(v).rssMB, c.largestRow));
  return {
    name: 'migrate',
    question: 'pack of a whole archive into one bundle and unpack of it into a fresh home vs tar without compression',
    setup: `${corpusLabel(c.spec)}: ${c.files} files, ${(c.bytes / 1e6).toFixed(0)} MB, cache warm`,
    reps: o.secondaryReps,
    lines,
    notes: [
      'ratio: throughput over `tar -cf`\'s for pack, over `tar -xf`\'s for unpack, over `tar -cf - | tar -xf -`\'s for the pipe. No throughput target in the issue for pack and unpack; the RSS target applies (for a pipe, to the larger of its two processes: time reports the largest single process of a tree).',
      'pack also hashes every session (sha256, for its manifest) and by default gzips (level 1, in parallel blocks) and fsyncs the bundle; unpack checks every session against the manifest, writes each under its (remapped) project folder and by default makes it durable. tar does none of that.',
      ...(o.quick ? ['Quick mode leaves out unpack of the gzip bundle and the gzip pipe (`npm run bench` has them).'] : []),
    ],
  };
}

if (isMain(import.meta.url)) await standalone(benchMigrate);

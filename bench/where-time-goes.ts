/**
 * Question: where does the time of tree and export go, and how much of it is
 * zotpack's own? Runs each once under Node's CPU profiler (--cpu-prof) and
 * sorts every sample of the worker threads by what it is doing: system calls
 * (the kernel's copies between the page cache and the process, with the page
 * faults of memory touched for the first time), OpenSSL's sha256, the
 * WebAssembly validator, the newline search, garbage collection, the
 * thread's start-up, waiting for work, and the JavaScript around them.
 *
 * The profiler samples about once a millisecond and its own cost shows in
 * the seconds: read the shares. Not part of `npm run bench` (no timing here).
 *
 *   npm run bench:profile [-- --quick] [-- --small]   (--small: the many-small-files corpus)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { corpusLabel, corpusSpecs, ensureCorpus } from './corpus.js';
import { warmCache } from './measure.js';
import { SCRATCH_DIR, ZOTPACK } from './paths.js';

interface CallFrame {
  functionName: string;
  url: string;
}

interface Profile {
  nodes: Array<{ id: number; callFrame: CallFrame; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

const CATEGORIES = [
  'reading files: read(2)',
  'writing files: write(2), writev(2)',
  'other file system calls',
  'sha256 (OpenSSL)',
  'validating rows (WebAssembly)',
  'newline search (memchr)',
  'garbage collection',
  "thread start-up (Node's and zotpack's code)",
  'waiting for work',
  'JavaScript and the rest',
] as const;
type Category = (typeof CATEGORIES)[number];

/** Every category at 0 s. */
const zeroes = () => new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));

/** Native bindings that are one system call each (fs): what their samples are is the kernel's work. */
const READS = new Set(['read']);
const WRITES = new Set(['writeBuffer', 'writeBuffers', 'writeString']);
const OTHER_FS = new Set(['open', 'close', 'stat', 'lstat', 'fstat', 'rename', 'futimes', 'utimes', 'fsync', 'fdatasync', 'unlink', 'mkdir', 'readdir', 'ftruncate', 'link', 'rmdir', 'realpath', 'copyFile']);

function categoryOf(frame: CallFrame, parent: CallFrame | undefined): Category {
  const { functionName: name, url } = frame;
  if (url === '') {
    if (READS.has(name)) return 'reading files: read(2)';
    if (WRITES.has(name)) return 'writing files: write(2), writev(2)';
    if (OTHER_FS.has(name)) return 'other file system calls';
    if (name === '(garbage collector)') return 'garbage collection';
    if (name === '(idle)') return 'waiting for work';
    // Buffer#indexOf's native part has no name of its own.
    if (name === '' && parent?.functionName === 'bidirectionalIndexOf') return 'newline search (memchr)';
  }
  if (url === 'node:internal/crypto/hash') return 'sha256 (OpenSSL)';
  if (url.startsWith('wasm://')) return 'validating rows (WebAssembly)';
  if (name === 'atomicsWaitLoop') return 'waiting for work';
  if (url.startsWith('node:internal/bootstrap') || url.startsWith('node:internal/modules') || name === 'compileForInternalLoader' || name === 'wrapSafe' || name === 'compileFunction') {
    return "thread start-up (Node's and zotpack's code)";
  }
  return 'JavaScript and the rest';
}

/** Seconds of one profile's samples by category. */
function categorize(p: Profile): Map<Category, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const out = zeroes();
  p.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const parent = byId.get(parentOf.get(id) ?? -1)?.callFrame;
    const c = categoryOf(node.callFrame, parent);
    out.set(c, out.get(c)! + p.timeDeltas[i]! / 1e6);
  });
  return out;
}

interface Breakdown {
  wallSeconds: number;
  workers: number;
  /** Seconds per worker thread, on average. */
  perWorker: Map<Category, number>;
  /** Seconds the main thread was not idle. */
  coordinatorBusy: number;
}

/** Runs zotpack with `args` under the profiler and sorts its threads' samples. */
function profile(args: string[]): Breakdown {
  const dir = mkdtempSync(join(SCRATCH_DIR, 'prof-'));
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, ZOTPACK, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallSeconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`zotpack ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
  // CPU.<date>.<time>.<pid>.<thread id>.<n>.cpuprofile: thread 0 is the main thread.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const perWorker = zeroes();
  let workers = 0;
  let coordinatorBusy = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
    const seconds = categorize(p);
    if (f.split('.').at(-3) === '0') {
      for (const [c, s] of seconds) if (c !== 'waiting for work') coordinatorBusy += s;
      continue;
    }
    workers++;
    for (const [c, s] of seconds) perWorker.set(c, perWorker.get(c)! + s);
  }
  rmSync(dir, { recursive: true, force: true });
  for (const [c, s] of perWorker) perWorker.set(c, s / Math.max(1, workers));
  return { wallSeconds, workers, perWorker, coordinatorBusy };
}

function table(title: string, b: Breakdown): string {
  const total = [...b.perWorker.values()].reduce((a, s) => a + s, 0);
  const rows = CATEGORIES.map((c) => `| ${c} | ${b.perWorker.get(c)!.toFixed(3)} | ${((100 * b.perWorker.get(c)!) / total).toFixed(1)}% |`);
  return [
    `### ${title}`,
    '',
    `${b.workers} worker threads; ${b.wallSeconds.toFixed(2)} s under the profiler; the main thread busy ${b.coordinatorBusy.toFixed(2)} s.`,
    '',
    '| each worker thread | s | share |',
    '| --- | ---: | ---: |',
    ...rows,
    `| in all | ${total.toFixed(3)} | 100% |`,
    '',
  ].join('\n');
}

/**
 * What touching memory costs here: the first write to each 4 KiB page of a
 * fresh 64 MiB (a page fault each, zeroed by the kernel) against writing the
 * same pages again. A reader's buffer grows under a big row into pages no
 * one touched before, and those faults are counted in read(2)'s time.
 */
function pageFaultCost(): string {
  const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } })
    .WebAssembly.Memory;
  const bytes = 64 << 20;
  const pages = new Uint8Array(new WasmMemory({ initial: bytes >> 16, maximum: bytes >> 16 }).buffer);
  const touch = () => {
    const t = performance.now();
    for (let i = 0; i < pages.length; i += 4096) pages[i] = 1;
    return performance.now() - t;
  };
  const first = touch();
  const again = touch();
  return `First write to each page of a fresh 64 MiB: ${first.toFixed(0)} ms (${((first * 1000) / (bytes / 4096)).toFixed(1)} µs a page, ${(bytes / 1e6 / (first / 1000)).toFixed(0)} MB/s); writing them again: ${again.toFixed(1)} ms.`;
}

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, small: { type: 'boolean' } } });
const specs = corpusSpecs(values.quick ?? false);
const c = ensureCorpus(values.small ? specs.small : specs.main);
mkdirSync(SCRATCH_DIR, { recursive: true });
warmCache(c.dir);
const out = join(mkdtempSync(join(SCRATCH_DIR, 'export-')), 'out');
try {
  const tree = profile(['tree', '--from', c.dir, '-q']);
  const exp = profile(['export', '--from', c.dir, '--out', out, '--no-fsync', '-q']);
  process.stdout.write(
    [
      `## Where the time goes: ${corpusLabel(c.spec)}, ${c.files} files, cache warm`,
      '',
      pageFaultCost(),
      '',
      table('zotpack tree', tree),
      table('zotpack export --no-fsync', exp),
      'Self time of each sample, by the function it is in: a system call counts whole (the kernel copying bytes between the page cache and the process, and the page faults of buffers touched for the first time), as does OpenSSL inside `hash.update`.',
      '',
    ].join('\n'),
  );
} finally {
  rmSync(join(out, '..'), { recursive: true, force: true });
}

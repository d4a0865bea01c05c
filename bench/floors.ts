/**
 * The floors under zotpack tree and export: what the work those commands
 * cannot skip costs a Node.js program on this machine's threads, with none of
 * zotpack's own (no summary, header, manifest, temp files or coordinator).
 * Same thread count as the pool, same discovery, same 1 MiB reads. If a
 * floor is already slower than a target, no Node.js tool doing that work
 * meets the target here.
 *
 * Under tree:
 *   read    read every byte
 *   scan    ... and frame rows and run the WebAssembly validator on each
 *           (zot skips rows that are not valid JSON: counts need every byte),
 *           a row bigger than the read buffer a read at a time, as tree does
 * Under export (each file written to a new file under --out, as cp -r does):
 *   copy    read and write every byte
 *   hash    ... and sha256 it (the manifest carries every output's sha256)
 *   export  ... and frame and validate every row (invalid rows are left out
 *           of an export and counted); valid rows are written as read
 *
 *   node dist/bench/floors.js --from DIR --mode MODE [--out DIR] [--jobs N]
 */
import { closeSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { discoverSessions } from '../src/batch/discover.js';
import { readRows } from '../src/jsonl/row-reader.js';
import { scanRowInPlace } from '../src/jsonl/wasm-scanner.js';

const MODES = ['read', 'scan', 'copy', 'hash', 'export'] as const;
type Mode = (typeof MODES)[number];

interface Task {
  paths: string[];
  mode: Mode;
  /** The corpus root and the output folder, for the write modes. */
  root: string;
  out: string;
}

const PIECE = 256 << 10;

const made = new Set<string>();

/** A new file mirroring `path` under `out`, its folder made once. */
function create(path: string, { root, out }: Task): number {
  const target = join(out, relative(root, path));
  const dir = dirname(target);
  if (!made.has(dir)) {
    mkdirSync(dir, { recursive: true });
    made.add(dir);
  }
  return openSync(target, 'wx', 0o644);
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let off = 0; off < b.length; ) off += writeSync(fd, b, off);
}

/** Reads (and writes, and hashes) in 1 MiB chunks. Returns the bytes read. */
function copy(path: string, task: Task, buf: Buffer): number {
  const fd = openSync(path, 'r');
  const out = task.mode === 'read' ? -1 : create(path, task);
  const hash = task.mode === 'hash' ? createHash('sha256') : undefined;
  let n = 0;
  try {
    let got: number;
    while ((got = readSync(fd, buf, 0, buf.length, null)) > 0) {
      n += got;
      if (out < 0) continue;
      const chunk = buf.subarray(0, got);
      hash?.update(chunk);
      writeAll(out, chunk);
    }
  } finally {
    closeSync(fd);
    if (out >= 0) closeSync(out);
  }
  hash?.digest();
  return n;
}

/**
 * Frames and validates every row; in export mode also writes and hashes the
 * valid ones, a run of adjacent rows at a time (one write per refill of the
 * reader's buffer when every row is valid). Returns the invalid rows.
 */
function scan(path: string, task: Task): number {
  const writing = task.mode === 'export';
  const out = writing ? create(path, task) : -1;
  const hash: Hash | undefined = writing ? createHash('sha256') : undefined;
  let run: Buffer | undefined; // the current run of valid rows, with their newlines
  const flush = () => {
    if (!run) return;
    // A piece at a time, hashed then written while in the cache, as zotpack's RowSink does: a run of
    // megabytes hashed whole and then written whole is read from memory twice.
    for (let at = 0; at < run.length; at += PIECE) {
      const piece = run.subarray(at, Math.min(run.length, at + PIECE));
      hash!.update(piece);
      writeAll(out, piece);
    }
    run = undefined;
  };
  let bad = 0;
  try {
    // Export holds each row whole (it writes only valid rows); a tree skims big ones.
    const options = writing ? { onRefill: flush } : { needsWholeRow: () => false };
    for (const row of readRows(path, options)) {
      if (typeof (row.skim?.scan ?? scanRowInPlace(row.bytes)) !== 'object') {
        bad++;
        flush();
        continue;
      }
      if (!writing) continue;
      const { buffer, byteOffset } = row.bytes;
      const rowEnd = byteOffset + (row.end - row.start); // the row and its line ending
      if (run && run.buffer === buffer && run.byteOffset + run.length === byteOffset) {
        run = Buffer.from(buffer, run.byteOffset, rowEnd - run.byteOffset);
      } else {
        flush();
        run = Buffer.from(buffer, byteOffset, rowEnd - byteOffset);
      }
    }
    flush();
    hash?.digest();
  } finally {
    if (out >= 0) closeSync(out);
  }
  return bad;
}

/** Bytes read, or rows that were not valid: a result, so nothing is optimised away. */
function work(task: Task): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  let n = 0;
  for (const p of task.paths) n += task.mode === 'scan' || task.mode === 'export' ? scan(p, task) : copy(p, task, buf);
  return n;
}

if (!isMainThread) {
  parentPort!.postMessage(work(workerData as Task));
} else {
  const { values } = parseArgs({ options: { from: { type: 'string' }, out: { type: 'string' }, mode: { type: 'string' }, jobs: { type: 'string' } } });
  const mode = values.mode as Mode;
  if (!MODES.includes(mode)) throw new Error(`--mode: one of ${MODES.join(', ')}`);
  const root = values.from!;
  const out = values.out ?? '';
  if (mode !== 'read' && mode !== 'scan' && !out) throw new Error(`--mode ${mode} writes: --out DIR`);
  const jobs = Number(values.jobs ?? availableParallelism());
  const { entries } = await discoverSessions([root]);
  // Largest first, dealt round-robin: each thread gets about the same bytes.
  const sorted = [...entries].sort((a, b) => b.size - a.size);
  const shares: string[][] = Array.from({ length: jobs }, () => []);
  sorted.forEach((e, i) => shares[i % jobs]!.push(e.path));
  const self = fileURLToPath(import.meta.url);
  const results = await Promise.all(
    shares.map(
      (paths) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(self, { workerData: { paths, mode, root, out } satisfies Task });
          w.once('message', resolve).once('error', reject);
        }),
    ),
  );
  process.stdout.write(`${mode}: ${results.reduce((a, b) => a + b, 0)}\n`);
}

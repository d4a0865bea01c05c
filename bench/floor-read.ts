/**
 * The floors under zotpack tree, for the tree table: what reading every
 * byte costs a Node.js program on this machine's threads, with no JSON work
 * (`read`), and with the row framing and the WebAssembly validation zotpack
 * does but none of its per-row summary (`scan`). Same thread count as the
 * pool, same discovery, same 1 MiB reads. If even `read` is slower than the
 * target, no tool that reads files through Node.js meets it here.
 *
 *   node dist/bench/floor-read.js --from DIR --mode read|scan [--jobs N]
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { discoverSessions } from '../src/batch/discover.js';
import { readRows } from '../src/jsonl/row-reader.js';
import { scanRowInPlace } from '../src/jsonl/wasm-scanner.js';

interface Task {
  paths: string[];
  mode: 'read' | 'scan';
}

/** Bytes read (and, in scan mode, rows that were not valid objects), so nothing is optimised away. */
function work({ paths, mode }: Task): number {
  let n = 0;
  if (mode === 'read') {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (const p of paths) {
      const fd = openSync(p, 'r');
      try {
        let got: number;
        while ((got = readSync(fd, buf, 0, buf.length, null)) > 0) n += got;
      } finally {
        closeSync(fd);
      }
    }
    return n;
  }
  for (const p of paths) for (const row of readRows(p)) if (typeof scanRowInPlace(row.bytes) !== 'object') n++;
  return n;
}

if (!isMainThread) {
  parentPort!.postMessage(work(workerData as Task));
} else {
  const { values } = parseArgs({ options: { from: { type: 'string' }, mode: { type: 'string' }, jobs: { type: 'string' } } });
  const mode = values.mode === 'scan' ? 'scan' : 'read';
  const jobs = Number(values.jobs ?? availableParallelism());
  const { entries } = await discoverSessions([values.from!]);
  // Largest first, dealt round-robin: each thread gets about the same bytes.
  const sorted = [...entries].sort((a, b) => b.size - a.size);
  const shares: string[][] = Array.from({ length: jobs }, () => []);
  sorted.forEach((e, i) => shares[i % jobs]!.push(e.path));
  const self = fileURLToPath(import.meta.url);
  const results = await Promise.all(
    shares.map(
      (paths) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(self, { workerData: { paths, mode } satisfies Task });
          w.once('message', resolve).once('error', reject);
        }),
    ),
  );
  process.stdout.write(`${mode}: ${results.reduce((a, b) => a + b, 0)}\n`);
}

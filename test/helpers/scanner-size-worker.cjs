// A pool worker for the scanner-memory test: starts the real worker module
// with what the pool gave this thread, then reports the size of the thread's
// scanner memory. CommonJS, like the real entry; it loads the compiled
// modules (npm test builds them first).
const { Piscina } = require('piscina');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const dist = join(__dirname, '..', '..', 'dist');
const load = (...parts) => import(pathToFileURL(join(dist, ...parts)).href);

module.exports = async function sizeJob(job) {
  const worker = await load('workers', 'session-worker.js');
  worker.start(Piscina.workerData);
  const scanner = await load('src', 'jsonl', 'wasm-scanner.js');
  return { outcomes: job.files.map(() => ({ ok: true, value: scanner.scannerMemoryBytes() })) };
};

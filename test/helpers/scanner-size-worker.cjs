// A pool worker for the scanner-memory test: runs each job through the real
// entry (which starts the worker with what the pool gave this thread), then
// reports the size of the thread's scanner memory. It loads the compiled
// modules (npm test builds them first).
const { join } = require('node:path');

const dist = join(__dirname, '..', '..', 'dist');
const runJob = require(join(dist, 'workers', 'session-worker-entry.cjs'));

module.exports = async function sizeJob(job) {
  await runJob(job);
  // The worker as the entry loads it: bundled, with its own copy of the scanner module.
  const scanner = require(join(dist, 'workers', 'session-worker.bundle.cjs'));
  return { outcomes: job.files.map(() => ({ ok: true, value: scanner.scannerMemoryBytes() })) };
};

// The file piscina loads. piscina require()s a worker before it tries
// import(), and on Node 20 two threads require()-ing an ES module at once
// can abort the process (v8::Module::IsGraphAsync): the entry and the
// worker it require()s are both CommonJS, so no thread takes that path.
import type { Job, JobResult, PoolWorkerData } from '../src/batch/protocol.js';

const { workerData } = require('node:worker_threads') as { workerData: PoolWorkerData | undefined };

// Loaded as the thread starts, not when its first job comes. The worker is
// bundled into one CommonJS file (scripts/bundle.mjs): 28 ES modules one at
// a time took a thread 40-50 ms more, and one ES module 7-10 ms more.
const BUNDLE = './session-worker.bundle.cjs';
let worker: typeof import('./session-worker.js') | undefined;
// (A failure is the first job's error, not one thrown while piscina loads the thread.)
let failure: unknown;
try {
  worker = require(BUNDLE) as typeof import('./session-worker.js');
} catch (err) {
  failure = err;
}

export = async function runJob(job: Job): Promise<JobResult> {
  if (!worker) throw failure;
  // piscina hands its workerData option to the thread as Node's own
  // workerData; reading it here spares every worker loading piscina's pool
  // code (6-8 ms) just for its getter.
  worker.start(workerData);
  return worker.default(job);
};

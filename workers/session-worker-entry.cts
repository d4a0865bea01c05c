// The file piscina loads. piscina require()s a worker before it tries
// import(), and on Node 20 two threads require()-ing an ES module at once
// can abort the process (v8::Module::IsGraphAsync). A CommonJS entry that
// import()s the real worker never takes that path.
import type { Job, JobResult, PoolWorkerData } from '../src/batch/protocol.js';

const { workerData } = require('node:worker_threads') as { workerData: PoolWorkerData | undefined };

// Loaded as the thread starts, not when its first job comes: the job then
// waits only for what is left of it. The worker bundled into one file
// (scripts/bundle.mjs): 28 modules one at a time took a thread 40-50 ms more.
const BUNDLE = './session-worker.bundle.js';
const loading = import(BUNDLE) as Promise<typeof import('./session-worker.js')>;
// (A failure is the first job's error, not an unhandled rejection before it.)
loading.catch(() => {});

export = async function runJob(job: Job): Promise<JobResult> {
  const worker = await loading;
  // piscina hands its workerData option to the thread as Node's own
  // workerData; reading it here spares every worker loading piscina's pool
  // code (6-8 ms) just for its getter.
  worker.start(workerData);
  return worker.default(job);
};

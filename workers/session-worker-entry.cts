// The file piscina loads. piscina require()s a worker before it tries
// import(), and on Node 20 two threads require()-ing an ES module at once
// can abort the process (v8::Module::IsGraphAsync). A CommonJS entry that
// import()s the real worker never takes that path.
import type { Job, JobResult, PoolWorkerData } from '../src/batch/protocol.js';

// The getter, read when a job runs: piscina's exported `workerData` is a copy
// taken when the module loads, which can be before the worker's data is set.
const { Piscina } = require('piscina') as { Piscina: { workerData: PoolWorkerData | undefined } };

export = async function runJob(job: Job): Promise<JobResult> {
  const worker = await import('./session-worker.js');
  worker.start(Piscina.workerData);
  return worker.default(job);
};

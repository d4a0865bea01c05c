// The file piscina loads. piscina require()s a worker before it tries
// import(), and on Node 20 two threads require()-ing an ES module at once
// can abort the process (v8::Module::IsGraphAsync). A CommonJS entry that
// import()s the real worker never takes that path.
import type { Job, JobResult } from '../src/batch/protocol.js';

export = async function runJob(job: Job): Promise<JobResult> {
  const worker = await import('./session-worker.js');
  return worker.default(job);
};

// A pool worker for crash tests: the real session worker, except that a job
// touching a file whose name contains "crash-me" kills its thread mid-job,
// as an out-of-memory kill or a native crash would. CommonJS, like the real
// entry, so piscina never require()s an ES module.
module.exports = async function crashingJob(job) {
  if (job.files.some((f) => f.path.includes('crash-me'))) process.exit(70);
  const worker = await import('../../dist/workers/session-worker.js');
  return worker.default(job);
};

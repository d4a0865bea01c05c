// A pool worker for the big-row buffer test: counts, in the lock word every
// worker was given, how many jobs ran, so a test can see that all workers
// share one lock. CommonJS, like the real entry.
const { Piscina } = require('piscina');

module.exports = async function countingJob(job) {
  const lock = Piscina.workerData && Piscina.workerData.bigRows && Piscina.workerData.bigRows.lock;
  if (!(lock instanceof SharedArrayBuffer)) return { outcomes: job.files.map(() => ({ ok: false, error: { code: 'E_WORKER', message: 'no lock' } })) };
  const word = new Int32Array(lock);
  return { outcomes: job.files.map(() => ({ ok: true, value: Atomics.add(word, 0, 1) + 1 })) };
};

// A pool worker for the big-row buffer test: on a file named "die-holding"
// it takes the pool's big-row buffer and dies holding it, as a worker killed
// by running out of memory on a huge row would; on any other file it takes
// the buffer, lets it go, and succeeds. CommonJS, like the real entry.
const { Piscina } = require('piscina');

module.exports = async function job(job) {
  const m = await import('../../dist/src/jsonl/big-row-buffer.js');
  m.useBigRowShare(Piscina.workerData.bigRows);
  const outcomes = [];
  for (const f of job.files) {
    const big = m.takeBigRowBuffer(1 << 16);
    if (f.path.includes('die-holding')) process.exit(70);
    big.release();
    outcomes.push({ ok: true, value: f.path });
  }
  return { outcomes };
};

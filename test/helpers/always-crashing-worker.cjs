// A pool worker whose thread dies on every job, whatever the file, as when
// the threads themselves are broken (a bad install, a native crash at every
// start). It notes each thread's start in ZOTPACK_TEST_START_MARKS, as
// start-marking-worker.cjs does. CommonJS, like the real entry.
const { appendFileSync } = require('node:fs');
const { threadId } = require('node:worker_threads');

if (process.env.ZOTPACK_TEST_START_MARKS) appendFileSync(process.env.ZOTPACK_TEST_START_MARKS, `${threadId}\n`);

module.exports = async function crashingJob() {
  process.exit(70);
};

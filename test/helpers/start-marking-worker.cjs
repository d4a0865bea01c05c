// A pool worker that notes its thread's start: it appends a line to the file
// named by ZOTPACK_TEST_START_MARKS as the module loads (a thread boots), then
// works as the real session worker does. CommonJS, like the real entry.
const { appendFileSync } = require('node:fs');
const { threadId } = require('node:worker_threads');

if (process.env.ZOTPACK_TEST_START_MARKS) appendFileSync(process.env.ZOTPACK_TEST_START_MARKS, `${threadId}\n`);

module.exports = async function markedJob(job) {
  const worker = await import('../../dist/workers/session-worker.js');
  return worker.default(job);
};

/**
 * The naive export baseline, as a user would write it: every session file
 * in turn, readline, JSON.parse and JSON.stringify per row, one output file
 * per session. Run as its own process by bench-export and bench-small-files:
 * `node dist/bench/naive-export.js --from HOME --out DIR`.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { eachLine, runNaive } from './naive-lines.js';

async function exportFile(path: string, outDir: string): Promise<void> {
  const target = join(outDir, basename(dirname(path)), `${basename(path, '.jsonl')}.zotsession`);
  mkdirSync(dirname(target), { recursive: true });
  const out = createWriteStream(target);
  try {
    await eachLine(path, async (line) => {
      const row: unknown = JSON.parse(line);
      if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, 'drain');
    });
    out.end();
    await finished(out);
  } finally {
    out.destroy();
  }
}

const { values } = parseArgs({ options: { from: { type: 'string' }, out: { type: 'string' } } });
if (!values.from || !values.out) {
  console.error('usage: node dist/bench/naive-export.js --from HOME --out DIR');
  process.exit(2);
}
const out = values.out;
await runNaive(values.from, (path) => exportFile(path, out));

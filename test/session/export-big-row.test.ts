import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readRows } from '../../src/jsonl/row-reader.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROW_BYTES = 600 * 1024 * 1024;

function skipReason(): string {
  if (freemem() < 3 * 1024 ** 3) return `only ${(freemem() / 1024 ** 3).toFixed(1)} GB of memory free, the test needs 3 GB`;
  try {
    const s = statfsSync(tmpdir());
    if (s.bavail * s.bsize < 3 * ROW_BYTES) return `less than 1.8 GB free in ${tmpdir()}`;
  } catch {
    // statfs unsupported: a full disk fails the write loudly
  }
  return '';
}

describe('exporting a session with a 600 MB row', () => {
  const reason = skipReason();
  if (reason) console.warn(`skipping the 600 MB export test: ${reason}`);
  let dir = '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(reason !== '')('copies the row byte for byte with peak RSS under 1.5x the row', () => {
    dir = mkdtempSync(join(tmpdir(), 'zotpack-big-export-'));
    const src = join(dir, '20260101-000000-bigrow00.jsonl');
    const meta = '{"type":"meta","meta":{"id":"bigrow00-0000-4000-8000-000000000000","cwd":"/p","model":"m","provider":"p","started":"2026-01-01T00:00:00Z","version":"0.9.1"}}\n';
    const head = Buffer.from('{"type":"message","message":{"role":"user","content":[{"mime_type":"image/png","data":"');
    const tail = Buffer.from('"}],"time":"2026-01-01T00:00:01Z"}}');
    const block = Buffer.from(randomBytes(3 << 20).toString('base64'));
    const hash = createHash('sha256');
    const fd = openSync(src, 'w');
    const put = (b: Buffer) => {
      writeSync(fd, b);
      hash.update(b);
    };
    writeSync(fd, meta);
    put(head);
    for (let left = ROW_BYTES - head.length - tail.length; left > 0; left -= block.length) put(left >= block.length ? block : block.subarray(0, left));
    put(tail);
    writeSync(fd, '\n{"type":"usage","usage":{"cost_usd":1},"cumulative":{"cost_usd":1}}\n');
    closeSync(fd);
    const rowSha = hash.digest('hex');

    const lib = pathToFileURL(join(ROOT, 'dist', 'src', 'session', 'export-session.js')).href;
    const script = `
      import { exportSession } from ${JSON.stringify(lib)};
      const r = exportSession({ source: process.env.SRC, destination: process.env.OUT + '/', durable: false });
      process.stdout.write(JSON.stringify({ output: r.output, rowsKept: r.rowsKept, maxRSS: process.resourceUsage().maxRSS }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, SRC: src, OUT: join(dir, 'out') },
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout) as { output: string; rowsKept: number; maxRSS: number };
    expect(out.rowsKept).toBe(2);
    const rows = [...readRows(out.output)].map((r) => ({ length: r.bytes.length, sha: createHash('sha256').update(r.bytes).digest('hex') }));
    expect(rows[1]).toEqual({ length: ROW_BYTES, sha: rowSha });
    expect(out.maxRSS * 1024).toBeLessThan(1.5 * ROW_BYTES);
  });
});

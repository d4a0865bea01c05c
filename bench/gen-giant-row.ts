/**
 * A zot home with one session holding one image row of `mb` MB — over V8's
 * 512 MB string limit at the default 600 — between ordinary rows, for the
 * question "does a row too big for a JavaScript string still go through,
 * and within what memory?". Written in 16 MB chunks, never held whole.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { goString, goTime } from '../src/format/go-json.js';
import { projectKey } from '../src/format/project-key.js';

export function generateGiantRow(o: { mb: number; seed: number; out: string }): { files: number; bytes: number } {
  const cwd = '/home/dev/src/giant';
  const dir = join(o.out, 'sessions', projectKey(cwd));
  mkdirSync(dir, { recursive: true });
  const t0 = Date.UTC(2026, 0, 5, 8);
  const time = (s: number) => goTime(new Date(t0 + s * 1000), o.seed);
  const id = `9a1e${String(o.seed).padStart(4, '0')}-0000-4000-8000-000000000000`;
  const fd = openSync(join(dir, `20260105-080000-${id.slice(0, 8)}.jsonl`), 'w', 0o644);
  let bytes = 0;
  const put = (s: string | Buffer) => {
    bytes += writeSync(fd, typeof s === 'string' ? Buffer.from(s) : s);
  };
  put(`{"type":"meta","meta":{"id":"${id}","cwd":${goString(cwd)},"model":"claude-sonnet-4-5","provider":"anthropic","started":"${time(0)}","version":"0.9.1"}}\n`);
  put(`{"type":"message","message":{"role":"user","content":[{"text":"what is in this screenshot?"}],"time":"${time(1)}"}}\n`);
  put(`{"type":"message","message":{"role":"user","content":[{"mime_type":"image/png","data":"`);
  // Base64 of a repeating pseudo-random block: valid, and not all one byte.
  const raw = Buffer.alloc(12 << 20);
  for (let i = 0; i < raw.length; i++) raw[i] = (Math.imul(i, 0x9e3779b1) + o.seed) >>> 24;
  const chunk = Buffer.from(raw.toString('base64')); // 16 MB
  for (let left = o.mb * 1e6; left > 0; left -= chunk.length) put(left >= chunk.length ? chunk : chunk.subarray(0, Math.floor(left / 4) * 4));
  put(`"}],"time":"${time(2)}"}}\n`);
  put(`{"type":"message","message":{"role":"assistant","content":[{"text":"A terminal window."}],"time":"${time(3)}"}}\n`);
  put(`{"type":"usage","usage":{"input_tokens":1000,"output_tokens":10,"cache_read_tokens":0,"cache_write_tokens":0,"cost_usd":0.5},"cumulative":{"input_tokens":1000,"output_tokens":10,"cache_read_tokens":0,"cache_write_tokens":0,"cost_usd":0.5}}\n`);
  closeSync(fd);
  return { files: 1, bytes };
}

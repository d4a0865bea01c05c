/**
 * A deterministic zot archive with real-world skew, for benchmarks and
 * memory checks: `npm run corpus -- --mb 2000 --seed 1 --out DIR`.
 *
 * Rows are zot's exact bytes (Go escaping, RFC 3339 times with nanoseconds,
 * struct field order). About 20 projects; most sessions 10–500 KB, some
 * several MB of tool output, image rows of 5–60 MB, and from 1 GB on one
 * session over 200 MB. Compactions, model switches, renames, hidden
 * sessions, branches several levels deep and orphans are mixed in.
 * `--small N` writes the other shape: N sessions of about 4 KB.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { goString, goTime } from '../src/format/go-json.js';
import { projectKey } from '../src/format/project-key.js';

/** xorshift32: fast, seedable, good enough for shapes. */
function rng(seed: number) {
  let x = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    /** Log-uniform between lo and hi: many small, few big. */
    logUniform: (lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo)))),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
    hex: (n: number) => {
      let s = '';
      while (s.length < n) s += Math.floor(next() * 0x100000000).toString(16).padStart(8, '0');
      return s.slice(0, n);
    },
  };
}
type Rng = ReturnType<typeof rng>;

const WORDS = (
  'the test fails because fixture folder missing create run npm build lint type error import module ' +
  'function returns undefined when called with <T> & generic array map filter reduce async await promise ' +
  'header footer center flex grid layout margin padding border color dark mode theme config path file ' +
  'read write stream buffer row json parse stringify schema field value key index query cache retry'
).split(' ');

function sentence(r: Rng, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.pick(WORDS));
  return out.join(' ');
}

/** One shared pool of base64 for image rows: sliced at random offsets, generated once. */
function base64Pool(r: Rng, bytes: number): string {
  const raw = Buffer.allocUnsafe(Math.ceil((bytes * 3) / 4));
  for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE(Math.floor(r.next() * 0x100000000), Math.min(i, raw.length - 4));
  return raw.toString('base64');
}

function uuid(r: Rng): string {
  const h = r.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[r.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface Clock {
  ms: number;
}

function tick(c: Clock, r: Rng): string {
  c.ms += r.int(2_000, 90_000);
  return goTime(new Date(c.ms), r.int(0, 999_999));
}

function message(role: string, content: string, time: string): string {
  return `{"type":"message","message":{"role":"${role}","content":[${content}],"time":"${time}"}}`;
}

const text = (s: string) => `{"text":${goString(s)}}`;

interface SessionPlan {
  cwd: string;
  id: string;
  started: string;
  model: string;
  provider: string;
  parent?: string;
  forkPoint?: number;
  hidden?: boolean;
  /** Message rows to start with (a branch's copy of its parent's). */
  prefix: string[];
  targetBytes: number;
  images: number[];
}

const MODELS = [
  ['claude-sonnet-4-5', 'anthropic'],
  ['claude-haiku-4-5', 'anthropic'],
  ['gpt-5', 'openai'],
] as const;

function metaRow(p: SessionPlan, model: string, provider: string): string {
  let m = `{"id":"${p.id}","cwd":${goString(p.cwd)},"model":"${model}","provider":"${provider}","started":"${p.started}","version":"0.9.1"`;
  if (p.parent) m += `,"parent":"${p.parent}"`;
  if (p.forkPoint) m += `,"fork_point":${p.forkPoint}`;
  if (p.hidden) m += `,"hide_from_sessions":true`;
  return `{"type":"meta","meta":${m}}}`;
}

/** Writes one session; returns its message rows (for branches) and bytes written. */
function writeSession(path: string, p: SessionPlan, r: Rng, pool: string): { messages: string[]; bytes: number } {
  const fd = openSync(path, 'w', 0o644);
  let bytes = 0;
  let pending: string[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pending.length === 0) return;
    const b = Buffer.from(pending.join(''));
    writeSync(fd, b);
    pending = [];
    pendingBytes = 0;
  };
  const emit = (row: string) => {
    pending.push(row, '\n');
    pendingBytes += row.length + 1;
    bytes += Buffer.byteLength(row) + 1;
    if (pendingBytes > 4 << 20) flush();
  };
  const clock = { ms: Date.parse(p.started) };
  const messages: string[] = [...p.prefix];
  emit(metaRow(p, p.model, p.provider));
  for (const m of p.prefix) emit(m);
  let cumulative = 0;
  let turn = 0;
  const images = [...p.images];
  while (bytes < p.targetBytes || images.length > 0) {
    turn++;
    const user = message('user', text(sentence(r, r.int(5, 40))), tick(clock, r));
    emit(user);
    messages.push(user);
    if (images.length > 0 && (bytes >= p.targetBytes / 3 || r.chance(0.3))) {
      const size = images.shift()!;
      const start = r.int(0, Math.max(0, pool.length - size));
      const img = message('user', `{"mime_type":"image/png","data":"${pool.slice(start, start + size)}"}`, tick(clock, r));
      emit(img);
      messages.push(img);
    }
    const callId = `toolu_${r.hex(12)}`;
    const call = message(
      'assistant',
      `{"reasoning_id":"rs_${r.hex(8)}","summary":${goString(sentence(r, 8))},"encrypted_content":"gAAAAB${r.hex(16)}"},` +
        `${text(sentence(r, r.int(5, 30)))},{"id":"${callId}","name":"bash","arguments":{"command":${goString(`npm test -- ${r.pick(WORDS)}`)}}}`,
      tick(clock, r),
    );
    emit(call);
    messages.push(call);
    // Tool output: mostly short, sometimes hundreds of KB of log lines.
    const lines = r.chance(0.04) ? r.int(2_000, 20_000) : r.int(1, 40);
    const out: string[] = [];
    for (let i = 0; i < lines; i++) out.push(`${sentence(r, 6)} <${i}> "ok" & \t${r.hex(6)}`);
    const result = message(
      'tool',
      `{"call_id":"${callId}","content":[${text(out.join('\n'))}],"is_error":${r.chance(0.1)}}`,
      tick(clock, r),
    );
    emit(result);
    messages.push(result);
    const reply = message('assistant', text(sentence(r, r.int(10, 80))), tick(clock, r));
    emit(reply);
    messages.push(reply);
    const cost = Math.round(r.next() * 1e4) / 1e6;
    cumulative += cost;
    emit(
      `{"type":"usage","usage":{"input_tokens":${r.int(100, 9000)},"output_tokens":${r.int(10, 900)},"cache_read_tokens":${r.int(0, 5000)},"cache_write_tokens":0,"cost_usd":${cost}},` +
        `"cumulative":{"input_tokens":${turn * 1000},"output_tokens":${turn * 100},"cache_read_tokens":0,"cache_write_tokens":0,"cost_usd":${cumulative}}}`,
    );
    if (turn === 3 && r.chance(0.08)) {
      const [model, provider] = r.pick(MODELS);
      emit(metaRow(p, model, provider));
    }
    if (turn === 5 && r.chance(0.08)) {
      emit(
        `{"type":"compaction","messages":[{"role":"user","content":[${text(`Summary: ${sentence(r, 30)}`)}],"time":"${tick(clock, r)}"},` +
          `{"role":"assistant","content":[${text('Understood.')}],"time":"${tick(clock, r)}"}]}`,
      );
    }
  }
  if (r.chance(0.1)) emit(`{"title":${goString(sentence(r, 4))},"type":"rename"}`);
  flush();
  closeSync(fd);
  return { messages, bytes };
}

export interface CorpusOptions {
  mb: number;
  seed: number;
  out: string;
}

/** Writes the skewed archive; returns files and bytes written. */
export function generateCorpus(o: CorpusOptions): { files: number; bytes: number; largestFile: number } {
  const r = rng(o.seed);
  const total = o.mb * 1e6;
  const projects = Array.from({ length: 20 }, (_, i) => `/home/dev/src/${r.pick(WORDS)}-${i}`);
  // Image rows: one per ~150 MB of archive, 5–60 MB each.
  const imageCount = Math.floor(total / 150e6);
  const pool = base64Pool(r, imageCount > 0 ? 61e6 : 1e6);
  const images = Array.from({ length: imageCount }, () => r.int(5e6, 60e6));
  const clock = { ms: Date.UTC(2026, 0, 5, 8) };
  const written = new Map<string, Array<{ id: string; messages: string[] }>>();
  let bytes = 0;
  let files = 0;
  let largestFile = 0;
  let giant = total >= 1e9; // one session over 200 MB from 1 GB on
  while (bytes < total) {
    const cwd = r.pick(projects);
    const dir = join(o.out, 'sessions', projectKey(cwd));
    mkdirSync(dir, { recursive: true });
    const started = tick(clock, r);
    const [model, provider] = r.pick(MODELS);
    const siblings = written.get(cwd) ?? [];
    let target = r.chance(0.03) ? r.logUniform(1e6, 8e6) : r.logUniform(10e3, 500e3);
    const sessionImages: number[] = [];
    if (giant) {
      target = 210e6;
      giant = false;
    }
    if (images.length > 0 && r.chance(0.2)) sessionImages.push(images.shift()!);
    const plan: SessionPlan = { cwd, id: uuid(r), started, model, provider, prefix: [], targetBytes: target, images: sessionImages };
    if (siblings.length > 0 && r.chance(0.15)) {
      // A branch (of a branch, often): the parent's first N messages, then its own.
      const parent = siblings[siblings.length - 1 - Math.min(siblings.length - 1, r.int(0, 3))]!;
      const n = r.int(0, Math.min(parent.messages.length, 12));
      plan.parent = r.chance(0.05) ? uuid(r) : parent.id; // a few orphans
      plan.forkPoint = n;
      plan.prefix = parent.messages.slice(0, n);
      plan.hidden = r.chance(0.1);
    }
    const name = `${started.slice(0, 4)}${started.slice(5, 7)}${started.slice(8, 10)}-${started.slice(11, 13)}${started.slice(14, 16)}${started.slice(17, 19)}-${r.hex(8)}.jsonl`;
    const result = writeSession(join(dir, name), plan, r, pool);
    // Keep only small message lists for branching (bounded memory while generating).
    siblings.push({ id: plan.id, messages: result.bytes < 2e6 ? result.messages.slice(0, 12) : [] });
    if (siblings.length > 8) siblings.shift();
    written.set(cwd, siblings);
    bytes += result.bytes;
    files++;
    largestFile = Math.max(largestFile, result.bytes);
  }
  return { files, bytes, largestFile };
}

/** N sessions of about 4 KB each, spread over 20 projects. */
export function generateSmallCorpus(o: { count: number; seed: number; out: string }): { files: number; bytes: number } {
  const r = rng(o.seed);
  const projects = Array.from({ length: 20 }, (_, i) => `/home/dev/small/p${i}`);
  const clock = { ms: Date.UTC(2026, 0, 5, 8) };
  let bytes = 0;
  for (let i = 0; i < o.count; i++) {
    const cwd = projects[i % projects.length]!;
    const dir = join(o.out, 'sessions', projectKey(cwd));
    if (i < projects.length) mkdirSync(dir, { recursive: true });
    const started = tick(clock, r);
    const [model, provider] = r.pick(MODELS);
    const rows = [metaRow({ cwd, id: uuid(r), started, model, provider, prefix: [], targetBytes: 0, images: [] }, model, provider)];
    let size = rows[0]!.length;
    while (size < 4000) {
      const row = message(r.chance(0.5) ? 'user' : 'assistant', text(sentence(r, r.int(10, 60))), tick(clock, r));
      rows.push(row);
      size += row.length + 1;
    }
    const name = `${started.slice(0, 4)}${started.slice(5, 7)}${started.slice(8, 10)}-${started.slice(11, 13)}${started.slice(14, 16)}${started.slice(17, 19)}-${r.hex(8)}.jsonl`;
    const fd = openSync(join(dir, name), 'w', 0o644);
    const b = Buffer.from(`${rows.join('\n')}\n`);
    writeSync(fd, b);
    closeSync(fd);
    bytes += b.length;
  }
  return { files: o.count, bytes };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      mb: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      small: { type: 'string' },
    },
  });
  if (!values.out) {
    console.error('usage: npm run corpus -- --mb N --seed S --out DIR   (or --small N for N files of ~4 KB)');
    process.exitCode = 2;
    return;
  }
  const t = performance.now();
  const seed = Number(values.seed);
  const result = values.small
    ? generateSmallCorpus({ count: Number(values.small), seed, out: values.out })
    : generateCorpus({ mb: Number(values.mb), seed, out: values.out });
  const s = (performance.now() - t) / 1000;
  console.log(JSON.stringify({ ...result, seconds: Math.round(s * 10) / 10, out: values.out }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();

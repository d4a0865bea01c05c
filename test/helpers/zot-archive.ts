/**
 * Temp zot homes written in zot's exact byte format, for tests.
 *
 * Rows come out as zot's Go code writes them: keys in struct order (`type`
 * first, except rename rows, whose keys are sorted), strings escaped as Go
 * escapes them (goString), times in RFC 3339 with nanoseconds (goTime),
 * images as standard base64. Ids and start times are deterministic, so a
 * test that builds the same specs in the same order gets the same bytes.
 *
 * This file is shared with the batch tests: keep its exports stable.
 */
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WarningCode, ZotpackErrorCode } from '../../src/errors.js';
import { goJson, goString, goTime } from '../../src/format/go-json.js';
import { projectKey } from '../../src/format/project-key.js';
import { sessionFileName } from '../../src/format/session-names.js';

// ---------------------------------------------------------------- temp dirs

const tempDirs: string[] = [];

/** A fresh folder under os.tmpdir(), removed by cleanupTempDirs(). */
export function makeTempDir(prefix = 'zotpack-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder makeTempDir made (permissions are restored first where a test removed them). */
export function cleanupTempDirs(): void {
  for (const dir of tempDirs.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      restorePermissions(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function restorePermissions(dir: string): void {
  try {
    chmodSync(dir, 0o755);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) restorePermissions(p);
      else chmodSync(p, 0o644);
    }
  } catch {
    // best effort
  }
}

// ---------------------------------------------------------------- specs

export type RowSpec =
  | { user: string }
  | { assistant: string }
  | { toolCall: { id: string; name: string; args: unknown } }
  | { toolResult: { callId: string; text: string; isError?: boolean } }
  /** A user message holding one base64 image block of about `bytes` bytes (deterministic content). */
  | { image: { bytes: number; role?: 'user' } }
  /** A usage row: this turn's cost and the session's cumulative cost. */
  | { usage: { cost: number; cumulative: number } }
  | { compaction: Array<{ role: 'user' | 'assistant'; text: string }> }
  | { rename: string }
  /** A full second meta row (zot's UpdateModel): same identity, new model and provider. */
  | { modelSwitch: { model: string; provider: string } }
  /** Written verbatim (then a newline): for bad rows. */
  | { raw: string };

export interface SessionSpec {
  cwd: string;
  id?: string;
  started?: string;
  model?: string;
  provider?: string;
  version?: string;
  title?: string;
  parent?: string;
  forkPoint?: number;
  /** Writes `"hide_from_sessions":true` in the meta. */
  hidden?: boolean;
  fileName?: string;
  rows?: RowSpec[];
}

// ---------------------------------------------------------------- ids and times

let idCounter = 0;
let startedCounter = 0;

/** A UUID-v4-shaped id: from `seed` when given, else from a counter. */
export function testId(seed?: string): string {
  const h = createHash('sha256')
    .update(seed ?? `zotpack-test-id-${++idCounter}`)
    .digest('hex');
  const variant = '89ab'[parseInt(h[16]!, 16) & 3]!;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const BASE_MS = Date.UTC(2026, 0, 15, 9, 30, 0, 123);

/** A start time one minute and a bit after the previous default one, with nanoseconds. */
export function nextStarted(): string {
  const n = startedCounter++;
  return goTime(new Date(BASE_MS + n * 61_007), 456_789);
}

/** Milliseconds of an RFC 3339 time (fraction beyond milliseconds ignored). */
function timeMs(rfc3339: string): number {
  const ms = Date.parse(rfc3339.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? BASE_MS : ms;
}

// ---------------------------------------------------------------- rows

/** Deterministic base64 of about `bytes` characters. */
export function imageData(bytes: number): string {
  const raw = Buffer.allocUnsafe(Math.max(1, Math.floor((bytes * 3) / 4)));
  let x = 0x2545f491;
  for (let i = 0; i < raw.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    raw[i] = x & 0xff;
  }
  return raw.toString('base64');
}

interface Resolved {
  id: string;
  cwd: string;
  model: string;
  provider: string;
  started: string;
  version: string;
  title: string;
  parent: string;
  forkPoint: number;
  hidden: boolean;
}

function resolve(spec: SessionSpec): Resolved {
  return {
    id: spec.id ?? testId(),
    cwd: spec.cwd,
    model: spec.model ?? 'claude-sonnet-4-5',
    provider: spec.provider ?? 'anthropic',
    started: spec.started ?? nextStarted(),
    version: spec.version ?? '0.9.1',
    title: spec.title ?? '',
    parent: spec.parent ?? '',
    forkPoint: spec.forkPoint ?? 0,
    hidden: spec.hidden ?? false,
  };
}

/** A meta row in zot's struct order, optional fields omitted when empty. */
export function metaRowText(m: Omit<Resolved, 'started'> & { started: string }): string {
  let s =
    `{"id":${goString(m.id)},"cwd":${goString(m.cwd)},"model":${goString(m.model)},` +
    `"provider":${goString(m.provider)},"started":${goString(m.started)},"version":${goString(m.version)}`;
  if (m.title) s += `,"title":${goString(m.title)}`;
  if (m.parent) s += `,"parent":${goString(m.parent)}`;
  if (m.forkPoint) s += `,"fork_point":${m.forkPoint}`;
  if (m.hidden) s += `,"hide_from_sessions":true`;
  return `{"type":"meta","meta":${s}}}`;
}

function messageObject(role: string, content: string, time: string): string {
  return `{"role":${goString(role)},"content":${content},"time":${goString(time)}}`;
}

function text(t: string): string {
  return `[{"text":${goString(t)}}]`;
}

function usageObject(u: { input: number; output: number; cacheRead: number; cost: number }): string {
  return (
    `{"input_tokens":${u.input},"output_tokens":${u.output},"cache_read_tokens":${u.cacheRead},` +
    `"cache_write_tokens":0,"cost_usd":${goJson(u.cost)}}`
  );
}

/** The file's bytes for a spec (ids and times resolved), and the resolved meta. */
export function renderSession(spec: SessionSpec): { text: string; meta: Resolved } {
  const meta = resolve(spec);
  const lines = [metaRowText(meta)];
  const t0 = timeMs(meta.started);
  let k = 0;
  const nextTime = () => goTime(new Date(t0 + ++k * 7_250), 456_789);
  let turns = 0;
  for (const row of spec.rows ?? []) {
    if ('user' in row) lines.push(`{"type":"message","message":${messageObject('user', text(row.user), nextTime())}}`);
    else if ('assistant' in row) lines.push(`{"type":"message","message":${messageObject('assistant', text(row.assistant), nextTime())}}`);
    else if ('toolCall' in row) {
      const c = row.toolCall;
      const block = `[{"id":${goString(c.id)},"name":${goString(c.name)},"arguments":${goJson(c.args)}}]`;
      lines.push(`{"type":"message","message":${messageObject('assistant', block, nextTime())}}`);
    } else if ('toolResult' in row) {
      const r = row.toolResult;
      const block = `[{"call_id":${goString(r.callId)},"content":${text(r.text)},"is_error":${r.isError === true}}]`;
      lines.push(`{"type":"message","message":${messageObject('tool', block, nextTime())}}`);
    } else if ('image' in row) {
      const block = `[{"mime_type":"image/png","data":"${imageData(row.image.bytes)}"}]`;
      lines.push(`{"type":"message","message":${messageObject(row.image.role ?? 'user', block, nextTime())}}`);
    } else if ('usage' in row) {
      turns++;
      const turn = usageObject({ input: 1200, output: 340, cacheRead: 800, cost: row.usage.cost });
      const total = usageObject({ input: 1200 * turns, output: 340 * turns, cacheRead: 800 * turns, cost: row.usage.cumulative });
      lines.push(`{"type":"usage","usage":${turn},"cumulative":${total}}`);
    } else if ('compaction' in row) {
      const msgs = row.compaction.map((m) => messageObject(m.role, text(m.text), nextTime()));
      lines.push(`{"type":"compaction","messages":[${msgs.join(',')}]}`);
    } else if ('rename' in row) lines.push(`{"title":${goString(row.rename)},"type":"rename"}`);
    else if ('modelSwitch' in row) {
      meta.model = row.modelSwitch.model;
      meta.provider = row.modelSwitch.provider;
      lines.push(metaRowText(meta));
    } else lines.push(row.raw);
  }
  return { text: `${lines.join('\n')}\n`, meta };
}

/** Writes `<home>/sessions/<projectKey(cwd)>/<fileName ?? sessionFileName(started, id)>`; returns its path. */
export function writeSession(home: string, spec: SessionSpec): string {
  const { text: body, meta } = renderSession(spec);
  const dir = join(home, 'sessions', projectKey(spec.cwd));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, spec.fileName ?? sessionFileName(meta.started, meta.id));
  writeFileSync(path, body, { flag: 'wx' });
  return path;
}

/**
 * `count` sessions in three projects, each with a tool result of about 360 KB
 * of escape-dense text: enough to keep a worker busy a moment, so that an
 * abort finds some of them being read.
 */
export function writeSlowSessions(home: string, count: number): void {
  for (let i = 0; i < count; i++) writeSession(home, { cwd: `/p${i % 3}`, rows: [{ user: 'go' }, { toolResult: { callId: 'c', text: 'x\\"y '.repeat(60_000) } }] });
}

/** The message rows (user/assistant/tool/image) among `rows`. */
function isMessageSpec(r: RowSpec): boolean {
  return 'user' in r || 'assistant' in r || 'toolCall' in r || 'toolResult' in r || 'image' in r;
}

/**
 * The rows zot's BranchSession copies from a parent without a compaction:
 * message rows and usage rows, up to the `at`-th message.
 */
export function branchRows(parentRows: readonly RowSpec[], at: number): RowSpec[] {
  const out: RowSpec[] = [];
  let count = 0;
  for (const r of parentRows) {
    if (count >= at) break;
    if (isMessageSpec(r)) {
      out.push(r);
      count++;
    } else if ('usage' in r) out.push(r);
  }
  return out;
}

// ---------------------------------------------------------------- the oracle

/**
 * The effective transcript of a session file, computed the simplest way:
 * JSON.parse each line (skipping lines that do not parse); a message row with
 * non-empty content appends its message; a compaction row replaces the list
 * with its messages that have non-empty content.
 */
export function effectiveTranscript(path: string): unknown[] {
  let out: unknown[] = [];
  const hasContent = (m: unknown) =>
    typeof m === 'object' && m !== null && Array.isArray((m as { content?: unknown }).content) && (m as { content: unknown[] }).content.length > 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    let row: { type?: unknown; message?: unknown; messages?: unknown };
    try {
      row = JSON.parse(line) as typeof row;
    } catch {
      continue;
    }
    if (typeof row !== 'object' || row === null) continue;
    if (row.type === 'message' && hasContent(row.message)) out.push(row.message);
    else if (row.type === 'compaction' && Array.isArray(row.messages)) out = row.messages.filter(hasContent);
  }
  return out;
}

// ---------------------------------------------------------------- the sample archive

export interface SampleProject {
  cwd: string;
  key: string;
  /** Every `.jsonl` file written to the project's folder (good and bad), in file-name order. */
  sessions: string[];
}

export interface SampleArchive {
  home: string;
  projects: SampleProject[];
  /** Sessions zot reads without a problem (every row valid). */
  good: string[];
  /**
   * Files with a problem. An `E_` code: zotpack refuses the file with that
   * error. A `W_` code: the file is a session, read with that warning (its
   * damaged rows are dropped).
   */
  bad: Array<{ path: string; code: ZotpackErrorCode | WarningCode }>;
  /** Sessions whose parent id names no session in the archive. */
  orphans: string[];
  /** Handles on particular sessions, for tests that need one of a kind. */
  named: {
    root: string;
    branch1: string;
    branch2: string;
    branch3: string;
    sibling: string;
    compacted: string;
    switched: string;
    renamed: string;
    hidden: string;
    big: string;
    orphan: string;
    plain: string;
    damaged: string;
  };
}

export const SAMPLE_CWDS = ['/home/dev/src/api', '/home/dev/src/web & <docs>', '/srv/ünïcode/päth'] as const;

/**
 * A zot home with three projects: a branch tree four levels deep with a
 * sibling, an orphan, a compaction, a model switch, a rename, a hidden
 * session, a multi-MB image row (`bigRowBytes`, default 3 MB), and bad files
 * mixed in (empty, first row not meta, a BOM, a damaged row and a cut-off
 * last row).
 */
export function buildSampleArchive(home: string, options: { bigRowBytes?: number } = {}): SampleArchive {
  const [api, web, uni] = SAMPLE_CWDS;
  const bigRowBytes = options.bigRowBytes ?? 3_000_000;
  const good: string[] = [];
  const bad: SampleArchive['bad'] = [];
  const add = (spec: SessionSpec) => {
    const p = writeSession(home, spec);
    good.push(p);
    return p;
  };

  // Project api: a root branched three levels deep, plus a sibling branch.
  const rootRows: RowSpec[] = [
    { user: 'Why does `npm test` fail with <ENOENT> & exit 1?' },
    { toolCall: { id: 'toolu_01', name: 'bash', args: { command: 'npm test && echo <ok>' } } },
    { toolResult: { callId: 'toolu_01', text: 'Error: ENOENT\n\u2028line two', isError: true } },
    { assistant: 'The fixture folder is missing.' },
    { usage: { cost: 0.0123, cumulative: 0.0123 } },
    { user: 'Create it, then rerun.' },
    { assistant: 'Done; tests pass.' },
    { usage: { cost: 0.0456, cumulative: 0.0579 } },
  ];
  const rootId = testId('sample-root');
  const root = add({ cwd: api, id: rootId, rows: rootRows });
  const b1Id = testId('sample-branch1');
  const b1Rows = [...branchRows(rootRows, 5), { assistant: 'Creating fixtures/a.json.' }, { user: 'And a README.' }];
  const branch1 = add({ cwd: api, id: b1Id, parent: rootId, forkPoint: 5, rows: b1Rows });
  const b2Id = testId('sample-branch2');
  const b2Rows = [...branchRows(b1Rows, 6), { user: 'Also lint.' }, { assistant: 'Lint is clean.' }, { usage: { cost: 0.002, cumulative: 0.0599 } }];
  const branch2 = add({ cwd: api, id: b2Id, parent: b1Id, forkPoint: 6, rows: b2Rows });
  const b3Id = testId('sample-branch3');
  const branch3 = add({ cwd: api, id: b3Id, parent: b2Id, forkPoint: 2, rows: [...branchRows(b2Rows, 2), { assistant: 'Another way.' }] });
  const sibling = add({ cwd: api, id: testId('sample-sibling'), parent: rootId, forkPoint: 1, rows: branchRows(rootRows, 1) });
  const switched = add({
    cwd: api,
    id: testId('sample-switched'),
    title: 'Model switch',
    rows: [
      { user: 'Start on sonnet.' },
      { assistant: 'On sonnet.' },
      { usage: { cost: 0.01, cumulative: 0.01 } },
      { modelSwitch: { model: 'gpt-5', provider: 'openai' } },
      { user: 'Now on gpt-5.' },
      { assistant: 'On gpt-5.' },
      { usage: { cost: 0.02, cumulative: 0.03 } },
    ],
  });
  // Bad files in api: an empty file (E_EMPTY alone; a bulk run passes it over with W_EMPTY, as zot does) and one whose first row is a message.
  const empty = join(home, 'sessions', projectKey(api), '20260115-000000-empty000.jsonl');
  writeFileSync(empty, '');
  bad.push({ path: empty, code: 'E_EMPTY' });
  const notMeta = join(home, 'sessions', projectKey(api), '20260115-000001-nometa00.jsonl');
  writeFileSync(notMeta, `{"type":"message","message":${messageObject('user', text('no meta'), '2026-01-15T00:00:01Z')}}\n`);
  bad.push({ path: notMeta, code: 'E_NOT_META' });

  // Project web: compaction, rename, hidden, a big image row, an orphan, a BOM.
  const compacted = add({
    cwd: web,
    rows: [
      { user: 'Center the header.' },
      { assistant: 'Use flexbox.' },
      { usage: { cost: 0.001, cumulative: 0.001 } },
      { user: 'And the footer?' },
      { assistant: 'Same.' },
      {
        compaction: [
          { role: 'user', text: 'Summary: centred header and footer.' },
          { role: 'assistant', text: 'Understood.' },
        ],
      },
      { user: 'Now dark mode.' },
      { assistant: 'Added prefers-color-scheme.' },
      { usage: { cost: 0.003, cumulative: 0.004 } },
    ],
  });
  const renamed = add({
    cwd: web,
    title: 'first title',
    rows: [{ user: 'Name me.' }, { assistant: 'Named.' }, { rename: 'Renamed <by> user & co' }, { usage: { cost: 0.5, cumulative: 1.25 } }],
  });
  const hidden = add({ cwd: web, hidden: true, rows: [{ user: 'A hidden tree-navigation branch.' }, { assistant: 'Hidden.' }] });
  const big = add({
    cwd: web,
    rows: [{ user: 'What is wrong in this screenshot?' }, { image: { bytes: bigRowBytes } }, { assistant: 'The margin collapses.' }],
  });
  const orphanParent = testId('sample-deleted-parent');
  const orphan = add({ cwd: web, parent: orphanParent, forkPoint: 2, rows: [{ user: 'Orphaned.' }, { assistant: 'Parent deleted.' }] });
  const bomSpec = renderSession({ cwd: web, rows: [{ user: 'BOM' }] });
  const bom = join(home, 'sessions', projectKey(web), sessionFileName(bomSpec.meta.started, bomSpec.meta.id));
  writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(bomSpec.text)]));
  bad.push({ path: bom, code: 'E_BOM' });

  // Project uni: a session with an invalid row in the middle and a cut-off last row.
  const plain = add({ cwd: uni, rows: [{ user: 'Ünïcode päth ✓' }, { assistant: 'Fine.' }, { usage: { cost: 0.25, cumulative: 0.25 } }] });
  const damaged = writeSession(home, {
    cwd: uni,
    rows: [
      { user: 'First.' },
      { raw: '{"type":"message","message":{"role":"user","content":[{"text":"cut' },
      { assistant: 'Second.' },
      { usage: { cost: 0.1, cumulative: 0.1 } },
    ],
  });
  appendFileSync(damaged, '{"type":"message","message":{"role":"assistant","content":[{"te');
  bad.push({ path: damaged, code: 'W_TRUNCATED' });

  const projects = [api, web, uni].map((cwd) => {
    const key = projectKey(cwd);
    const dir = join(home, 'sessions', key);
    const sessions = readdirSync(dir)
      .filter((n) => n.endsWith('.jsonl'))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map((n) => join(dir, n));
    return { cwd, key, sessions };
  });
  return {
    home,
    projects,
    good,
    bad,
    orphans: [orphan],
    named: { root, branch1, branch2, branch3, sibling, compacted, switched, renamed, hidden, big, orphan, plain, damaged },
  };
}

/** The files of `bad` a bulk run fails: an `E_` code, less the empty file, which it passes over (W_EMPTY) as zot does. */
export function failedInBulk(sample: SampleArchive): SampleArchive['bad'] {
  return sample.bad.filter((b) => b.code.startsWith('E_') && b.code !== 'E_EMPTY');
}

/**
 * The bytes of a session a bundle holds: all of them, less a last row cut
 * short (no newline, not valid JSON), which pack leaves out.
 */
export function packedBytes(path: string): Buffer {
  const bytes = readFileSync(path);
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return bytes;
  const nl = bytes.lastIndexOf(0x0a);
  if (nl < 0) return bytes;
  try {
    JSON.parse(bytes.subarray(nl + 1).toString('utf8'));
    return bytes;
  } catch {
    return bytes.subarray(0, nl + 1);
  }
}

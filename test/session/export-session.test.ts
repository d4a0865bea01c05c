import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { fromFsError } from '../../src/errors.js';
import { AtomicFile } from '../../src/session/atomic-file.js';
import { exportSession } from '../../src/session/export-session.js';
import { importSession } from '../../src/session/import-session.js';
import { describeSession } from '../../src/session/describe-session.js';
import { listTree, tempFiles } from '../helpers/fs-snapshot.js';
import { API_CWD, bodyOf, FX, headerOf, IDS, rowsOf } from '../helpers/zot-fixtures.js';
import { cleanupTempDirs, makeTempDir, renderSession, testId, writeSession } from '../helpers/zot-archive.js';
import { expectCode } from '../helpers/expect-code.js';

afterAll(cleanupTempDirs);

describe('export naming (as zot names exports)', () => {
  test('into an existing folder: <YYYYMMDD-HHMMSS>-<id8>-<slug of the first prompt>.zotsession', () => {
    const out = makeTempDir();
    const r = exportSession({ source: FX.long, destination: out, durable: false });
    // Slug by the seed's rule: lower-case, runs of other characters to one '-', cut at 40.
    expect(basename(r.output)).toBe('20261125-003305-d907c305-why-does-npm-test-fail-with-enoent-exit.zotsession');
    expect(readdirSync(out)).toEqual([basename(r.output)]);
  });

  test('the slug keeps only a-z and 0-9: other letters become separators', () => {
    const home = makeTempDir();
    const id = testId('naming-unicode');
    const src = writeSession(home, { cwd: '/p', id, started: '2026-03-04T05:06:07.5Z', rows: [{ user: '  Ünïcode päth ✓  ' }] });
    const out = makeTempDir();
    const r = exportSession({ source: src, destination: out, durable: false });
    expect(basename(r.output)).toBe(`20260304-050607-${id.slice(0, 8)}-n-code-p-th.zotsession`);
  });

  test('the first prompt is the first user message with text, past image-only and assistant messages', () => {
    const home = makeTempDir();
    const id = testId('naming-image-first');
    const src = writeSession(home, {
      cwd: '/p',
      id,
      started: '2026-03-04T05:06:07Z',
      rows: [{ assistant: 'Hello from the assistant' }, { image: { bytes: 64 } }, { user: 'Fix THE bug!' }],
    });
    const r = exportSession({ source: src, destination: makeTempDir(), durable: false });
    expect(basename(r.output)).toBe(`20260304-050607-${id.slice(0, 8)}-fix-the-bug.zotsession`);
  });

  test('no user text: no slug', () => {
    const home = makeTempDir();
    const id = testId('naming-no-text');
    const src = writeSession(home, { cwd: '/p', id, started: '2026-03-04T05:06:07Z', rows: [{ assistant: 'only me' }] });
    const r = exportSession({ source: src, destination: makeTempDir(), durable: false });
    expect(basename(r.output)).toBe(`20260304-050607-${id.slice(0, 8)}.zotsession`);
  });

  test('a DST without the extension gets .zotsession; one with it (any case) is kept', () => {
    const out = makeTempDir();
    const a = exportSession({ source: FX.branch3, destination: join(out, 'mine'), durable: false });
    expect(a.output).toBe(join(out, 'mine.zotsession'));
    const b = exportSession({ source: FX.branch3, destination: join(out, 'Other.ZOTSESSION'), durable: false });
    expect(b.output).toBe(join(out, 'Other.ZOTSESSION'));
    expect(readdirSync(out).sort()).toEqual(['Other.ZOTSESSION', 'mine.zotsession']);
  });

  test("a missing DST folder given with a trailing '/' is created and named inside", () => {
    const out = makeTempDir();
    const dst = join(out, 'new', 'folder') + '/';
    const r = exportSession({ source: FX.branch3, destination: dst, durable: false });
    expect(r.output).toBe(join(out, 'new', 'folder', '20261125-003306-d98930a4-summary-fixtures-were-missing-created-th.zotsession'));
    expect(existsSync(r.output)).toBe(true);
  });

  test("the DST's parent folders are created", () => {
    const out = makeTempDir();
    const r = exportSession({ source: FX.branch3, destination: join(out, 'a', 'b', 'c', 'name'), durable: false });
    expect(r.output).toBe(join(out, 'a', 'b', 'c', 'name.zotsession'));
    expect(listTree(out)).toEqual(['a/', 'a/b/', 'a/b/c/', 'a/b/c/name.zotsession']);
  });
});

describe('export content', () => {
  test("rows after the header are byte-identical to zot's own export (folder export of the long session)", () => {
    const r = exportSession({ source: FX.long, destination: makeTempDir(), durable: false });
    expect(bodyOf(r.output).equals(bodyOf(FX.exportLong))).toBe(true);
    // zot's export also drops the second meta row; zotpack counts it as folded.
    expect(r.dropped).toEqual({ invalid: 0, undecodable: 0, meta: 1 });
    expect(r.rowsKept).toBe(rowsOf(FX.exportLong).length - 1);
  });

  test("rows after the header are byte-identical to zot's own export (named-file export of a branch)", () => {
    const r = exportSession({ source: FX.branch3, destination: join(makeTempDir(), 'branch'), durable: false });
    expect(bodyOf(r.output).equals(bodyOf(FX.exportBranch))).toBe(true);
    expect(r.dropped).toEqual({ invalid: 0, undecodable: 0, meta: 0 });
  });

  test("the header is zot's export header plus the zotpack origin when the meta never changed", () => {
    const r = exportSession({ source: FX.branch3, destination: join(makeTempDir(), 'b'), durable: false });
    const origin = `,"zotpack":{"cwd":"${API_CWD}","id":"${IDS.branch3}","file":"20261125-003306-d98930a4.jsonl"}`;
    expect(headerOf(r.output)).toBe(headerOf(FX.exportBranch).replace(/}}$/, `${origin}}}`));
    expect(r.parent).toBe(IDS.long);
    expect(r.forkPoint).toBe(3);
    expect(r.cwd).toBe(API_CWD);
  });

  test('the header carries the LAST meta (the model switched to), cwd "" and the origin', () => {
    const r = exportSession({ source: FX.long, destination: makeTempDir(), durable: false });
    expect(headerOf(r.output)).toBe(
      `{"type":"meta","meta":{"id":"${IDS.long}","cwd":"","model":"gpt-5","provider":"openai",` +
        `"started":"2026-11-25T00:33:05.746894346Z","version":"0.9.1",` +
        `"zotpack":{"cwd":"${API_CWD}","id":"${IDS.long}","file":"20261125-003305-e5aacad9.jsonl"}}}`,
    );
    expect(r.summary.model).toBe('gpt-5');
    expect(r.summary.provider).toBe('openai');
  });

  test('unknown meta fields, title, parent, fork_point and hide_from_sessions survive byte for byte', () => {
    const home = makeTempDir();
    const parent = testId('export-unknown-parent');
    const meta =
      `{"id":"11111111-2222-4333-8444-555555555555","cwd":"/w \\u0026 \\u003cx\\u003e","model":"m1","provider":"p1",` +
      `"started":"2026-02-03T04:05:06.000000001Z","version":"0.9.9","title":"T \\u2028 \\"q\\"",` +
      `"parent":"${parent}","fork_point":7,"hide_from_sessions":true,` +
      `"future":{"n":12345678901234567890,"f":1.50,"e":[],"s":"\\u00e9"},"reasoning_level":"high"}`;
    const src = join(home, 'unknown.jsonl');
    const body = renderSession({ cwd: '/w', rows: [{ user: 'hi' }, { assistant: 'ho' }] }).text.split('\n').slice(1).join('\n');
    writeFileSync(src, `{"type":"meta","meta":${meta}}\n${body}`);
    const r = exportSession({ source: src, destination: join(makeTempDir(), 'x'), durable: false });
    const expected = meta
      .replace('"cwd":"/w \\u0026 \\u003cx\\u003e"', '"cwd":""')
      .replace(/}$/, `,"zotpack":{"cwd":"/w \\u0026 \\u003cx\\u003e","id":"11111111-2222-4333-8444-555555555555","file":"unknown.jsonl"}}`);
    expect(headerOf(r.output)).toBe(`{"type":"meta","meta":${expected}}`);
    expect(bodyOf(r.output).toString()).toBe(body);
    expect(r.parent).toBe(parent);
    expect(r.forkPoint).toBe(7);
  });

  test('rows zot skips are dropped and counted: invalid JSON, undecodable rows, extra meta rows', () => {
    const home = makeTempDir();
    const src = writeSession(home, {
      cwd: '/p',
      rows: [
        { user: 'one' },
        { raw: '{"type":"message","message":{' },
        { assistant: 'two' },
        { raw: '{"type":42}' },
        { raw: '[1,2,3]' },
        { modelSwitch: { model: 'gpt-5', provider: 'openai' } },
        { usage: { cost: 0.5, cumulative: 0.5 } },
        { raw: '{"type":"rename","title":"kept"}' },
      ],
    });
    const r = exportSession({ source: src, destination: join(makeTempDir(), 'x'), durable: false });
    expect(r.dropped).toEqual({ invalid: 1, undecodable: 2, meta: 1 });
    const srcRows = rowsOf(src);
    const kept = [srcRows[1], srcRows[3], srcRows[7], srcRows[8]];
    expect(rowsOf(r.output).slice(1)).toEqual(kept);
    expect(r.rowsKept).toBe(4);
    expect(r.warnings.map((w) => [w.code, w.row])).toEqual([
      ['W_INVALID_ROW', 3],
      ['W_UNDECODABLE_ROW', 5],
      ['W_UNDECODABLE_ROW', 6],
    ]);
  });

  test('a truncated last row is dropped, counted and reported as W_TRUNCATED', () => {
    const home = makeTempDir();
    const src = writeSession(home, { cwd: '/p', rows: [{ user: 'one' }, { assistant: 'two' }] });
    writeFileSync(src, readFileSync(src, 'utf8') + '{"type":"message","mess');
    const r = exportSession({ source: src, destination: join(makeTempDir(), 'x'), durable: false });
    expect(r.dropped.invalid).toBe(1);
    expect(r.warnings.map((w) => w.code)).toEqual(['W_TRUNCATED']);
    expect(rowsOf(r.output).slice(1)).toEqual(rowsOf(src).slice(1, 3));
    expect(readFileSync(r.output, 'utf8').endsWith('\n')).toBe(true);
  });

  test('CRLF line ends are trimmed as zot trims them; rows are written with \\n', () => {
    const home = makeTempDir();
    const src = writeSession(home, { cwd: '/p', rows: [{ user: 'one' }, { assistant: 'two' }] });
    const lf = readFileSync(src, 'utf8');
    writeFileSync(src, lf.replaceAll('\n', '\r\n'));
    const r = exportSession({ source: src, destination: join(makeTempDir(), 'x'), durable: false });
    expect(bodyOf(r.output).toString()).toBe(lf.slice(lf.indexOf('\n') + 1));
  });

  test('the output is the same whatever the read size (rows straddling reads)', () => {
    const whole = exportSession({ source: FX.long, destination: join(makeTempDir(), 'a'), durable: false });
    const tiny = exportSession({ source: FX.long, destination: join(makeTempDir(), 'b'), durable: false, chunkSize: 7 });
    expect(readFileSync(tiny.output).equals(readFileSync(whole.output))).toBe(true);
  });

  test('sha256 and byte counts describe the file written', async () => {
    const { createHash } = await import('node:crypto');
    const r = exportSession({ source: FX.long, destination: join(makeTempDir(), 'a'), durable: false, sha256: true });
    const bytes = readFileSync(r.output);
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(r.bytesOut).toBe(bytes.length);
    expect(r.bytesIn).toBe(readFileSync(FX.long).length);
  });

  test('rows of several hundred KB and of MB: the file holds every kept row as read, and its sha256 is that file\'s', async () => {
    const { createHash } = await import('node:crypto');
    const home = makeTempDir();
    const src = writeSession(home, {
      cwd: '/p',
      id: testId('big-rows-hash'),
      rows: [
        { user: 'Look.' },
        { image: { bytes: 300_000 } },
        { assistant: 'Seen.' },
        { raw: '{"type":"message","message":' }, // not valid JSON: left out
        { image: { bytes: (1 << 20) + 7 } },
        { image: { bytes: 3 << 20 } },
        { usage: { cost: 0.5, cumulative: 0.5 } },
      ],
    });
    const r = exportSession({ source: src, destination: join(makeTempDir(), 'a'), durable: false, sha256: true });
    const bytes = readFileSync(r.output);
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(r.bytesOut).toBe(bytes.length);
    const kept = rowsOf(src).slice(1).filter((row) => row !== '{"type":"message","message":');
    expect(kept).toHaveLength(6);
    expect(bodyOf(r.output).toString()).toBe(kept.map((row) => `${row}\n`).join(''));
    expect(r.dropped.invalid).toBe(1);
  });

  test("a first meta row over 20 MiB (zot's scanner limit) exports fine", () => {
    const home = makeTempDir();
    const big = 'x'.repeat(21 * 1024 * 1024);
    const meta = `{"id":"${testId('big-meta')}","cwd":"/p","model":"m","provider":"p","started":"2026-01-01T00:00:00Z","version":"1","blob":"${big}"}`;
    const src = join(home, 'big.jsonl');
    const body = renderSession({ cwd: '/p', rows: [{ user: 'after a huge meta' }, { assistant: 'ok' }] }).text.split('\n').slice(1).join('\n');
    writeFileSync(src, `{"type":"meta","meta":${meta}}\n${body}`);
    const r = exportSession({ source: src, destination: makeTempDir(), durable: false });
    const header = headerOf(r.output);
    expect(header.length).toBeGreaterThan(20 * 1024 * 1024);
    expect(header.includes(`"blob":"${big}"`)).toBe(true);
    expect(bodyOf(r.output).toString()).toBe(body);
    expect(basename(r.output)).toMatch(/^20260101-000000-[0-9a-f]{8}-after-a-huge-meta\.zotsession$/);
  });
});

describe('export refuses', () => {
  test('to overwrite an existing file (E_EXISTS), leaving it untouched and no temp file', () => {
    const out = makeTempDir();
    const dst = join(out, 'taken.zotsession');
    writeFileSync(dst, 'precious');
    const err = expectCode(() => exportSession({ source: FX.branch3, destination: join(out, 'taken'), durable: false }), 'E_EXISTS');
    expect(err.message).toContain(dst);
    expect(readFileSync(dst, 'utf8')).toBe('precious');
    expect(listTree(out)).toEqual(['taken.zotsession']);
  });

  test('a second export into the same folder (E_EXISTS at publish time), leaving no temp file', () => {
    const out = makeTempDir();
    const first = exportSession({ source: FX.long, destination: out, durable: false });
    const before = readFileSync(first.output);
    // The long session switched model, so the header is rewritten through a second temp file.
    const err = expectCode(() => exportSession({ source: FX.long, destination: out, durable: false }), 'E_EXISTS');
    expect(err.message).toContain(first.output);
    expect(readdirSync(out)).toEqual([basename(first.output)]);
    expect(tempFiles(out)).toEqual([]);
    expect(readFileSync(first.output).equals(before)).toBe(true);
  });

  test('to export a file onto itself (E_SAME_FILE)', () => {
    const out = makeTempDir();
    const first = exportSession({ source: FX.branch3, destination: join(out, 'self'), durable: false });
    const before = readFileSync(first.output);
    const err = expectCode(() => exportSession({ source: first.output, destination: first.output, durable: false }), 'E_SAME_FILE');
    expect(err.message).toContain(first.output);
    expect(readFileSync(first.output).equals(before)).toBe(true);
    expect(listTree(out)).toEqual(['self.zotsession']);
  });

  test('nothing at all is left when the source is refused', () => {
    const home = makeTempDir();
    const src = join(home, 'nometa.jsonl');
    writeFileSync(src, '{"type":"message","message":{"role":"user","content":[{"text":"x"}]}}\n');
    const out = join(makeTempDir(), 'not-yet') + '/';
    expectCode(() => exportSession({ source: src, destination: out, durable: false }), 'E_NOT_META');
    // The refusal comes before the destination folder is even created.
    expect(existsSync(out)).toBe(false);
    mkdirSync(out);
    expectCode(() => exportSession({ source: src, destination: out, durable: false }), 'E_NOT_META');
    expect(listTree(out)).toEqual([]);
  });
});

describe('export header identity', () => {
  test('id, parent and fork_point come from the first meta even when a later meta differs; the rest from the last', () => {
    const home = makeTempDir();
    const first = testId('identity-first');
    const src = writeSession(home, {
      cwd: '/p',
      id: first,
      parent: testId('identity-parent'),
      forkPoint: 2,
      rows: [
        { user: 'q' },
        {
          raw: `{"type":"meta","meta":{"id":"other","cwd":"/elsewhere","model":"m9","provider":"p9","started":"2030-01-01T00:00:00Z","version":"9","title":"T9","extra":1}}`,
        },
      ],
    });
    const r = exportSession({ source: src, destination: join(makeTempDir(), 'x'), durable: false });
    expect(headerOf(r.output)).toBe(
      `{"type":"meta","meta":{"id":"${first}","cwd":"","model":"m9","provider":"p9","started":"2030-01-01T00:00:00Z","version":"9","title":"T9","extra":1,` +
        `"parent":"${testId('identity-parent')}","fork_point":2,"zotpack":{"cwd":"/p","id":"${first}","file":"${basename(src)}"}}}`,
    );
  });

  test('re-exporting an export keeps the origin it records', () => {
    const once = exportSession({ source: FX.long, destination: join(makeTempDir(), 'once'), durable: false });
    const twice = exportSession({ source: once.output, destination: join(makeTempDir(), 'twice'), durable: false });
    expect(headerOf(twice.output)).toBe(headerOf(once.output));
    expect(bodyOf(twice.output).equals(bodyOf(once.output))).toBe(true);
    expect(twice.cwd).toBe(API_CWD);
  });
});

describe('export on a full disk', () => {
  afterEach(() => vi.restoreAllMocks());

  function diskFull(this: AtomicFile): never {
    const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    throw fromFsError(err, this.target, 'cannot write', true);
  }

  test('a write that fails while streaming rows leaves no file and no temp file', () => {
    vi.spyOn(AtomicFile.prototype, 'writev').mockImplementation(diskFull);
    const out = makeTempDir();
    const err = expectCode(() => exportSession({ source: FX.webImage, destination: out, durable: false }), 'E_WRITE');
    expect(err.message).toContain('no space left');
    expect(listTree(out)).toEqual([]);
  });

  test('a write that fails while rewriting the header (a model switch) leaves no file and no temp file', () => {
    vi.spyOn(AtomicFile.prototype, 'write').mockImplementation(diskFull);
    const out = makeTempDir();
    expectCode(() => exportSession({ source: FX.long, destination: join(out, 'x'), durable: false }), 'E_WRITE');
    expect(listTree(out)).toEqual([]);
  });
});

describe('export keeps rows zot keeps', () => {
  test("a session whose line 1 is blank is exported (a backup keeps what zot resumes), without the blank line, with a warning", () => {
    const src = join(makeTempDir(), 'blank-first.jsonl');
    writeFileSync(src, `\n${readFileSync(FX.long, 'utf8')}`);
    const blank = exportSession({ source: src, destination: join(makeTempDir(), 'x'), durable: false });
    const plain = exportSession({ source: FX.long, destination: join(makeTempDir(), 'x'), durable: false });
    expect(bodyOf(blank.output).equals(bodyOf(plain.output))).toBe(true);
    expect(readFileSync(blank.output)[0]).toBe(0x7b);
    expect(blank.warnings).toEqual([expect.objectContaining({ code: 'W_INVALID_ROW', row: 1, message: expect.stringContaining('line 1 is blank') })]);
  });

  test('a message row whose content zot cannot decode is kept wherever it stands, with a warning', () => {
    const home = makeTempDir();
    const bad = '{"type":"message","message":{"role":"user","content":{},"time":"2026-01-01T00:00:00Z"}}';
    const src = writeSession(home, {
      cwd: '/p',
      rows: [{ raw: bad }, { user: 'real prompt' }, { raw: bad }, { assistant: 'ok' }],
    });
    const r = exportSession({ source: src, destination: makeTempDir(), durable: false });
    const rows = readFileSync(r.output, 'utf8').trimEnd().split('\n');
    // zot's export keeps every row whose type it can read: the header plus all four.
    expect(rows.filter((x) => x === bad)).toHaveLength(2);
    expect(r.rowsKept).toBe(4);
    expect(r.dropped).toEqual({ invalid: 0, undecodable: 0, meta: 0 });
    expect(r.summary.firstUserText).toBe('real prompt');
    expect(r.warnings.filter((w) => w.code === 'W_UNDECODABLE_ROW').map((w) => w.row)).toEqual([2]);
  });
});

describe('export framing', () => {
  test('a last row that ends in \\r with no newline is written whole, then a newline', () => {
    const home = makeTempDir();
    const src = writeSession(home, { cwd: '/p', rows: [{ user: 'hi' }] });
    const last = '{"type":"message","message":{"role":"assistant","content":[{"text":"bye"}],"time":"2026-01-01T00:00:00Z"}}';
    writeFileSync(src, `${readFileSync(src, 'utf8')}${last}\r`);
    const r = exportSession({ source: src, destination: makeTempDir(), durable: false });
    const text = readFileSync(r.output, 'utf8');
    expect(text.endsWith(`${last}\n`)).toBe(true);
    expect(text).not.toContain('\r');
  });
});

describe('rename rows a later meta row overrides', () => {
  /** meta, a prompt, two renames, a model switch's meta (with `title`, or none), a prompt, and a rename after it. */
  function session(switchTitle: string | undefined, lastRename: boolean): string {
    const dir = makeTempDir();
    const id = testId(`renames-${switchTitle}-${lastRename}`);
    const meta = (model: string, title?: string) =>
      `{"type":"meta","meta":{"id":"${id}","cwd":"/p","model":"${model}","provider":"x","started":"2026-01-01T00:00:00Z"${title === undefined ? '' : `,"title":"${title}"`}}}`;
    const prompt = (text: string) => `{"type":"message","message":{"role":"user","content":[{"text":"${text}"}],"time":"2026-01-01T00:00:01Z"}}`;
    const lines = [meta('m1', 'T0'), prompt('first'), '{"title":"One","type":"rename"}', '{"title":"Two","type":"rename"}', meta('m2', switchTitle), prompt('second')];
    if (lastRename) lines.push('{"title":"Three","type":"rename"}');
    const path = join(dir, 's.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  }

  test.each([
    ['a switch with no title (it clears the renames before it)', undefined, false, ''],
    ['a switch with the title zot writes (the current one)', 'Two', false, 'Two'],
    ['a switch repeating the first meta (the header is unchanged)', 'T0', false, 'T0'],
    ['a rename after the switch (kept: it names the session)', undefined, true, 'Three'],
  ])('%s: the export is named as the session is, the overridden renames folded into the header and counted', (_what, switchTitle, lastRename, title) => {
    const source = session(switchTitle, lastRename);
    expect(describeSession(source).summary.title).toBe(title);
    const r = exportSession({ source, destination: join(makeTempDir(), 'x.zotsession'), asFile: true, durable: false });
    expect(describeSession(r.output).summary.title).toBe(title);
    expect(r.dropped).toEqual({ invalid: 0, undecodable: 0, meta: 3 });
    const rows = readFileSync(r.output, 'utf8').trimEnd().split('\n');
    expect(rows.filter((l) => l.includes('"type":"rename"'))).toEqual(lastRename ? ['{"title":"Three","type":"rename"}'] : []);
    expect(r.rowsKept).toBe(rows.length - 1);
  });
});

describe('big rows are written as they are read, never held whole', () => {
  const T = '2026-01-01T00:00:00Z';
  const big = (n: number, c = 'x') => c.repeat(n);
  const rows = [
    { user: 'the first prompt' },
    { image: { bytes: 20_000 } },
    { raw: `{"type":"message","message":{"role":"assistant","content":"${big(9_000)}\\n\\"q\\"","time":"${T}"}}\r\r` },
    { raw: `{"type":"message","message":"${big(9_000)}` }, // not valid JSON: left out
    { raw: `[${'1,'.repeat(5_000)}1]` }, // valid, but not a row zot can decode: left out
    { rename: 'Early' }, // after two rows taken back out, and overridden by the model switch: cut out when the header is rewritten
    { raw: `${' '.repeat(70_000)}null` }, // a row zot reads as one with no type: kept
    { modelSwitch: { model: 'm2', provider: 'p2' } },
    { rename: big(9_000, 'T') },
    { raw: `{"type":"message","message":{"role":"assistant","content":"${big(30_000, 'y')}","time":"${T}"}}` },
    { raw: `{"type":"message","message":{"role":"assistant","content":"${big(9_000, 'z')}` }, // the last, cut short, with no newline
  ] as const;

  test('at read sizes that skim nearly every row, the export is byte for byte the one with every row whole', () => {
    const home = makeTempDir();
    const source = writeSession(home, { cwd: '/p', rows: [...rows] });
    // No newline after the last row, as a crash leaves it.
    writeFileSync(source, readFileSync(source).subarray(0, -1));
    const exported = [1 << 20, 4096, 7].map((chunkSize) => {
      const r = exportSession({ source, destination: join(makeTempDir(), 'out.zotsession'), asFile: true, durable: false, chunkSize, sha256: true });
      return { bytes: readFileSync(r.output), sha256: r.sha256, rowsKept: r.rowsKept, dropped: r.dropped, warnings: r.warnings };
    });
    // (At 1 MiB no row fills the reader's buffer: each is read whole.)
    // Kept: the prompt, the image, both answers, the null row and the last rename; the model switch goes into the
    // header, and the rename before it with it.
    expect(exported[0]!.rowsKept).toBe(6);
    expect(exported[0]!.dropped).toEqual({ invalid: 2, undecodable: 1, meta: 2 });
    expect(exported[1]).toEqual(exported[0]);
    expect(exported[2]).toEqual(exported[0]);
  });

  test('an import of it, skimming, is the import with every row whole', () => {
    const home = makeTempDir();
    const source = writeSession(home, { cwd: '/p', rows: [...rows] });
    const out = [1 << 20, 4096].map((chunkSize) => {
      const e = exportSession({ source, destination: join(makeTempDir(), 'e.zotsession'), asFile: true, durable: false, chunkSize });
      const r = importSession({ source: e.output, home: makeTempDir(), durable: false, chunkSize });
      return { bytes: readFileSync(r.output), rowsKept: r.rowsKept };
    });
    expect(out[1]).toEqual(out[0]);
  });
});

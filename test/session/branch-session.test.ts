import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { goTime } from '../../src/format/go-json.js';
import { sessionsDir } from '../../src/format/project-key.js';
import { branchSession, type BranchOptions } from '../../src/session/branch-session.js';
import { projectTree } from '../../src/session/session-tree.js';
import { snapshot } from '../helpers/fs-snapshot.js';
import { API_CWD, bodyOf, FX, headerOf, IDS, rowsOf } from '../helpers/zot-fixtures.js';
import { buildSampleArchive, cleanupTempDirs, effectiveTranscript, makeTempDir, writeSession } from '../helpers/zot-archive.js';
import { expectCode } from '../helpers/expect-code.js';

afterAll(cleanupTempDirs);

const NOW = new Date(Date.UTC(2027, 0, 2, 3, 4, 5, 678));
let n = 0;
function branch(options: Omit<BranchOptions, 'home'> & { home?: string }) {
  const id = `0000000${++n}`.slice(-8) + '-aaaa-4bbb-8ccc-dddddddddddd';
  return branchSession({ home: makeTempDir(), newId: () => id, now: () => NOW, durable: false, ...options });
}

describe("branch reproduces zot's own branches", () => {
  test('the long session (with a compaction) at 3: rows as zot wrote them in d98930a4', () => {
    const r = branch({ source: FX.long, at: 3 });
    expect(bodyOf(r.output).equals(bodyOf(FX.branch3))).toBe(true);
    expect(r.rowsWritten).toBe(3);
    expect(r.transcriptLength).toBe(4);
  });

  test('the long session at 1: rows as zot wrote them in a8cf0992', () => {
    const r = branch({ source: FX.long, at: 1 });
    expect(bodyOf(r.output).equals(bodyOf(FX.branch1))).toBe(true);
  });

  test('the branch d98930a4 at 2: rows as zot wrote them in 31bcf161', () => {
    const r = branch({ source: FX.branch3, at: 2 });
    expect(bodyOf(r.output).equals(bodyOf(FX.branch3at2))).toBe(true);
  });

  test('the header: new id and time, the source cwd, the LAST meta model, parent = first meta id, fork_point', () => {
    const home = makeTempDir();
    const r = branchSession({ source: FX.long, at: 3, home, newId: () => 'feedface-0000-4000-8000-000000000001', now: () => NOW, durable: false });
    const started = goTime(NOW);
    expect(headerOf(r.output)).toBe(
      `{"type":"meta","meta":{"id":"feedface-0000-4000-8000-000000000001","cwd":"${API_CWD}","model":"gpt-5","provider":"openai",` +
        `"started":"${started}","version":"0.9.1","parent":"${IDS.long}","fork_point":3}}`,
    );
    expect(r.output).toBe(join(sessionsDir(home, API_CWD), '20270102-030405-feedface.jsonl'));
    expect(r).toMatchObject({ id: 'feedface-0000-4000-8000-000000000001', parent: IDS.long, forkPoint: 3, cwd: API_CWD });
  });

  test('fork_point is omitted at 0, and the branch has no rows', () => {
    const r = branch({ source: FX.branch3, at: 0 });
    const meta = JSON.parse(headerOf(r.output)).meta;
    expect(meta).not.toHaveProperty('fork_point');
    expect(meta.parent).toBe(IDS.branch3);
    expect(headerOf(r.output)).not.toContain('fork_point');
    expect(rowsOf(r.output)).toHaveLength(1);
  });

  test('--cwd places the branch in another project; without a recorded cwd the fallback is used', () => {
    const a = branch({ source: FX.branch3, at: 1, cwd: '/other' });
    expect(dirname(a.output)).toBe(sessionsDir(dirname(dirname(dirname(a.output))), '/other'));
    expect(JSON.parse(headerOf(a.output)).meta.cwd).toBe('/other');
    const b = branch({ source: FX.exportBranch, at: 1, fallbackCwd: '/fb' });
    expect(JSON.parse(headerOf(b.output)).meta.cwd).toBe('/fb');
    const home = makeTempDir();
    expectCode(() => branchSession({ source: FX.exportBranch, at: 1, home, durable: false }), 'E_USAGE');
    expect(snapshot(home)).toEqual([]);
  });

  test('the branch links under its source in the tree', () => {
    const home = makeTempDir();
    const src = writeSession(home, { cwd: '/t', rows: [{ user: 'a' }, { assistant: 'b' }, { user: 'c' }] });
    const r = branchSession({ source: src, at: 2, home, durable: false });
    const tree = projectTree(dirname(src));
    expect(tree.roots).toHaveLength(1);
    expect(tree.roots[0]!.path).toBe(src);
    expect(tree.roots[0]!.children.map((c) => [c.path, c.forkPoint])).toEqual([[r.output, 2]]);
  });
});

describe('branch after a compaction', () => {
  test('the checkpoint messages, then later messages verbatim; no usage row at all (as zot re-encodes)', () => {
    const home = makeTempDir();
    const src = writeSession(home, {
      cwd: '/t',
      rows: [
        { user: 'old' },
        { usage: { cost: 0.1, cumulative: 0.1 } },
        { compaction: [{ role: 'user', text: 'S <1>' }, { role: 'assistant', text: 'ok' }] },
        { user: 'new' },
        { usage: { cost: 0.2, cumulative: 0.3 } },
        { assistant: 'reply' },
        { usage: { cost: 0.3, cumulative: 0.6 } },
      ],
    });
    const rows = rowsOf(src);
    const checkpoint = JSON.parse(rows[3]!).messages as unknown[];
    // zot writes each checkpoint message as a message row; its bytes here are the checkpoint's own.
    const objects = rows[3]!.match(/\{"role":.*?"time":"[^"]*"\}/g)!;
    const asRow = (k: number) => `{"type":"message","message":${objects[k]}}`;
    expect(JSON.parse(asRow(0)).message).toEqual(checkpoint[0]);
    expect(JSON.parse(asRow(1)).message).toEqual(checkpoint[1]);
    const at4 = branch({ source: src, at: 4 });
    expect(rowsOf(at4.output).slice(1)).toEqual([asRow(0), asRow(1), rows[4], rows[6]]);
    const at1 = branch({ source: src, at: 1 });
    expect(rowsOf(at1.output).slice(1)).toEqual([asRow(0)]);
  });
  test('a checkpoint whose messages are not objects still applies: the messages zot cannot decode are dropped, not the checkpoint', () => {
    const home = makeTempDir();
    const kept = '{"role":"tool","content":[{"call_id":"c","content":"out"}],"time":"2026-01-01T00:00:00Z"}';
    const src = writeSession(home, {
      cwd: '/t',
      rows: [{ user: 'old' }, { assistant: 'older' }, { raw: `{"type":"compaction","messages":["x",1,null,${kept}]}` }, { user: 'new' }],
    });
    const r = branch({ source: src, at: 2 });
    expect(r.transcriptLength).toBe(2);
    expect(rowsOf(r.output).slice(1)).toEqual([`{"type":"message","message":${kept}}`, rowsOf(src)[4]]);
  });
});

describe('branch without a compaction', () => {
  /** The oracle: message rows (with content) and usage rows of the parent, until N messages. */
  function expectedRows(parent: string, at: number): string[] {
    const out: string[] = [];
    let count = 0;
    for (const line of rowsOf(parent).slice(1)) {
      if (count >= at) break;
      let row;
      try {
        row = JSON.parse(line);
      } catch {
        continue; // zot skips rows that are not valid JSON
      }
      if (row.type === 'message' && row.message.content.length > 0) {
        out.push(line);
        count++;
      } else if (row.type === 'usage') out.push(line);
    }
    return out;
  }

  test('usage rows are kept only before the cut; other rows are left out', () => {
    const home = makeTempDir();
    const src = writeSession(home, {
      cwd: '/t',
      rows: [
        { user: 'one' },
        { assistant: 'two' },
        { usage: { cost: 0.1, cumulative: 0.1 } },
        { rename: 'not copied' },
        { raw: '{"type":"message","message":{"role":"user","content":[],"time":"2026-01-01T00:00:00Z"}}' },
        { user: 'three' },
        { assistant: 'four' },
        { usage: { cost: 0.2, cumulative: 0.3 } },
      ],
    });
    const src2 = rowsOf(src);
    const at2 = branch({ source: src, at: 2 });
    expect(rowsOf(at2.output).slice(1)).toEqual([src2[1], src2[2]]);
    const at3 = branch({ source: src, at: 3 });
    expect(rowsOf(at3.output).slice(1)).toEqual([src2[1], src2[2], src2[3], src2[6]]);
    const at4 = branch({ source: src, at: 4 });
    // The usage row after the 4th message is past the cut.
    expect(rowsOf(at4.output).slice(1)).toEqual([src2[1], src2[2], src2[3], src2[6], src2[7]]);
    expect(at4.transcriptLength).toBe(4);
  });

  test("the transcript keeps the message rows zot's hydrateMessage keeps, and only those", () => {
    const T = '"time":"2026-01-01T00:00:00Z"';
    const m = (content: string, extra = '') => `{"type":"message","message":{"role":"user","content":${content},${T}${extra}}}`;
    const kept = [
      m('[null]'), // an empty text block
      m('[{"call_id":"c","content":"out"}]'),
      m('[{"call_id":"c","content":[{"text":"x"}],"is_error":"yes"}]'),
      m('[{"mime_type":"image/png","data":"QQ\\u003d\\u003d"}]'),
      m('[{"text":"t"}]', ',"meta":{"k":"v"},"added_tool_names":["bash",null]'),
      m('["skipped",{"text":"kept"}]'),
    ];
    const dropped = [
      m('[{"mime_type":"image/png","data":"QQ"}]'), // unpadded
      m('[{"mime_type":"image/png","data":"Q!=="}]'),
      m('[{"text":"t","thought_signature":5}]'),
      m('[{"text":"t"}]', ',"meta":{"k":1}'),
      m('[{"text":"t"}]', ',"added_tool_names":[5]'),
      m('["s",5,[]]'),
    ];
    const home = makeTempDir();
    const src = writeSession(home, { cwd: '/t', rows: [...dropped.slice(0, 3), ...kept, ...dropped.slice(3)].map((raw) => ({ raw })) });
    const r = branch({ source: src, at: kept.length });
    expect(r.transcriptLength).toBe(kept.length);
    expect(rowsOf(r.output).slice(1)).toEqual(kept);
  });

  test('a model switch inside the kept part is not copied; the header has the last model', () => {
    const home = makeTempDir();
    const src = writeSession(home, {
      cwd: '/t',
      rows: [{ user: 'one' }, { modelSwitch: { model: 'gpt-5', provider: 'openai' } }, { assistant: 'two' }],
    });
    const r = branch({ source: src, at: 2 });
    expect(rowsOf(r.output).slice(1)).toEqual([rowsOf(src)[1], rowsOf(src)[3]]);
    expect(JSON.parse(headerOf(r.output)).meta).toMatchObject({ model: 'gpt-5', provider: 'openai' });
  });

  test('every sample session, at every fork point: the transcript is the source prefix', () => {
    const src = makeTempDir();
    const sample = buildSampleArchive(src, { bigRowBytes: 200_000 });
    const readable = [...sample.good, sample.named.damaged];
    let checked = 0;
    for (const s of readable) {
      const full = effectiveTranscript(s);
      for (let at = 0; at <= full.length; at++) {
        const r = branch({ source: s, at });
        expect(effectiveTranscript(r.output)).toEqual(full.slice(0, at));
        expect(r.transcriptLength).toBe(full.length);
        if (!readFileSync(s, 'utf8').includes('"type":"compaction"')) expect(rowsOf(r.output).slice(1)).toEqual(expectedRows(s, at));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('branch refuses', () => {
  test('a fork point past the end: E_BAD_FORK, nothing written', () => {
    const home = makeTempDir();
    const err = expectCode(() => branchSession({ source: FX.long, at: 5, home, durable: false }), 'E_BAD_FORK');
    expect(err.message).toContain(FX.long);
    expect(err.message).toContain('4');
    expect(snapshot(home)).toEqual([]);
  });

  test('a negative or fractional fork point: E_BAD_FORK, nothing written', () => {
    const home = makeTempDir();
    expectCode(() => branchSession({ source: FX.long, at: -1, home, durable: false }), 'E_BAD_FORK');
    expectCode(() => branchSession({ source: FX.long, at: 1.5, home, durable: false }), 'E_BAD_FORK');
    expect(snapshot(home)).toEqual([]);
  });

  test('the whole transcript is a valid fork point', () => {
    const r = branch({ source: FX.long, at: 4 });
    expect(effectiveTranscript(r.output)).toEqual(effectiveTranscript(FX.long));
    expect(basename(r.output)).toMatch(/^20270102-030405-[0-9a-f]{8}\.jsonl$/);
  });
});

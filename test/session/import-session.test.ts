import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { goTime } from '../../src/format/go-json.js';
import { projectKey, sessionsDir } from '../../src/format/project-key.js';
import { describeSession } from '../../src/session/describe-session.js';
import { exportSession } from '../../src/session/export-session.js';
import { importSession } from '../../src/session/import-session.js';
import { projectTree, type TreeNode } from '../../src/session/session-tree.js';
import { snapshot } from '../helpers/fs-snapshot.js';
import { ALL_FIXTURE_SESSIONS, API_CWD, API_DIR, bodyOf, FX, headerOf, IDS, WEB_DIR } from '../helpers/zot-fixtures.js';
import { buildSampleArchive, cleanupTempDirs, effectiveTranscript, makeTempDir, writeSession } from '../helpers/zot-archive.js';
import { expectCode } from '../helpers/expect-code.js';

afterAll(cleanupTempDirs);

function exported(source: string): string {
  return exportSession({ source, destination: makeTempDir('zotpack-bundle-'), durable: false }).output;
}

describe('import keeps the identity zot would drop', () => {
  test('id, started, title-bearing last meta, original file name; cwd from the recorded origin', () => {
    const home = makeTempDir();
    const r = importSession({ source: exported(FX.long), home, durable: false });
    expect(r.output).toBe(join(sessionsDir(home, API_CWD), '20261125-003305-e5aacad9.jsonl'));
    expect(r.id).toBe(IDS.long);
    expect(r.cwd).toBe(API_CWD);
    expect(headerOf(r.output)).toBe(
      `{"type":"meta","meta":{"id":"${IDS.long}","cwd":"${API_CWD}","model":"gpt-5","provider":"openai",` +
        `"started":"2026-11-25T00:33:05.746894346Z","version":"0.9.1"}}`,
    );
    // Every row zot reads, verbatim; only the second meta is folded into the header.
    expect(bodyOf(r.output).equals(bodyOf(FX.exportLong))).toBe(true);
    expect(r.dropped).toEqual({ invalid: 0, undecodable: 0, meta: 0 });
  });

  test('a recorded file name that is hidden (.x.jsonl, .jsonl) is not kept: the file gets a name zotpack lists', () => {
    for (const hidden of ['.hidden.jsonl', '.jsonl']) {
      const src = join(makeTempDir(), 'x.zotsession');
      writeFileSync(src, readFileSync(exported(FX.long), 'utf8').replace('"file":"20261125-003305-e5aacad9.jsonl"', `"file":"${hidden}"`));
      const r = importSession({ source: src, home: makeTempDir(), durable: false });
      expect(basename(r.output)).toBe('20261125-003305-d907c305.jsonl');
    }
  });

  test('an export from a stranger: a recorded name with a folder or escapes in it, an id with slashes; the file lands in its project folder under a plain name', () => {
    const src = join(makeTempDir(), 'x.zotsession');
    const text = readFileSync(exported(FX.long), 'utf8')
      .replace('"file":"20261125-003305-e5aacad9.jsonl"', '"file":"../a\\nb\\u001b[31m.jsonl"')
      .replaceAll(IDS.long, '/../../x');
    writeFileSync(src, text);
    const home = makeTempDir();
    const r = importSession({ source: src, home, durable: false });
    expect(r.output).toBe(join(sessionsDir(home, API_CWD), '20261125-003305-_______x.jsonl'));
    expect(r.id).toBe('/../../x');
  });

  test("the session's modification time goes through export and import (its last activity); a fresh id starts anew", () => {
    const src = join(makeTempDir(), basename(FX.long));
    writeFileSync(src, readFileSync(FX.long));
    const old = new Date('2026-01-05T10:00:00.250Z');
    utimesSync(src, old, old);
    const file = exported(src);
    expect(statSync(file).mtimeMs).toBe(old.getTime());
    expect(statSync(importSession({ source: file, home: makeTempDir(), durable: false }).output).mtimeMs).toBe(old.getTime());
    const fresh = importSession({ source: file, home: makeTempDir(), durable: false, freshId: true });
    expect(statSync(fresh.output).mtimeMs).not.toBe(old.getTime());
  });

  test('parent and fork_point are kept, so a branch lands back in its tree', () => {
    const home = makeTempDir();
    const r = importSession({ source: exported(FX.branch3), home, durable: false });
    expect(headerOf(r.output)).toBe(headerOf(FX.branch3));
    expect(basename(r.output)).toBe(basename(FX.branch3));
  });

  test('a title in the meta is kept', () => {
    const src = makeTempDir();
    const s = writeSession(src, { cwd: '/t', title: 'Keep <me> & my title', rows: [{ user: 'x' }] });
    const home = makeTempDir();
    const r = importSession({ source: exported(s), home, durable: false });
    expect(headerOf(r.output)).toBe(headerOf(s));
    expect(describeSession(r.output).summary.title).toBe('Keep <me> & my title');
  });

  test('--cwd wins over the recorded cwd', () => {
    const home = makeTempDir();
    const r = importSession({ source: exported(FX.webShort), home, cwd: '/somewhere/else', fallbackCwd: '/fallback', durable: false });
    expect(dirname(r.output)).toBe(join(home, 'sessions', projectKey('/somewhere/else')));
    expect(r.cwd).toBe('/somewhere/else');
    expect(headerOf(r.output)).toContain('"cwd":"/somewhere/else"');
  });

  test("zot's own export records no cwd: fallbackCwd is used and the name comes from started and id", () => {
    const home = makeTempDir();
    const r = importSession({ source: FX.exportLong, home, fallbackCwd: '/fallback', durable: false });
    expect(r.output).toBe(join(sessionsDir(home, '/fallback'), '20261125-003305-d907c305.jsonl'));
    expect(headerOf(r.output)).toBe(
      `{"type":"meta","meta":{"id":"${IDS.long}","cwd":"/fallback","model":"claude-sonnet-4-5","provider":"anthropic",` +
        `"started":"2026-11-25T00:33:05.746894346Z","version":"0.9.1"}}`,
    );
  });

  test('no cwd anywhere: E_USAGE, nothing written', () => {
    const home = makeTempDir();
    const err = expectCode(() => importSession({ source: FX.exportBranch, home, durable: false }), 'E_USAGE');
    expect(err.message).toContain(FX.exportBranch);
    expect(snapshot(home)).toEqual([]);
  });

  test('a live session file imports directly, keeping its name', () => {
    const home = makeTempDir();
    const r = importSession({ source: FX.branch1, home, durable: false });
    expect(r.output).toBe(join(home, 'sessions', 'ea93126eefee3546', basename(FX.branch1)));
    expect(readFileSync(r.output).equals(readFileSync(FX.branch1))).toBe(true);
  });
});

describe('import refuses duplicates', () => {
  test('importing the same file twice: E_DUPLICATE_ID, nothing written the second time', () => {
    const home = makeTempDir();
    const bundle = exported(FX.branch3);
    importSession({ source: bundle, home, durable: false });
    const before = snapshot(home);
    const err = expectCode(() => importSession({ source: bundle, home, durable: false }), 'E_DUPLICATE_ID');
    expect(err.message).toContain(bundle);
    expect(snapshot(home)).toEqual(before);
  });

  test('a session with the same id under another file name: E_DUPLICATE_ID', () => {
    const home = makeTempDir();
    importSession({ source: FX.long, home, durable: false });
    const before = snapshot(home);
    // zot's export of the same session names it by id, not e5aacad9: a different file, the same id.
    expectCode(() => importSession({ source: FX.exportLong, home, cwd: API_CWD, durable: false }), 'E_DUPLICATE_ID');
    expect(snapshot(home)).toEqual(before);
  });

  test('a different session already holding the file name: E_EXISTS', () => {
    const home = makeTempDir();
    const bundle = exported(FX.branch3);
    writeSession(home, { cwd: API_CWD, fileName: basename(FX.branch3), rows: [{ user: 'squatter' }] });
    const before = snapshot(home);
    const err = expectCode(() => importSession({ source: bundle, home, durable: false }), 'E_EXISTS');
    expect(err.message).toContain(join(home, 'sessions', 'ea93126eefee3546', basename(FX.branch3)));
    expect(snapshot(home)).toEqual(before);
  });

  test('freshId gives a new id and start time from the injected sources, and imports a second copy', () => {
    const home = makeTempDir();
    const bundle = exported(FX.branch3);
    const first = importSession({ source: bundle, home, durable: false });
    const now = new Date(Date.UTC(2027, 4, 6, 7, 8, 9, 321));
    const r = importSession({
      source: bundle,
      home,
      freshId: true,
      newId: () => 'abcdef12-3456-4789-8abc-def012345678',
      now: () => now,
      durable: false,
    });
    expect(r.id).toBe('abcdef12-3456-4789-8abc-def012345678');
    expect(r.output).toBe(join(dirname(first.output), '20270506-070809-abcdef12.jsonl'));
    expect(headerOf(r.output)).toBe(
      `{"type":"meta","meta":{"id":"abcdef12-3456-4789-8abc-def012345678","cwd":"${API_CWD}","model":"claude-sonnet-4-5",` +
        `"provider":"anthropic","started":"${goTime(now)}","version":"0.9.1","parent":"${IDS.long}","fork_point":3}}`,
    );
    expect(readdirSync(dirname(first.output)).sort()).toEqual([basename(first.output), '20270506-070809-abcdef12.jsonl']);
    expect(bodyOf(r.output).equals(bodyOf(first.output))).toBe(true);
  });

  test('a meta without an id gets a fresh one and a W_NO_ID warning', () => {
    const src = makeTempDir();
    const p = join(src, 'noid.jsonl');
    writeFileSync(
      p,
      '{"type":"meta","meta":{"cwd":"/n","model":"m","provider":"p","started":"2026-01-01T00:00:00Z","version":"1"}}\n' +
        '{"type":"message","message":{"role":"user","content":[{"text":"hi"}],"time":"2026-01-01T00:00:01Z"}}\n',
    );
    const home = makeTempDir();
    const r = importSession({ source: p, home, newId: () => '99999999-0000-4000-8000-000000000000', now: () => new Date(0), durable: false });
    expect(r.id).toBe('99999999-0000-4000-8000-000000000000');
    expect(r.warnings.map((w) => w.code)).toEqual(['W_NO_ID']);
    expect(JSON.parse(headerOf(r.output)).meta.id).toBe('99999999-0000-4000-8000-000000000000');
  });
});

/** What describe reports that an export → import must not change. */
function summaryOf(path: string) {
  const d = describeSession(path);
  return { id: d.id, parent: d.parent, forkPoint: d.forkPoint, hidden: d.hidden, cwd: d.cwd, ...d.summary };
}

function shape(nodes: TreeNode[]): unknown[] {
  return nodes.map((n) => ({ id: n.id, fork: n.forkPoint, orphan: n.orphan, children: shape(n.children) }));
}

describe('export → import round trip', () => {
  test('every fixture session: same effective transcript, same summary, same tree', () => {
    const home = makeTempDir();
    for (const src of ALL_FIXTURE_SESSIONS) {
      const r = importSession({ source: exported(src), home, durable: false });
      expect(basename(r.output)).toBe(basename(src));
      expect(effectiveTranscript(r.output)).toEqual(effectiveTranscript(src));
      expect(effectiveTranscript(r.output).length).toBeGreaterThan(0);
      expect(summaryOf(r.output)).toEqual(summaryOf(src));
    }
    for (const dir of [API_DIR, WEB_DIR]) {
      const copy = join(home, 'sessions', basename(dir));
      expect(shape(projectTree(copy).roots)).toEqual(shape(projectTree(dir).roots));
    }
  });

  test('every readable session of the sample archive: same effective transcript and summary', () => {
    const src = makeTempDir();
    const sample = buildSampleArchive(src, { bigRowBytes: 2_500_000 });
    const home = makeTempDir();
    const readable = [...sample.good, ...sample.bad.filter((b) => b.code.startsWith('W_')).map((b) => b.path)];
    expect(readable.length).toBeGreaterThanOrEqual(12);
    for (const s of readable) {
      const r = importSession({ source: exported(s), home, durable: false });
      expect(r.output).toBe(s.replace(src, home));
      expect(effectiveTranscript(r.output)).toEqual(effectiveTranscript(s));
      expect(summaryOf(r.output)).toEqual(summaryOf(s));
    }
    for (const p of sample.projects) {
      expect(shape(projectTree(join(home, 'sessions', p.key)).roots)).toEqual(shape(projectTree(join(src, 'sessions', p.key)).roots));
    }
  });
});

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sessionsDir } from '../../src/format/project-key.js';
import { linkTree, projectTree, type TreeNode } from '../../src/session/session-tree.js';
import type { SessionDescription } from '../../src/session/describe-session.js';
import { API_DIR, IDS, WEB_DIR } from '../helpers/zot-fixtures.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir, testId, writeSession } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

interface Shape {
  id: string;
  fork: number;
  flags?: string;
  children: Shape[];
}

/** The tree as ids, fork points, flags and children. */
function shape(nodes: readonly TreeNode[]): Shape[] {
  return nodes.map((n) => {
    const flags = [n.orphan && 'orphan', n.duplicate && 'duplicate', n.cycle && 'cycle'].filter(Boolean).join(',');
    return { id: n.id, fork: n.forkPoint, ...(flags ? { flags } : {}), children: shape(n.children) };
  });
}

describe("the tree of zot's fixture projects", () => {
  test('api: d907c305 with children d98930a4 (fork 3, child 31bcf161 at 2) and a8cf0992 (fork 1)', () => {
    const tree = projectTree(API_DIR);
    expect(shape(tree.roots)).toEqual([
      {
        id: IDS.long,
        fork: 0,
        children: [
          { id: IDS.branch3, fork: 3, children: [{ id: IDS.branch3at2, fork: 2, children: [] }] },
          { id: IDS.branch1, fork: 1, children: [] },
        ],
      },
    ]);
    expect(tree.sessions).toBe(4);
    expect(tree.warnings).toEqual([]);
    expect(tree.roots[0]!.summary.title).toBe('Fix failing npm test');
  });

  test('web: two roots in file-name order', () => {
    expect(shape(projectTree(WEB_DIR).roots)).toEqual([
      { id: IDS.webShort, fork: 0, children: [] },
      { id: IDS.webImage, fork: 0, children: [] },
    ]);
  });

  test('a folder that does not exist is an empty tree', () => {
    const t = projectTree(join(makeTempDir(), 'nope'));
    expect(t).toMatchObject({ roots: [], sessions: 0, warnings: [] });
  });
});

describe('tree linking', () => {
  test('children keep file-name order, not start-time or id order', () => {
    const home = makeTempDir();
    const rootId = testId('order-root');
    writeSession(home, { cwd: '/o', id: rootId, fileName: '20260101-000000-root0000.jsonl', rows: [{ user: 'r' }] });
    const late = 'aaaaaaaa-0000-4000-8000-000000000001';
    const early = 'ffffffff-0000-4000-8000-000000000002';
    // Written in the opposite order, with start times the other way round.
    writeSession(home, { cwd: '/o', id: early, parent: rootId, forkPoint: 1, started: '2026-01-01T00:00:00Z', fileName: '20260301-000000-zzzz.jsonl' });
    writeSession(home, { cwd: '/o', id: late, parent: rootId, forkPoint: 1, started: '2026-09-09T00:00:00Z', fileName: '20260201-000000-aaaa.jsonl' });
    const tree = projectTree(sessionsDir(home, '/o'));
    expect(tree.roots[0]!.children.map((c) => c.id)).toEqual([late, early]);
  });

  test('an orphan (parent absent) becomes a root flagged orphan, with a W_ORPHAN warning', () => {
    const home = makeTempDir();
    const p = writeSession(home, { cwd: '/o', parent: testId('gone'), forkPoint: 2, rows: [{ user: 'x' }] });
    const tree = projectTree(sessionsDir(home, '/o'));
    expect(tree.roots.map((n) => [n.path, n.orphan, n.cycle])).toEqual([[p, true, false]]);
    expect(tree.warnings.map((w) => [w.code, w.path])).toEqual([['W_ORPHAN', p]]);
  });

  test('duplicate ids: both files shown, the later one flagged, with W_DUPLICATE_ID', () => {
    const home = makeTempDir();
    const id = testId('dup');
    const a = writeSession(home, { cwd: '/o', id, fileName: '20260101-000000-a.jsonl', rows: [{ user: 'x' }] });
    const b = writeSession(home, { cwd: '/o', id, fileName: '20260101-000000-b.jsonl', rows: [{ user: 'y' }] });
    const tree = projectTree(sessionsDir(home, '/o'));
    expect(tree.roots.map((n) => [n.path, n.duplicate])).toEqual([
      [a, false],
      [b, true],
    ]);
    expect(tree.sessions).toBe(2);
    expect(tree.warnings.map((w) => [w.code, w.path])).toEqual([['W_DUPLICATE_ID', b]]);
  });

  test('a parent cycle becomes a root flagged cycle, the rest of the loop under it', () => {
    const home = makeTempDir();
    const a = testId('cycle-a');
    const b = testId('cycle-b');
    const c = testId('cycle-c');
    writeSession(home, { cwd: '/o', id: a, parent: c, forkPoint: 1, fileName: '1-a.jsonl' });
    writeSession(home, { cwd: '/o', id: b, parent: a, forkPoint: 1, fileName: '2-b.jsonl' });
    writeSession(home, { cwd: '/o', id: c, parent: b, forkPoint: 1, fileName: '3-c.jsonl' });
    const tree = projectTree(sessionsDir(home, '/o'));
    expect(shape(tree.roots)).toEqual([{ id: a, fork: 1, flags: 'cycle', children: [{ id: b, fork: 1, children: [{ id: c, fork: 1, children: [] }] }] }]);
    expect(tree.sessions).toBe(3);
    expect(tree.warnings.length).toBe(1);
  });

  test('a session that names itself as parent is a root flagged cycle', () => {
    const home = makeTempDir();
    const a = testId('self-parent');
    writeSession(home, { cwd: '/o', id: a, parent: a, forkPoint: 1 });
    const tree = projectTree(sessionsDir(home, '/o'));
    expect(shape(tree.roots)).toEqual([{ id: a, fork: 1, flags: 'cycle', children: [] }]);
    expect(tree.warnings.length).toBe(1);
  });

  test('files zot cannot place are left out with a warning naming them; other entries are ignored', () => {
    const home = makeTempDir();
    const dir = sessionsDir(home, '/o');
    const good = writeSession(home, { cwd: '/o', rows: [{ user: 'x' }] });
    const notMeta = join(dir, '0-notmeta.jsonl');
    writeFileSync(notMeta, '{"type":"message","message":{"role":"user","content":[{"text":"x"}]}}\n');
    const empty = join(dir, '0-empty.jsonl');
    writeFileSync(empty, '');
    const noId = join(dir, '0-noid.jsonl');
    writeFileSync(noId, '{"type":"meta","meta":{"cwd":"/o","model":"m","provider":"p","started":"2026-01-01T00:00:00Z","version":"1"}}\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a session');
    writeFileSync(join(dir, 'x.jsonl.bak'), 'not a session');
    mkdirSync(join(dir, 'folder.jsonl'));
    const tree = projectTree(dir);
    expect(tree.roots.map((n) => n.path)).toEqual([good]);
    expect(tree.sessions).toBe(1);
    expect(
      tree.warnings
        .map((w) => [w.code, w.path])
        .sort((x, y) => String(x[1]).localeCompare(String(y[1]))),
    ).toEqual([
      ['W_UNREADABLE', empty],
      ['W_NO_ID', noId],
      ['W_UNREADABLE', notMeta],
    ]);
  });

  test("a session whose line 1 is blank is shown, with a warning that zot's tree leaves it out", () => {
    // zot's readSessionMeta scans line 1 only: a blank one fails it, and BuildSessionTree skips the file; zot still resumes it.
    const home = makeTempDir();
    const dir = sessionsDir(home, '/o');
    const written = writeSession(home, { cwd: '/o', id: testId('blank-first'), rows: [{ user: 'x' }] });
    const blankFirst = join(dir, '0-blank-first.jsonl');
    writeFileSync(blankFirst, `\n${readFileSync(written, 'utf8')}`);
    rmSync(written);
    const tree = projectTree(dir);
    expect(tree.roots.map((n) => n.path)).toEqual([blankFirst]);
    expect(tree.warnings).toEqual([expect.objectContaining({ code: 'W_INVALID_ROW', path: blankFirst, message: expect.stringContaining('line 1 is blank') })]);
  });
});

describe('the tree of the sample archive', () => {
  test('branches several levels deep, an orphan, a hidden session, bad files left out', () => {
    const home = makeTempDir();
    const s = buildSampleArchive(home, { bigRowBytes: 10_000 });
    const ids = (p: string) => projectTree(join(home, 'sessions', s.projects.find((x) => p.includes(x.key))!.key));
    const api = ids(s.named.root);
    const idOf = (path: string) => {
      const all: TreeNode[] = [];
      const walk = (ns: TreeNode[]) => ns.forEach((n) => (all.push(n), walk(n.children)));
      for (const p of s.projects) walk(projectTree(join(home, 'sessions', p.key)).roots);
      return all.find((n) => n.path === path)!.id;
    };
    expect(shape(api.roots)).toEqual([
      {
        id: idOf(s.named.root),
        fork: 0,
        children: [
          {
            id: idOf(s.named.branch1),
            fork: 5,
            children: [{ id: idOf(s.named.branch2), fork: 6, children: [{ id: idOf(s.named.branch3), fork: 2, children: [] }] }],
          },
          { id: idOf(s.named.sibling), fork: 1, children: [] },
        ],
      },
      { id: idOf(s.named.switched), fork: 0, children: [] },
    ]);
    const badHere = (t: ReturnType<typeof projectTree>) => t.warnings.filter((w) => w.code === 'W_UNREADABLE').map((w) => w.path);
    expect(badHere(api).sort()).toEqual(s.bad.filter((b) => b.path.startsWith(api.dir) && b.code.startsWith('E_')).map((b) => b.path).sort());

    const web = ids(s.named.compacted);
    expect(web.roots.filter((n) => n.orphan).map((n) => n.path)).toEqual(s.orphans);
    expect(web.roots.find((n) => n.path === s.named.hidden)!.hidden).toBe(true);
    expect(badHere(web)).toEqual(s.bad.filter((b) => b.code === 'E_BOM').map((b) => b.path));
    // Every project lists its readable sessions and nothing else.
    for (const p of s.projects) {
      const t = projectTree(join(home, 'sessions', p.key));
      const refused = new Set(s.bad.filter((b) => b.code.startsWith('E_')).map((b) => b.path));
      expect(t.sessions).toBe(p.sessions.filter((x) => !refused.has(x)).length);
    }
  });
});

describe('linkTree over a big project', () => {
  test('links 200,000 branches of one session and as many orphans without running out of stack', () => {
    const described = (id: string, parent: string) =>
      ({ path: `/p/${id}.jsonl`, id, parent, forkPoint: 0, cwd: '/p', hidden: false, summary: {}, counts: {}, extraMetas: 0, warnings: [] }) as unknown as SessionDescription;
    const sessions = [described('root', '')];
    for (let i = 0; i < 200_000; i++) sessions.push(described(`c${i}`, 'root'), described(`o${i}`, `gone${i}`));
    const { roots, warnings } = linkTree(sessions);
    expect(roots).toHaveLength(200_001);
    expect(roots[0]!.children).toHaveLength(200_000);
    expect(warnings).toHaveLength(200_000);
  });
});

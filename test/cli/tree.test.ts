import { afterAll, describe, expect, test } from 'vitest';
import { projectKey } from '../../src/format/project-key.js';
import { FIXTURE_HOME, IDS } from '../helpers/zot-fixtures.js';
import { jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { buildSampleArchive, cleanupTempDirs, failedInBulk, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('zotpack tree', () => {
  const cwd = makeTempDir();

  test('draws every project of ZOT_HOME with its branches', () => {
    const r = zotpack(['tree'], { cwd, home: FIXTURE_HOME, env: { TZ: 'UTC' } });
    expect(r.status).toBe(0);
    const lines = linesOf(r.stdout);
    expect(lines[0]).toBe('/home/dev/src/api  (ea93126eefee3546, 4 sessions)');
    expect(lines[1]).toMatch(/^└─ Fix failing npm test · d907c305 · gpt-5 · 4 msgs · \$0\.0749 · 2026-11-25 00:33$/);
    expect(lines[2]).toMatch(/^   ├─ @3 .* · d98930a4 · /);
    expect(lines[3]).toMatch(/^   │  └─ @2 .* · 31bcf161 · /);
    expect(lines[4]).toMatch(/^   └─ @1 .* · a8cf0992 · /);
    expect(lines[5]).toBe('/home/dev/src/web  (9d9de448cb935a51, 2 sessions)');
  });

  test('--id: a branch whose parent the filter left out names it, and is no orphan', () => {
    const r = zotpack(['tree', '--id', IDS.branch3.slice(0, 8)], { cwd, home: FIXTURE_HOME, env: { TZ: 'UTC' } });
    expect(r.status).toBe(0);
    const lines = linesOf(r.stdout);
    expect(lines[1]).toMatch(new RegExp(`^└─ @3 .* · ${IDS.branch3.slice(0, 8)} · .* \\[branch of ${IDS.long.slice(0, 8)}\\]$`));
    expect(r.stdout).not.toContain('orphan');
    expect(r.stderr).not.toContain('W_ORPHAN');
  });

  test('--project that names no project of the sources: said (W_NO_SESSIONS), exit 0; one that does: no word', () => {
    const r = zotpack(['tree', '--project', '/home/dev/src/nope', '--project', '/home/dev/src/api'], { cwd, home: FIXTURE_HOME });
    expect(r.status).toBe(0);
    expect(linesOf(r.stdout)[0]).toBe('/home/dev/src/api  (ea93126eefee3546, 4 sessions)');
    expect(linesOf(r.stderr).filter((l) => l.startsWith('warning:'))).toEqual([
      `warning: --project /home/dev/src/nope: no project of the sources has its key (${projectKey('/home/dev/src/nope')}) [W_NO_SESSIONS]`,
    ]);
  });

  test('times are local, as TZ says (zot writes them in UTC); --json keeps them as written', () => {
    const at = (tz: string) => {
      const tree = linesOf(zotpack(['tree'], { cwd, home: FIXTURE_HOME, env: { TZ: tz } }).stdout)[1]!;
      const stats = linesOf(zotpack(['stats'], { cwd, home: FIXTURE_HOME, env: { TZ: tz } }).stdout)[1]!.split('\t');
      return [tree.slice(tree.lastIndexOf(' · ') + 3), stats[7]];
    };
    expect(at('UTC')).toEqual(['2026-11-25 00:33', '2026-11-25']);
    expect(at('Asia/Kolkata')).toEqual(['2026-11-25 06:03', '2026-11-25']);
    expect(at('America/Los_Angeles')).toEqual(['2026-11-24 16:33', '2026-11-24']);
    const j = jsonOf(zotpack(['tree', '--json'], { cwd, home: FIXTURE_HOME, env: { TZ: 'America/Los_Angeles' } }));
    expect(j.projects[0].roots[0].summary.started).toBe('2026-11-25T00:33:05.746894346Z');
    // A date in --since is the local day the text shows: in Los Angeles every fixture session started on the 24th.
    const sessions = (tz: string, since: string) => jsonOf(zotpack(['stats', '--json', '--since', since], { cwd, home: FIXTURE_HOME, env: { TZ: tz } })).total.sessions;
    expect([sessions('America/Los_Angeles', '2026-11-25'), sessions('America/Los_Angeles', '2026-11-24'), sessions('UTC', '2026-11-25')]).toEqual([0, 6, 6]);
  });

  test('--json: one document with the linked trees', () => {
    const r = zotpack(['tree', '--json', '--cwd', '/home/dev/src/api'], { cwd, home: FIXTURE_HOME });
    expect(r.status).toBe(0);
    const j = jsonOf(r);
    expect(j.projects).toHaveLength(1);
    const [root] = j.projects[0].roots;
    expect(root.id).toBe(IDS.long);
    expect(root.children.map((c: { id: string; forkPoint: number }) => [c.id, c.forkPoint])).toEqual([
      [IDS.branch3, 3],
      [IDS.branch1, 1],
    ]);
    expect(root.children[0].children.map((c: { id: string }) => c.id)).toEqual([IDS.branch3at2]);
  });

  test('files zot cannot read are reported on stderr, one line each with path and code; the trees still print', () => {
    const home = makeTempDir();
    const s = buildSampleArchive(home, { bigRowBytes: 10_000 });
    const r = zotpack(['tree'], { cwd, home });
    // A bulk run with files that failed exits 1, after printing everything it could read.
    expect(r.status).toBe(1);
    for (const b of failedInBulk(s)) {
      expect(linesOf(r.stderr).filter((l) => l.includes(b.path))).toEqual([expect.stringMatching(new RegExp(`^error: .*\\[${b.code}\\]$`))]);
    }
    // An empty file is passed over, as zot passes it over: a warning, no failure.
    const empty = s.bad.find((b) => b.code === 'E_EMPTY')!.path;
    expect(linesOf(r.stderr).filter((l) => l.includes(empty))).toEqual([expect.stringMatching(/^warning: .*: the file has no rows: passed over, as zot passes it over .*\[W_EMPTY\]$/)]);
    expect(linesOf(r.stdout).filter((l) => l.endsWith('[orphan]'))).toHaveLength(s.orphans.length);
    expect(linesOf(r.stdout).filter((l) => l.endsWith('[hidden]'))).toHaveLength(1);
    expect(linesOf(r.stdout).filter((l) => / \(\w{16}, \d+ sessions\)$/.test(l))).toHaveLength(s.projects.length);
    const j = zotpack(['tree', '--json'], { cwd, home });
    expect(j.status).toBe(1);
    const doc = jsonOf(j);
    expect(doc.projects.flatMap((p: { warnings: Array<{ path: string }> }) => p.warnings.map((w) => w.path))).toEqual(expect.arrayContaining(s.orphans));
    expect(doc.report.errors.map((e: { path: string; code: string }) => [e.path, e.code]).sort()).toEqual(
      failedInBulk(s).map((x) => [x.path, x.code]).sort(),
    );
  });
});

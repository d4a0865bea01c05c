import { copyFileSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveTrees, byCwd, type ArchiveProject } from '../../src/batch/archive-trees.js';
import { resolveBatchOptions, type Progress } from '../../src/batch/batch-options.js';
import { describeProjects } from '../../src/batch/describe-archive.js';
import { archiveStats } from '../../src/batch/archive-stats.js';
import { findInArchive } from '../../src/batch/find-in-archive.js';
import { exportArchive } from '../../src/batch/export-archive.js';
import { describeSession } from '../../src/session/describe-session.js';
import { exportSession } from '../../src/session/export-session.js';
import { projectTree, type TreeNode } from '../../src/session/session-tree.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir, testId, writeSession, type RowSpec } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

/** A tree as nested [path, flags, children] for comparison. */
function shape(nodes: readonly TreeNode[]): unknown[] {
  return nodes.map((n) => [n.path, n.orphan, n.duplicate, n.summary, shape(n.children)]);
}

describe('archive-wide trees, stats and find', () => {
  const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 2_000_000 });

  it('builds every project tree exactly as the single-project tree', async () => {
    const r = await archiveTrees({ sources: [sample.home], jobs: 2 });
    expect(r.projects.map((p) => p.key).sort()).toEqual(sample.projects.map((p) => p.key).sort());
    for (const p of r.projects) {
      const single = projectTree(join(sample.home, 'sessions', p.key));
      expect(shape(p.roots)).toEqual(shape(single.roots));
      expect(p.cwd).toBe(sample.projects.find((x) => x.key === p.key)!.cwd);
    }
    const api = r.projects.find((p) => p.key === sample.projects[0]!.key)!;
    const root = api.roots.find((n) => n.path === sample.named.root)!;
    expect(root.children.map((c) => c.path)).toEqual([sample.named.branch1, sample.named.sibling]);
    expect(root.children[0]!.children[0]!.children[0]!.path).toBe(sample.named.branch3);
    const web = r.projects.find((p) => p.key === sample.projects[1]!.key)!;
    expect(web.roots.find((n) => n.path === sample.named.orphan)!.orphan).toBe(true);
    expect(r.report.errors.map((e) => e.code).sort()).toEqual(['E_BOM', 'E_NOT_META']);
  });

  it('sums stats per project from the single-file summaries', async () => {
    const r = await archiveStats({ sources: [sample.home], jobs: 2 });
    for (const p of r.projects) {
      const files = sample.projects.find((x) => x.key === p.key)!.sessions;
      const described = files.flatMap((f) => {
        try {
          return [describeSession(f)];
        } catch {
          return [];
        }
      });
      expect(p.sessions).toBe(described.length);
      expect(p.messages).toBe(described.reduce((a, d) => a + d.summary.messages, 0));
      expect(p.cost).toBeCloseTo(described.reduce((a, d) => a + d.summary.cost, 0), 12);
      expect(p.largestRow).toBe(Math.max(...described.map((d) => d.counts.largestRow)));
    }
    expect(r.total.sessions).toBe(r.projects.reduce((a, p) => a + p.sessions, 0));
  });

  it('reads an export folder as it reads the home: the same trees and titles, stats of the same sessions, find naming the .zotsession', async () => {
    const out = makeTempDir();
    await exportArchive({ sources: [sample.home], out, jobs: 2 });
    const home = await archiveTrees({ sources: [sample.home], jobs: 2 });
    const backup = await archiveTrees({ sources: [out], jobs: 2 });
    // By id: an export's file is another file, its rows zot skips left out (so its byte and row counts differ).
    const ids = (nodes: readonly TreeNode[]): unknown[] =>
      nodes.map((n) => [n.id, n.forkPoint, n.orphan, n.summary.title, n.summary.model, n.summary.messages, ids(n.children)]);
    expect(backup.projects.map((p) => [p.key, p.cwd, ids(p.roots)])).toEqual(home.projects.map((p) => [p.key, p.cwd, ids(p.roots)]));
    expect(backup.report.errors).toEqual([]);
    const stats = await archiveStats({ sources: [out], jobs: 2 });
    expect(stats.total.sessions).toBe(sample.good.length + sample.bad.filter((b) => b.code.startsWith('W_')).length);
    const found = await findInArchive({ sources: [out], jobs: 2 }, describeSession(sample.named.branch3).id);
    expect(found.matches.map((m) => m.path)).toEqual([join(out, sample.projects[0]!.key, `${basename(sample.named.branch3, '.jsonl')}.zotsession`)]);
  });

  it('marks the exports a backup keeps for sessions deleted at their source; the home, the live exports and a link to the backup are not marked', async () => {
    const home = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const out = makeTempDir();
    await exportArchive({ sources: [home.home], out, jobs: 2 });
    rmSync(home.named.sibling);
    await exportArchive({ sources: [home.home], out, jobs: 2 });
    const marked = (r: { projects: readonly ArchiveProject[] }) => {
      const found: string[] = [];
      const walk = (nodes: readonly TreeNode[]) => nodes.forEach((n) => (n.sourceDeleted && found.push(n.path), walk(n.children)));
      r.projects.forEach((p) => walk(p.roots));
      return found;
    };
    const kept = join(out, sample.projects[0]!.key, `${basename(home.named.sibling, '.jsonl')}.zotsession`);
    expect(marked(await archiveTrees({ sources: [out], jobs: 2 }))).toEqual([kept]);
    expect(marked(await archiveTrees({ sources: [join(out, sample.projects[0]!.key)], jobs: 1 }))).toEqual([kept]);
    const link = join(makeTempDir(), 'link');
    symlinkSync(out, link);
    expect(marked(await archiveTrees({ sources: [link], jobs: 1 }))).toEqual([join(link, sample.projects[0]!.key, basename(kept))]);
    expect(marked(await archiveTrees({ sources: [home.home], jobs: 2 }))).toEqual([]);
  });

  it("in a zot home's project folder, an export written there is not a session (zot reads only .jsonl)", async () => {
    const home = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const before = await archiveTrees({ sources: [home.home], jobs: 2 });
    const exported = join(dirname(home.named.root), 'root.zotsession');
    exportSession({ source: home.named.root, destination: exported, asFile: true });
    const after = await archiveTrees({ sources: [home.home], jobs: 2 });
    expect(after.projects.map((p) => p.sessions)).toEqual(before.projects.map((p) => p.sessions));
    // Named as a source itself, it is read.
    const both = await archiveTrees({ sources: [home.home, exported], jobs: 2 });
    expect(both.projects.reduce((n, p) => n + p.sessions, 0)).toBe(before.projects.reduce((n, p) => n + p.sessions, 0) + 1);
  });

  it('with an id or time filter, a branch whose parent was left out is a root, not an orphan; one whose parent is gone still is', async () => {
    const branch2 = describeSession(sample.named.branch2);
    const orphan = describeSession(sample.named.orphan);
    expect(describeSession(sample.named.branch1).summary.started! < branch2.summary.started!).toBe(true);
    for (const filter of [{ idPrefix: branch2.id }, { since: new Date(branch2.summary.started!) }]) {
      const r = await archiveTrees({ sources: [sample.home], jobs: 2, filter: { ...filter } });
      const roots = r.projects.flatMap((p) => p.roots);
      const b2 = roots.find((n) => n.id === branch2.id)!;
      expect([b2.orphan, b2.parentFiltered]).toEqual([false, true]);
      expect(r.report.warnings.filter((w) => w.code === 'W_ORPHAN' && w.path === sample.named.branch2)).toEqual([]);
    }
    // A parent gone from the archive is gone, filter or not.
    const alone = await archiveTrees({ sources: [sample.home], jobs: 2, filter: { idPrefix: orphan.id } });
    const o = alone.projects.flatMap((p) => p.roots).find((n) => n.id === orphan.id)!;
    expect([o.orphan, o.parentFiltered]).toEqual([true, false]);
    // So is one in another project: zot's tree is a project's, and so is what a filter leaves out.
    const home = makeTempDir();
    const parentId = testId('cross-parent');
    const childId = testId('cross-child');
    writeSession(home, { cwd: '/a', id: parentId, rows: [{ user: 'parent' }] });
    writeSession(home, { cwd: '/b', id: childId, parent: parentId, forkPoint: 1, rows: [{ user: 'child' }] });
    for (const filter of [{}, { idPrefix: childId }]) {
      const r = await archiveTrees({ sources: [home], jobs: 2, filter }, undefined, { maxFiles: 1 });
      const c = r.projects.flatMap((p) => p.roots).find((n) => n.id === childId)!;
      expect([c.orphan, c.parentFiltered], JSON.stringify(filter)).toEqual([true, false]);
    }
  });

  it('with an id or time filter that selects nothing, says so (W_NO_SESSIONS)', async () => {
    const r = await archiveTrees({ sources: [sample.home], jobs: 2, filter: { idPrefix: 'ffffffff' } });
    expect(r.projects).toEqual([]);
    expect(r.report.warnings.filter((w) => w.code !== 'W_EMPTY')).toEqual([expect.objectContaining({ code: 'W_NO_SESSIONS', message: expect.stringContaining('matches --id ffffffff') })]);
    // An id in capitals is the same id.
    const id = describeSession(sample.named.branch2).id;
    const upper = await archiveTrees({ sources: [sample.home], jobs: 2, filter: { idPrefix: id.toUpperCase() } });
    expect(upper.projects.flatMap((p) => p.roots).map((n) => n.id)).toEqual([id]);
  });

  it('finds by prefix across projects', async () => {
    const id = describeSession(sample.named.renamed).id;
    const r = await findInArchive({ sources: [sample.home], jobs: 2 }, id.slice(0, 6));
    expect(r.matches.map((m) => m.path)).toEqual([sample.named.renamed]);
    const all = await findInArchive({ sources: [sample.home], jobs: 2 }, '');
    expect(all.matches.length).toBeGreaterThan(5);
  });
});

describe('an archive worked a few projects at a time', () => {
  const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 10_000 });
  // Sessions outside project folders: their project is known from their meta row only.
  const loose = makeTempDir();
  const moved = join(loose, basename(sample.named.sibling));
  copyFileSync(sample.named.sibling, moved);
  const own = join(loose, basename(sample.named.orphan));
  copyFileSync(sample.named.orphan, own);
  const sources = [sample.home, loose];
  /** Projects as comparable values, without the report. */
  const view = (projects: readonly ArchiveProject[]) => projects.map((p) => [p.key, p.cwd, p.sessions, shape(p.roots), p.warnings]);

  it('gives the same trees in slices of one project as in one slice, outside sessions in their projects', async () => {
    const whole = await archiveTrees({ sources, jobs: 2 });
    const streamed: ArchiveProject[] = [];
    const sliced = await archiveTrees({ sources, jobs: 2 }, (p) => streamed.push(p), { maxFiles: 1 });
    expect(sliced.projects).toEqual([]);
    // Handed on in key order, each project once.
    expect(streamed.map((p) => p.key)).toEqual([...new Set(streamed.map((p) => p.key))].sort());
    expect(view([...streamed].sort(byCwd))).toEqual(view(whole.projects));
    expect(sliced.report.succeeded).toBe(whole.report.succeeded);
    expect(sliced.report.errors.map((e) => e.path).sort()).toEqual(whole.report.errors.map((e) => e.path).sort());
    // The copy outside the project folder joined its project, beside its original (the same id twice).
    const api = streamed.find((p) => p.key === sample.projects[0]!.key)!;
    const paths = (nodes: readonly TreeNode[]): string[] => nodes.flatMap((n) => [n.path, ...paths(n.children)]);
    expect(paths(api.roots)).toContain(moved);
    expect(paths(api.roots)).toContain(sample.named.sibling);
    expect(api.warnings.some((w) => /also used by/.test(w.message))).toBe(true);
  });

  it("reports each slice's warnings in its sessions' order, whatever order its jobs finish in, with several slices at work at once", async () => {
    const home = makeTempDir();
    const written: string[] = [];
    for (const cwd of ['/w/a', '/w/b', '/w/c']) {
      for (let k = 0; k < 6; k++) {
        // A row zot skips (not JSON): one W_INVALID_ROW each, found by the worker that reads the file.
        // Each file a job of its own (over 1 MiB), the later ones bigger: they start first and finish last.
        const rows: RowSpec[] = [{ user: `prompt ${k}` }, { raw: '{"type":' }, { image: { bytes: 1_200_000 + k * 400_000 } }, { assistant: 'answer' }];
        written.push(writeSession(home, { cwd, rows }));
      }
    }
    // Sessions in path order within a project, projects in key order: the order a listing gives.
    const keyOf = (path: string) => basename(dirname(path));
    const expected = [...written].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : a < b ? -1 : 1));
    for (let run = 0; run < 3; run++) {
      // On two threads, biggest first: the jobs finish in about the reverse of the sessions' order.
      const r = await archiveTrees({ sources: [home], jobs: 2, inlineSmallRuns: false }, () => {}, { maxFiles: 6 });
      expect(r.report.warnings.filter((w) => w.code === 'W_INVALID_ROW').map((w) => w.path)).toEqual(expected);
    }
  });

  it('counts what it will do before it starts, and reports progress over every slice', async () => {
    const seen: Progress[] = [];
    const r = await archiveTrees({ sources, jobs: 2, onProgress: (p) => seen.push(p) }, () => {}, { maxFiles: 2 });
    const last = seen[seen.length - 1]!;
    // Every file is read: a session, a failure, or an empty file passed over.
    expect(seen[0]!.filesTotal).toBe(r.report.succeeded + r.report.failed + r.report.warnings.filter((w) => w.code === 'W_EMPTY').length);
    expect(last.filesDone).toBe(last.filesTotal);
    expect(seen.every((p, i) => i === 0 || p.filesDone >= seen[i - 1]!.filesDone)).toBe(true);
  });

  it('finds the same sessions in slices of one project as in one slice, outside sessions included', async () => {
    const id = describeSession(sample.named.sibling).id;
    for (const prefix of [id, id.slice(0, 4), '']) {
      const whole = await findInArchive({ sources, jobs: 2 }, prefix);
      const sliced = await findInArchive({ sources, jobs: 2 }, prefix, { maxFiles: 1 });
      expect(sliced.matches).toEqual(whole.matches);
      expect([sliced.report.files, sliced.report.succeeded, sliced.report.failed]).toEqual([whole.report.files, whole.report.succeeded, whole.report.failed]);
    }
    // The copy outside the project folder and its original: one id, two files.
    const both = await findInArchive({ sources, jobs: 2 }, id, { maxFiles: 1 });
    expect(both.matches.map((m) => m.path).sort()).toEqual([moved, sample.named.sibling].sort());
    // Only the project part of a filter applies, and to outside sessions by their cwd.
    const api = await findInArchive({ sources, jobs: 2, filter: { projects: [sample.projects[0]!.cwd] } }, '', { maxFiles: 1 });
    expect(api.matches.length).toBeGreaterThan(0);
    expect(new Set(api.matches.map((m) => m.cwd))).toEqual(new Set([sample.projects[0]!.cwd]));
    expect(api.matches.map((m) => m.path)).toContain(moved);
  });

  it('stats in slices add up to the same figures', async () => {
    const whole = await archiveStats({ sources, jobs: 2 });
    const resolved = resolveBatchOptions({ sources, jobs: 2 });
    const keys: string[] = [];
    await describeProjects(resolved, 'stats', (key) => keys.push(key), { maxFiles: 1 });
    expect(keys).toEqual(whole.projects.map((p) => p.key).sort());
  });
});

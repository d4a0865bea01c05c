import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveTrees } from '../../src/batch/archive-trees.js';
import { archiveStats } from '../../src/batch/archive-stats.js';
import { findInArchive } from '../../src/batch/find-in-archive.js';
import { describeSession } from '../../src/session/describe-session.js';
import { projectTree, type TreeNode } from '../../src/session/session-tree.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

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
    expect(r.report.errors.map((e) => e.code).sort()).toEqual(['E_BOM', 'E_EMPTY', 'E_NOT_META']);
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

  it('finds by prefix across projects', async () => {
    const id = describeSession(sample.named.renamed).id;
    const r = await findInArchive({ sources: [sample.home], jobs: 2 }, id.slice(0, 6));
    expect(r.matches.map((m) => m.path)).toEqual([sample.named.renamed]);
    const all = await findInArchive({ sources: [sample.home], jobs: 2 }, '');
    expect(all.matches.length).toBeGreaterThan(5);
  });
});

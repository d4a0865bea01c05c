import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveTrees } from '../../src/batch/archive-trees.js';
import { exportArchive } from '../../src/batch/export-archive.js';
import { importArchive } from '../../src/batch/import-archive.js';
import { describeSession } from '../../src/session/describe-session.js';
import type { TreeNode } from '../../src/session/session-tree.js';
import { buildSampleArchive, cleanupTempDirs, effectiveTranscript, makeTempDir, type SampleArchive } from '../helpers/zot-archive.js';
import { snapshot } from '../helpers/fs-snapshot.js';

afterAll(cleanupTempDirs);

/** A tree by id, with each session's summary: what must survive a move. */
function shape(nodes: readonly TreeNode[]): unknown[] {
  return nodes.map((n) => [n.id, n.forkPoint, n.orphan, n.summary, shape(n.children)]);
}

describe('importArchive', () => {
  let sample: SampleArchive;
  let out: string;
  let home: string;

  beforeAll(async () => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_000_000 });
    out = makeTempDir();
    await exportArchive({ sources: [sample.home], out, jobs: 2 });
    home = makeTempDir();
  });

  it('imports an export folder back into a home with the same trees and transcripts', async () => {
    const r = await importArchive({ sources: [out], home, jobs: 2 });
    expect(r.report.failed).toBe(0);
    const before = await archiveTrees({ sources: [sample.home], jobs: 2 });
    const after = await archiveTrees({ sources: [home], jobs: 2 });
    expect(after.projects.map((p) => [p.cwd, p.key])).toEqual(before.projects.map((p) => [p.cwd, p.key]));
    for (const [i, p] of after.projects.entries()) expect(shape(p.roots)).toEqual(shape(before.projects[i]!.roots));
    for (const imported of r.imported) {
      const source = sample.good.find((g) => describeSession(g).id === imported.id);
      if (source === undefined) continue; // the damaged session: its dropped rows are not in the export
      expect(effectiveTranscript(imported.output)).toEqual(effectiveTranscript(source));
    }
  });

  it('adds nothing on a second run', async () => {
    const before = snapshot(join(home, 'sessions'));
    const r = await importArchive({ sources: [out], home, jobs: 2 });
    expect(snapshot(join(home, 'sessions'))).toEqual(before);
    expect(r.imported).toEqual([]);
    expect(r.present.length).toBe(r.report.files);
  });

  it('imports everything into one project with cwd', async () => {
    const one = makeTempDir();
    const r = await importArchive({ sources: [out], home: one, cwd: '/new/place', jobs: 2 });
    expect(new Set(r.imported.map((i) => i.cwd))).toEqual(new Set(['/new/place']));
    const trees = await archiveTrees({ sources: [one], jobs: 2 });
    expect(trees.projects.map((p) => p.cwd)).toEqual(['/new/place']);
  });
});

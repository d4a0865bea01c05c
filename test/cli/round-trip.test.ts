/**
 * export → import → tree through the real binary: a whole zot home moved
 * file by file keeps its branch trees and every session's summary.
 */
import { basename, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ALL_FIXTURE_SESSIONS, FIXTURE_HOME } from '../helpers/zot-fixtures.js';
import { jsonOf, zotpack } from '../helpers/run-cli.js';
import { buildSampleArchive, cleanupTempDirs, effectiveTranscript, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

interface Node {
  id: string;
  path: string;
  parent: string;
  forkPoint: number;
  cwd: string;
  hidden: boolean;
  orphan: boolean;
  duplicate: boolean;
  cycle: boolean;
  summary: unknown;
  children: Node[];
}

/** A project's trees as the fields a move must keep (not paths or byte counts). */
function kept(nodes: Node[]): unknown[] {
  return nodes.map((n) => ({
    file: basename(n.path),
    id: n.id,
    parent: n.parent,
    forkPoint: n.forkPoint,
    cwd: n.cwd,
    hidden: n.hidden,
    flags: [n.orphan, n.duplicate, n.cycle],
    summary: n.summary,
    children: kept(n.children),
  }));
}

function trees(home: string): unknown[] {
  const r = zotpack(['tree', '--json'], { cwd: makeTempDir(), home });
  const projects = jsonOf(r).projects as Array<{ cwd: string; key: string; sessions: number; roots: Node[] }>;
  return projects.map((p) => ({ cwd: p.cwd, key: p.key, sessions: p.sessions, roots: kept(p.roots) }));
}

function move(sessions: string[], from: string, to: string): void {
  const cwd = makeTempDir();
  for (const s of sessions) {
    const e = zotpack(['export', '--json', s, 'bundle/'], { cwd });
    expect(e.status, e.stderr).toBe(0);
    const bundle = jsonOf(e).output as string;
    const i = zotpack(['import', bundle], { cwd, home: to });
    expect(i.status, i.stderr).toBe(0);
    expect(i.stdout.trim()).toBe(s.replace(from, to));
    expect(effectiveTranscript(i.stdout.trim())).toEqual(effectiveTranscript(s));
  }
}

describe('export → import → tree through the CLI', () => {
  test("zot's fixture home", () => {
    const to = makeTempDir();
    move(ALL_FIXTURE_SESSIONS, FIXTURE_HOME, to);
    const before = trees(FIXTURE_HOME);
    expect(before).toHaveLength(2);
    expect(trees(to)).toEqual(before);
  });

  test('the sample archive (its readable sessions)', () => {
    const from = makeTempDir();
    const s = buildSampleArchive(from, { bigRowBytes: 50_000 });
    const to = makeTempDir();
    move([...s.good, s.named.damaged], from, to);
    const after = trees(to);
    expect(after).toHaveLength(3);
    expect(after).toEqual(trees(from));
  });
});

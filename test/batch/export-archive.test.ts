import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportArchive } from '../../src/batch/export-archive.js';
import { JOURNAL_NAME, MANIFEST_NAME, readManifest, writeManifest } from '../../src/batch/export-manifest.js';
import { exportSession } from '../../src/session/export-session.js';
import { buildSampleArchive, cleanupTempDirs, failedInBulk, makeTempDir, testId, writeSession, type SampleArchive } from '../helpers/zot-archive.js';
import { listTree, snapshot, tempFiles } from '../helpers/fs-snapshot.js';

afterAll(cleanupTempDirs);

describe('exportArchive', () => {
  let sample: SampleArchive;
  let out: string;
  let first: Awaited<ReturnType<typeof exportArchive>>;
  // Files with no export, tried again on every run: those that fail, and the empty one, passed over.
  const notExported = () => sample.bad.filter((b) => b.code.startsWith('E_')).map((b) => b.path).sort();

  beforeAll(async () => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 3_000_000 });
    out = join(makeTempDir(), 'export');
    first = await exportArchive({ sources: [sample.home], out, jobs: 2 });
  });

  it('exports every readable session and fails each bad file alone', () => {
    const refused = failedInBulk(sample);
    expect(first.report.failed).toBe(refused.length);
    expect(first.report.errors.map((e) => [basename(e.path!), e.code]).sort()).toEqual(
      refused.map((b) => [basename(b.path), b.code]).sort(),
    );
    const readable = sample.good.length + sample.bad.filter((b) => b.code.startsWith('W_')).length;
    expect(first.report.succeeded).toBe(readable);
    expect(first.report.rowsDropped?.invalid).toBe(2); // the damaged session's middle row and cut-off last row
    expect(tempFiles(out)).toEqual([]);
  });

  it('writes each export exactly as the single-file export does', () => {
    const single = makeTempDir();
    const manifest = readManifest(out)!;
    expect(manifest.sessions).toHaveLength(first.report.succeeded);
    for (const entry of manifest.sessions) {
      const dst = join(single, entry.key, basename(entry.output));
      exportSession({ source: entry.source, destination: dst });
      expect(readFileSync(join(out, entry.output)).equals(readFileSync(dst))).toBe(true);
    }
  });

  it('records each session in the manifest', () => {
    const manifest = readManifest(out)!;
    const root = manifest.sessions.find((e) => e.source === sample.named.root)!;
    expect(root.output).toBe(`${sample.projects[0]!.key}/${basename(sample.named.root, '.jsonl')}.zotsession`);
    expect(root.cwd).toBe(sample.projects[0]!.cwd);
    expect(root.size).toBe(statSync(sample.named.root).size);
    expect(root.bytes).toBe(statSync(join(out, root.output)).size);
    expect(root.sha256).toMatch(/^[0-9a-f]{64}$/);
    const branch = manifest.sessions.find((e) => e.source === sample.named.branch1)!;
    expect(branch.parent).toBe(root.id);
    expect(branch.forkPoint).toBe(5);
    const switched = manifest.sessions.find((e) => e.source === sample.named.switched)!;
    expect(switched.model).toBe('gpt-5');
    const renamed = manifest.sessions.find((e) => e.source === sample.named.renamed)!;
    expect(renamed.title).toBe('Renamed <by> user & co');
  });

  it('writes nothing on a second run over an unchanged archive', async () => {
    const before = snapshot(out);
    const again = await exportArchive({ sources: [sample.home], out, jobs: 2 });
    expect(snapshot(out)).toEqual(before);
    expect(again.report.skipped).toBe(first.report.succeeded);
    expect(again.report.succeeded).toBe(0);
    // Only the files with no export are tried again (and fail, or are passed over, again, writing nothing).
    const retried = again.plan.filter((p) => p.status !== 'unchanged').map((p) => p.source);
    expect(retried.sort()).toEqual(notExported());
  });

  it('exports a grown session again and reports a deleted one', async () => {
    appendFileSync(
      sample.named.plain,
      '{"type":"message","message":{"role":"user","content":[{"text":"one more"}],"time":"2026-02-01T00:00:00Z"}}\n',
    );
    rmSync(sample.named.sibling);
    const r = await exportArchive({ sources: [sample.home], out, jobs: 2 });
    const redone = r.plan.filter((p) => p.status !== 'unchanged').map((p) => p.source);
    expect(redone.filter((p) => !notExported().includes(p))).toEqual([sample.named.plain]);
    expect(r.deleted).toEqual([sample.named.sibling]);
    const manifest = readManifest(out)!;
    const plain = manifest.sessions.find((e) => e.source === sample.named.plain)!;
    expect(readFileSync(join(out, plain.output), 'utf8')).toContain('one more');
    const sibling = manifest.sessions.find((e) => e.source === sample.named.sibling)!;
    expect(sibling.sourceDeleted).toBe(true);
    expect(statSync(join(out, sibling.output)).isFile()).toBe(true);
    // Reported by the run that found it gone, not by every run after (filtered or not).
    expect((await exportArchive({ sources: [sample.home], out, jobs: 2 })).deleted).toEqual([]);
    expect((await exportArchive({ sources: [sample.home], out, jobs: 2, filter: { projects: [sample.projects[0]!.key] } })).deleted).toEqual([]);
    expect(readManifest(out)!.sessions.find((e) => e.source === sample.named.sibling)!.sourceDeleted).toBe(true);
  });

  it('fails a session whose export path has become a folder (E_IS_DIR), writing nothing into it, and keeps its entry', async () => {
    const manifest = readManifest(out)!;
    const entry = manifest.sessions.find((e) => e.source === sample.named.root)!;
    const path = join(out, entry.output);
    rmSync(path);
    mkdirSync(path);
    appendFileSync(sample.named.root, '{"title":"again","type":"rename"}\n');
    const r = await exportArchive({ sources: [sample.home], out, jobs: 2 });
    expect(r.report.errors.filter((e) => e.path === path)).toEqual([expect.objectContaining({ code: 'E_IS_DIR' })]);
    expect(listTree(path)).toEqual([]);
    expect(readManifest(out)!.sessions.find((e) => e.source === sample.named.root)).toEqual(entry);
    rmSync(path, { recursive: true });
    await exportArchive({ sources: [sample.home], out, jobs: 2 });
    expect(readFileSync(path, 'utf8')).toContain('"again"');
  });

  it('plans without writing on a dry run', async () => {
    const fresh = join(makeTempDir(), 'dry');
    const r = await exportArchive({ sources: [sample.home], out: fresh, jobs: 2, dryRun: true });
    expect(listTree(fresh)).toEqual([]);
    expect(r.plan.length).toBeGreaterThan(0);
    expect(r.plan.every((p) => p.status === 'new')).toBe(true);
  });

  it('exports only the selected project and time range', async () => {
    const dst = join(makeTempDir(), 'filtered');
    const web = sample.projects[1]!;
    const r = await exportArchive({ sources: [sample.home], out: dst, jobs: 2, filter: { projects: [web.cwd] } });
    const m = readManifest(dst)!;
    expect(m.sessions.every((e) => e.key === web.key)).toBe(true);
    expect(r.report.succeeded).toBe(m.sessions.length);
    const none = await exportArchive({
      sources: [sample.home],
      out: join(makeTempDir(), 'none'),
      jobs: 2,
      filter: { since: new Date('2030-01-01T00:00:00Z') },
    });
    expect(none.report.succeeded).toBe(0);
  });
});

describe('exportArchive with two homes', () => {
  it('refuses a second session whose export path is taken, and keeps the first', async () => {
    const a = makeTempDir();
    const b = makeTempDir();
    const spec = { cwd: '/same/project', fileName: '20260101-000000-samename.jsonl', rows: [{ user: 'from A' }] };
    const pa = writeSession(a, { ...spec, id: testId('home-a') });
    const pb = writeSession(b, { ...spec, id: testId('home-b'), rows: [{ user: 'from B' }] });
    const out = makeTempDir();
    const r = await exportArchive({ sources: [a, b], out, jobs: 2 });
    expect(r.report.succeeded).toBe(1);
    const [first, second] = [pa, pb].sort(); // sessions are taken in path order
    expect(r.report.errors.map((e) => [e.code, e.path])).toEqual([['E_EXISTS', second]]);
    // It says what to do, not only what is wrong.
    expect(r.report.errors[0]!.message).toContain(`belongs to another session (${first}): export this one into a folder of its own`);
    const m = readManifest(out)!;
    expect(m.sessions.map((e) => e.source)).toEqual([first]);
    expect(readFileSync(join(out, m.sessions[0]!.output), 'utf8')).toContain(first === pa ? 'from A' : 'from B');
  });
});

describe('exportArchive durability modes', () => {
  it('writes the same exports with one sync per batch (default) and without fsync', async () => {
    const home = makeTempDir();
    buildSampleArchive(home, { bigRowBytes: 200_000 });
    const synced = makeTempDir();
    const unsynced = makeTempDir();
    await exportArchive({ sources: [home], out: synced, jobs: 2 });
    await exportArchive({ sources: [home], out: unsynced, jobs: 2, durable: false });
    const a = readManifest(synced)!.sessions;
    const b = readManifest(unsynced)!.sessions;
    expect(a.length).toBeGreaterThan(5);
    expect(a.map((e) => [e.output, e.sha256])).toEqual(b.map((e) => [e.output, e.sha256]));
    expect(tempFiles(synced)).toEqual([]);
    expect(tempFiles(unsynced)).toEqual([]);
  });
});

describe('exportArchive and leftovers', () => {
  it('removes temp files a killed run left in the export folder', async () => {
    const home = makeTempDir();
    writeSession(home, { cwd: '/left/over', rows: [{ user: 'x' }] });
    const out = makeTempDir();
    await exportArchive({ sources: [home], out, jobs: 1 });
    const key = readManifest(out)!.sessions[0]!.key;
    writeFileSync(join(out, key, '.20260101-000000-dead.zotsession.abc.zotpack-tmp'), 'half a row');
    await exportArchive({ sources: [home], out, jobs: 1 });
    expect(tempFiles(out)).toEqual([]);
  });
});

describe('exportArchive a few projects at a time', () => {
  const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 10_000 });
  // A session outside any project folder joins its project's range.
  const loose = makeTempDir();
  copyFileSync(sample.named.orphan, join(loose, 'outside.jsonl'));
  const sources = [sample.home, loose];
  /** The manifest without the time it was written. */
  const manifestOf = (out: string) => {
    const { updated: _updated, ...m } = readManifest(out)!;
    return m;
  };
  const filesOf = (out: string) => listTree(out).filter((p) => !p.endsWith(MANIFEST_NAME) && statSync(join(out, p)).isFile()).map((p) => [p, readFileSync(join(out, p)).toString('base64')]);

  it('writes the same exports and manifest in slices of one project as in one slice', async () => {
    const whole = makeTempDir();
    const sliced = makeTempDir();
    const a = await exportArchive({ sources, out: whole, jobs: 2 });
    const b = await exportArchive({ sources, out: sliced, jobs: 2 }, { maxFiles: 1 });
    expect(manifestOf(sliced)).toEqual(manifestOf(whole));
    expect(filesOf(sliced)).toEqual(filesOf(whole));
    expect(b.planned).toEqual(a.planned);
    expect(b.report.succeeded).toBe(a.report.succeeded);
    const outside = readManifest(sliced)!.sessions.find((e) => e.source === join(loose, 'outside.jsonl'))!;
    expect(outside.key).toBe(sample.projects[1]!.key);
    // Sorted by output: what lets the next run read it a range at a time.
    const outputs = readManifest(sliced)!.sessions.map((e) => e.output);
    expect(outputs).toEqual([...outputs].sort());
    // And the next run, in slices too, finds everything unchanged and writes nothing.
    const before = snapshot(sliced);
    const again = await exportArchive({ sources, out: sliced, jobs: 2 }, { maxFiles: 1 });
    expect(again.planned.unchanged).toBe(a.report.succeeded);
    expect(snapshot(sliced)).toEqual(before);
  });

  it('keeps the entries of projects a filtered run does not touch, in their place', async () => {
    const out = makeTempDir();
    await exportArchive({ sources, out, jobs: 2 });
    const all = manifestOf(out);
    const web = sample.projects[1]!;
    appendFileSync(sample.named.orphan, '{"type":"message","message":{"role":"user","content":[{"text":"later"}],"time":"2026-02-01T00:00:00Z"}}\n');
    const r = await exportArchive({ sources, out, jobs: 2, filter: { projects: [web.key] } }, { maxFiles: 1 });
    expect(r.planned.changed).toBe(1);
    const after = manifestOf(out);
    expect(after.sessions.map((e) => e.source)).toEqual(all.sessions.map((e) => e.source));
    const changed = after.sessions.filter((e, i) => JSON.stringify(e) !== JSON.stringify(all.sessions[i]));
    expect(changed.map((e) => e.source)).toEqual([sample.named.orphan]);
  });

  it('keeps the entries of a project gone from the archive, marked, in their place', async () => {
    const home = makeTempDir();
    const copy = buildSampleArchive(home, { bigRowBytes: 1_000 });
    const out = makeTempDir();
    await exportArchive({ sources: [home], out, jobs: 2 }, { maxFiles: 1 });
    const before = manifestOf(out);
    const gone = [...copy.projects].sort((x, y) => (x.key < y.key ? -1 : 1))[0]!;
    rmSync(join(home, 'sessions', gone.key), { recursive: true });
    const r = await exportArchive({ sources: [home], out, jobs: 2 }, { maxFiles: 1 });
    const goneSources = before.sessions.filter((e) => e.key === gone.key).map((e) => e.source);
    expect(goneSources.length).toBeGreaterThan(0);
    expect(r.deleted.sort()).toEqual([...goneSources].sort());
    const after = manifestOf(out);
    expect(after.sessions.map((e) => e.source)).toEqual(before.sessions.map((e) => e.source));
    expect(after.sessions.filter((e) => e.sourceDeleted).map((e) => e.source).sort()).toEqual([...goneSources].sort());
  });

  it('takes what a killed run journaled instead of exporting it again', async () => {
    const out = makeTempDir();
    const done = await exportArchive({ sources, out, jobs: 2 });
    const finished = readManifest(out)!;
    // As a run killed before writing its manifest leaves things: exports and
    // their journal lines, the last one cut short by the kill.
    rmSync(join(out, MANIFEST_NAME));
    const lines = finished.sessions.map((e) => JSON.stringify(e));
    writeFileSync(join(out, JOURNAL_NAME), `${lines.join('\n')}\n${lines[0]!.slice(0, 40)}`);
    const r = await exportArchive({ sources, out, jobs: 2 }, { maxFiles: 1 });
    expect(r.planned.unchanged).toBe(done.report.succeeded);
    expect(r.report.succeeded).toBe(0);
    const { updated: _u, ...expected } = finished;
    expect(manifestOf(out)).toEqual(expected);
    // The manifest holds it all now: the journal is gone.
    expect(existsSync(join(out, JOURNAL_NAME))).toBe(false);
  });
});

describe('exportArchive, a project folder renamed in the home', () => {
  it('its sessions take over their exports (same project, same file names) instead of failing with E_EXISTS on every run', async () => {
    const home = makeTempDir();
    const a = writeSession(home, { cwd: '/web', rows: [{ user: 'a' }] });
    writeSession(home, { cwd: '/web', rows: [{ user: 'b' }] });
    const out = join(makeTempDir(), 'export');
    await exportArchive({ sources: [home], out, jobs: 1 });
    const before = readManifest(out)!.sessions;
    const renamed = join(home, 'sessions', 'web-archive');
    renameSync(dirname(a), renamed);
    const moved = await exportArchive({ sources: [home], out, jobs: 1 });
    expect(moved.report.errors).toEqual([]);
    expect(moved.deleted).toEqual([]);
    const after = readManifest(out)!.sessions;
    expect(after.map((e) => [e.output, e.sha256, e.source])).toEqual(before.map((e) => [e.output, e.sha256, join(renamed, basename(e.source))]));
    // And it grows on there.
    appendFileSync(join(renamed, basename(a)), '{"type":"message","message":{"role":"user","content":[{"text":"more"}],"time":"2026-02-01T00:00:00Z"}}\n');
    const grown = await exportArchive({ sources: [home], out, jobs: 1 });
    expect([grown.report.errors, grown.report.succeeded]).toEqual([[], 1]);
  });
});

describe('exportArchive, a session that shrank since its export', () => {
  it('keeps the export and fails the session (E_CHANGED, naming both), dry or not, every run, until the export is removed', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const out = join(makeTempDir(), 'export');
    await exportArchive({ sources: [sample.home], out, jobs: 2 });
    const entry = readManifest(out)!.sessions.find((e) => e.source === sample.named.root)!;
    const exported = readFileSync(join(out, entry.output));
    // Cut to its first two rows: what a damaged disk, or an editor, leaves.
    const rows = readFileSync(sample.named.root, 'utf8').split('\n');
    writeFileSync(sample.named.root, `${rows.slice(0, 2).join('\n')}\n`);
    for (const dryRun of [true, false, false]) {
      const r = await exportArchive({ sources: [sample.home], out, jobs: 2, dryRun });
      const failed = r.report.errors.filter((e) => e.path === sample.named.root);
      expect(failed).toEqual([expect.objectContaining({ code: 'E_CHANGED' })]);
      expect(failed[0]!.message).toContain(`shrank from ${entry.size} to `);
      expect(failed[0]!.message).toContain(entry.output);
      expect(r.plan.map((p) => p.source)).not.toContain(sample.named.root);
      expect(readFileSync(join(out, entry.output)).equals(exported)).toBe(true);
      expect(readManifest(out)!.sessions.find((e) => e.source === sample.named.root)).toEqual(entry);
    }
    // The user's way to take the session as it is now (after moving the export aside).
    rmSync(join(out, entry.output));
    const r = await exportArchive({ sources: [sample.home], out, jobs: 2 });
    expect(r.report.errors.filter((e) => e.path === sample.named.root)).toEqual([]);
    expect(readManifest(out)!.sessions.find((e) => e.source === sample.named.root)!.size).toBe(statSync(sample.named.root).size);
  });

  it('one cut short and written on past its exported size, or put back from an older copy that grew: kept, E_CHANGED; one that only grew or was touched is exported', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const out = join(makeTempDir(), 'export');
    const older = readFileSync(sample.named.branch1, 'utf8').split('\n').slice(0, 2).join('\n') + '\n';
    await exportArchive({ sources: [sample.home], out, jobs: 2 });
    const entryOf = (source: string) => readManifest(out)!.sessions.find((e) => e.source === source)!;
    const cutEntry = entryOf(sample.named.root);
    const olderEntry = entryOf(sample.named.branch1);
    expect(cutEntry.sourceTail).toMatch(/^[0-9a-f]{64}$/);
    const kept = [readFileSync(join(out, cutEntry.output)), readFileSync(join(out, olderEntry.output))];
    // A crash cut the last rows, then zot wrote on past the old size; an older copy put back, then written on.
    const rows = readFileSync(sample.named.root, 'utf8').split('\n');
    const newRow = (n: number) => `{"type":"message","message":{"role":"user","content":[{"text":"${'z'.repeat(n)}"}],"time":"2026-11-27T10:00:00Z"}}\n`;
    writeFileSync(sample.named.root, `${rows.slice(0, -3).join('\n')}\n${newRow(cutEntry.size)}`);
    writeFileSync(sample.named.branch1, older + newRow(olderEntry.size));
    // One only grown, one only touched.
    appendFileSync(sample.named.sibling, newRow(10));
    utimesSync(sample.named.plain, new Date(), new Date(Date.now() + 60_000));
    for (const dryRun of [true, false, false]) {
      const r = await exportArchive({ sources: [sample.home], out, jobs: 2, dryRun });
      const changed = r.report.errors.filter((e) => e.code === 'E_CHANGED');
      expect(changed.map((e) => e.path).sort()).toEqual([sample.named.root, sample.named.branch1].sort());
      expect(changed[0]!.message).toMatch(/bytes are no longer those its last export read .* is kept, and may hold rows the session lost; move that file aside/);
      expect([readFileSync(join(out, cutEntry.output)), readFileSync(join(out, olderEntry.output))]).toEqual(kept);
      if (!dryRun) expect([entryOf(sample.named.root), entryOf(sample.named.branch1)]).toEqual([cutEntry, olderEntry]);
    }
    expect(entryOf(sample.named.sibling).size).toBe(statSync(sample.named.sibling).size);
    expect(entryOf(sample.named.plain).mtimeMs).toBe(statSync(sample.named.plain).mtimeMs);
    // Moved aside, the session is exported as it is now.
    renameSync(join(out, cutEntry.output), join(makeTempDir(), 'kept.zotsession'));
    const r = await exportArchive({ sources: [sample.home], out, jobs: 2 });
    expect(r.report.errors.filter((e) => e.path === sample.named.root)).toEqual([]);
    expect(entryOf(sample.named.root).size).toBe(statSync(sample.named.root).size);
  });

  it('a manifest of an earlier zotpack (no sourceTail): a grown session is exported as before', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const out = join(makeTempDir(), 'export');
    await exportArchive({ sources: [sample.home], out, jobs: 2 });
    const manifest = readManifest(out)!;
    writeManifest(out, { ...manifest, sessions: manifest.sessions.map(({ sourceTail: _t, ...e }) => e) }, false);
    const rows = readFileSync(sample.named.root, 'utf8').split('\n');
    writeFileSync(sample.named.root, `${rows.slice(0, -3).join('\n')}\n${'{"type":"x"}\n'.repeat(400)}`);
    const r = await exportArchive({ sources: [sample.home], out, jobs: 2 });
    expect(r.report.errors.filter((e) => e.path === sample.named.root)).toEqual([]);
  });

  it('a session deleted, its export kept, then back smaller: the kept export is kept too (E_CHANGED)', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const out = join(makeTempDir(), 'export');
    await exportArchive({ sources: [sample.home], out, jobs: 2 });
    const whole = readFileSync(sample.named.root);
    rmSync(sample.named.root);
    await exportArchive({ sources: [sample.home], out, jobs: 2 });
    const entry = readManifest(out)!.sessions.find((e) => e.source === sample.named.root)!;
    expect(entry.sourceDeleted).toBe(true);
    const kept = readFileSync(join(out, entry.output));
    writeFileSync(sample.named.root, whole.subarray(0, whole.indexOf('\n', whole.indexOf('\n') + 1) + 1));
    const r = await exportArchive({ sources: [sample.home], out, jobs: 2 });
    expect(r.report.errors.filter((e) => e.path === sample.named.root).map((e) => e.code)).toEqual(['E_CHANGED']);
    expect(readFileSync(join(out, entry.output)).equals(kept)).toBe(true);
  });
});

import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { JOURNAL_NAME, MANIFEST_NAME, readManifest } from '../../src/batch/export-manifest.js';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveTrees } from '../../src/batch/archive-trees.js';
import { exportArchive } from '../../src/batch/export-archive.js';
import { EARLIER_IN_RUN, importArchive, type ImportedSession } from '../../src/batch/import-archive.js';
import { describeSession } from '../../src/session/describe-session.js';
import type { TreeNode } from '../../src/session/session-tree.js';
import { buildSampleArchive, cleanupTempDirs, effectiveTranscript, makeTempDir, testId, writeSession, type SampleArchive } from '../helpers/zot-archive.js';
import { projectKey } from '../../src/format/project-key.js';
import { listTree, snapshot, tempFiles } from '../helpers/fs-snapshot.js';

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

  it('a folder with no .zotsession files (a zot home, say) imports nothing and says so: W_NO_SESSIONS naming it', async () => {
    const src = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 }).home;
    const r = await importArchive({ sources: [src], home: join(makeTempDir(), 'h'), jobs: 2, durable: false });
    expect(r.imported).toEqual([]);
    expect(r.report.warnings.map((w) => [w.code, w.path])).toEqual([['W_NO_SESSIONS', src]]);
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

  it('says which sessions an export holds more rows of than the home has (W_GROWN), and still leaves them as they are', async () => {
    const a = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_000 });
    const ex = makeTempDir();
    await exportArchive({ sources: [a.home], out: ex, jobs: 2 });
    const b = makeTempDir();
    await importArchive({ sources: [ex], home: b, jobs: 2, durable: false });
    const grownCodes = (r: { report: { warnings: Array<{ code: string; path?: string }> } }) =>
      r.report.warnings.filter((w) => w.code === 'W_GROWN').map((w) => basename(w.path!, '.zotsession'));
    // Unchanged: nothing to say.
    expect(grownCodes(await importArchive({ sources: [ex], home: b, jobs: 2, durable: false }))).toEqual([]);
    // Grown at the source after the home got it, and exported again.
    const [grown, local] = a.good;
    appendFileSync(grown!, '{"title":"grown at the source","type":"rename"}\n');
    await exportArchive({ sources: [a.home], out: ex, jobs: 2 });
    // Grown in the home instead (zot went on there): the home holds more, nothing is missing from it.
    const localCopy = join(b, 'sessions', basename(dirname(local!)), basename(local!));
    appendFileSync(localCopy, '{"title":"grown here","type":"rename"}\n');
    const before = snapshot(join(b, 'sessions'));
    const r = await importArchive({ sources: [ex], home: b, jobs: 2, durable: false });
    expect(grownCodes(r)).toEqual([basename(grown!, '.jsonl')]);
    expect(r.imported).toEqual([]);
    expect(snapshot(join(b, 'sessions'))).toEqual(before);
    // The dry run says it too; the home the export came from (rows zot skips, meta rows: never fewer) does not.
    expect(grownCodes(await importArchive({ sources: [ex], home: b, jobs: 2, dryRun: true }))).toEqual([basename(grown!, '.jsonl')]);
    expect(grownCodes(await importArchive({ sources: [ex], home: a.home, jobs: 2, durable: false }))).toEqual([]);
  });

  it('imports everything into one project with cwd', async () => {
    const one = makeTempDir();
    const r = await importArchive({ sources: [out], home: one, cwd: '/new/place', jobs: 2 });
    expect(new Set(r.imported.map((i) => i.cwd))).toEqual(new Set(['/new/place']));
    const trees = await archiveTrees({ sources: [one], jobs: 2 });
    expect(trees.projects.map((p) => p.cwd)).toEqual(['/new/place']);
  });

  it('moves recorded project folders with mapCwd: the same trees under the new folders, a re-run adds nothing and warns of no rule', async () => {
    const moved = makeTempDir();
    const mapCwd = ['/home/dev/src=/Users/ann/code', '/home/dev/src/web & <docs>=/opt/web', '/nowhere=/x'];
    const r = await importArchive({ sources: [out], home: moved, mapCwd, jobs: 2 });
    expect(r.report.failed).toBe(0);
    // The longest OLD wins; a project no rule matches keeps its folder; a rule that moved nothing is named.
    const to = new Map([
      ['/home/dev/src/api', '/Users/ann/code/api'],
      ['/home/dev/src/web & <docs>', '/opt/web'],
      ['/srv/ünïcode/päth', '/srv/ünïcode/päth'],
    ]);
    expect(r.report.warnings.filter((w) => w.code === 'W_UNUSED_MAP').map((w) => [w.message, w.path])).toEqual([
      ['--map-cwd /nowhere=/x: no session to import has its project folder under /nowhere', out],
    ]);
    const before = await archiveTrees({ sources: [sample.home], jobs: 2 });
    const after = await archiveTrees({ sources: [moved], jobs: 2 });
    expect(after.projects.map((p) => p.cwd).sort()).toEqual(before.projects.map((p) => to.get(p.cwd)).sort());
    for (const p of before.projects) {
      const there = after.projects.find((q) => q.cwd === to.get(p.cwd))!;
      expect(shape(there.roots)).toEqual(shape(p.roots));
    }
    // Each file's header names the new folder, in zot's escaping (the folder holding it is that folder's key).
    for (const i of r.imported) {
      expect(describeSession(i.output).cwd).toBe(i.cwd);
      expect(i.cwd).toBe(to.get(describeSession(i.source).cwd));
    }
    // Again: every session present, and the rules that moved them count as used.
    const again = await importArchive({ sources: [out], home: moved, mapCwd: mapCwd.slice(0, 2), jobs: 2 });
    expect([again.imported.length, again.present.length]).toEqual([0, r.imported.length]);
    expect(again.report.warnings).toEqual([]);
    // A dry run plans the same folders.
    const dry = await importArchive({ sources: [out], home: makeTempDir(), mapCwd, jobs: 2, dryRun: true });
    expect(dry.planned.map((p) => [p.source, p.cwd])).toEqual(r.imported.map((i) => [i.source, i.cwd]));
  });

  it("checks each file of an export folder against its manifest: one changed since is refused (E_HASH_MISMATCH), the rest imported", async () => {
    const copy = join(makeTempDir(), 'backup');
    cpSync(out, copy, { recursive: true });
    const entries = readManifest(copy)!.sessions;
    const victim = join(copy, entries[1]!.output);
    const bytes = readFileSync(victim);
    // One letter of the last text changes case: still a valid session, but not the one exported.
    const at = bytes.lastIndexOf('"text":"') + '"text":"'.length;
    expect(String.fromCharCode(bytes[at]!)).toMatch(/[A-Za-z]/);
    bytes[at] ^= 0x20;
    writeFileSync(victim, bytes);
    for (const sources of [[copy], [join(copy, entries[1]!.key)]]) {
      const target = makeTempDir();
      const r = await importArchive({ sources, home: target, jobs: 2 }, { maxFiles: 2 });
      expect(r.report.errors).toEqual([expect.objectContaining({ code: 'E_HASH_MISMATCH', path: victim })]);
      expect(r.report.errors[0]!.message).toContain(`the export manifest says ${entries[1]!.bytes} bytes, ${entries[1]!.sha256}`);
      expect(r.imported.map((i) => i.source)).not.toContain(victim);
      expect(r.imported.length).toBe(entries.filter((e) => sources[0] === copy || e.key === entries[1]!.key).length - 1);
      expect(tempFiles(target)).toEqual([]);
    }
    // A manifest zotpack cannot read: a warning, and every file imported unchecked.
    writeFileSync(join(copy, MANIFEST_NAME), '{ broken');
    const r = await importArchive({ sources: [copy], home: makeTempDir(), jobs: 2 });
    expect(r.report.errors).toEqual([]);
    expect(r.report.warnings).toEqual([expect.objectContaining({ code: 'W_UNREADABLE', path: join(copy, MANIFEST_NAME) })]);
    expect(r.imported).toHaveLength(entries.length);
  });

  it('reports each file the export manifest lists that is gone (E_NOT_FOUND), for what the sources take in whole; not with a time or id filter', async () => {
    const copy = join(makeTempDir(), 'backup');
    cpSync(out, copy, { recursive: true });
    const entries = readManifest(copy)!.sessions;
    const gone = entries[0]!;
    rmSync(join(copy, gone.output));
    // A whole project folder gone too.
    const lastKey = entries.at(-1)!.key;
    const goneProject = entries.filter((e) => e.key === lastKey && e.key !== gone.key);
    rmSync(join(copy, lastKey), { recursive: true });
    const missingOf = (r: Awaited<ReturnType<typeof importArchive>>) => r.report.errors.filter((e) => e.code === 'E_NOT_FOUND').map((e) => e.path).sort();
    const whole = await importArchive({ sources: [copy], home: makeTempDir(), jobs: 2 }, { maxFiles: 2 });
    expect(missingOf(whole)).toEqual([gone, ...goneProject].map((e) => join(copy, e.output)).sort());
    expect(whole.imported).toHaveLength(entries.length - 1 - goneProject.length);
    expect(whole.report.files).toBe(entries.length);
    // A dry run says so too.
    const dry = await importArchive({ sources: [copy], home: makeTempDir(), jobs: 2, dryRun: true }, { maxFiles: 2 });
    expect(missingOf(dry)).toEqual(missingOf(whole));
    // Its project folder given: only that project's; another project's folder: none.
    expect(missingOf(await importArchive({ sources: [join(copy, gone.key)], home: makeTempDir(), jobs: 2 }))).toEqual([join(copy, gone.output)]);
    const other = entries.find((e) => e.key !== gone.key && e.key !== lastKey)!;
    expect(missingOf(await importArchive({ sources: [join(copy, other.key)], home: makeTempDir(), jobs: 2 }))).toEqual([]);
    // Files given one by one: the others of their folder are not missing.
    expect(missingOf(await importArchive({ sources: [join(copy, other.output)], home: makeTempDir(), jobs: 2 }))).toEqual([]);
    // A project filter: the others' are not asked for; an id filter: none can be told from one left out.
    expect(missingOf(await importArchive({ sources: [copy], home: makeTempDir(), jobs: 2, filter: { projects: [other.key] } }))).toEqual([]);
    expect(missingOf(await importArchive({ sources: [copy], home: makeTempDir(), jobs: 2, filter: { idPrefix: other.id } }))).toEqual([]);
  });

  it("a session that moved to another project: its live export is imported, the kept one of its old place is present, whatever the path order", async () => {
    for (const [from, to] of [['/a', '/z'], ['/z', '/a']]) {
      const home = makeTempDir();
      const old = writeSession(home, { cwd: from, id: testId(`moved-${from}`), rows: [{ user: 'first' }] });
      const backup = makeTempDir();
      await exportArchive({ sources: [home], out: backup, jobs: 2 });
      // Moved (its folder is another project's now) and grown.
      const moved = join(home, 'sessions', projectKey(to), basename(old));
      mkdirSync(dirname(moved), { recursive: true });
      writeFileSync(moved, readFileSync(old));
      rmSync(old);
      appendFileSync(moved, '{"type":"message","message":{"role":"user","content":[{"text":"later"}],"time":"2026-03-01T00:00:00Z"}}\n');
      await exportArchive({ sources: [home], out: backup, jobs: 2 });
      const entries = readManifest(backup)!.sessions;
      const live = entries.find((e) => !e.sourceDeleted)!;
      const kept = entries.find((e) => e.sourceDeleted)!;
      expect(kept.id).toBe(live.id);
      for (const dryRun of [true, false]) {
        const r = await importArchive({ sources: [backup], home: makeTempDir(), jobs: 2, dryRun });
        const chosen = dryRun ? r.planned.map((p) => p.source) : r.imported.map((i) => i.source);
        expect(chosen, `${from} -> ${to}`).toEqual([join(backup, live.output)]);
        expect(r.present.map((p) => [p.source, p.path])).toEqual([[join(backup, kept.output), EARLIER_IN_RUN]]);
      }
    }
  });

  it('one export folder reached two ways (a link to it given too) is one folder: nothing missing, each session once', async () => {
    const link = join(makeTempDir(), 'link');
    symlinkSync(out, link);
    const entries = readManifest(out)!.sessions;
    const firstKey = entries[0]!.key;
    // A project folder that is itself a link (kept elsewhere), given alone: still checked against the manifest.
    const parted = join(makeTempDir(), 'parted');
    cpSync(out, parted, { recursive: true });
    const elsewhere = join(makeTempDir(), firstKey);
    renameSync(join(parted, firstKey), elsewhere);
    symlinkSync(elsewhere, join(parted, firstKey));
    const changed = entries.find((e) => e.key === firstKey)!;
    appendFileSync(join(parted, changed.output), '{}\n');
    const p = await importArchive({ sources: [join(parted, firstKey)], home: makeTempDir(), jobs: 2 });
    expect(p.report.errors.map((e) => [e.code, e.path])).toEqual([['E_HASH_MISMATCH', join(parted, changed.output)]]);
    for (const sources of [[out, link], [link, out], [join(out, firstKey), link]]) {
      const r = await importArchive({ sources, home: makeTempDir(), jobs: 2 });
      expect(r.report.errors.filter((e) => e.code === 'E_NOT_FOUND' || e.code === 'E_HASH_MISMATCH'), sources.join(' ')).toEqual([]);
      expect(r.imported.length + r.present.length, sources.join(' ')).toBe(entries.length);
    }
  });

  it('a --project that names no project: that warning only, not that the folder holds no .zotsession files', async () => {
    const r = await importArchive({ sources: [out], home: makeTempDir(), jobs: 2, filter: { projects: ['/no/such/project'] } });
    expect(r.report.warnings.map((w) => w.code)).toEqual(['W_NO_SESSIONS']);
    expect(r.report.warnings[0]!.message).toContain('--project /no/such/project');
  });

  it("takes a killed export's journal over its manifest: a session exported again after the manifest imports, checked against its later hash", async () => {
    const src = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const backup = makeTempDir();
    await exportArchive({ sources: [src.home], out: backup, jobs: 2 });
    appendFileSync(src.named.plain, '{"type":"message","message":{"role":"user","content":[{"text":"later"}],"time":"2026-03-01T00:00:00Z"}}\n');
    const later = makeTempDir();
    await exportArchive({ sources: [src.home], out: later, jobs: 2 });
    const entry = readManifest(later)!.sessions.find((e) => e.source === src.named.plain)!;
    // As a run killed after publishing it leaves the backup: the new file, its journal line, the old manifest.
    copyFileSync(join(later, entry.output), join(backup, entry.output));
    writeFileSync(join(backup, JOURNAL_NAME), `${JSON.stringify(entry)}\n`);
    const r = await importArchive({ sources: [backup], home: makeTempDir(), jobs: 2 });
    expect(r.report.errors.filter((e) => e.code === 'E_HASH_MISMATCH')).toEqual([]);
    expect(r.imported.map((i) => i.source)).toContain(join(backup, entry.output));
  });

  it('refuses rules of which none moves a session (a typo in OLD), before anything is written; a dry run warns', async () => {
    const target = makeTempDir();
    const mapCwd = ['/home/dev/sources=/x', '/nowhere=/y'];
    await expect(importArchive({ sources: [out], home: target, mapCwd, jobs: 2 }, { maxFiles: 1 })).rejects.toMatchObject({ code: 'E_USAGE', path: out });
    expect(listTree(target)).toEqual([]);
    const dry = await importArchive({ sources: [out], home: target, mapCwd, jobs: 2, dryRun: true });
    expect(dry.report.warnings.filter((w) => w.code === 'W_UNUSED_MAP')).toHaveLength(2);
  });

  it('refuses cwd beside mapCwd, and a malformed rule, before anything is read (E_USAGE)', async () => {
    const target = makeTempDir();
    await expect(importArchive({ sources: [out], home: target, cwd: '/one', mapCwd: ['/a=/b'], jobs: 2 })).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(importArchive({ sources: [out], home: target, mapCwd: ['/a'], jobs: 2 })).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(readdirSync(target)).toEqual([]);
  });

  it('works a project at a time as it works the whole archive, and hands sessions on as they are imported', async () => {
    const whole = makeTempDir();
    const sliced = makeTempDir();
    const a = await importArchive({ sources: [out], home: whole, jobs: 2 });
    const handed: ImportedSession[] = [];
    const b = await importArchive({ sources: [out], home: sliced, jobs: 2, onImported: (s) => handed.push(s) }, { maxFiles: 1 });
    // Handed on, not also kept.
    expect(b.imported).toEqual([]);
    const rel = (list: ImportedSession[], home: string) => list.map((i) => ({ ...i, output: relative(home, i.output) }));
    expect(rel(handed, sliced)).toEqual(rel(a.imported, whole));
    // The same files, byte for byte (mtimes are the time of writing).
    const contents = (dir: string) => listTree(dir).map((p) => (p.endsWith('/') ? p : `${p} ${readFileSync(join(dir, p)).toString('base64')}`));
    expect(contents(join(sliced, 'sessions'))).toEqual(contents(join(whole, 'sessions')));
    expect(b.report.succeeded).toBe(a.report.succeeded);
    expect(b.report.files).toBe(a.report.files);
    // Again, in slices of one project: the home's ids are found whatever slice they were read in.
    const again = await importArchive({ sources: [out], home: sliced, jobs: 2 }, { maxFiles: 1 });
    expect(again.imported).toEqual([]);
    expect(again.present.map((p) => p.id).sort()).toEqual(a.imported.map((i) => i.id).sort());
    for (const p of again.present) expect(existsSync(p.path) && p.path.startsWith(join(sliced, 'sessions'))).toBe(true);
  });

  it('imports one of two files with the same id and names the other as present, in one slice or several', async () => {
    const twice = makeTempDir();
    const first = readdirSync(out, { withFileTypes: true }).find((d) => d.isDirectory())!;
    const file = readdirSync(join(out, first.name)).find((f) => f.endsWith('.zotsession'))!;
    // Two project folders (keys), so that slices of one project put the copies in two slices.
    const [a, b] = ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'];
    for (const key of [a, b]) {
      mkdirSync(join(twice, key), { recursive: true });
      copyFileSync(join(out, first.name, file), join(twice, key, file));
    }
    for (const limits of [{}, { maxFiles: 1 }]) {
      const r = await importArchive({ sources: [twice], home: makeTempDir(), jobs: 2 }, limits);
      expect(r.imported.map((i) => i.source)).toEqual([join(twice, a, file)]);
      expect(r.present).toEqual([{ source: join(twice, b, file), id: r.imported[0]!.id, path: EARLIER_IN_RUN }]);
      expect([r.report.succeeded, r.report.skipped, r.report.files]).toEqual([1, 1, 2]);
    }
  });

  it('in a dry run, plans what it would import and writes nothing', async () => {
    const empty = makeTempDir();
    const dry = await importArchive({ sources: [out], home: empty, jobs: 2, dryRun: true });
    expect(readdirSync(empty)).toEqual([]);
    expect(dry.imported).toEqual([]);
    const real = await importArchive({ sources: [out], home: empty, jobs: 2 });
    // A real run lists what it imported, not what it planned too.
    expect(real.planned).toEqual([]);
    expect(dry.planned.map((p) => [p.source, p.id, p.cwd])).toEqual(real.imported.map((i) => [i.source, i.id, i.cwd]));
    // Against a full home, nothing is planned and everything is present.
    const none = await importArchive({ sources: [out], home: empty, jobs: 2, dryRun: true });
    expect([none.planned.length, none.present.length]).toEqual([0, real.imported.length]);
  });

  it('an export emptied since it was made (a failed copy, a crash) fails its import: an empty export is damage, never W_EMPTY', async () => {
    const copy = join(makeTempDir(), 'x');
    cpSync(out, copy, { recursive: true });
    const victim = join(copy, readManifest(copy)!.sessions[0]!.output);
    writeFileSync(victim, '');
    const r = await importArchive({ sources: [copy], home: makeTempDir(), jobs: 2 });
    expect(r.report.errors.filter((e) => e.path === victim).map((e) => e.code)).toHaveLength(1);
    expect(r.report.warnings.filter((w) => w.code === 'W_EMPTY')).toEqual([]);
  });

  it('stops at Ctrl-C after the project being imported, leaves no temp file, and a second run adds only the rest', async () => {
    const target = makeTempDir();
    const controller = new AbortController();
    const first = await importArchive(
      { sources: [out], home: target, jobs: 2, signal: controller.signal, onImported: () => controller.abort() },
      { maxFiles: 1 },
    );
    expect(first.report.interrupted).toBe(true);
    const done = listTree(join(target, 'sessions')).filter((p) => p.endsWith('.jsonl'));
    expect(done.length).toBeGreaterThan(0);
    expect(listTree(target).filter((p) => p.includes('.zotpack-tmp'))).toEqual([]);
    const all = await importArchive({ sources: [out], home: makeTempDir(), jobs: 2 });
    expect(done.length).toBeLessThan(all.imported.length);
    const rest = await importArchive({ sources: [out], home: target, jobs: 2 });
    expect(rest.present).toHaveLength(done.length);
    expect(rest.imported.length + done.length).toBe(all.imported.length);
  });

  it('with freshId, imports copies under new ids even when the sessions are there', async () => {
    const target = makeTempDir();
    const once = await importArchive({ sources: [out], home: target, jobs: 2 });
    const again = await importArchive({ sources: [out], home: target, jobs: 2, freshId: true });
    expect(again.present).toEqual([]);
    expect(again.imported).toHaveLength(once.imported.length);
    const ids = new Set(once.imported.map((i) => i.id));
    expect(again.imported.some((i) => ids.has(i.id))).toBe(false);
    expect(listTree(join(target, 'sessions')).filter((p) => p.endsWith('.jsonl'))).toHaveLength(2 * once.imported.length);
  });
});

describe('importArchive durability modes', () => {
  it('imports the same files with one sync per batch (default) and without fsync, and leaves no temp file', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 200_000 });
    const out = makeTempDir();
    await exportArchive({ sources: [sample.home], out, jobs: 2, durable: false });
    const synced = makeTempDir();
    const unsynced = makeTempDir();
    const a = await importArchive({ sources: [out], home: synced, jobs: 2 });
    const b = await importArchive({ sources: [out], home: unsynced, jobs: 2, durable: false });
    expect(a.report.failed).toBe(0);
    expect(a.imported.length).toBeGreaterThan(5);
    const files = (home: string) => listTree(join(home, 'sessions')).map((p) => [p, p.endsWith('/') ? '' : readFileSync(join(home, 'sessions', p), 'utf8')]);
    expect(files(synced)).toEqual(files(unsynced));
    expect(a.imported.map((s) => relative(synced, s.output))).toEqual(b.imported.map((s) => relative(unsynced, s.output)));
    expect(tempFiles(synced)).toEqual([]);
  });
});

describe('importArchive, two sessions with one file name', () => {
  // Two exports of different sessions that record the same origin file name, in one folder,
  // imported into one project: the first is imported, the second fails with E_EXISTS about the
  // file it would have made, and nothing is overwritten. A durable run meets the clash when it
  // publishes the batch holding both; a run without fsync, when the second is checked.
  for (const durable of [true, false]) {
    it(`reports the second as E_EXISTS and keeps the first (${durable ? 'durable' : 'no fsync'})`, async () => {
      const src = makeTempDir();
      const a = writeSession(src, { cwd: '/same/name', rows: [{ user: 'the first' }] });
      const out = makeTempDir();
      await exportArchive({ sources: [a], out, jobs: 1, durable: false });
      const folder = join(out, readdirSync(out).find((n) => !n.includes('.'))!);
      const firstPath = join(folder, readdirSync(folder)[0]!);
      const text = readFileSync(firstPath, 'utf8');
      const id = describeSession(firstPath).id;
      const other = join(folder, 'other.zotsession');
      writeFileSync(other, text.replaceAll(id, testId('other')).replace('the first', 'the second'));
      const home = makeTempDir();
      const r = await importArchive({ sources: [out], home, cwd: '/one/project', jobs: 1, durable });
      // Which one wins is the order of the jobs (bigger files first); one must.
      expect(r.report.succeeded).toBe(1);
      const [winner] = r.imported;
      const loser = winner!.source === other ? firstPath : other;
      expect(r.report.errors.map((e) => [e.code, e.path])).toEqual([['E_EXISTS', winner!.output]]);
      if (durable) expect(r.report.errors[0]!.message).toContain(`made from ${loser}`);
      expect(effectiveTranscript(winner!.output)).toEqual(effectiveTranscript(winner!.source));
      expect(effectiveTranscript(winner!.output)).not.toEqual(effectiveTranscript(loser));
      expect(tempFiles(home)).toEqual([]);
    });
  }
});

import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_EXPORTS } from '../helpers/zot-fixtures.js';
import { exportArchive } from '../../src/batch/export-archive.js';
import { JOURNAL_NAME, readManifest, writeManifest } from '../../src/batch/export-manifest.js';
import { packArchive } from '../../src/batch/pack-archive.js';
import { verifyArchive } from '../../src/batch/verify-archive.js';
import { branchSession } from '../../src/session/branch-session.js';
import { findInArchive } from '../../src/batch/find-in-archive.js';
import { projectKey } from '../../src/format/project-key.js';
import { buildSampleArchive, cleanupTempDirs, failedInBulk, makeTempDir, renderSession, testId, writeSession, writeSlowSessions, type SampleArchive } from '../helpers/zot-archive.js';
import { manifestEntry, manifestText, tarEntries, writeTar } from '../helpers/tar-builder.js';

afterAll(cleanupTempDirs);

describe('verifyArchive', () => {
  let sample: SampleArchive;
  let bundle: string;
  let plain: string;

  beforeAll(async () => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_000_000 });
    bundle = join(makeTempDir(), 'all.zotpack');
    await packArchive({ sources: [sample.home], out: bundle, jobs: 2, durable: false });
    plain = join(makeTempDir(), 'all.tar');
    await packArchive({ sources: [sample.home], out: plain, gzip: false, jobs: 2, durable: false });
  });

  it("a branch made into another project (branch --cwd) passes: its parent is there, where zot's tree does not look (W_OTHER_PROJECT); a parent in no project still fails (W_ORPHAN)", async () => {
    const home = makeTempDir();
    const root = writeSession(home, { cwd: '/home/dev/src/api', rows: [{ user: 'first' }, { assistant: 'ok' }, { user: 'second' }] });
    const branch = branchSession({ source: root, at: 2, home, cwd: '/home/dev/src/web', durable: false });
    const ok = await verifyArchive({ path: home, jobs: 2 }, { maxFiles: 1 });
    expect(ok.problems).toEqual([]);
    expect(ok.warnings.map((w) => [w.code, w.path, w.message.includes(root)])).toEqual([['W_OTHER_PROJECT', branch.output, true]]);
    expect(ok.ok).toBe(true);
    // The parent gone: an orphan, which fails the check.
    rmSync(root);
    const gone = await verifyArchive({ path: home, jobs: 2 });
    expect(gone.warnings.map((w) => [w.code, w.path])).toEqual([['W_ORPHAN', branch.output]]);
    expect(gone.ok).toBe(false);
  });

  it('fails on the damaged rows and the orphan by default, and passes them as warnings when lenient', async () => {
    const r = await verifyArchive({ path: bundle, jobs: 2, lenient: true });
    expect(r.kind).toBe('bundle');
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.manifest!.sessions).toBe(sample.good.length + 1);
    // The damaged session's cut-off last row was left out by pack: the invalid row before it is still there.
    expect(r.warnings.map((w) => w.code).sort()).toEqual(['W_INVALID_ROW', 'W_ORPHAN']);
    expect(r.projects.map((p) => p.sessions).reduce((a, b) => a + b)).toBe(sample.good.length + 1);
    expect(r.projects.find((p) => p.cwd === sample.projects[2]!.cwd)!.invalidRows).toBe(1);
    const strict = await verifyArchive({ path: bundle, jobs: 2 });
    expect(strict.ok).toBe(false);
    expect(strict.warnings).toEqual(r.warnings);
  });

  it('finds a flipped byte (sha256), and names the entry', async () => {
    const bytes = readFileSync(plain);
    const at = bytes.indexOf('The margin collapses.');
    bytes[at] ^= 0x01;
    const bad = join(makeTempDir(), 'flipped.tar');
    writeFileSync(bad, bytes);
    const r = await verifyArchive({ path: bad, jobs: 2 });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'E_HASH_MISMATCH', path: expect.stringMatching(new RegExp(`^sessions/${sample.projects[1]!.key}/`)) })]);
  });

  it('finds a bundle cut short, and what it no longer holds', async () => {
    const bytes = readFileSync(bundle);
    const cut = join(makeTempDir(), 'cut.zotpack');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const r = await verifyArchive({ path: cut, jobs: 2 });
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.code === 'E_BAD_BUNDLE' && /cut short/.test(p.message))).toBe(true);
    // What it no longer holds is worded as what the cut left unchecked, not as missing from a bundle that never said.
    expect(r.problems.some((p) => /missing from the bundle/.test(p.message))).toBe(false);
    // Counted by file: every session the manifest lists is one, checked whole or not reached; the cut itself is none.
    const missing = r.problems.filter((p) => p.code === 'E_BAD_BUNDLE' && p.message === 'not checked: the bundle ends (or breaks) before it, or inside it').length;
    expect(missing).toBeGreaterThan(0);
    expect(r.report.files).toBe(r.manifest!.sessions);
    expect([r.report.succeeded, r.report.failed]).toEqual([r.manifest!.sessions - missing, missing]);
  });

  it('finds two sessions with one id, a file that is not a session, and a manifest that disagrees with a file', async () => {
    const key = projectKey('/v');
    const id = testId('verify-dup');
    const a = renderSession({ cwd: '/v', id, rows: [{ user: 'a' }] }).text;
    const b = renderSession({ cwd: '/v', id, rows: [{ user: 'b' }] }).text;
    const notSession = '{"type":"message"}\n';
    const path = join(makeTempDir(), 'dup.tar');
    const names = [`sessions/${key}/a.jsonl`, `sessions/${key}/b.jsonl`, `sessions/${key}/c.jsonl`];
    await writeTar(path, [
      { name: 'manifest.json', data: manifestText([manifestEntry(names[0]!, a, { id }), manifestEntry(names[1]!, b, { id: 'not-the-id' }), manifestEntry(names[2]!, notSession)]) },
      { name: names[0]!, data: a },
      { name: names[1]!, data: b },
      { name: names[2]!, data: notSession },
    ]);
    const r = await verifyArchive({ path, jobs: 1 });
    expect(r.problems.map((p) => [p.code, p.path]).sort()).toEqual(
      [
        ['E_BAD_BUNDLE', names[1]],
        ['E_DUPLICATE_ID', names[1]],
        ['E_NOT_META', names[2]],
      ].sort(),
    );
    // b.jsonl has two problems and is one failed file.
    expect([r.report.files, r.report.succeeded, r.report.failed]).toEqual([3, 1, 2]);
  });

  it('a bundle with its projects interleaved, an entry missing and one twice: the findings of one in order', async () => {
    const [head, ...sessions] = await tarEntries(readFileSync(plain));
    const gone = sessions.findIndex((e) => e.name.startsWith(`sessions/${sample.projects[0]!.key}/`));
    const kept = sessions.filter((_, i) => i !== gone);
    // Every other entry from the end: projects interleave, parents come after children.
    const shuffled = [...kept.filter((_, i) => i % 2 === 1).reverse(), ...kept.filter((_, i) => i % 2 === 0), kept[3]!];
    const inOrder = join(makeTempDir(), 'in-order.tar');
    const mixed = join(makeTempDir(), 'mixed.tar');
    await writeTar(inOrder, [head!, ...kept, kept[3]!]);
    await writeTar(mixed, [head!, ...shuffled]);
    const sorted = <T extends { code: string; path?: string; message: string }>(xs: readonly T[]) => xs.map((x) => `${x.path} ${x.code} ${x.message}`).sort();
    const a = await verifyArchive({ path: inOrder, jobs: 1 });
    const b = await verifyArchive({ path: mixed, jobs: 1 });
    expect(sorted(b.problems)).toEqual(sorted(a.problems));
    expect(sorted(a.problems)).toEqual(
      [`${sessions[gone]!.name} E_BAD_BUNDLE listed in the manifest, missing from the bundle`, `${kept[3]!.name} E_BAD_BUNDLE a second entry of this name`].sort(),
    );
    expect(sorted(b.warnings)).toEqual(sorted(a.warnings));
    expect(a.warnings.map((w) => w.code)).toContain('W_ORPHAN');
    expect(b.projects).toEqual(a.projects);
    expect(b.manifest).toEqual(a.manifest);
  });

  it('checks a folder: a zot home, and an export folder against its manifest', async () => {
    const home = makeTempDir();
    writeSession(home, { cwd: '/f', rows: [{ user: 'x' }] });
    const ok = await verifyArchive({ path: home, jobs: 2 });
    expect([ok.kind, ok.ok, ok.problems]).toEqual(['folder', true, []]);
    const archive = await verifyArchive({ path: sample.home, jobs: 2 });
    expect(archive.problems.map((p) => p.code).sort()).toEqual(failedInBulk(sample).map((b) => b.code).sort());
    expect(archive.warnings.filter((w) => w.code === 'W_EMPTY').map((w) => w.path)).toEqual(sample.bad.filter((b) => b.code === 'E_EMPTY').map((b) => b.path));
    const out = makeTempDir();
    const exported = await exportArchive({ sources: [home], out, jobs: 1 });
    expect((await verifyArchive({ path: out, jobs: 1 })).ok).toBe(true);
    // Hashed in the same read as the check of its rows: the sha256 named is the whole file's.
    const file = join(out, exported.plan[0]!.output);
    const sha = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    appendFileSync(file, '{}\n');
    const r = await verifyArchive({ path: out, jobs: 1 });
    expect(r.problems).toEqual([expect.objectContaining({ code: 'E_HASH_MISMATCH', message: expect.stringContaining(`sha256 ${sha()};`) })]);
    // A file that cannot be read as a session is still checked against the manifest, on its own.
    const broken = readFileSync(file);
    broken[0] = 0x58;
    writeFileSync(file, broken);
    const b = await verifyArchive({ path: out, jobs: 1 });
    expect(b.problems.map((p) => p.code).sort()).toEqual(['E_HASH_MISMATCH', 'E_NOT_META']);
  });

  it('an export folder checked until an abort: what was not read is no problem (no E_HASH_MISMATCH "interrupted", no E_ABORTED); find the same', async () => {
    const home = makeTempDir();
    writeSlowSessions(home, 24);
    const out = makeTempDir();
    await exportArchive({ sources: [home], out, jobs: 2 });
    for (const tick of [(f: () => void) => f(), queueMicrotask, setImmediate]) {
      const controller = new AbortController();
      const onProgress = (p: { filesDone: number }) => {
        if (p.filesDone >= 1) tick(() => controller.abort());
      };
      const r = await verifyArchive({ path: out, jobs: 2, signal: controller.signal, onProgress });
      expect([r.ok, r.report.interrupted]).toEqual([false, true]);
      expect(r.problems).toEqual([]);
      expect(r.report.errors).toEqual([]);
      const again = new AbortController();
      const found = await findInArchive({ sources: [out], jobs: 2, signal: again.signal, onProgress: (p) => p.filesDone >= 1 && again.abort() }, 'f');
      expect(found.report.interrupted).toBe(true);
      expect(found.report.errors).toEqual([]);
    }
  });

  it('an export folder: a session its manifest does not list is a problem (E_UNLISTED), unless a killed run journaled it, then checked by that', async () => {
    const home = makeTempDir();
    writeSession(home, { cwd: '/f', rows: [{ user: 'one' }] });
    writeSession(home, { cwd: '/f', rows: [{ user: 'two' }] });
    const out = makeTempDir();
    await exportArchive({ sources: [home], out, jobs: 1 });
    const manifest = readManifest(out)!;
    const [kept, dropped] = manifest.sessions;
    // Its entry removed from the manifest: rows fine, bytes unchecked.
    writeManifest(out, { ...manifest, sessions: [kept!] }, false);
    const r = await verifyArchive({ path: out, jobs: 1, lenient: true });
    expect(r.problems).toEqual([expect.objectContaining({ code: 'E_UNLISTED', path: join(out, dropped!.output) })]);
    expect(r.ok).toBe(false);
    // A killed export's journal lists it: checked against that, and a changed byte found.
    writeFileSync(join(out, JOURNAL_NAME), `${JSON.stringify(dropped)}\n`);
    expect((await verifyArchive({ path: out, jobs: 1 })).problems).toEqual([]);
    appendFileSync(join(out, dropped!.output), '{}\n');
    expect((await verifyArchive({ path: out, jobs: 1 })).problems).toEqual([expect.objectContaining({ code: 'E_HASH_MISMATCH', path: join(out, dropped!.output) })]);
    // A listed session exported again by a run killed before its manifest: the journal's hash is the one to check.
    writeFileSync(join(out, JOURNAL_NAME), `${JSON.stringify({ ...dropped!, bytes: dropped!.bytes + 3, sha256: createHash('sha256').update(readFileSync(join(out, dropped!.output))).digest('hex') })}\n`);
    writeManifest(out, manifest, false);
    expect((await verifyArchive({ path: out, jobs: 1 })).problems).toEqual([]);
    // A journaled export of a session the manifest does not list, gone: missing.
    const ghost = { ...dropped!, source: '/elsewhere/ghost.jsonl', output: `${dropped!.key}/ghost.zotsession` };
    appendFileSync(join(out, JOURNAL_NAME), `${JSON.stringify(ghost)}\n`);
    expect((await verifyArchive({ path: out, jobs: 1 })).problems).toEqual([expect.objectContaining({ code: 'E_NOT_FOUND', path: join(out, ghost.output) })]);
    // A copy put there by hand, under another name.
    rmSync(join(out, JOURNAL_NAME));
    writeManifest(out, manifest, false);
    rmSync(join(out, dropped!.output));
    await exportArchive({ sources: [home], out, jobs: 1 });
    copyFileSync(join(out, kept!.output), join(out, kept!.output.replace('.zotsession', '-copy.zotsession')));
    const c = await verifyArchive({ path: out, jobs: 1, lenient: true });
    expect(c.problems.map((p) => [p.code, basename(p.path!)])).toContainEqual(['E_UNLISTED', basename(kept!.output).replace('.zotsession', '-copy.zotsession')]);
  });

  it('one project folder of an export folder is checked against the manifest above it: its entries only', async () => {
    const home = makeTempDir();
    for (const cwd of ['/p', '/q']) for (const n of [1, 2]) writeSession(home, { cwd, rows: [{ user: `${cwd} ${n}` }] });
    const out = makeTempDir();
    await exportArchive({ sources: [home], out, jobs: 1 });
    const [gone, changed, other] = [...readManifest(out)!.sessions].sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(gone!.key).toBe(changed!.key);
    expect(other!.key).not.toBe(gone!.key);
    expect((await verifyArchive({ path: join(out, gone!.key), jobs: 1 })).problems).toEqual([]);
    rmSync(join(out, gone!.output));
    appendFileSync(join(out, changed!.output), '{}\n');
    const r = await verifyArchive({ path: join(out, gone!.key), jobs: 1 });
    expect(r.problems.map((p) => [p.code, p.path]).sort()).toEqual([
      ['E_HASH_MISMATCH', join(out, changed!.output)],
      ['E_NOT_FOUND', join(out, gone!.output)],
    ].sort());
    // The other project's folder: nothing of this one's.
    expect((await verifyArchive({ path: join(out, other!.key), jobs: 1 })).problems).toEqual([]);
  });

  it("a folder of zot's own exports (no manifest, no .jsonl) is checked as sessions", async () => {
    const dir = makeTempDir();
    for (const f of ['20261125-003305-d907c305.zotsession', 'branch.zotsession']) copyFileSync(join(FIXTURE_EXPORTS, f), join(dir, f));
    const r = await verifyArchive({ path: dir, jobs: 1, lenient: true });
    expect([r.kind, r.problems, r.projects.reduce((n, p) => n + p.sessions, 0)]).toEqual(['folder', [], 2]);
  });

  it('a home with a session file zot has just created (no rows yet) checks out: W_EMPTY does not fail it; an empty export does', async () => {
    const home = makeTempDir();
    const good = writeSession(home, { cwd: '/e', rows: [{ user: 'x' }] });
    writeFileSync(join(home, 'sessions', projectKey('/e'), '20991231-000000-aaaabbbb.jsonl'), '');
    const r = await verifyArchive({ path: home, jobs: 1 });
    expect([r.ok, r.problems, r.warnings.map((w) => w.code)]).toEqual([true, [], ['W_EMPTY']]);
    const out = makeTempDir();
    await exportArchive({ sources: [home], out, jobs: 1 });
    writeFileSync(join(out, readManifest(out)!.sessions.find((e) => e.source === good)!.output), '');
    expect((await verifyArchive({ path: out, jobs: 1 })).ok).toBe(false);
  });

  it('a folder with no session in it does not check out: W_NO_SESSIONS, not ok', async () => {
    const empty = makeTempDir();
    const r = await verifyArchive({ path: empty, jobs: 1 });
    expect([r.ok, r.problems, r.warnings.map((w) => [w.code, w.path])]).toEqual([false, [], [['W_NO_SESSIONS', empty]]]);
    // --lenient excuses what zot lives with, not an empty folder (a wrong path in a backup check).
    expect((await verifyArchive({ path: empty, jobs: 1, lenient: true })).ok).toBe(false);
  });

  it('an export folder after a session moved to another project: its kept old export shares the id, W_MOVED, which does not fail even a strict check', async () => {
    for (const limits of [{}, { maxFiles: 1 }]) {
      const home = makeTempDir();
      const moving = writeSession(home, { cwd: '/old', id: testId('moves'), rows: [{ user: 'x' }] });
      writeSession(home, { cwd: '/other', id: testId('stays'), rows: [{ user: 'y' }] });
      const out = makeTempDir();
      await exportArchive({ sources: [home], out, jobs: 1 });
      const to = join(home, 'sessions', projectKey('/new'));
      mkdirSync(to);
      renameSync(moving, join(to, basename(moving)));
      await exportArchive({ sources: [home], out, jobs: 1 });
      const r = await verifyArchive({ path: out, jobs: 1 }, limits);
      expect([r.ok, r.problems]).toEqual([true, []]);
      expect(r.warnings).toEqual([
        expect.objectContaining({ code: 'W_MOVED', path: expect.stringContaining(join(out, projectKey('/old'))), message: expect.stringContaining('source that is gone') }),
      ]);
      // Two live sessions with one id are still a problem.
      copyFileSync(join(to, basename(moving)), join(home, 'sessions', projectKey('/other'), basename(moving)));
      await exportArchive({ sources: [home], out, jobs: 1 });
      expect((await verifyArchive({ path: out, jobs: 1, lenient: true }, limits)).problems.map((p) => p.code)).toEqual(['E_DUPLICATE_ID']);
    }
  });

  it('checks a folder a few projects at a time as in one slice: figures, problems, warnings', async () => {
    // A home with a session copied into another project (one id twice) and one outside any project folder.
    const home = makeTempDir();
    for (const p of sample.projects) for (const f of p.sessions) copyFileSync(f, join(makeDirFor(home, p.key), basename(f)));
    copyFileSync(sample.named.sibling, join(makeDirFor(home, sample.projects[1]!.key), basename(sample.named.sibling)));
    const loose = join(makeDirFor(home, 'loose'), basename(sample.named.root));
    copyFileSync(sample.named.root, loose);
    // A child outside any project folder whose parent is in one: not an orphan.
    const looseChild = join(home, 'sessions', 'loose', basename(sample.named.branch1));
    copyFileSync(sample.named.branch1, looseChild);
    // An export folder, one export gone and one changed.
    const out = makeTempDir();
    const exported = await exportArchive({ sources: [sample.home], out, jobs: 2 });
    rmSync(join(out, exported.plan[0]!.output));
    appendFileSync(join(out, exported.plan.at(-1)!.output), '{}\n');
    const sorted = <T extends { code: string; path?: string; message: string }>(xs: readonly T[]) =>
      xs.map((x) => `${x.path} ${x.code} ${x.message}`).sort();
    for (const dir of [home, out]) {
      const whole = await verifyArchive({ path: dir, jobs: 2 });
      const sliced = await verifyArchive({ path: dir, jobs: 2 }, { maxFiles: 1 });
      expect(sliced.ok).toBe(false);
      expect(sorted(sliced.problems)).toEqual(sorted(whole.problems));
      expect(sorted(sliced.warnings)).toEqual(sorted(whole.warnings));
      expect(sliced.projects).toEqual(whole.projects);
      const figures = (r: typeof whole) => [r.report.files, r.report.succeeded, r.report.failed, r.report.bytes, r.report.rowsKept];
      expect(figures(sliced)).toEqual(figures(whole));
    }
    const h = await verifyArchive({ path: home, jobs: 2 }, { maxFiles: 1 });
    // Of two files with one id, the second in path order is named, though the loose ones were read first.
    const inProject = (i: number, f: string) => join(home, 'sessions', sample.projects[i]!.key, basename(f));
    const siblings = [inProject(0, sample.named.sibling), inProject(1, sample.named.sibling)].sort();
    expect(h.problems.filter((p) => p.code === 'E_DUPLICATE_ID').map((p) => [p.path, p.message.replace(/.* also used by /, '')]).sort()).toEqual(
      [
        [looseChild, inProject(0, sample.named.branch1)],
        [loose, inProject(0, sample.named.root)],
        [siblings[1], siblings[0]],
      ].sort(),
    );
    const orphans = h.warnings.filter((w) => w.code === 'W_ORPHAN').map((w) => w.path);
    expect(orphans).toContain(inProject(1, sample.named.orphan));
    expect(orphans).not.toContain(looseChild);
    // Stopped before the end, it cannot call the folder whole.
    const controller = new AbortController();
    controller.abort();
    const stopped = await verifyArchive({ path: sample.home, jobs: 2, lenient: true, signal: controller.signal }, { maxFiles: 1 });
    expect([stopped.ok, stopped.report.interrupted]).toEqual([false, true]);
    const o = await verifyArchive({ path: out, jobs: 2 }, { maxFiles: 1 });
    expect(o.problems.map((p) => p.code).filter((c) => c === 'E_NOT_FOUND' || c === 'E_HASH_MISMATCH').sort()).toEqual(['E_HASH_MISMATCH', 'E_NOT_FOUND']);
  });
});

function makeDirFor(home: string, name: string): string {
  const dir = join(home, 'sessions', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

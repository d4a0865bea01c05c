import { appendFileSync, cpSync, createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveTrees } from '../../src/batch/archive-trees.js';
import { exportArchive } from '../../src/batch/export-archive.js';
import { importArchive } from '../../src/batch/import-archive.js';
import { packArchive } from '../../src/batch/pack-archive.js';
import { unpackArchive, type UnpackArchiveOptions, type UnpackArchiveResult } from '../../src/batch/unpack-archive.js';
import { verifyArchive } from '../../src/batch/verify-archive.js';
import { CwdMap, parseCwdRule } from '../../src/format/cwd-map.js';
import { derivedId } from '../../src/format/derived-id.js';
import { projectKey } from '../../src/format/project-key.js';
import { describeSession } from '../../src/session/describe-session.js';
import { readFirstMeta } from '../../src/session/first-meta.js';
import type { TreeNode } from '../../src/session/session-tree.js';
import { buildSampleArchive, cleanupTempDirs, effectiveTranscript, makeTempDir, packedBytes, renderSession, testId, writeSession, type SampleArchive } from '../helpers/zot-archive.js';
import { listTree, snapshot, tempFiles } from '../helpers/fs-snapshot.js';
import { manifestEntry, manifestText, tarBytes, tarEntries, writeTar, type TarEntrySpec } from '../helpers/tar-builder.js';

afterAll(cleanupTempDirs);

const MAP = '/home/dev/src=/home/ann/code';
const cwdMap = new CwdMap([parseCwdRule(MAP)]);
const unpack = (o: Omit<UnpackArchiveOptions, 'jobs' | 'durable'>) => unpackArchive({ jobs: 2, durable: false, ...o });

/** A tree by id, with each session's summary and links: what must survive a move. */
function shape(nodes: readonly TreeNode[], id = (x: string) => x): unknown[] {
  return nodes.map((n) => [id(n.id), n.forkPoint, n.orphan, n.hidden, n.summary, shape(n.children, id)]);
}

/** The bytes zot reads, with every meta row's cwd moved as --map-cwd moves it (no other row names one). */
function moved(path: string): Buffer {
  return Buffer.from(packedBytes(path).toString('latin1').replaceAll('"cwd":"/home/dev/src', '"cwd":"/home/ann/code'), 'latin1');
}

/** Every session file under a home, by id. */
function filesById(home: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of listTree(join(home, 'sessions'))) {
    if (!p.endsWith('.jsonl')) continue;
    out.set(readFirstMeta(join(home, 'sessions', p)).meta.id, join(home, 'sessions', p));
  }
  return out;
}

async function pack(sources: string[], gzip = true): Promise<string> {
  const out = join(makeTempDir(), gzip ? 'b.zotpack' : 'b.tar');
  await packArchive({ sources, out, jobs: 2, gzip, durable: false });
  return out;
}

describe('unpackArchive', () => {
  let sample: SampleArchive;
  let bundle: string;
  let home: string;
  let first: Awaited<ReturnType<typeof unpackArchive>>;

  beforeAll(async () => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 2_000_000 });
    bundle = await pack([sample.home]);
    home = join(makeTempDir(), 'zot');
    first = await unpack({ bundle, home, mapCwd: [MAP] });
  });

  it('warns of a --map-cwd rule that moved no session (W_UNUSED_MAP), dry or not, and not of one that did', async () => {
    const typo = '/home/dev/sr=/elsewhere';
    for (const dryRun of [true, false]) {
      const r = await unpack({ bundle, home: join(makeTempDir(), 'zot'), mapCwd: [MAP, typo], dryRun });
      const unused = r.report.warnings.filter((w) => w.code === 'W_UNUSED_MAP');
      expect(unused.map((w) => [w.path, w.message.split(':')[0]])).toEqual([[bundle, '--map-cwd /home/dev/sr=/elsewhere']]);
    }
    expect(first.report.warnings.filter((w) => w.code === 'W_UNUSED_MAP')).toEqual([]);
  });

  it('refuses rules of which none moves a session (a typo in OLD), from a file or a stream, before anything is written', async () => {
    const typo = '/home/dev/sr=/elsewhere';
    for (const source of ['file', 'stream'] as const) {
      const target = join(makeTempDir(), 'zot');
      const from = source === 'file' ? bundle : { stream: createReadStream(bundle), name: '<stdin>' };
      await expect(unpack({ bundle: from, home: target, mapCwd: [typo] })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('none would move') });
      expect(existsSync(target) ? listTree(target) : []).toEqual([]);
    }
  });

  it('round trip: the same trees per project after mapping, the same transcripts and summaries', async () => {
    expect(first.report.failed).toBe(0);
    expect(first.sessions.every((s) => s.status === 'new')).toBe(true);
    const before = await archiveTrees({ sources: [sample.home], jobs: 2 });
    const after = await archiveTrees({ sources: [home], jobs: 2 });
    const expected = before.projects.map((p) => {
      const cwd = cwdMap.map(p.cwd) ?? p.cwd;
      return [cwd, projectKey(cwd)];
    });
    expect(after.projects.map((p) => [p.cwd, p.key]).sort()).toEqual(expected.sort());
    for (const p of before.projects) {
      const q = after.projects.find((x) => x.cwd === (cwdMap.map(p.cwd) ?? p.cwd))!;
      expect(shape(q.roots)).toEqual(shape(p.roots));
    }
    const byId = filesById(home);
    for (const src of [...sample.good, sample.named.damaged]) {
      const d = describeSession(src);
      const dst = byId.get(d.id)!;
      expect(basename(dst)).toBe(basename(src));
      expect(effectiveTranscript(dst)).toEqual(effectiveTranscript(src));
      expect(describeSession(dst).summary).toEqual(d.summary);
      expect(describeSession(dst).cwd).toBe(cwdMap.map(d.cwd) ?? d.cwd);
      expect(readFileSync(dst).equals(moved(src))).toBe(true);
    }
    expect(tempFiles(home)).toEqual([]);
  });

  it('keeps a project no rule maps in the folder it came from, byte for byte', () => {
    const uni = sample.projects[2]!;
    for (const src of uni.sessions.filter((p) => sample.good.includes(p) || p === sample.named.damaged)) {
      expect(readFileSync(join(home, 'sessions', uni.key, basename(src))).equals(packedBytes(src))).toBe(true);
    }
  });

  it('unpacking the same bundle twice writes nothing the second time', async () => {
    const before = snapshot(home);
    const again = await unpack({ bundle, home, mapCwd: [MAP] });
    expect(snapshot(home)).toEqual(before);
    expect(again.sessions.map((s) => s.status)).toEqual(first.sessions.map(() => 'present'));
    expect(again.report.failed).toBe(0);
    expect(again.report.skipped).toBe(first.sessions.length);
  });

  it('calls a session unpacked before with another --map-cwd a conflict, and says so', async () => {
    const before = snapshot(home);
    const other = await unpack({ bundle, home, mapCwd: ['/home/dev/src=/elsewhere'] });
    const moved = other.sessions.filter((s) => s.cwd.startsWith('/elsewhere'));
    expect(moved.length).toBeGreaterThan(0);
    for (const s of moved) expect([s.status, s.conflict?.reason]).toEqual(['conflict', expect.stringMatching(/already in .*another --map-cwd/)]);
    expect(snapshot(home)).toEqual(before);
  });

  it('plans a dry run per project — old cwd, new cwd and folder, new / present / conflicting — and writes nothing', async () => {
    const empty = join(makeTempDir(), 'empty');
    const plan = await unpack({ bundle, home: empty, mapCwd: [MAP], dryRun: true });
    expect(existsSync(empty)).toBe(false);
    expect(plan.dryRun).toBe(true);
    const api = plan.projects.find((p) => p.fromKey === sample.projects[0]!.key)!;
    expect(api).toMatchObject({ fromCwd: '/home/dev/src/api', toCwd: '/home/ann/code/api', key: projectKey('/home/ann/code/api') });
    expect(api.folder).toBe(join(empty, 'sessions', projectKey('/home/ann/code/api')));
    expect([api.new, api.present, api.conflict]).toEqual([api.sessions, 0, 0]);
    const before = snapshot(home);
    const there = await unpack({ bundle, home, mapCwd: [MAP], dryRun: true });
    expect(there.projects.every((p) => p.present === p.sessions)).toBe(true);
    expect(snapshot(home)).toEqual(before);
  });

  it('--fresh-ids: every session a new id, every parent in the bundle rewritten to match; again: nothing written', async () => {
    const fresh = join(makeTempDir(), 'fresh');
    const r = await unpack({ bundle, home: fresh, mapCwd: [MAP], freshIds: true });
    expect(r.report.failed).toBe(0);
    const ids = new Set(first.sessions.map((s) => s.sourceId));
    for (const s of r.sessions) {
      expect(s.id).toBe(derivedId('fresh', s.sourceId));
      const meta = readFirstMeta(s.path).meta;
      expect(meta.id).toBe(s.id);
      const src = describeSession(join(sample.home, s.entry));
      expect(meta.parent).toBe(src.parent === '' ? '' : ids.has(src.parent) ? derivedId('fresh', src.parent) : src.parent);
    }
    const before = await archiveTrees({ sources: [sample.home], jobs: 2 });
    const after = await archiveTrees({ sources: [fresh], jobs: 2 });
    for (const p of before.projects) {
      const q = after.projects.find((x) => x.cwd === (cwdMap.map(p.cwd) ?? p.cwd))!;
      expect(shape(q.roots)).toEqual(shape(p.roots, (id) => derivedId('fresh', id)));
    }
    const snap = snapshot(fresh);
    await unpack({ bundle, home: fresh, mapCwd: [MAP], freshIds: true });
    expect(snapshot(fresh)).toEqual(snap);
    // Next to the originals: a second copy, no conflict.
    const both = await unpack({ bundle, home, mapCwd: [MAP], freshIds: true, dryRun: true });
    expect(both.sessions.every((s) => s.status === 'new')).toBe(true);
  });

  it('refuses to write through a project folder that is a symbolic link', async () => {
    const h = join(makeTempDir(), 'linked');
    const elsewhere = makeTempDir();
    mkdirSync(join(h, 'sessions'), { recursive: true });
    symlinkSync(elsewhere, join(h, 'sessions', projectKey('/home/ann/code/api')));
    const r = await unpack({ bundle, home: h, mapCwd: [MAP] });
    const linked = r.sessions.filter((s) => s.key === projectKey('/home/ann/code/api'));
    expect(linked.length).toBeGreaterThan(0);
    for (const s of linked) expect([s.status, s.error?.code]).toEqual(['failed', 'E_UNSAFE_PATH']);
    expect(r.sessions.filter((s) => s.status === 'new')).toHaveLength(r.sessions.length - linked.length);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("tells a session file from a bundle, pointing at import", async () => {
    await expect(unpack({ bundle: sample.named.root, home: makeTempDir() })).rejects.toMatchObject({ code: 'E_BAD_BUNDLE', message: /zotpack import/ });
  });
});

describe('unpackArchive on a session that moved on', () => {
  let sample: SampleArchive;
  let home: string;
  let grownPaths: string[];

  beforeAll(async () => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 200_000 });
    home = join(makeTempDir(), 'zot');
    await unpack({ bundle: await pack([sample.home]), home, mapCwd: [MAP] });
    grownPaths = [sample.named.switched, sample.named.big];
  });

  const local = (src: string) => join(home, 'sessions', projectKey(cwdMap.map(describeSession(src).cwd)!), basename(src));
  const newRows = '{"type":"message","message":{"role":"user","content":[{"text":"more"}],"time":"2026-02-01T00:00:00Z"}}\n';

  it('appends only the new rows of a session that grew, atomically, and leaves the rest alone', async () => {
    for (const p of grownPaths) appendFileSync(p, newRows);
    const oldBytes = new Map(grownPaths.map((p) => [p, readFileSync(local(p))]));
    const before = snapshot(home);
    const r = await unpack({ bundle: await pack([sample.home]), home, mapCwd: [MAP] });
    expect(r.report.failed).toBe(0);
    const appended = r.sessions.filter((s) => s.status === 'appended');
    expect(appended.map((s) => s.path).sort()).toEqual(grownPaths.map(local).sort());
    for (const s of appended) expect(s.bytes).toBe(newRows.length);
    for (const p of grownPaths) expect(readFileSync(local(p)).equals(Buffer.concat([oldBytes.get(p)!, Buffer.from(newRows)]))).toBe(true);
    const changed = new Set(grownPaths.map((p) => relative(home, local(p))));
    const unchanged = (snap: string[]) => snap.filter((line) => !changed.has(line.split(' ')[0]!));
    expect(unchanged(snapshot(home))).toEqual(unchanged(before));
    expect(tempFiles(home)).toEqual([]);
  });

  it('a session changed on both sides: skip leaves it and reports it, copy keeps both, fail writes nothing', async () => {
    const src = sample.named.renamed;
    appendFileSync(src, '{"title":"renamed on the old machine","type":"rename"}\n');
    appendFileSync(local(src), '{"title":"renamed on the new machine","type":"rename"}\n');
    appendFileSync(sample.named.plain, newRows); // an unrelated session that grew
    const b2 = await pack([sample.home]);
    const homeCopy = (name: string) => {
      const h = join(makeTempDir(), name);
      cpSync(home, h, { recursive: true });
      return h;
    };
    const failHome = homeCopy('fail');
    const copyHome = homeCopy('copy');

    const localBefore = readFileSync(local(src));
    const skipped = await unpack({ bundle: b2, home, mapCwd: [MAP] });
    const conflict = skipped.sessions.find((s) => s.status === 'conflict')!;
    expect(conflict.path).toBe(local(src));
    expect(readFileSync(local(src)).equals(localBefore)).toBe(true);
    expect(skipped.report.warnings.map((w) => w.code)).toContain('W_CONFLICT');
    expect(skipped.report.failed).toBe(0);
    expect(skipped.sessions.find((s) => s.entry.endsWith(basename(sample.named.plain)))!.status).toBe('appended');

    const failBefore = snapshot(failHome);
    const failed = await unpack({ bundle: b2, home: failHome, mapCwd: [MAP], onConflict: 'fail' });
    expect(failed.written).toBe(false);
    expect(failed.report.errorsByCode.E_CONFLICT).toBe(1);
    expect(snapshot(failHome)).toEqual(failBefore);
    // What it would have done is the plan, and nothing of it counts as done.
    expect(failed.sessions.find((s) => s.entry.endsWith(basename(sample.named.plain)))!.status).toBe('appended');
    expect([failed.report.succeeded, failed.report.skipped]).toEqual([0, failed.sessions.length - 1]);

    const copied = await unpack({ bundle: b2, home: copyHome, mapCwd: [MAP], onConflict: 'copy' });
    const c = copied.sessions.find((s) => s.status === 'copied')!;
    const id = describeSession(src).id;
    expect(c.copy!.id).toBe(derivedId('copy', id));
    expect(c.copy!.status).toBe('new');
    const copyMeta = describeSession(c.copy!.path);
    expect([copyMeta.id, copyMeta.parent, copyMeta.summary.title]).toEqual([derivedId('copy', id), describeSession(src).parent, 'renamed on the old machine']);
    expect(readFileSync(c.copy!.path, 'latin1')).toBe(moved(src).toString('latin1').replaceAll(id, derivedId('copy', id)));
    expect(describeSession(join(copyHome, relative(home, local(src)))).summary.title).toBe('renamed on the new machine');
    const snap = snapshot(copyHome);
    const again = await unpack({ bundle: b2, home: copyHome, mapCwd: [MAP], onConflict: 'copy' });
    // Nothing written, and counted so: the copy an earlier run made is present.
    const rerun = again.sessions.find((s) => s.copy)!;
    expect([rerun.status, rerun.copy!.status, rerun.copy!.path]).toEqual(['present', 'present', c.copy!.path]);
    expect(again.sessions.filter((s) => s.status === 'copied')).toEqual([]);
    expect(again.report.succeeded).toBe(again.sessions.filter((s) => s.status === 'appended' || s.status === 'new').length);
    expect(again.projects.reduce((n, p) => n + p.copied, 0)).toBe(0);
    expect(snapshot(copyHome)).toEqual(snap);

    // The copy went on here, and the bundle's session went on there again: a conflict of the copy, nothing written.
    appendFileSync(c.copy!.path, '{"type":"message","message":{"role":"user","content":"the copy went on"}}\n');
    appendFileSync(src, '{"type":"message","message":{"role":"user","content":"and the original too"}}\n');
    const b3 = await pack([sample.home]);
    const snap3 = snapshot(copyHome);
    const third = await unpack({ bundle: b3, home: copyHome, mapCwd: [MAP], onConflict: 'copy' });
    const both = third.sessions.find((s) => s.copy)!;
    expect([both.status, both.copy!.status]).toEqual(['conflict', 'conflict']);
    expect(third.report.warnings.find((w) => w.code === 'W_CONFLICT' && w.path === both.path)?.message).toContain('changed too');
    expect(snapshot(copyHome)).toEqual(snap3);
  });
});

describe('unpackArchive into a home an export and import filled', () => {
  // An import writes the last meta row as the header and leaves out later
  // meta rows and rows zot skips: the bytes differ, the session does not.
  let sample: SampleArchive;
  let home: string;

  const local = (src: string) => join(home, 'sessions', projectKey(describeSession(src).cwd), basename(src));
  const row = (text: string) => `{"type":"message","message":{"role":"user","content":[{"text":"${text}"}],"time":"2026-03-01T00:00:00Z"}}\n`;

  beforeAll(async () => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 200_000 });
    const out = join(makeTempDir(), 'export');
    await exportArchive({ sources: [sample.home], out, jobs: 2, durable: false });
    home = join(makeTempDir(), 'zot');
    const imported = await importArchive({ sources: [out], home, jobs: 2, durable: false });
    expect(imported.report.succeeded).toBeGreaterThan(5);
  });

  it('finds every imported session present, those whose bytes differ too, and writes nothing', async () => {
    for (const p of [sample.named.switched, sample.named.damaged]) expect(readFileSync(local(p)).equals(readFileSync(p))).toBe(false);
    const before = snapshot(home);
    const r = await unpack({ bundle: await pack([sample.home]), home });
    const here = r.sessions.filter((s) => s.status !== 'failed');
    expect(here.length).toBe(sample.good.length + 1); // and the damaged one, whose cut-off last row the export left out
    expect(new Set(here.map((s) => s.status))).toEqual(new Set(['present']));
    expect(r.report.warnings.filter((w) => w.code === 'W_CONFLICT')).toEqual([]);
    expect(snapshot(home)).toEqual(before);
  });

  it('appends what grew there (a model switch too), keeps what went on here, and flags what went on in both places', async () => {
    const switched = sample.named.switched;
    const meta = readFileSync(switched, 'utf8').split('\n')[0]!.replace(/"model":"[^"]*"/, '"model":"model-after-import"');
    appendFileSync(switched, row('grew there') + meta + '\n');
    appendFileSync(sample.named.damaged, `\n${row('after the crash')}`); // zot's next row, after the cut-off one
    appendFileSync(local(sample.named.renamed), row('went on here'));
    appendFileSync(sample.named.plain, row('there'));
    appendFileSync(local(sample.named.plain), row('here'));
    const plainHere = readFileSync(local(sample.named.plain));
    const bundle = await pack([sample.home]);

    const dry = await unpack({ bundle, home, dryRun: true });
    const r = await unpack({ bundle, home });
    const status = (x: typeof r, p: string) => x.sessions.find((s) => s.path === local(p))!.status;
    for (const x of [dry, r]) {
      expect([switched, sample.named.damaged, sample.named.renamed, sample.named.plain].map((p) => status(x, p))).toEqual(['appended', 'appended', 'present', 'conflict']);
    }
    expect(r.sessions.find((s) => s.path === local(sample.named.renamed))!.localAhead).toBe(true);
    for (const p of [switched, sample.named.damaged]) {
      expect(effectiveTranscript(local(p))).toEqual(effectiveTranscript(p));
      expect(describeSession(local(p)).summary).toEqual(describeSession(p).summary);
    }
    expect(describeSession(local(switched)).summary.model).toBe('model-after-import');
    expect(readFileSync(local(sample.named.plain)).equals(plainHere)).toBe(true);

    const snap = snapshot(home);
    const again = await unpack({ bundle, home });
    expect([switched, sample.named.damaged].map((p) => status(again, p))).toEqual(['present', 'present']);
    expect(snapshot(home)).toEqual(snap);

    const copied = await unpack({ bundle, home, onConflict: 'copy' });
    const c = copied.sessions.find((s) => s.status === 'copied')!;
    expect(c.path).toBe(local(sample.named.plain));
    expect(readFileSync(c.copy!.path).equals(Buffer.from(readFileSync(sample.named.plain, 'latin1').replaceAll(c.sourceId, c.copy!.id), 'latin1'))).toBe(true);
    expect((await unpack({ bundle, home, onConflict: 'copy' })).sessions.find((s) => s.path === c.path)!.status).toBe('present');
    await expect(unpack({ bundle, home, onConflict: 'fail' })).resolves.toMatchObject({ written: false, report: { errorsByCode: { E_CONFLICT: 1 } } });
  });
});

describe('unpackArchive into an imported session, at the edges', () => {
  const cwd = '/home/dev/src/edge';
  const row = (text: string) => `{"type":"message","message":{"role":"user","content":[{"text":"${text}"}],"time":"2026-03-01T00:00:00Z"}}\n`;

  it('a model switch as the last row, which the import folded into its header, is not a change: present when the home went on, no copy', async () => {
    const a = makeTempDir();
    const src = writeSession(a, { cwd, id: testId('edge-switch'), rows: [{ user: 'hi' }, { assistant: 'hello' }] });
    const meta = readFileSync(src, 'utf8').split('\n')[0]!.replace(/"model":"[^"]*"/, '"model":"switched-model"');
    appendFileSync(src, `${meta}\n`);
    const out = join(makeTempDir(), 'export');
    await exportArchive({ sources: [a], out, jobs: 1, durable: false });
    const home = join(makeTempDir(), 'zot');
    await importArchive({ sources: [out], home, jobs: 1, durable: false });
    const local = join(home, 'sessions', projectKey(cwd), basename(src));
    expect(describeSession(local).summary.model).toBe('switched-model');
    appendFileSync(local, row('went on here'));
    const before = snapshot(home);
    const bundle = await pack([a]);
    for (const onConflict of ['skip', 'copy'] as const) {
      const r = await unpack({ bundle, home, onConflict });
      expect(r.sessions.map((x) => [x.status, x.localAhead])).toEqual([['present', true]]);
    }
    expect(snapshot(home)).toEqual(before);
  });

  it('a local header with no newline after it gets one before the rows appended', async () => {
    const a = makeTempDir();
    const src = writeSession(a, { cwd, id: testId('edge-nl'), rows: [{ user: 'hi' }] });
    const [first] = readFileSync(src, 'utf8').split('\n');
    const home = join(makeTempDir(), 'zot');
    const local = join(home, 'sessions', projectKey(cwd), basename(src));
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, first!.replace(/"model":"[^"]*"/, '"model":"other"')); // the header alone, different, unterminated
    const r = await unpack({ bundle: await pack([a]), home });
    expect(r.sessions.map((x) => x.status)).toEqual(['appended']);
    const lines = readFileSync(local, 'utf8').split('\n');
    expect(lines[0]).toBe(first!.replace(/"model":"[^"]*"/, '"model":"other"'));
    expect(readFileSync(local, 'utf8')).toBe(`${lines[0]}\n${readFileSync(src, 'utf8').slice(first!.length + 1)}`);
    expect(effectiveTranscript(local)).toEqual(effectiveTranscript(src));
  });
});

describe('unpackArchive keeps modification times', () => {
  it("gives a new session, and one it appends to, the bundled session's modification time (to the second: a tar header's)", async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const old = new Date('2026-01-05T10:00:00Z');
    for (const p of sample.good) utimesSync(p, old, old);
    const home = join(makeTempDir(), 'zot');
    await unpack({ bundle: await pack([sample.home]), home });
    const local = (p: string) => join(home, 'sessions', basename(dirname(p)), basename(p));
    for (const p of sample.good) expect(statSync(local(p)).mtimeMs).toBe(old.getTime());
    appendFileSync(sample.named.plain, '{"title":"later","type":"rename"}\n');
    const later = new Date('2026-02-01T08:30:00Z');
    utimesSync(sample.named.plain, later, later);
    const r = await unpack({ bundle: await pack([sample.home]), home });
    expect(r.sessions.find((s) => s.path === local(sample.named.plain))!.status).toBe('appended');
    expect(statSync(local(sample.named.plain)).mtimeMs).toBe(later.getTime());
  });
});

describe('unpackArchive --dry-run under each --on-conflict policy', () => {
  it('says what the real run then does: the same statuses, failures and warnings, and writes nothing', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const home = join(makeTempDir(), 'zot');
    await unpack({ bundle: await pack([sample.home]), home, mapCwd: [MAP] });
    const local = join(home, 'sessions', projectKey(cwdMap.map(describeSession(sample.named.renamed).cwd)!), basename(sample.named.renamed));
    appendFileSync(sample.named.renamed, '{"title":"there","type":"rename"}\n');
    appendFileSync(local, '{"title":"here","type":"rename"}\n');
    appendFileSync(sample.named.plain, '{"title":"grown","type":"rename"}\n');
    const bundle = await pack([sample.home]);
    const outline = (r: UnpackArchiveResult) => ({
      statuses: r.sessions.map((s) => `${s.entry} ${s.status} ${s.copy?.status ?? ''} ${s.error?.code ?? ''}`).sort(),
      failed: r.report.failed,
      warnings: r.report.warnings.map((w) => `${w.code} ${w.path}`).sort(),
    });
    for (const onConflict of ['skip', 'copy', 'fail'] as const) {
      const h = join(makeTempDir(), onConflict);
      cpSync(home, h, { recursive: true });
      const before = snapshot(h);
      const dry = await unpack({ bundle, home: h, mapCwd: [MAP], onConflict, dryRun: true });
      expect(snapshot(h)).toEqual(before);
      expect(dry.report.succeeded).toBe(0);
      const real = await unpack({ bundle, home: h, mapCwd: [MAP], onConflict });
      expect(outline(dry), onConflict).toEqual(outline(real));
      const statuses = real.sessions.map((s) => s.status);
      expect(statuses, onConflict).toContain(onConflict === 'skip' ? 'conflict' : onConflict === 'copy' ? 'copied' : 'failed');
      expect(real.written).toBe(onConflict !== 'fail');
    }
  });
});

describe('hostile bundles', () => {
  const KEY = projectKey('/hostile');
  const ID = testId('hostile-good');
  const session = renderSession({ cwd: '/hostile', id: ID, rows: [{ user: 'hi' }, { assistant: 'hello' }] }).text;
  const goodPath = `sessions/${KEY}/20260101-000000-good0000.jsonl`;
  let root: string;
  let home: string;

  /** A bundle of `extra` entries plus one good session, its manifest listing `listed` too. */
  async function hostile(extra: TarEntrySpec[], listed: Array<Record<string, unknown>> = [], options: { gzip?: boolean } = {}) {
    root = makeTempDir();
    home = join(root, 'home');
    const bundlePath = join(root, 'bundle.zotpack');
    const manifest = manifestText([manifestEntry(goodPath, session, { id: ID }), ...listed]);
    await writeTar(bundlePath, [{ name: 'manifest.json', data: manifest }, ...extra, { name: goodPath, data: session }], options);
    return unpack({ bundle: bundlePath, home });
  }

  /** Everything under the temp root that is not the bundle or inside the home. */
  const outside = () => listTree(root).filter((p) => p !== 'bundle.zotpack' && p !== 'home/' && !p.startsWith('home/'));
  const goodUnpacked = () => readFileSync(join(home, goodPath)).toString() === session;

  it('path traversal', async () => {
    const evil = `sessions/${KEY}/../../../evil.jsonl`;
    const r = await hostile([{ name: evil, data: session }, { name: '../escape.jsonl', data: session }], [manifestEntry(evil, session, { id: ID })]);
    expect(r.report.errors.filter((e) => e.code === 'E_UNSAFE_PATH').map((e) => e.path).sort()).toEqual(['../escape.jsonl', evil, evil].sort());
    expect(outside()).toEqual([]);
    expect(listTree(home).filter((p) => p.includes('evil') || p.includes('escape'))).toEqual([]);
    expect(goodUnpacked()).toBe(true);
  });

  it('absolute path', async () => {
    const target = join(makeTempDir(), 'abs-evil.jsonl');
    const r = await hostile([{ name: target, data: session }], [manifestEntry(target, session, { id: ID })]);
    expect(r.report.errorsByCode.E_UNSAFE_PATH).toBe(2);
    expect(existsSync(target)).toBe(false);
    expect(goodUnpacked()).toBe(true);
  });

  it('symlink entry', async () => {
    const victim = join(makeTempDir(), 'victim.jsonl');
    writeFileSync(victim, 'untouched');
    const name = `sessions/${KEY}/20260101-000001-link0000.jsonl`;
    // A link, then a file of the same name that would be written through it.
    const r = await hostile([{ name, type: 'symlink', linkname: victim }, { name, data: session }], [manifestEntry(name, session, { id: ID })]);
    expect(r.report.errors.some((e) => e.code === 'E_UNSAFE_PATH' && e.path === name && /symbolic link/.test(e.message))).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(join(home, name)).isFile()).toBe(true);
    expect(outside()).toEqual([]);
  });

  it('hard link', async () => {
    const victim = join(makeTempDir(), 'victim.jsonl');
    writeFileSync(victim, 'untouched');
    const name = `sessions/${KEY}/20260101-000002-hard0000.jsonl`;
    const r = await hostile(
      [
        { name, type: 'link', linkname: victim },
        { name: `sessions/${KEY}/x.jsonl`, type: 'link', linkname: 'manifest.json' },
        { name: `sessions/${KEY}/dev.jsonl`, type: 'character-device' },
      ],
      [manifestEntry(name, session, { id: ID })],
    );
    expect(r.report.errors.filter((e) => e.code === 'E_UNSAFE_PATH')).toHaveLength(3);
    expect(r.report.errors.some((e) => e.code === 'E_BAD_BUNDLE' && e.path === name)).toBe(true); // listed, never delivered
    expect(existsSync(join(home, name))).toBe(false);
    expect(statSync(victim).nlink).toBe(1);
    expect(goodUnpacked()).toBe(true);
  });

  it('a sha256 mismatch', async () => {
    const name = `sessions/${KEY}/20260101-000003-flip0000.jsonl`;
    const flipped = session.replace('hello', 'HELLO');
    const r = await hostile([{ name, data: flipped }], [manifestEntry(name, session, { id: ID })]);
    expect(r.report.errors).toEqual([expect.objectContaining({ code: 'E_HASH_MISMATCH', path: name })]);
    expect(existsSync(join(home, name))).toBe(false);
    expect(tempFiles(home)).toEqual([]);
    expect(goodUnpacked()).toBe(true);
  });

  it('a size that disagrees with the manifest, and an entry the manifest does not list', async () => {
    const name = `sessions/${KEY}/20260101-000004-size0000.jsonl`;
    const stray = `sessions/${KEY}/20260101-000005-stray000.jsonl`;
    const r = await hostile([{ name, data: `${session}{}\n` }, { name: stray, data: session }], [manifestEntry(name, session, { id: ID })]);
    expect(r.report.errors.map((e) => [e.code, e.path]).sort()).toEqual(
      [
        ['E_HASH_MISMATCH', name],
        ['E_BAD_BUNDLE', stray],
        ['E_BAD_BUNDLE', name], // listed, never delivered
      ].sort(),
    );
    expect(existsSync(join(home, name)) || existsSync(join(home, stray))).toBe(false);
  });

  it('truncation', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 3_000_000 });
    const full = await pack([sample.home]);
    const clean = join(makeTempDir(), 'clean');
    await unpack({ bundle: full, home: clean });
    const bytes = readFileSync(full);
    for (const cut of [0.15, 0.5, 0.9]) {
      const dir = makeTempDir();
      const cutPath = join(dir, 'cut.zotpack');
      writeFileSync(cutPath, bytes.subarray(0, Math.floor(bytes.length * cut)));
      const h = join(dir, 'home');
      const r = await unpack({ bundle: cutPath, home: h });
      expect(r.report.errors.some((e) => e.code === 'E_BAD_BUNDLE' && e.path === cutPath && /cut short or corrupt/.test(e.message))).toBe(true);
      expect(r.sessions.filter((s) => s.status !== 'new').length).toBeGreaterThan(0);
      // Files are the bundle's sessions, as verify counts them: the bundle's own error is reported, and counted as no file.
      const v = await verifyArchive({ path: cutPath, jobs: 2 });
      expect([r.report.files, r.report.failed]).toEqual([v.report.files, v.report.failed]);
      expect(r.report.errors.length).toBe(r.report.failed + 1);
      // Whatever was published is whole: equal to a clean run's file.
      for (const p of listTree(h).filter((x) => !x.endsWith('/'))) expect(readFileSync(join(h, p)).equals(readFileSync(join(clean, p)))).toBe(true);
      expect(tempFiles(h)).toEqual([]);
      // And a run of the whole bundle finishes the job.
      await unpack({ bundle: full, home: h });
      expect(listTree(h)).toEqual(listTree(clean));
    }
  });

  it('a manifest naming files that are missing', async () => {
    const missing = [`sessions/${KEY}/20260101-000006-gone0000.jsonl`, `sessions/${KEY}/20260101-000007-gone0001.jsonl`];
    const r = await hostile([], missing.map((m) => manifestEntry(m, session, { id: ID })));
    expect(r.report.errors.map((e) => [e.code, e.path]).sort()).toEqual(missing.map((m) => ['E_BAD_BUNDLE', m]));
    expect(r.sessions.find((s) => s.entry === goodPath)!.status).toBe('new');
    expect(goodUnpacked()).toBe(true);
  });

  it('not a bundle: a tar without a manifest first, a corrupt header', async () => {
    root = makeTempDir();
    const noManifest = join(root, 'a.tar');
    writeFileSync(noManifest, await tarBytes([{ name: goodPath, data: session }]));
    const r = await unpack({ bundle: noManifest, home: join(root, 'h') });
    expect(r.report.errors).toEqual([expect.objectContaining({ code: 'E_BAD_BUNDLE', message: expect.stringMatching(/first entry/) })]);
    const corrupt = Buffer.from(await tarBytes([{ name: 'manifest.json', data: manifestText([]) }]));
    corrupt[20] ^= 0xff;
    writeFileSync(noManifest, corrupt);
    const r2 = await unpack({ bundle: noManifest, home: join(root, 'h') });
    expect(r2.report.errorsByCode.E_BAD_BUNDLE).toBe(1);
    expect(existsSync(join(root, 'h', 'sessions'))).toBe(false);
    expect(dirname(noManifest)).toBe(root);
  });
});

describe('bundles laid out otherwise than pack lays them out', () => {
  let sample: SampleArchive;
  let packed: Array<TarEntrySpec & { data: Buffer }>;
  let manifest: { sessions: Array<Record<string, unknown>> } & Record<string, unknown>;
  let root: string;

  /** Every file under a home with its bytes. */
  const contents = (home: string) => listTree(home).map((p) => (p.endsWith('/') ? p : `${p} ${readFileSync(join(home, p)).toString('base64')}`));

  /** A bundle of `entries` after a manifest of `text`. */
  async function bundleOf(name: string, text: string, entries: readonly TarEntrySpec[]): Promise<string> {
    const path = join(root, name);
    await writeTar(path, [{ name: 'manifest.json', data: text }, ...entries]);
    return path;
  }

  /** Runs `f` with the temp folder at a new empty folder; returns its result and what it left there. */
  async function inTmp<T>(f: () => Promise<T>): Promise<[T, string[]]> {
    const dir = makeTempDir();
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    try {
      return [await f(), readdirSync(dir)];
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  }

  beforeAll(async () => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 300_000 });
    root = makeTempDir();
    packed = await tarEntries(readFileSync(await pack([sample.home], false)));
    manifest = JSON.parse(packed[0]!.data.toString());
  });

  it('entries in reverse order and a manifest with its keys in another order: the home an in-order unpack makes, parents rewritten', async () => {
    const sessions = packed.slice(1);
    const { sessions: listed, ...head } = manifest;
    const reordered = JSON.stringify({ sessions: listed, zotpack: head.zotpack, extra: [1, { sessions: [] }], version: head.version, created: head.created, format: head.format });
    const reversed = await bundleOf('reversed.tar', reordered, [...sessions].reverse());
    const inOrder = await bundleOf('in-order.tar', packed[0]!.data.toString(), sessions);
    for (const freshIds of [false, true]) {
      const a = join(makeTempDir(), 'a');
      const b = join(makeTempDir(), 'b');
      const ra = await unpack({ bundle: inOrder, home: a, mapCwd: [MAP], freshIds });
      const seen: string[] = [];
      const rb = await unpack({ bundle: reversed, home: b, mapCwd: [MAP], freshIds, onSession: (s) => seen.push(s.entry) });
      expect(rb.report.failed).toBe(0);
      expect(contents(b)).toEqual(contents(a));
      // Handed on in the bundle's order, each once; no list kept.
      expect(seen).toEqual(sessions.map((e) => e.name).reverse());
      expect(rb.sessions).toEqual([]);
      const moved = (ps: typeof ra.projects) => ps.map(({ folder, ...p }) => ({ ...p, folder: relative(dirname(dirname(folder)), folder) }));
      expect(moved(rb.projects)).toEqual(moved(ra.projects));
      expect([rb.report.files, rb.report.succeeded, rb.report.bytes]).toEqual([ra.report.files, ra.report.succeeded, ra.report.bytes]);
      const again = await unpack({ bundle: reversed, home: b, mapCwd: [MAP], freshIds });
      expect(again.sessions.map((s) => s.status)).toEqual(sessions.map(() => 'present'));
    }
  });

  it('a manifest that lists an entry twice: the entry unpacked once, the second listing reported', async () => {
    const first = manifest.sessions[0]!;
    const text = JSON.stringify({ ...manifest, sessions: [...manifest.sessions, { ...first, title: 'again' }] });
    const home = join(makeTempDir(), 'h');
    const r = await unpack({ bundle: await bundleOf('twice.tar', text, packed.slice(1)), home });
    expect(r.report.errors).toEqual([expect.objectContaining({ code: 'E_BAD_BUNDLE', path: first.path, message: 'the manifest lists this entry twice' })]);
    expect(r.sessions.filter((s) => s.entry === first.path).map((s) => s.status)).toEqual(['new']);
    expect(r.bundle.sessions).toBe(manifest.sessions.length);
    expect(r.report.files).toBe(manifest.sessions.length + 1);
  });

  it('an entry missing from the middle: the others in the bundle order, the missing one last', async () => {
    const sessions = packed.slice(1);
    const gone = sessions[2]!.name;
    const shuffled = [sessions[4]!, sessions[0]!, ...sessions.slice(5), sessions[1]!, sessions[3]!];
    const r = await unpack({ bundle: await bundleOf('gap.tar', packed[0]!.data.toString(), shuffled), home: join(makeTempDir(), 'h') });
    expect(r.sessions.map((s) => s.entry)).toEqual([...shuffled.map((e) => e.name), gone]);
    expect(r.sessions.at(-1)).toMatchObject({ status: 'failed', error: { code: 'E_BAD_BUNDLE', message: expect.stringMatching(/missing from the bundle/) } });
    expect(r.report.errors.map((e) => e.path)).toEqual([gone]);
  });

  it('a manifest broken in the middle or cut short: one error naming it, nothing written, nothing left in the temp folder', async () => {
    const text = packed[0]!.data.toString();
    const middle = text.indexOf('"sha256"', text.length / 2);
    for (const bad of [`${text.slice(0, middle)}"sha256" "${text.slice(middle + 10)}`, text.slice(0, text.length / 2)]) {
      const bundle = await bundleOf('broken.tar', bad, packed.slice(1));
      const home = join(makeTempDir(), 'h');
      const [r, left] = await inTmp(() => unpack({ bundle, home }));
      expect(r.report.errors).toEqual([expect.objectContaining({ code: 'E_BAD_BUNDLE', path: 'manifest.json', message: expect.stringMatching(/^the manifest is not valid JSON/) })]);
      expect(r.sessions).toEqual([]);
      expect(existsSync(home)).toBe(false);
      expect(left).toEqual([]);
    }
  });
});

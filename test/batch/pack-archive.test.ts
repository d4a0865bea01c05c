import { appendFileSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tar from 'tar-stream';
import { packArchive } from '../../src/batch/pack-archive.js';
import type { BundleManifest } from '../../src/batch/bundle-manifest.js';
import { parseManifest } from '../helpers/manifest-reference.js';
import { describeSession } from '../../src/session/describe-session.js';
import { buildSampleArchive, cleanupTempDirs, failedInBulk, makeTempDir, packedBytes, type SampleArchive } from '../helpers/zot-archive.js';
import { tempFiles } from '../helpers/fs-snapshot.js';

afterAll(cleanupTempDirs);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Runs `f` with the temp folder at a new empty folder, and returns what `f` left in it. */
async function leftInTmp(f: () => Promise<unknown>): Promise<string[]> {
  const dir = makeTempDir();
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    await f();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  expect(tmpdir()).not.toBe(dir);
  return readdirSync(dir);
}

/** Every entry of a tar, in order, with its bytes. */
async function entries(bundle: Buffer): Promise<Array<{ name: string; type: string; data: Buffer }>> {
  const plain = bundle[0] === 0x1f ? gunzipSync(bundle) : bundle;
  const extract = tar.extract();
  const out: Array<{ name: string; type: string; data: Buffer }> = [];
  const done = (async () => {
    for await (const e of extract) {
      const parts: Buffer[] = [];
      for await (const c of e) parts.push(c as Buffer);
      out.push({ name: e.header.name, type: e.header.type, data: Buffer.concat(parts) });
    }
  })();
  extract.end(plain);
  await done;
  return out;
}

describe('packArchive', () => {
  let sample: SampleArchive;
  let out: string;
  let result: Awaited<ReturnType<typeof packArchive>>;
  let manifest: BundleManifest;

  beforeAll(async () => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 2_000_000 });
    out = join(makeTempDir(), 'all.zotpack');
    result = await packArchive({ sources: [sample.home], out, jobs: 2, version: '9.9.9', durable: false });
    manifest = parseManifest((await entries(readFileSync(out)))[0]!.data).manifest;
  });

  it('writes a gzipped tar that tar itself lists: the manifest first, then each session', async () => {
    expect(readFileSync(out).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const listed = execFileSync('tar', ['-tzf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(listed[0]).toBe('manifest.json');
    expect(listed.slice(1)).toEqual(manifest.sessions.map((s) => s.path));
    expect(result.bytesOut).toBe(statSync(out).size);
    expect(tempFiles(join(out, '..'))).toEqual([]);
  });

  it('packs every readable session byte for byte (a cut-off last row left out, with a warning), and reports each file zot cannot open', async () => {
    const refused = failedInBulk(sample);
    expect(result.report.errors.map((e) => [basename(e.path!), e.code]).sort()).toEqual(refused.map((b) => [basename(b.path), b.code]).sort());
    const readable = [...sample.good, sample.named.damaged];
    expect(manifest.sessions).toHaveLength(readable.length);
    const all = await entries(readFileSync(out));
    for (const path of readable) {
      const key = basename(join(path, '..'));
      const e = all.find((x) => x.name === `sessions/${key}/${basename(path)}`)!;
      expect(e.type).toBe('file');
      expect(e.data.equals(packedBytes(path))).toBe(true);
    }
    expect(packedBytes(sample.named.damaged).length).toBeLessThan(readFileSync(sample.named.damaged).length);
    const empty = sample.bad.find((b) => b.code === 'E_EMPTY')!.path;
    expect(result.report.warnings).toEqual([expect.objectContaining({ code: 'W_TRUNCATED', path: sample.named.damaged }), expect.objectContaining({ code: 'W_EMPTY', path: empty })]);
  });

  it('records each session in the manifest: cwd, key, id, parent, fork point, start, title, size, sha256', () => {
    expect([manifest.format, manifest.version, manifest.zotpack]).toEqual(['zotpack-bundle', 1, '9.9.9']);
    expect(Date.parse(manifest.created)).not.toBeNaN();
    for (const s of manifest.sessions) {
      const path = join(sample.home, s.path);
      const d = describeSession(path);
      const bytes = packedBytes(path);
      expect(s).toEqual({
        path: s.path,
        key: basename(join(path, '..')),
        cwd: d.cwd,
        id: d.id,
        parent: d.parent,
        forkPoint: d.forkPoint,
        started: d.summary.started,
        title: d.summary.title,
        hidden: d.hidden,
        size: bytes.length,
        sha256: sha(bytes),
      });
    }
  });

  it('orders each project parents first', () => {
    const index = (p: string) => manifest.sessions.findIndex((s) => join(sample.home, s.path) === p);
    const { root, branch1, branch2, branch3, sibling } = sample.named;
    expect(index(root)).toBeLessThan(index(branch1));
    expect(index(branch1)).toBeLessThan(index(branch2));
    expect(index(branch2)).toBeLessThan(index(branch3));
    expect(index(root)).toBeLessThan(index(sibling));
    const keys = manifest.sessions.map((s) => s.key);
    expect(keys).toEqual([...keys].sort());
  });

  it('writes manifest.json as JSON.stringify(manifest, null, 1) writes it, with or without sessions', async () => {
    const first = (await entries(readFileSync(out)))[0]!.data.toString('utf8');
    expect(first).toBe(`${JSON.stringify(JSON.parse(first), null, 1)}\n`);
    const empty = join(makeTempDir(), 'empty.zotpack');
    await packArchive({ sources: [makeTempDir()], out: empty, jobs: 1, durable: false, version: '9.9.9' });
    const none = (await entries(readFileSync(empty)))[0]!.data.toString('utf8');
    expect(JSON.parse(none).sessions).toEqual([]);
    expect(none).toBe(`${JSON.stringify(JSON.parse(none), null, 1)}\n`);
  });

  it('makes the same bundle a project at a time, with files outside project folders joining their project, each session once', async () => {
    // Copies outside any project folder: one of a project's sessions (a twin
    // of the one in the home), and one of another project's, renamed.
    const loose = makeTempDir();
    const twin = join(loose, basename(sample.named.branch1));
    copyFileSync(sample.named.branch1, twin);
    const moved = join(loose, basename(sample.named.plain));
    copyFileSync(sample.named.plain, moved);
    const home = makeTempDir();
    const plainKey = basename(join(sample.named.plain, '..'));
    for (const p of manifest.sessions) {
      if (p.path === `sessions/${plainKey}/${basename(moved)}`) continue;
      mkdirSync(join(home, 'sessions', p.key), { recursive: true });
      copyFileSync(join(sample.home, p.path), join(home, p.path));
    }
    const packs: BundleManifest[] = [];
    for (const maxFiles of [undefined, 1, 3]) {
      const b = join(makeTempDir(), 'b.zotpack');
      let r!: Awaited<ReturnType<typeof packArchive>>;
      const left = await leftInTmp(async () => {
        r = await packArchive({ sources: [loose, home], out: b, jobs: 2, durable: false, now: () => new Date(0) }, { maxFiles });
      });
      expect(left).toEqual([]);
      expect(r.report.skipped).toBe(1);
      expect(r.report.errors).toEqual([]);
      packs.push(parseManifest((await entries(readFileSync(b)))[0]!.data).manifest);
      expect(r.manifest.sessions).toEqual(packs.at(-1)!.sessions);
    }
    // The whole archive, as one pack of the sample home made it: the same sessions in the same order.
    expect(packs[0]!.sessions).toEqual(manifest.sessions);
    expect(packs[1]).toEqual(packs[0]);
    expect(packs[2]).toEqual(packs[0]);
  });

  it('fails with the temp folder named when it cannot spool there, writing no bundle', async () => {
    const missing = join(makeTempDir(), 'gone');
    const b = join(makeTempDir(), 'b.zotpack');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = missing;
    try {
      await expect(packArchive({ sources: [sample.home], out: b, jobs: 1, durable: false })).rejects.toMatchObject({
        code: 'E_NOT_FOUND',
        path: expect.stringContaining(missing),
      });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(() => statSync(b)).toThrow();
  });

  it('hands each manifest entry to onPacked instead of keeping them in the result', async () => {
    const seen: string[] = [];
    const b = join(makeTempDir(), 'b.zotpack');
    const r = await packArchive({ sources: [sample.home], out: b, jobs: 2, durable: false, onPacked: (s) => seen.push(s.path) });
    expect(r.manifest.sessions).toEqual([]);
    expect(seen).toEqual(manifest.sessions.map((s) => s.path));
    expect(r.report.succeeded).toBe(seen.length);
  });

  it('writes a plain tar with gzip off, and never overwrites a bundle without force', async () => {
    const plain = join(makeTempDir(), 'plain.tar');
    await packArchive({ sources: [sample.named.root, sample.named.branch1], out: plain, gzip: false, jobs: 1, durable: false });
    expect(execFileSync('tar', ['-tf', plain], { encoding: 'utf8' }).trim().split('\n')).toHaveLength(3);
    const before = readFileSync(plain);
    await expect(packArchive({ sources: [sample.named.root], out: plain, jobs: 1 })).rejects.toMatchObject({ code: 'E_EXISTS' });
    expect(readFileSync(plain).equals(before)).toBe(true);
    await packArchive({ sources: [sample.named.root], out: plain, gzip: false, force: true, jobs: 1, durable: false });
    expect(execFileSync('tar', ['-tf', plain], { encoding: 'utf8' }).trim().split('\n')).toHaveLength(2);
  });

  it('--force replaces a file, never what is not one: a link, a FIFO, a device (as /dev/null); a link to a folder is a folder', async () => {
    const dir = makeTempDir();
    const target = join(dir, 'target');
    writeFileSync(target, 'kept');
    symlinkSync(target, join(dir, 'link.zotpack'));
    execFileSync('mkfifo', [join(dir, 'fifo.zotpack')]);
    symlinkSync(dir, join(dir, 'folder-link'));
    symlinkSync('loop.zotpack', join(dir, 'loop.zotpack'));
    const force = (out: string) => packArchive({ sources: [sample.named.root], out, force: true, jobs: 1, durable: false });
    for (const name of ['link.zotpack', 'fifo.zotpack', 'loop.zotpack']) {
      await expect(force(join(dir, name))).rejects.toMatchObject({ code: 'E_EXISTS', path: join(dir, name), message: /not a regular file/ });
    }
    await expect(force('/dev/null')).rejects.toMatchObject({ code: 'E_EXISTS', path: '/dev/null' });
    await expect(force(join(dir, 'folder-link'))).rejects.toMatchObject({ code: 'E_IS_DIR' });
    expect([lstatSync(join(dir, 'link.zotpack')).isSymbolicLink(), lstatSync(join(dir, 'fifo.zotpack')).isFIFO(), readFileSync(target, 'utf8')]).toEqual([true, true, 'kept']);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('packs a session that zot appends to meanwhile as it was when hashed', async () => {
    const home = makeTempDir();
    const src = join(home, 'sessions', sample.projects[2]!.key);
    const path = join(src, basename(sample.named.plain));
    mkdirSync(src, { recursive: true });
    writeFileSync(path, readFileSync(sample.named.plain));
    const before = readFileSync(path);
    const bundle = join(makeTempDir(), 'b.zotpack');
    let grown = false;
    await packArchive({
      sources: [home],
      out: bundle,
      jobs: 1,
      durable: false,
      onPhase: (phase) => {
        if (phase === 'pack') {
          appendFileSync(path, '{"title":"later","type":"rename"}\n');
          grown = true;
        }
      },
    });
    expect(grown).toBe(true);
    const all = await entries(readFileSync(bundle));
    expect(all[1]!.data.equals(before)).toBe(true);
    expect(parseManifest(all[0]!.data).manifest.sessions[0]!.sha256).toBe(sha(before));
  });

  it('fails with E_CHANGED, publishing nothing, when a session changes other than by appending', async () => {
    const home = makeTempDir();
    const path = join(home, 'sessions', sample.projects[2]!.key, basename(sample.named.plain));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, readFileSync(sample.named.plain));
    const bundle = join(makeTempDir(), 'b.zotpack');
    const run = () =>
      packArchive({
        sources: [home],
        out: bundle,
        jobs: 1,
        onPhase: (phase) => {
          if (phase === 'pack') {
            const b = readFileSync(path);
            b[b.length - 3] ^= 0x20;
            writeFileSync(path, b);
          }
        },
      });
    // Its spool (a temp folder) goes too.
    expect(await leftInTmp(() => expect(run()).rejects.toMatchObject({ code: 'E_CHANGED', path }))).toEqual([]);
    expect(() => statSync(bundle)).toThrow();
    expect(tempFiles(join(bundle, '..'))).toEqual([]);
  });
});

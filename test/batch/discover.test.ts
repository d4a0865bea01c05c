import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverSessions, findFolders, listFolder } from '../../src/batch/discover.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('discoverSessions', () => {
  const home = makeTempDir();
  const sample = buildSampleArchive(home, { bigRowBytes: 10_000 });
  const all = sample.projects.flatMap((p) => p.sessions).sort();

  it('finds the same files from a zot home, its sessions folder, and its project folders', async () => {
    const fromHome = await discoverSessions([home]);
    expect(fromHome.entries.map((e) => e.path)).toEqual(all);
    const fromSessions = await discoverSessions([join(home, 'sessions')]);
    expect(fromSessions.entries.map((e) => e.path)).toEqual(all);
    const fromProjects = await discoverSessions(sample.projects.map((p) => join(home, 'sessions', p.key)));
    expect(fromProjects.entries.map((e) => e.path)).toEqual(all);
    expect(fromHome.entries.every((e) => sample.projects.some((p) => p.key === e.folderKey))).toBe(true);
  });

  it('counts a file reached by two sources once, and takes single files', async () => {
    const one = sample.named.root;
    const r = await discoverSessions([home, one]);
    expect(r.entries.map((e) => e.path)).toEqual(all);
    const single = await discoverSessions([one]);
    expect(single.entries.map((e) => e.path)).toEqual([one]);
  });

  it('does not follow a link out of the source, and says so', async () => {
    const outside = makeTempDir();
    const target = join(outside, 'stolen.jsonl');
    writeFileSync(target, '{"type":"meta","meta":{"id":"x"}}\n');
    const link = join(home, 'sessions', sample.projects[0]!.key, 'zz-link.jsonl');
    symlinkSync(target, link);
    const r = await discoverSessions([home]);
    expect(r.entries.map((e) => e.path)).not.toContain(link);
    expect(r.warnings.some((w) => w.path === link && /out of the source/.test(w.message))).toBe(true);
  });

  it('fails a missing source (E_NOT_FOUND) and goes on with the others', async () => {
    const r = await discoverSessions([join(home, 'nope'), sample.named.root]);
    expect(r.entries.map((e) => e.path)).toEqual([sample.named.root]);
    expect(r.errors).toEqual([{ code: 'E_NOT_FOUND', message: 'cannot read: no such file or folder', path: join(home, 'nope') }]);
    expect(r.warnings).toEqual([]);
  });

  it("takes a name with a backslash in it; passes over a hidden one, saying so (and over zotpack's own journal, silently)", async () => {
    const h = makeTempDir();
    const dir = join(h, 'sessions', '0123456789abcdef');
    mkdirSync(dir, { recursive: true });
    for (const name of ['a\\b.jsonl', 'x\ufffdy.jsonl', '.hidden.jsonl', '.zotpack-journal.jsonl']) writeFileSync(join(dir, name), '{"type":"meta","meta":{"id":"x"}}\n');
    const r = await discoverSessions([h]);
    // A name with U+FFFD in it that is valid UTF-8 opens like any other.
    expect(r.entries.map((e) => e.path)).toEqual([join(dir, 'a\\b.jsonl'), join(dir, 'x\ufffdy.jsonl')]);
    expect(r.warnings).toEqual([{ code: 'W_UNREADABLE', message: expect.stringContaining('hidden file'), path: join(dir, '.hidden.jsonl') }]);
    expect(r.errors).toEqual([]);
  });

  it('fails a session whose name is not UTF-8 (Node.js cannot open it by name), naming it', async () => {
    const h = makeTempDir();
    const dir = join(h, 'sessions', '0123456789abcdef');
    mkdirSync(dir, { recursive: true });
    writeFileSync(Buffer.from(join(dir, 'x\xffy.jsonl'), 'latin1'), '{"type":"meta","meta":{"id":"x"}}\n');
    const r = await discoverSessions([h]);
    expect(r.entries).toEqual([]);
    expect(r.errors).toEqual([{ code: 'E_UNREADABLE', message: 'cannot open: its name is not valid UTF-8', path: join(dir, 'x\ufffdy.jsonl') }]);
  });

  it('says which links lead nowhere and which loop', async () => {
    const h = makeTempDir();
    const dir = join(h, 'sessions', '0123456789abcdef');
    mkdirSync(dir, { recursive: true });
    symlinkSync('b.jsonl', join(dir, 'a.jsonl'));
    symlinkSync('a.jsonl', join(dir, 'b.jsonl'));
    symlinkSync('nowhere.jsonl', join(dir, 'c.jsonl'));
    const r = await discoverSessions([h]);
    expect(r.entries).toEqual([]);
    expect(r.warnings.map((w) => [w.path, w.message])).toEqual([
      [join(dir, 'a.jsonl'), 'a link that loops: skipped'],
      [join(dir, 'b.jsonl'), 'a link that loops: skipped'],
      [join(dir, 'c.jsonl'), 'dangling link: skipped'],
    ]);
  });

  it('skips folders named like sessions', async () => {
    const h = makeTempDir();
    mkdirSync(join(h, 'p', 'dir.jsonl'), { recursive: true });
    expect((await discoverSessions([h])).entries).toEqual([]);
  });
});

describe('discoverSessions, a file with two names', () => {
  it('takes a file linked from another project folder once, under its own name', async () => {
    const home = makeTempDir();
    const sample = buildSampleArchive(home, { bigRowBytes: 1_000 });
    const [a, b] = sample.projects;
    const link = join(home, 'sessions', b!.key, 'linked.jsonl');
    symlinkSync(sample.named.root, link);
    const hard = join(home, 'sessions', b!.key, 'hard.jsonl');
    linkSync(sample.named.branch1, hard);
    const r = await discoverSessions([home]);
    const paths = r.entries.map((e) => e.path);
    expect(paths).toContain(sample.named.root);
    expect(paths).not.toContain(link);
    // Hard links: one name, the same one every run (the first project folder in key order).
    const names = [sample.named.branch1, hard].filter((p) => paths.includes(p));
    expect(names).toHaveLength(1);
    const first = a!.key < b!.key ? sample.named.branch1 : hard;
    expect(names[0]).toBe(first);
  });
});

describe('findFolders and links', () => {
  it('takes a file reached by two links, or by a link and as a source, once', async () => {
    const home = makeTempDir();
    const sample = buildSampleArchive(home, { bigRowBytes: 1_000 });
    const key = sample.projects[0]!.key;
    // A target deeper than any listed folder, inside the source.
    const deep = join(home, 'sessions', key, 'keep', 'deep');
    mkdirSync(deep, { recursive: true });
    const target = join(deep, 'target.jsonl');
    writeFileSync(target, '{"type":"meta","meta":{"id":"deep"}}\n');
    const one = join(home, 'sessions', key, 'link-one.jsonl');
    const two = join(home, 'sessions', key, 'link-two.jsonl');
    symlinkSync(target, one);
    symlinkSync(target, two);
    const paths = (await discoverSessions([home])).entries.map((e) => e.path);
    expect(paths.filter((p) => p === one || p === two)).toEqual([one]);
    const withSource = (await discoverSessions([target, home])).entries.map((e) => e.path);
    expect(withSource.filter((p) => p === one || p === two || p === target)).toEqual([target]);
  });

  it('follows a link into a project a filter leaves out', async () => {
    const home = makeTempDir();
    const sample = buildSampleArchive(home, { bigRowBytes: 1_000 });
    const [a, b] = sample.projects;
    const link = join(home, 'sessions', a!.key, 'from-b.jsonl');
    symlinkSync(b!.sessions[0]!, link);
    const onlyA = findFolders([home], '.jsonl', (k) => k === a!.key);
    const listed = onlyA.folders.flatMap((f) => listFolder(onlyA, f)).map((e) => e.path);
    expect(listed).toContain(link);
    const all = findFolders([home]);
    expect(all.folders.flatMap((f) => listFolder(all, f)).map((e) => e.path)).not.toContain(link);
  });
});

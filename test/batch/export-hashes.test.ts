/**
 * What an import checks an export folder's files against: the manifest's
 * entries (a killed run's journal over them), a slice of projects at a time.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportArchive } from '../../src/batch/export-archive.js';
import { ExportHashes } from '../../src/batch/export-hashes.js';
import { JOURNAL_NAME, readManifest, type ManifestEntry } from '../../src/batch/export-manifest.js';
import { cleanupTempDirs, makeTempDir, writeSession } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('ExportHashes', () => {
  let out: string;
  let entries: ManifestEntry[];
  const keys = () => [...new Set(entries.map((e) => e.key))].sort();

  beforeAll(async () => {
    const home = makeTempDir();
    for (const cwd of ['/a', '/b', '/c']) for (const n of [1, 2]) writeSession(home, { cwd, rows: [{ user: `${cwd} ${n}` }] });
    out = makeTempDir();
    await exportArchive({ sources: [home], out, jobs: 1 });
    entries = readManifest(out)!.sessions;
  });

  const all = () => true;

  it("hands out the entries of the slice's projects only; others it passes over, a project no slice held is missing", () => {
    const [k1, k2, k3] = keys();
    const hashes = ExportHashes.open([out], () => {});
    const missing: string[] = [];
    // A slice holding only the last project: the first two are passed over, and (the whole folder given) missing.
    const got = hashes.through(k3!, (k) => k === k3, all, (p) => missing.push(p));
    expect([...got.keys()].sort()).toEqual(entries.filter((e) => e.key === k3).map((e) => join(out, e.output)).sort());
    expect([...got.values()].every((l) => l.covered)).toBe(true);
    expect(missing.sort()).toEqual(entries.filter((e) => e.key === k1 || e.key === k2).map((e) => join(out, e.output)).sort());
    hashes.close();
  });

  it('a project folder given: only its project is covered; a file given: nothing is', () => {
    const [k1, k2] = keys();
    const hashes = ExportHashes.open([join(out, k2!), join(out, entries.find((e) => e.key === k1)!.output)], () => {});
    const missing: string[] = [];
    const first = hashes.through(k1!, (k) => k === k1, all, (p) => missing.push(p));
    expect([...first.values()].map((l) => l.covered)).toEqual([false, false]);
    const second = hashes.through(k2!, (k) => k === k2, all, (p) => missing.push(p));
    expect([...second.values()].map((l) => l.covered)).toEqual([true, true]);
    hashes.rest(all, (p) => missing.push(p));
    expect(missing).toEqual([]);
    hashes.close();
  });

  it("a killed run's journal wins over the manifest for the outputs it lists, and adds those the manifest lacks", () => {
    const dir = makeTempDir();
    const copy = join(dir, 'x');
    // The same export, with a journal: one entry changed (a later export), one new.
    const [changed] = entries;
    const newer = { ...changed!, bytes: changed!.bytes + 10, sha256: 'f'.repeat(64) };
    const added = { ...changed!, source: '/elsewhere/new.jsonl', output: `${changed!.key}/new.zotsession`, bytes: 5, sha256: 'e'.repeat(64) };
    cpSync(out, copy, { recursive: true });
    writeFileSync(join(copy, JOURNAL_NAME), `${JSON.stringify(newer)}\n${JSON.stringify(added)}\n`);
    const hashes = ExportHashes.open([copy], () => {});
    const got = hashes.through(keys().at(-1)!, all, all);
    expect(got.get(join(copy, changed!.output))).toMatchObject({ bytes: newer.bytes, sha256: newer.sha256 });
    expect(got.get(join(copy, added.output))).toMatchObject({ bytes: 5, sha256: added.sha256 });
    hashes.close();
  });

  it('keptForDeleted: the exports kept for sessions gone from their source, a journal entry over its manifest entry', () => {
    const copy = join(makeTempDir(), 'x');
    cpSync(out, copy, { recursive: true });
    const [gone, back, goneLater] = entries;
    // The manifest keeps two exports of deleted sessions; a killed run's journal then exports one of them again (it came back) and keeps a third.
    const manifest = readManifest(copy)!;
    const deleted = new Set([gone!.output, back!.output]);
    writeFileSync(
      join(copy, 'manifest.json'),
      JSON.stringify({ ...manifest, sessions: manifest.sessions.map((e) => (deleted.has(e.output) ? { ...e, sourceDeleted: true } : e)) }),
    );
    writeFileSync(join(copy, JOURNAL_NAME), `${JSON.stringify(back)}\n${JSON.stringify({ ...goneLater!, sourceDeleted: true })}\n`);
    const kept = ExportHashes.keptForDeleted([copy], () => {});
    expect([...kept].sort()).toEqual([join(copy, gone!.output), join(copy, goneLater!.output)].sort());
    // A folder with no manifest (a zot home) has none; an unreadable manifest is a warning that says what is not done.
    expect(ExportHashes.keptForDeleted([makeTempDir()], () => {}).size).toBe(0);
    writeFileSync(join(copy, 'manifest.json'), '{"format":');
    const warnings: string[] = [];
    expect(ExportHashes.keptForDeleted([copy], (w) => warnings.push(...w.map((x) => `${x.code} ${x.message}`))).size).toBe(0);
    expect(warnings).toEqual([expect.stringMatching(/^W_UNREADABLE .*; sessions deleted at the source are not marked$/)]);
  });
});

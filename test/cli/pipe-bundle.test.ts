/**
 * A bundle through a pipe, never a file: `pack -o - | unpack -` and
 * `verify -`, run as a person moving an archive over ssh runs them — real
 * shell pipelines of real child processes. Also what a pipe adds: a reader
 * that goes away, a stream cut short, and the policies that need a file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { listTree, snapshot, tempFiles } from '../helpers/fs-snapshot.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir, writeSession, type SampleArchive } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const MAP = '/home/dev/src=/home/ann/code';
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const ZP = `${quote(process.execPath)} ${quote(BIN)}`;

/** A shell pipeline, `zp` standing for the zotpack binary; the exit codes of each part (bash's PIPESTATUS). */
function pipeline(script: string, cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('bash', ['-c', `zp() { ${ZP} "$@"; }\n${script}\necho "status: \${PIPESTATUS[*]}" >&2`], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  const lines = linesOf(r.stderr);
  const status = lines.at(-1)!.replace('status: ', '').split(' ').map(Number);
  return { status, stdout: r.stdout, stderr: lines.slice(0, -1).join('\n') };
}

/** Every file under `dir`, with its bytes and modification time. */
function contents(dir: string): Array<[string, string, number]> {
  return listTree(dir)
    .filter((p) => !p.endsWith('/'))
    .map((p) => [p, readFileSync(join(dir, p)).toString('base64'), statSync(join(dir, p)).mtimeMs]);
}

describe('a bundle through a pipe', () => {
  let sample: SampleArchive;
  let work: string;
  let byFile: string;
  /** Sessions in the bundle. */
  let count: number;

  beforeAll(() => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 600_000 });
    for (const b of sample.bad) if (b.code.startsWith('E_')) rmSync(b.path);
    work = makeTempDir();
    // The same move made with a bundle file, to hold the pipe's to.
    byFile = join(makeTempDir(), 'home');
    expect(zotpack(['pack', '-o', 'all.zotpack', '-q'], { cwd: work, home: sample.home }).status).toBe(0);
    expect(zotpack(['unpack', 'all.zotpack', '--map-cwd', MAP, '--to', byFile, '-q'], { cwd: work }).status).toBe(0);
    count = contents(byFile).length;
  });

  it('pack -o - | unpack - makes the home a bundle file makes; run again, everything is present', () => {
    const home = join(makeTempDir(), 'home');
    for (const gzip of ['', '--no-gzip']) {
      const r = pipeline(`zp pack -o - ${gzip} | zp unpack - --map-cwd ${MAP} --to ${quote(home)} --json`, work, { ZOT_HOME: sample.home });
      expect(r.status).toEqual([0, 0]);
      const doc = jsonOf(r);
      expect(doc.bundle.path).toBe('<stdin>');
      const statuses = new Set(doc.sessions.map((s: { status: string }) => s.status));
      // The first run brings every session; the second (plain tar this time) finds each there.
      expect(statuses).toEqual(new Set([gzip === '' ? 'new' : 'present']));
      expect(doc.sessions).toHaveLength(count);
      expect(contents(home)).toEqual(contents(byFile));
    }
    expect(tempFiles(home)).toEqual([]);
  });

  it('pack writes nothing else to stdout, and its report to stderr; verify - checks a piped bundle', () => {
    const r = pipeline('zp pack -o - | zp verify - --lenient', work, { ZOT_HOME: sample.home });
    expect(r.status).toEqual([0, 0]);
    expect(r.stderr).toMatch(/^packed \d+ sessions: .* \(gzip\)$/m);
    expect(r.stdout).toMatch(/: ok \(\d+ warning\(s\) zot lives with, --lenient\)$/m);
    expect(pipeline('zp pack -o - --no-gzip -q > bundle.tar', work, { ZOT_HOME: sample.home }).status).toEqual([0]);
    const plain = pipeline('zp verify - --json --lenient < bundle.tar', work);
    expect(plain.status).toEqual([0]);
    expect(jsonOf(plain)).toMatchObject({ path: '<stdin>', kind: 'bundle', ok: true, manifest: { sessions: count } });
    // The piped bundle is the bundle a file gets: after the manifest (which has the time it was made), byte for byte.
    expect(zotpack(['pack', '-o', 'file.tar', '--no-gzip', '-q'], { cwd: work, home: sample.home }).status).toBe(0);
    const [piped, filed] = ['bundle.tar', 'file.tar'].map((f) => {
      const tar = readFileSync(join(work, f));
      const manifestSize = parseInt(tar.subarray(124, 136).toString('latin1'), 8);
      return { size: tar.length, rest: tar.subarray(512 + Math.ceil(manifestSize / 512) * 512).toString('base64') };
    });
    expect(piped).toEqual(filed);
  });

  it('a dry run reads the manifest and drops the rest, so the pack feeding it ends well', () => {
    const home = join(makeTempDir(), 'home');
    // Plain tar, over 1 MB: more than a pipe holds, so pack is still writing when the plan is known.
    const r = pipeline(`zp pack -o - --no-gzip -q | zp unpack - --to ${quote(home)} --dry-run --json`, work, { ZOT_HOME: sample.home });
    expect(r.status).toEqual([0, 0]);
    expect(jsonOf(r)).toMatchObject({ dryRun: true, written: false });
    expect(r.stderr).toBe('');
  });

  // The timeouts guard against a hang (the reader never comes back), they time nothing.
  it('Ctrl-C ends a pack whose reader stalled (a quiet network): exit 130, without waiting for the reader', { timeout: 15_000 }, async () => {
    const child = spawn(process.execPath, [BIN, 'pack', '-o', '-', '--no-gzip', '-q'], { cwd: work, env: { ...process.env, ZOT_HOME: sample.home } });
    // The first bytes say the bundle is being written; then nothing more is read, and the pipe fills.
    await once(child.stdout, 'data');
    child.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(130);
  });

  it('a reader gone: pack exits 1 with E_WRITE naming <stdout>, and ends', { timeout: 15_000 }, () => {
    // Plain tar, over 1 MB: more than a pipe holds, so pack is still writing when head leaves.
    const r = pipeline('zp pack -o - --no-gzip | head -c 1000 > /dev/null', work, { ZOT_HOME: sample.home });
    expect(r.status).toEqual([1, 0]);
    expect(linesOf(r.stderr)).toEqual(['zotpack: <stdout>: cannot write the bundle: the reading end of the pipe closed [E_WRITE]']);
    expect(tempFiles(work)).toEqual([]);
  });

  it('a stream cut short: the sessions before the cut are unpacked, the rest named; the whole stream finishes the job', () => {
    const bundle = readFileSync(join(work, 'all.zotpack'));
    writeFileSync(join(work, 'cut.zotpack'), bundle.subarray(0, Math.floor(bundle.length * 0.6)));
    const home = join(makeTempDir(), 'home');
    const r = pipeline(`cat cut.zotpack | zp unpack - --map-cwd ${MAP} --to ${quote(home)} --json`, work);
    expect(r.status).toEqual([0, 1]);
    const doc = jsonOf(r);
    const failed = doc.sessions.filter((s: { status: string }) => s.status === 'failed');
    const done = doc.sessions.filter((s: { status: string }) => s.status === 'new');
    expect([failed.length > 0, done.length > 0, failed.length + done.length]).toEqual([true, true, count]);
    // The bundle's break is named once, as the stream's; every session it cost is named by its entry.
    const errors = doc.report.errors as Array<{ code: string; path: string; message: string }>;
    expect(errors.filter((e) => e.path === '<stdin>')).toEqual([{ code: 'E_BAD_BUNDLE', path: '<stdin>', message: expect.stringMatching(/^the bundle is cut short or corrupt/) }]);
    expect(errors.filter((e) => e.path !== '<stdin>').map((e) => e.path).sort()).toEqual(failed.map((s: { entry: string }) => s.entry).sort());
    expect(tempFiles(home)).toEqual([]);
    const again = pipeline(`cat all.zotpack | zp unpack - --map-cwd ${MAP} --to ${quote(home)} -q`, work);
    expect(again.status).toEqual([0, 0]);
    expect(contents(home)).toEqual(contents(byFile));
  });

  it('a run that fails still hands its whole --json and report to a slow reader before it exits', () => {
    // Over a pipe's 64 kB, and exit 1 (a source that is not there): bin/zotpack.js ends a failed run at once.
    const home = join(makeTempDir(), 'many');
    for (let i = 0; i < 400; i++) writeSession(home, { cwd: `/p/${i % 7}`, rows: [{ user: `prompt ${i} ${'x'.repeat(100)}` }] });
    const r = pipeline(`zp tree --json --from ${quote(home)} --from ${quote(join(home, 'missing'))} | (sleep 1; cat)`, work);
    expect(r.status).toEqual([1, 0]);
    expect(r.stdout.length).toBeGreaterThan(65536);
    const doc = jsonOf(r);
    expect(doc.projects.reduce((n: number, p: { roots: unknown[] }) => n + p.roots.length, 0)).toBe(400);
    expect(doc.report.errorsByCode).toEqual({ E_NOT_FOUND: 1 });
  });

  it('refuses what a pipe cannot do: --on-conflict fail (it reads the bundle twice), --json beside -o -, and no bundle at all', () => {
    const home = makeTempDir();
    const before = snapshot(home);
    const fail = pipeline(`zp unpack - --to ${quote(home)} --on-conflict fail < all.zotpack`, work);
    expect(fail.status).toEqual([2]);
    expect(fail.stderr).toContain('--on-conflict fail reads the bundle twice (a check, then the run): save the bundle to a file first [E_USAGE]');
    const json = pipeline('zp pack -o - --json | wc -c', work, { ZOT_HOME: sample.home });
    expect([json.status, json.stdout.trim()]).toEqual([[2, 0], '0']);
    // Plainly no bundle on stdin is the run's one error, as a file is: no report, no plan, nothing on stdout.
    for (const command of ['unpack', 'verify']) {
      const to = command === 'unpack' ? `--to ${quote(home)}` : '';
      const empty = pipeline(`zp ${command} - ${to} --json < /dev/null`, work);
      expect([empty.status, empty.stdout, empty.stderr]).toEqual([[1], '', 'zotpack: <stdin>: the bundle is empty [E_BAD_BUNDLE]']);
      const session = pipeline(`zp ${command} - ${to} < ${quote(sample.good[0]!)}`, work);
      expect([session.status, session.stdout]).toEqual([[1], '']);
      expect(session.stderr).toBe('zotpack: <stdin>: a session file (JSON), not a bundle: use `zotpack import` for .zotsession files [E_BAD_BUNDLE]');
      // Text given by mistake (a README), from stdin and as a file: no "unpacked ... (0 sessions)", no tar library's words.
      const text = join(work, 'notes.txt');
      writeFileSync(text, 'Moving to the new laptop:\n'.repeat(40));
      for (const given of [`- ${to} < ${quote(text)}`, `${quote(text)} ${to}`]) {
        const r = pipeline(`zp ${command} ${given}`, work);
        expect([r.status, r.stdout]).toEqual([[1], '']);
        expect(r.stderr).toBe(`zotpack: ${given.startsWith('-') ? '<stdin>' : text}: not a bundle: neither gzip nor tar (a bundle is what \`zotpack pack\` writes) [E_BAD_BUNDLE]`);
      }
    }
    expect(snapshot(home)).toEqual(before);
    expect(readdirSync(home)).toEqual([]);
  });
});

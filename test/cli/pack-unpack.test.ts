/**
 * pack → unpack → tree through the real binary, as a person moving an
 * archive to another machine would run them; and an unpack killed with
 * SIGKILL again and again, each time run anew, ending as a clean run ends.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CwdMap, parseCwdRule } from '../../src/format/cwd-map.js';
import { projectKey } from '../../src/format/project-key.js';
import { BIN, errorLine, jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { listTree, snapshot, tempFiles } from '../helpers/fs-snapshot.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir, writeSession, type SampleArchive } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const MAP = '/home/dev/src=/home/ann/code';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const cwdMap = new CwdMap([parseCwdRule(MAP)]);

interface Node {
  id: string;
  path: string;
  forkPoint: number;
  cwd: string;
  orphan: boolean;
  summary: unknown;
  children: Node[];
}

function kept(nodes: Node[]): unknown[] {
  return nodes.map((n) => ({ file: basename(n.path), id: n.id, forkPoint: n.forkPoint, cwd: n.cwd, orphan: n.orphan, summary: n.summary, children: kept(n.children) }));
}

/** `zotpack tree --json` of a home, projects by cwd. */
function trees(home: string): Map<string, { key: string; roots: unknown[] }> {
  const projects = jsonOf(zotpack(['tree', '--json'], { cwd: makeTempDir(), home })).projects as Array<{ cwd: string; key: string; roots: Node[] }>;
  return new Map(projects.map((p) => [p.cwd, { key: p.key, roots: kept(p.roots) }]));
}

/** A sample archive without the files zot cannot open, so that a pack succeeds. */
function cleanArchive(bigRowBytes: number): SampleArchive {
  const sample = buildSampleArchive(makeTempDir(), { bigRowBytes });
  for (const b of sample.bad) if (b.code.startsWith('E_')) rmSync(b.path);
  return sample;
}

describe('pack and unpack through the binary', () => {
  let sample: SampleArchive;
  let work: string;

  beforeAll(() => {
    sample = cleanArchive(2_000_000);
    work = makeTempDir();
  });

  it('moves an archive: pack -o all.zotpack, unpack --map-cwd OLD=NEW, and tree shows the same trees', () => {
    const packed = zotpack(['pack', '-o', 'all.zotpack'], { cwd: work, home: sample.home });
    expect(packed.status).toBe(0);
    expect(packed.stdout.trim()).toBe(join(work, 'all.zotpack'));
    expect(packed.stderr).toMatch(/^packed \d+ sessions: /m);

    const home = join(makeTempDir(), 'new-machine');
    const dry = zotpack(['unpack', 'all.zotpack', '--map-cwd', MAP, '--dry-run'], { cwd: work, home });
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('/home/dev/src/api -> /home/ann/code/api');
    expect(dry.stdout).toMatch(new RegExp(`sessions/${sample.projects[0]!.key} -> .*${projectKey('/home/ann/code/api')}: \\d+ new, 0 already present`));
    expect(existsSync(home)).toBe(false);

    const unpacked = zotpack(['unpack', 'all.zotpack', '--map-cwd', MAP], { cwd: work, home });
    expect(unpacked.status).toBe(0);
    const before = trees(sample.home);
    const after = trees(home);
    expect(after.size).toBe(before.size);
    for (const [cwd, p] of before) {
      const to = cwdMap.map(cwd) ?? cwd;
      const mapped = JSON.parse(JSON.stringify(p.roots).replaceAll(`"cwd":${JSON.stringify(cwd)}`, `"cwd":${JSON.stringify(to)}`));
      expect(after.get(to)).toEqual({ key: projectKey(to), roots: mapped });
    }

    const again = zotpack(['unpack', 'all.zotpack', '--map-cwd', MAP, '--json'], { cwd: work, home });
    expect(again.status).toBe(0);
    expect(new Set(jsonOf(again).sessions.map((s: { status: string }) => s.status))).toEqual(new Set(['present']));
  });

  it('verifies a bundle: 0 when whole (--lenient about what zot lives with), 1 on warnings by default, 1 with the entry named when a byte is off', () => {
    const ok = zotpack(['verify', 'all.zotpack', '--lenient'], { cwd: work });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^project +key +sessions +MB +rows/m);
    expect(ok.stdout).toMatch(/: ok \(\d+ warning\(s\) zot lives with, --lenient\)$/m);
    const quiet = zotpack(['verify', 'all.zotpack', '-q'], { cwd: work });
    expect(quiet.status).toBe(1);
    expect(quiet.stdout).toBe(''); // -q: only the exit code and problems, no table
    // ... and the warnings that fail the check, its only reason here; not those --lenient would pass alone.
    const failing = linesOf(quiet.stderr).filter((l) => l.startsWith('warning: '));
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((l) => /\[W_(ORPHAN|INVALID_ROW)\]$/.test(l))).toBe(true);
    expect(zotpack(['verify', 'all.zotpack', '-q', '--lenient'], { cwd: work }).stderr).toBe('');
    const doc = jsonOf(zotpack(['verify', 'all.zotpack', '--json', '--lenient'], { cwd: work }));
    expect(doc.ok).toBe(true);

    const plain = zotpack(['pack', '-o', 'plain.tar', '--no-gzip', '-q'], { cwd: work, home: sample.home });
    expect(plain.status).toBe(0);
    const bytes = readFileSync(join(work, 'plain.tar'));
    bytes[bytes.indexOf('Lint is clean.')] ^= 0x01;
    writeFileSync(join(work, 'bad.tar'), bytes);
    const bad = zotpack(['verify', 'bad.tar'], { cwd: work });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/error: sessions\/[0-9a-f]{16}\/[^:]+\.jsonl: .* \[E_HASH_MISMATCH\]/);
    const home = makeTempDir();
    const refused = zotpack(['unpack', 'bad.tar', '--to', home], { cwd: work });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/\[E_HASH_MISMATCH\]/);
  });

  it('a conflict under --on-conflict fail: the dry run and the run both exit 1, say nothing is unpacked, and word the rest as a plan', () => {
    const home = join(makeTempDir(), 'two-sided');
    expect(zotpack(['unpack', 'all.zotpack', '--map-cwd', MAP, '-q'], { cwd: work, home }).status).toBe(0);
    const local = (p: string) => join(home, 'sessions', projectKey(cwdMap.map('/home/dev/src/api')!), basename(p));
    const [diverged, grown] = sample.projects[0]!.sessions.filter((f) => sample.good.includes(f));
    appendFileSync(diverged!, '{"title":"there","type":"rename"}\n');
    appendFileSync(local(diverged!), '{"title":"here","type":"rename"}\n');
    appendFileSync(grown!, '{"title":"grown","type":"rename"}\n');
    expect(zotpack(['pack', '-o', 'two.zotpack', '-q'], { cwd: work, home: sample.home }).status).toBe(0);
    const before = snapshot(home);
    for (const [dry, verb] of [[true, 'would unpack nothing from'], [false, 'nothing unpacked from']] as const) {
      const r = zotpack(['unpack', 'two.zotpack', '--map-cwd', MAP, '--on-conflict', 'fail', ...(dry ? ['--dry-run'] : [])], { cwd: work, home });
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^${verb} `));
      expect(r.stdout).toMatch(/: 0 new, \d+ already present, 1 to append to, 0 conflicting, 1 failed$/m);
      // Nothing was written: no "0 ok" (as if every file had failed), no bytes, only the failure.
      expect(r.stderr).toMatch(/^files +\d+ \(1 failed; nothing written\)$/m);
      expect(r.stderr).not.toMatch(/^bytes /m);
      expect(linesOf(r.stderr).filter((l) => l.startsWith('error: '))).toEqual([expect.stringMatching(/\[E_CONFLICT\]$/)]);
    }
    const copy = zotpack(['unpack', 'two.zotpack', '--map-cwd', MAP, '--on-conflict', 'copy', '--dry-run'], { cwd: work, home });
    expect(copy.status).toBe(0);
    expect(copy.stdout).toMatch(/: 0 new, \d+ already present, 1 to append to, 0 conflicting, 1 to copy$/m);
    expect(copy.stderr).not.toContain('W_CONFLICT');
    expect(snapshot(home)).toEqual(before);
  });

  it('a bundle that cannot be written (a full disk) is the error named, not a session; nothing is left', () => {
    for (const gzip of [[], ['--no-gzip']]) {
      const r = spawnSync('sh', ['-c', 'ulimit -f 200; exec "$0" "$@"', process.execPath, BIN, 'pack', '-o', 'full.zotpack', ...gzip], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, ZOT_HOME: sample.home },
      });
      expect(r.status).toBe(1);
      expect(errorLine({ status: r.status, stdout: r.stdout, stderr: r.stderr })).toBe(`zotpack: ${join(work, 'full.zotpack')}: cannot write: EFBIG: file too large, write [E_WRITE]`);
      expect(existsSync(join(work, 'full.zotpack'))).toBe(false);
      expect(tempFiles(work)).toEqual([]);
    }
  });

  it('exits 1 naming the files a pack cannot carry, and 2 on usage errors', () => {
    const withBad = buildSampleArchive(makeTempDir(), { bigRowBytes: 1000 });
    const r = zotpack(['pack', '-o', 'bad.zotpack', '--json'], { cwd: work, home: withBad.home });
    expect(r.status).toBe(1);
    expect(Object.keys(jsonOf(r).report.errorsByCode).sort()).toEqual(['E_BOM', 'E_NOT_META']);
    expect(zotpack(['pack'], { cwd: work }).status).toBe(2);
    expect(zotpack(['unpack'], { cwd: work }).status).toBe(2);
    expect(zotpack(['unpack', 'all.zotpack', '--on-conflict', 'merge'], { cwd: work }).status).toBe(2);
    expect(zotpack(['unpack', 'all.zotpack', '--map-cwd', 'no-equals-sign'], { cwd: work }).status).toBe(2);
    expect(zotpack(['verify'], { cwd: work }).status).toBe(2);
    // --to and --home: the same folder is fine, two are a usage error, nothing written.
    const two = zotpack(['unpack', 'all.zotpack', '--to', 'a', '--home', 'b'], { cwd: work });
    expect([two.status, errorLine(two)]).toEqual([2, 'zotpack: --to and --home name two homes (a, b): give one']);
    expect(existsSync(join(work, 'a')) || existsSync(join(work, 'b'))).toBe(false);
    const exists = zotpack(['pack', '-o', 'all.zotpack'], { cwd: work, home: sample.home });
    expect(exists.status).toBe(1);
    expect(errorLine(exists)).toMatch(/all\.zotpack: .*\[E_EXISTS\]/);
    expect(linesOf(zotpack(['--help'], { cwd: work }).stdout).some((l) => /^ {2}unpack +unpack a bundle/.test(l))).toBe(true);
  });
});

describe('an unpack killed with SIGKILL', () => {
  it('ends, run again after every kill, with the home a clean run makes and no temp file', async () => {
    const sample = cleanArchive(1_500_000);
    const work = makeTempDir();
    const run = (args: string[], home: string) => zotpack(args, { cwd: work, home });
    expect(run(['pack', '-o', 'old.zotpack', '-q'], sample.home).status).toBe(0);
    // The archive moves on: new sessions with images (11 MB in all, so that
    // the second unpack writes long enough for kills to land mid-write), and
    // some sessions grow, so the second unpack adds as well as appends.
    for (let k = 0; k < 30; k++) {
      writeSession(sample.home, { cwd: `/home/dev/src/p${k % 4}`, rows: [{ user: `session ${k}` }, { image: { bytes: 150_000 + k * 15_000 } }, { assistant: 'ok' }] });
    }
    for (const p of [sample.named.switched, sample.named.big, sample.named.plain]) {
      appendFileSync(p, '{"type":"message","message":{"role":"user","content":[{"text":"later"}],"time":"2026-02-01T00:00:00Z"}}\n');
    }
    expect(run(['pack', '-o', 'new.zotpack', '-q'], sample.home).status).toBe(0);
    const unpack = ['unpack', join(work, 'new.zotpack'), '--map-cwd', MAP, '-q'];

    // The first machine state: the old bundle unpacked. A clean run of the new one from there.
    const start = join(makeTempDir(), 'start');
    expect(run(['unpack', 'old.zotpack', '--map-cwd', MAP, '-q'], start).status).toBe(0);
    const clean = join(makeTempDir(), 'clean');
    cpSync(start, clean, { recursive: true });
    const t0 = performance.now();
    expect(run(unpack, clean).status).toBe(0);
    const cleanMs = performance.now() - t0;
    const files = (home: string) => listTree(home).filter((p) => p.endsWith('.jsonl'));
    const bytesOf = (home: string, p: string) => readFileSync(join(home, p));

    const r = seededRandom(20261125);
    let kills = 0;
    let midWrite = 0; // kills that left a temp file: the run was writing
    // Rounds: from the first machine's state, kill the unpack and run it
    // again until a run gets to its end; then the home must be a clean run's.
    // Under load a run often ends before its kill (9 kills in 12 rounds once,
    // beside another suite), so rounds go on until 10 kills, up to 30. (20
    // kills took 37 s of the suite's 5 minutes; half of the kills land
    // mid-write either way, since every other one waits for a temp file.)
    for (let round = 0; kills < 10 && round < 30; round++) {
      const home = join(makeTempDir(), `round-${round}`);
      cpSync(start, home, { recursive: true });
      for (let attempt = 0; ; attempt++) {
        expect(attempt, 'an unpack that never gets to its end').toBeLessThan(30);
        // A killed run's temp files stay until the next run removes them; only
        // new ones show that this run is writing.
        const leftover = new Set(tempFiles(home));
        const newTemps = () => tempFiles(home).filter((p) => !leftover.has(p));
        const child = spawn(process.execPath, [BIN, ...unpack], { cwd: work, env: { ...process.env, ZOT_HOME: home }, stdio: 'ignore' });
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, sig) => resolve([code, sig])));
        let running = true;
        void exited.then(() => (running = false));
        // Every other kill anywhere from start-up to the end of a whole clean
        // run; the others within milliseconds of a temp file showing that the
        // run is writing. The clean run was timed once; with other test files
        // running beside this one a run can take several times as long, so
        // the window widens with each attempt and a round always gets to its end.
        let delay = 40 + r.next() * cleanMs * (1 + attempt / 4);
        if (attempt % 2 === 1) {
          const t = performance.now();
          while (running && newTemps().length === 0) await sleep(1);
          delay = performance.now() - t + r.next() * 4;
          await sleep(delay - (performance.now() - t));
        } else {
          await Promise.race([sleep(delay), exited]);
        }
        child.kill('SIGKILL');
        const [code, signal] = await exited;
        if (signal !== 'SIGKILL') {
          expect(code).toBe(0);
          break;
        }
        kills++;
        if (newTemps().length > 0) midWrite++;
        // Whatever is published is whole: each session file is as it was, or as a clean run leaves it.
        for (const p of files(home)) {
          const now = bytesOf(home, p);
          const ok = (existsSync(join(start, p)) && now.equals(bytesOf(start, p))) || now.equals(bytesOf(clean, p));
          expect(ok, `${p} after a kill at ${delay.toFixed(0)} ms`).toBe(true);
        }
      }
      expect(files(home)).toEqual(files(clean));
      for (const p of files(clean)) expect(bytesOf(home, p).equals(bytesOf(clean, p)), p).toBe(true);
      expect(listTree(home)).toEqual(listTree(clean));
      expect(tempFiles(home)).toEqual([]);
    }
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(midWrite).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('on Ctrl-C stops, removes its temp files and exits 130; run again, it finishes', async () => {
    const sample = cleanArchive(40_000_000);
    const work = makeTempDir();
    expect(zotpack(['pack', '-o', 'big.zotpack', '--no-gzip', '-q'], { cwd: work, home: sample.home }).status).toBe(0);
    const home = join(makeTempDir(), 'h');
    const child = spawn(process.execPath, [BIN, 'unpack', join(work, 'big.zotpack'), '--json'], { cwd: work, env: { ...process.env, ZOT_HOME: home } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (tempFiles(home).length > 0) {
          clearInterval(poll);
          child.kill('SIGINT');
          resolve();
        }
      }, 2);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(JSON.parse(stdout).report.interrupted).toBe(true);
    expect(tempFiles(home)).toEqual([]);
    expect(listTree(home).filter((p) => p.includes('.zotpack-lock'))).toEqual([]); // the home is let go
    expect(zotpack(['unpack', join(work, 'big.zotpack'), '-q'], { cwd: work, home }).status).toBe(0);
    expect(jsonOf(zotpack(['verify', home, '--json'], { cwd: work })).problems).toEqual([]);
  }, 60_000);

  it('a pack stopped with Ctrl-C while it writes exits 130 and leaves no bundle, not even a temp one; one killed leaves a temp file the next pack removes', async () => {
    const sample = cleanArchive(40_000_000);
    for (let k = 0; k < 6; k++) writeSession(sample.home, { cwd: '/home/dev/src/big', rows: [{ user: `big ${k}` }, { image: { bytes: 8_000_000 } }] });
    const work = makeTempDir();
    // What a pack killed with SIGKILL leaves beside its bundle.
    const stale = join(work, '.all.zotpack.0123abcd.zotpack-tmp');
    writeFileSync(stale, 'half a bundle');
    const child = spawn(process.execPath, [BIN, 'pack', '-o', 'all.zotpack', '--json'], { cwd: work, env: { ...process.env, ZOT_HOME: sample.home } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Once the bundle is being written: a temp file other than the stale one.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (tempFiles(work).some((p) => !stale.endsWith(p))) {
          clearInterval(poll);
          child.kill('SIGINT');
          resolve();
        }
      }, 2);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect([code, stderr]).toEqual([130, expect.not.stringContaining('Error')]);
    expect(JSON.parse(stdout).report.interrupted).toBe(true);
    expect(listTree(work)).toEqual([]);
    expect(zotpack(['pack', '-o', 'all.zotpack', '-q'], { cwd: work, home: sample.home }).status).toBe(0);
    expect(listTree(work)).toEqual(['all.zotpack']);
  }, 60_000);
});

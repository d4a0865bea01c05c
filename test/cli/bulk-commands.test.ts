import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectKey } from '../../src/format/project-key.js';
import { readManifest } from '../../src/batch/export-manifest.js';
import { buildSampleArchive, cleanupTempDirs, failedInBulk, makeTempDir, testId, writeSession, type SampleArchive } from '../helpers/zot-archive.js';
import { listTree, tempFiles } from '../helpers/fs-snapshot.js';
import { linesOf } from '../helpers/run-cli.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'zotpack.js');

function zotpack(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(cleanupTempDirs);

/** Whether the folder can be listed by the user `asUser` runs as. */
function readdirSafe(dir: string, asUser: string[]): boolean {
  const r = spawnSync(asUser[0] ?? process.execPath, [...asUser.slice(1), ...(asUser.length ? [process.execPath] : []), '-e', `require('fs').readdirSync(${JSON.stringify(dir)})`]);
  return r.status === 0;
}

describe('bulk commands through the binary', () => {
  let sample: SampleArchive;
  beforeAll(() => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 500_000 });
  });

  it('a home with no sessions, or filters that select none: said (W_NO_SESSIONS), not a silent empty run', () => {
    const empty = makeTempDir();
    const bundle = join(makeTempDir(), 'b.zotpack');
    for (const [args, says] of [
      [['export', '--out', join(makeTempDir(), 'x')], `warning: ${empty}: no session files here`],
      [['pack', '-o', bundle], `warning: ${empty}: no session files here`],
      [['stats'], `warning: ${empty}: no session files here`],
    ] as Array<[string[], string]>) {
      const r = zotpack([...args, '--home', empty]);
      expect([r.code, r.stderr], args.join(' ')).toEqual([0, expect.stringContaining(says)]);
    }
    const find = zotpack(['find', '0', '--home', empty]);
    expect([find.code, find.stderr]).toEqual([1, expect.stringContaining(`warning: ${empty}: no session files here`)]);
    // One empty folder among others is said too; a project folder of a home also given is not empty.
    const mixed = zotpack(['tree', '--from', empty, '--from', sample.home, '--from', join(sample.home, 'sessions', sample.projects[0]!.key)]);
    expect(linesOf(mixed.stderr).filter((l) => l.includes('W_NO_SESSIONS'))).toEqual([`warning: ${empty}: no session files here (zot keeps them in <zot home>/sessions/<project key>/) [W_NO_SESSIONS]`]);
    for (const args of [['export', '--out', join(makeTempDir(), 'y')], ['pack', '-o', join(makeTempDir(), 'c.zotpack')], ['tree'], ['import', join(makeTempDir())]]) {
      const r = zotpack([...args, '--id', 'ffffffff', '--from', sample.home]);
      if (args[0] === 'import') {
        // A folder with no .zotsession file at all: that is what import says, not the filter.
        expect(r.stderr, args.join(' ')).toContain('no .zotsession files here');
        continue;
      }
      expect(r.stderr, args.join(' ')).toMatch(/warning: no session of the \d+ (found|read) matches --id ffffffff \[W_NO_SESSIONS\]/);
    }
  });

  it('export --out: exit 1 when some files fail, one JSON report, bad files named', () => {
    const out = makeTempDir();
    const r = zotpack(['export', '--out', out, '--json', '--jobs', '2'], { ZOT_HOME: sample.home });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.report.command).toBe('export');
    expect(doc.report.failed).toBe(2);
    expect(Object.keys(doc.report.errorsByCode).sort()).toEqual(['E_BOM', 'E_NOT_META']);
    expect(doc.report.warnings.map((w: { code: string }) => w.code)).toContain('W_EMPTY');
    expect(doc.report).toHaveProperty('mbPerSec');
    expect(doc.report.rowsDropped).toEqual({ invalid: 2, undecodable: 0, meta: 1 });
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  });

  it('export --out of good sessions only exits 0; the table goes to stderr, no bar without a TTY', () => {
    const out = makeTempDir();
    const r = zotpack(['export', '--out', out, '--project', sample.projects[0]!.cwd, '--from', sample.home]);
    // The api project holds two bad files too.
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^files +\d+/m);
    expect(r.stderr).not.toMatch(/[\u2588\u2591\r]/);
    const good = makeTempDir();
    const ok = zotpack(['export', '--out', good, '--project', sample.projects[2]!.cwd, '--from', sample.home, '-q']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('');
  });

  it('an empty session file (zot has just created it) is passed over with W_EMPTY: a nightly export still exits 0', () => {
    const home = makeTempDir();
    const good = writeSession(home, { cwd: '/n', rows: [{ user: 'hi' }] });
    writeFileSync(join(dirname(good), '20991231-000000-aaaabbbb.jsonl'), '');
    const out = makeTempDir();
    const r = zotpack(['export', '--out', out, '--from', home]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: .*20991231-000000-aaaabbbb\.jsonl: the file has no rows: passed over.*\[W_EMPTY\]$/m);
    expect(readManifest(out)!.sessions.map((e) => e.source)).toEqual([good]);
  });

  it('-q keeps the names of failed files on stderr, and nothing else', () => {
    const r = zotpack(['export', '--out', makeTempDir(), '--from', sample.home, '-q']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(failedInBulk(sample).length);
    for (const bad of failedInBulk(sample)) {
      expect(lines.some((l) => l.startsWith(`error: ${bad.path}: `) && l.endsWith(`[${bad.code}]`))).toBe(true);
    }
  });

  it('--dry-run writes nothing', () => {
    const out = join(makeTempDir(), 'never');
    const r = zotpack(['export', '--out', out, '--dry-run', '--from', sample.home]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/new +\//);
    expect(existsSync(out)).toBe(false);
    // The report says so, not "0 ok" with 0 bytes and 0 rows, as if every file had failed.
    expect(r.stderr).toMatch(/^files +\d+ \(nothing written\)$/m);
    expect(r.stderr).not.toMatch(/^(bytes|rows kept) /m);
  });

  it('--dry-run names the sessions deleted at the source since the last export, as the run then reports them', () => {
    const home = makeTempDir();
    const gone = writeSession(home, { cwd: '/d', id: testId('gone'), rows: [{ user: 'bye' }] });
    writeSession(home, { cwd: '/d', id: testId('stays'), rows: [{ user: 'hi' }] });
    const out = join(makeTempDir(), 'out');
    expect(zotpack(['export', '--out', out, '-q'], { ZOT_HOME: home }).code).toBe(0);
    rmSync(gone);
    const dry = zotpack(['export', '--out', out, '--dry-run'], { ZOT_HOME: home });
    expect(linesOf(dry.stdout)).toEqual([`deleted   ${gone} (its export would be kept)`, '0 new, 0 changed, 1 unchanged, 1 deleted']);
    const real = zotpack(['export', '--out', out], { ZOT_HOME: home });
    expect(real.stderr).toContain(`deleted at the source (export kept): ${gone}\n`);
    expect(zotpack(['export', '--out', out], { ZOT_HOME: home }).stderr).not.toContain('deleted at the source');
  });

  it('tree, stats and find print one JSON document each with --json', () => {
    for (const args of [['tree'], ['stats'], ['find', '0']]) {
      const r = zotpack([...args, '--json', '--from', sample.home]);
      expect(() => JSON.parse(r.stdout)).not.toThrow();
    }
    const tree = JSON.parse(zotpack(['tree', '--json', '--from', sample.home]).stdout);
    expect(tree.projects).toHaveLength(3);
  });

  it('row counts are in the --json reports of the commands that count rows, and only there', () => {
    const reportOf = (args: string[]) => JSON.parse(zotpack([...args, '--json']).stdout).report;
    const bundle = join(makeTempDir(), 'all.zotpack');
    const verified = JSON.parse(zotpack(['verify', sample.home, '--json']).stdout);
    const counted = { export: reportOf(['export', '--out', makeTempDir(), '--from', sample.home]), verify: verified.report };
    const uncounted = [
      reportOf(['tree', '--from', sample.home]),
      reportOf(['stats', '--from', sample.home]),
      reportOf(['find', '0', '--from', sample.home]),
      reportOf(['pack', '-o', bundle, '--from', sample.home]),
      reportOf(['unpack', bundle, '--to', makeTempDir()]),
    ];
    expect(uncounted.map((r) => [r.command, 'rowsKept' in r, 'rowsDropped' in r])).toEqual(
      ['tree', 'stats', 'find', 'pack', 'unpack'].map((c) => [c, false, false]),
    );
    // verify counts the rows zot reads (its table's rows less the invalid ones), and as invalid the ones export left out.
    const projects = verified.projects as Array<{ rows: number; invalidRows: number }>;
    const read = projects.reduce((n, p) => n + p.rows - p.invalidRows, 0);
    expect([counted.verify.rowsKept, counted.verify.rowsDropped]).toEqual([read, { invalid: counted.export.rowsDropped.invalid, undecodable: 0, meta: 0 }]);
    expect([read, counted.export.rowsDropped.invalid]).toEqual([expect.any(Number), 2]);
    expect(read).toBeGreaterThan(counted.export.rowsKept); // export folds the meta rows into headers: never more rows than zot reads
  });

  it('usage errors exit 2', () => {
    expect(zotpack(['export', '--out']).code).toBe(2);
    expect(zotpack(['tree', '--jobs', 'many']).code).toBe(2);
    const none = zotpack(['tree', '--jobs', '0']);
    expect([none.code, none.stderr.split('\n')[0]]).toEqual([2, 'zotpack: --jobs takes a whole number from 1 to 256, got 0']);
    expect(zotpack(['stats', '--since', 'yesterday-ish']).code).toBe(2);
    expect(zotpack(['tree', '--bogus']).code).toBe(2);
    // Only the commands that write take --dry-run; the others refused to ignore it silently.
    for (const args of [['tree'], ['stats'], ['find', 'd9']]) {
      const r = zotpack([...args, '--dry-run'], { ZOT_HOME: sample.home });
      expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `zotpack: unknown option '--dry-run' for ${args[0]}`]);
    }
  });

  it('Ctrl-C mid-export leaves no temp file; a re-run ends equal to an uninterrupted run', async () => {
    const big = buildSampleArchive(makeTempDir(), { bigRowBytes: 60_000_000 });
    const out = makeTempDir();
    const child = spawn(process.execPath, [BIN, 'export', '--out', out, '--from', big.home, '--jobs', '1', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    // Interrupt once the first output (or its temp file) is on disk.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (listTree(out).some((p) => p.includes('.zotsession') || p.includes('.zotpack-tmp'))) {
          clearInterval(poll);
          child.kill('SIGINT');
          resolve();
        }
      }, 5);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(JSON.parse(stdout).report.interrupted).toBe(true);
    expect(tempFiles(out)).toEqual([]);
    expect(listTree(out).filter((p) => p.includes('.zotpack-lock'))).toEqual([]); // the folder is let go
    const rerun = zotpack(['export', '--out', out, '--from', big.home, '-q']);
    expect(rerun.code).toBe(1); // the sample's bad files
    const full = makeTempDir();
    zotpack(['export', '--out', full, '--from', big.home, '-q']);
    const files = (dir: string) => listTree(dir).filter((p) => p.endsWith('.zotsession'));
    expect(files(out)).toEqual(files(full));
    for (const f of files(full)) expect(readFileSync(join(out, f)).equals(readFileSync(join(full, f)))).toBe(true);
    expect(readdirSync(out)).toContain('manifest.json');
  }, 120_000);

  it('a zot home that is not there is the one error of a command that reads it, saying where that home came from and how to give another', () => {
    const nope = join(makeTempDir(), 'no-such-home');
    const reading = [['tree'], ['stats'], ['export', '--out', join(makeTempDir(), 'out')], ['pack', '-o', join(makeTempDir(), 'b.zotpack')], ['find', 'abc']];
    for (const [how, flags, env] of [
      ['given with --home', ['--home', nope], {}],
      ['from $ZOT_HOME', [], { ZOT_HOME: nope }],
      ["zot's default home on this system", [], { HOME: nope, XDG_STATE_HOME: '', ZOT_HOME: '' }],
    ] as const) {
      for (const args of reading) {
        const r = zotpack([...args, ...flags, '--json'], env);
        const home = how.startsWith('zot') ? join(nope, '.local', 'state', 'zot') : nope;
        expect([r.code, r.stdout, r.stderr], `${args[0]} ${how}`).toEqual([
          1,
          '',
          `zotpack: ${home}: no zot home here (${how}): give --home DIR or set ZOT_HOME, or name sessions with --from [E_NOT_FOUND]\n`,
        ]);
      }
    }
  });

  it('a source that is not there fails the run (exit 1, E_NOT_FOUND naming it); the others are still done', () => {
    const nope = join(makeTempDir(), 'no-such-home');
    for (const args of [['tree'], ['stats'], ['export', '--out', join(makeTempDir(), 'out')]]) {
      const r = zotpack([...args, '--from', nope]);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr).toContain(`${nope}: cannot read: no such file or folder [E_NOT_FOUND]`);
    }
    const out = makeTempDir();
    const mixed = zotpack(['export', '--out', out, '--from', nope, '--from', sample.named.root, '--json']);
    expect(mixed.code).toBe(1);
    const report = JSON.parse(mixed.stdout).report;
    expect([report.succeeded, report.failed, report.errorsByCode]).toEqual([1, 1, { E_NOT_FOUND: 1 }]);
    expect(listTree(out).filter((p) => p.endsWith('.zotsession'))).toHaveLength(1);
  });

  it('export where files cannot grow past 40 kB (a full disk): each session that failed is named, so is the manifest, the report is printed; the next run finishes', () => {
    const home = makeTempDir();
    // Small sessions (they fit) and enough of them that the manifest and the journal do not.
    for (let i = 0; i < 150; i++) writeSession(home, { cwd: `/full/p${i % 3}`, id: testId(`full-${i}`), rows: [{ user: `question ${i}` }, { assistant: 'answer' }] });
    const big = writeSession(home, { cwd: '/full/p0', id: testId('full-big'), rows: [{ user: 'x'.repeat(60_000) }] });
    const out = join(makeTempDir(), 'out');
    const limited = spawnSync('sh', ['-c', 'ulimit -f 40; exec "$0" "$@"', process.execPath, BIN, 'export', '--out', out, '--json', '--jobs', '2'], {
      encoding: 'utf8',
      env: { ...process.env, ZOT_HOME: home },
    });
    expect(limited.status).toBe(1);
    const doc = JSON.parse(limited.stdout);
    const errors = doc.report.errors as Array<{ code: string; path: string; message: string }>;
    expect(errors.find((e) => e.path === big)).toMatchObject({ code: 'E_WRITE', message: expect.stringContaining(`writing into ${join(out, projectKey('/full/p0'))}`) });
    expect(errors.filter((e) => e.path !== big).map((e) => [e.code, basename(e.path)])).toEqual([['E_WRITE', expect.stringMatching(/^(manifest\.json|\.zotpack-journal\.jsonl)$/)]]);
    expect(doc.report.succeeded).toBeGreaterThan(0);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    expect(tempFiles(out)).toEqual([]);

    const again = zotpack(['export', '--out', out, '--json'], { ZOT_HOME: home });
    expect(again.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).sessions).toHaveLength(151);
  });

  it('a project folder that cannot be listed fails the run (E_UNREADABLE naming it, exit 1); the other projects are done', (ctx) => {
    // chmod does not stop root: as root, run as nobody (setpriv), where there is one.
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const home = makeTempDir();
    chmodSync(home, 0o755);
    writeSession(home, { cwd: '/open', id: testId('open'), rows: [{ user: 'hi' }] });
    writeSession(home, { cwd: '/locked', id: testId('locked'), rows: [{ user: 'hi' }] });
    const locked = join(home, 'sessions', projectKey('/locked'));
    chmodSync(locked, 0o000);
    try {
      const run = (args: string[]) => spawnSync(asUser[0] ?? process.execPath, [...asUser.slice(1), ...(asUser.length ? [process.execPath] : []), BIN, ...args], { encoding: 'utf8', env: { ...process.env, ZOT_HOME: home } });
      if (run(['--version']).status !== 0 || readdirSafe(locked, asUser)) {
        console.log('skipped: no way here to run as a user that chmod 000 stops');
        ctx.skip();
        return;
      }
      for (const command of ['stats', 'tree']) {
        const r = run([command, '--json']);
        expect(r.status).toBe(1);
        const doc = JSON.parse(r.stdout);
        expect(doc.report.errors).toEqual([{ code: 'E_UNREADABLE', message: 'cannot list the project folder: permission denied', path: locked }]);
        expect(doc.report.succeeded).toBe(1);
      }
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  it('import of an export folder twice adds nothing the second time', () => {
    const out = makeTempDir();
    zotpack(['export', '--out', out, '--from', sample.home, '-q']);
    const home = makeTempDir();
    const first = zotpack(['import', out, '--home', home, '--json']);
    expect(first.code).toBe(0);
    const n = JSON.parse(first.stdout).imported.length;
    expect(n).toBeGreaterThan(5);
    const second = zotpack(['import', out, '--home', home, '--json']);
    expect(second.code).toBe(0);
    const doc = JSON.parse(second.stdout);
    expect(doc.imported).toEqual([]);
    expect(doc.present).toHaveLength(n);
    // Without --json: counted in the report, not named one line each.
    const third = zotpack(['import', out, '--home', home]);
    expect(third.code).toBe(0);
    expect(third.stdout).toBe('');
    expect(third.stderr).not.toContain('already present: ');
    expect(third.stderr).toContain(`(0 ok, ${n} already present)`);
  });

  it('import --dry-run lists each session and its project, then the counts, and writes nothing', () => {
    const out = makeTempDir();
    zotpack(['export', '--out', out, '--from', sample.home, '-q']);
    const home = makeTempDir();
    const dry = zotpack(['import', out, '--home', home, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(readdirSync(home)).toEqual([]);
    const lines = dry.stdout.trim().split('\n');
    const planned = lines.slice(0, -1);
    expect(lines.at(-1)).toBe(`${planned.length} to import, 0 already present`);
    expect(dry.stderr).toMatch(/^files +\d+ \(nothing written\)$/m);
    expect(dry.stderr).not.toMatch(/^(bytes|rows kept) /m);
    const dryJson = JSON.parse(zotpack(['import', out, '--home', home, '--dry-run', '--json']).stdout);
    expect(Object.keys(dryJson)).toEqual(['planned', 'present', 'report']);
    expect(readdirSync(home)).toEqual([]);
    const real = JSON.parse(zotpack(['import', out, '--home', home, '--json']).stdout);
    expect(Object.keys(real)).toEqual(['imported', 'present', 'report']);
    expect(planned).toEqual(real.imported.map((i: { source: string; cwd: string }) => `import ${i.source} -> ${i.cwd}`));
    expect(dryJson.planned.map((p: { source: string; cwd: string }) => `import ${p.source} -> ${p.cwd}`)).toEqual(planned);
    // Against the home that import filled: nothing to do, every session named on stderr.
    const again = zotpack(['import', out, '--home', home, '--dry-run']);
    expect(again.stdout).toBe(`0 to import, ${planned.length} already present\n`);
    expect(again.stderr.split('\n').filter((l) => l.startsWith('already present: '))).toHaveLength(planned.length);
  });
});

describe('the progress bar', () => {
  const hasScript = existsSync('/usr/bin/script');
  if (!hasScript) console.warn('skipping the TTY progress-bar test: /usr/bin/script (util-linux) is not installed');

  it.skipIf(!hasScript)('is drawn on a terminal, in plain characters under NO_COLOR, never with --quiet', () => {
    const home = makeTempDir();
    buildSampleArchive(home, { bigRowBytes: 10_000 });
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    const onTty = (cmd: string) =>
      spawnSync('/usr/bin/script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' }).stdout.replace(/\r/g, '\n');
    const run = `${process.execPath} ${BIN} tree --from ${home}`;
    expect(onTty(`${run} > /dev/null`)).toMatch(/tree [\u2588\u2591]+ \d+% \| \d+\/\d+ files/);
    expect(onTty(`NO_COLOR=1 ${run} > /dev/null`)).toMatch(/tree [#-]+ \d+% \| \d+\/\d+ files/);
    expect(onTty(`${run} -q > /dev/null`)).not.toMatch(/% \|/);
  });
});

describe('a command that fails with its progress bar drawn', () => {
  // What main does when a command throws: the bar's redraw timer must not keep the process alive.
  const script = `
    import { Writable } from 'node:stream';
    import { progressBar, stopProgressBars } from ${JSON.stringify(pathToFileURL(join(dirname(BIN), '..', 'dist', 'src', 'cli', 'progress.js')).href)};
    const tty = Object.assign(new Writable({ write(_c, _e, done) { done(); } }), { isTTY: true, columns: 80, cursorTo() {}, clearLine() {}, moveCursor() {} });
    progressBar({ stdout: process.stdout, stderr: tty, env: {}, cwd: '/' }, true, 'tree')
      .update({ filesDone: 1, filesTotal: 10, bytesDone: 0, bytesTotal: 0, errors: 0 });
    if (process.argv[1] === 'stop') stopProgressBars();
  `;
  const run = (arg: string, timeout: number) => spawnSync(process.execPath, ['--input-type=module', '-e', script, arg], { timeout });

  it('exits once stopProgressBars has run, and would not without it', () => {
    const stopped = run('stop', 20_000);
    expect(stopped.signal).toBeNull();
    expect(stopped.status).toBe(0);
    // The control: a bar left drawn keeps the process alive until it is killed.
    expect(run('leave', 2_000).signal).toBe('SIGTERM');
  });
});

import { afterAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { BIN, errorLine, jsonOf, linesOf, packageVersion, zotpack } from '../helpers/run-cli.js';
import { FIXTURE_HOME } from '../helpers/zot-fixtures.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const COMMANDS = ['tree', 'export', 'import', 'branch', 'find', 'describe'];

describe('zotpack (the built binary)', () => {
  const cwd = makeTempDir();

  test('--help lists every command and exits 0', () => {
    const r = zotpack(['--help'], { cwd });
    expect(r.status).toBe(0);
    const listed = r.stdout.slice(r.stdout.indexOf('Commands:'), r.stdout.indexOf('Options every command takes'));
    for (const c of COMMANDS) expect(listed).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    expect(r.stderr).toBe('');
  });

  test('--version prints the version of package.json', () => {
    const r = zotpack(['--version'], { cwd });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${packageVersion()}\n`);
  });

  test('stdout that cannot be written (a full disk) is one error line and exit 1, not a stack trace', () => {
    for (const args of [['tree'], ['tree', '--json'], ['stats']]) {
      const full = openSync('/dev/full', 'w');
      const r = spawnSync(process.execPath, [BIN, ...args, '-q'], { cwd, encoding: 'utf8', stdio: ['ignore', full, 'pipe'], env: { ...process.env, ZOT_HOME: FIXTURE_HOME } });
      closeSync(full);
      expect([r.status, r.stderr]).toEqual([1, 'zotpack: <stdout>: cannot write: ENOSPC: no space left on device, write [E_WRITE]\n']);
    }
  });

  test('no command: the overview (no command helps) on stderr, exit 2', () => {
    const r = zotpack([], { cwd });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: zotpack <command>');
    expect(r.stderr).toContain('zotpack help export');
    expect(r.stderr).not.toContain('zotpack tree [--cwd DIR]');
    expect(zotpack(['--help'], { cwd }).stdout).toContain('zotpack tree [--cwd DIR]');
  });

  test('help with no command: the usage, exit 0', () => {
    const r = zotpack(['help'], { cwd });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: zotpack <command>');
  });

  test('an unknown command: exit 2, named on stderr', () => {
    const r = zotpack(['frobnicate'], { cwd });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(linesOf(r.stderr)[0]).toBe("zotpack: unknown command 'frobnicate'");
  });

  test.each(COMMANDS)('%s --help and help %s print the command help, exit 0', (c) => {
    const a = zotpack([c, '--help'], { cwd });
    const b = zotpack(['help', c], { cwd });
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    expect(a.stdout).toMatch(new RegExp(`^zotpack ${c} `));
    expect(b.stdout).toBe(a.stdout);
  });

  test('-h in a cluster of short flags is help too (-qh); a letter after one that takes a value is its value, and -h after -- is an argument', () => {
    const help = zotpack(['tree', '--help'], { cwd }).stdout;
    const r = zotpack(['tree', '-qh'], { cwd, home: makeTempDir() });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(help);
    // -jh: --jobs h, refused as a number; not help.
    const j = zotpack(['tree', '-jh'], { cwd, home: makeTempDir() });
    expect(j.status).toBe(2);
    expect(j.stderr).toContain("--jobs takes a whole number, got 'h'");
    const d = zotpack(['describe', '--', '-h'], { cwd });
    expect(d.status).toBe(1);
    expect(d.stdout).toBe('');
    expect(d.stderr).toContain('-h');
  });

  test.each(COMMANDS)('%s with an unknown flag: exit 2, the flag named on stderr, nothing on stdout', (c) => {
    const r = zotpack([c, 'x', '--no-such-flag'], { cwd, home: makeTempDir() });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(errorLine(r)).toBe(`zotpack: unknown option '--no-such-flag' for ${c}`);
    expect(linesOf(r.stderr)[1]).toBe(`Run 'zotpack help ${c}' for usage.`);
  });

  test.each([
    ['export', []],
    ['import', []],
    ['branch', []],
    ['branch', ['some.jsonl']],
    ['branch', ['some.jsonl', '--at', 'three']],
    ['find', []],
    ['describe', []],
    ['describe', ['a.jsonl', 'b.jsonl']],
    ['tree', ['unexpected']],
  ] as Array<[string, string[]]>)('%s %j: a usage error, exit 2', (c, args) => {
    const r = zotpack([c, ...args], { cwd, home: makeTempDir() });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(errorLine(r)).toMatch(/^zotpack: \S/);
  });

  test.each([
    [['stats', '-json'], "unknown option '-json': did you mean '--json'?"],
    [['tree', '-quiet'], "unknown option '-quiet': did you mean '--quiet'?"],
    [['stats', '--since'], '--since needs a value'],
    [['stats', '--since', '--json'], "--since needs a value (one that starts with '-' goes as --since=VALUE)"],
    [['tree', '--jobs', '-1'], "--jobs needs a value (one that starts with '-' goes as --jobs=VALUE)"],
    [['tree', '-constructor'], "unknown option '-c' for tree"],
    [['tree', '-j'], '--jobs needs a value'],
    [['stats', '--id', 'a', '--id', 'b'], '--id is given twice; give it once'],
    [['branch', 'x.jsonl', '--at', '2', '--at', '3'], '--at is given twice; give it once'],
    [['export', '--out', ''], "--out needs a value, got ''"],
    [['tree', '--home='], "--home needs a value, got ''"],
    [['export', 'x.jsonl', ''], "an empty argument (''): '' names no file, folder or id"],
    [['find', '0', '--id', '1'], "unknown option '--id' for find"],
    [['tree', '--since', '2026-02-01T00:00:00Z', '--until', '2026-01-01T00:00:00Z'], '--since (2026-02-01T00:00:00.000Z) is not before --until (2026-01-01T00:00:00.000Z): no session can match [E_USAGE]'],
    [['export', 'x.jsonl', '-'], 'export writes a file: give a file or folder as DST (a whole archive streams with pack -o -)'],
  ] as Array<[string[], string]>)('%j: what parseArgs would take not as meant is a usage error (%s), exit 2, nothing written', (args, message) => {
    const work = makeTempDir();
    const r = zotpack(args, { cwd: work, home: makeTempDir() });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(errorLine(r)).toBe(`zotpack: ${message}`);
    expect(readdirSync(work)).toEqual([]);
  });

  test('another option before the command: says where it goes', () => {
    const r = zotpack(['--home', '/nowhere', '--cwd', 'x', 'tree'], { cwd });
    expect(r.status).toBe(2);
    expect(linesOf(r.stderr)[0]).toBe("zotpack: unknown command '--cwd' (only --home, --json and -q may come before the command; other options go after it)");
  });

  test('--home, --json and -q before help, or before no command', () => {
    const h = zotpack(['--home', '/nowhere', 'help', 'tree'], { cwd });
    expect([h.status, h.stdout.split('\n')[0]]).toEqual([0, 'zotpack tree [--cwd DIR] [--from PATH ...] [--project P ...] [--json]']);
    const none = zotpack(['--json'], { cwd });
    expect([none.status, none.stdout]).toEqual([2, '']);
    expect(none.stderr).toContain('Usage: zotpack <command>');
  });

  test('-qh before the command is its help, and alone the help of every command', () => {
    const tree = zotpack(['-qh', 'tree'], { cwd, home: makeTempDir() });
    expect([tree.status, tree.stdout]).toEqual([0, zotpack(['tree', '--help'], { cwd }).stdout]);
    const all = zotpack(['-hq'], { cwd });
    expect([all.status, all.stdout]).toEqual([0, zotpack(['--help'], { cwd }).stdout]);
  });

  test('--home, --json and -q may come before the command', () => {
    const r = zotpack(['--home', FIXTURE_HOME, '--json', 'stats'], { cwd, home: makeTempDir() });
    expect(r.status).toBe(0);
    expect(jsonOf(r).total.sessions).toBe(6);
    const q = zotpack([`--home=${FIXTURE_HOME}`, '-q', 'tree'], { cwd, home: makeTempDir() });
    expect([q.status, q.stderr]).toEqual([0, '']);
    expect(q.stdout).toContain('/home/dev/src/api');
  });

  test('--json on a usage error still leaves stdout empty', () => {
    const r = zotpack(['describe', '--json'], { cwd });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });

  test('stats --json: one document', () => {
    const r = zotpack(['stats', '--json'], { cwd, home: makeTempDir() });
    expect(r.status).toBe(0);
    expect(jsonOf(r)).toHaveProperty('total');
  });

  test('an empty home: tree exits 0 and --json is one document with no projects', () => {
    const home = makeTempDir();
    const r = zotpack(['tree', '--json'], { cwd, home });
    expect(r.status).toBe(0);
    expect(jsonOf(r).projects).toEqual([]);
  });
});

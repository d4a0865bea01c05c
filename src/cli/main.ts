/**
 * The zotpack command line: picks the command, runs it, maps failures to
 * exit codes (0 ok, 1 failed, 2 usage, 130 interrupted).
 */
import { setFlagsFromString } from 'node:v8';
import type { Command } from './command.js';
import { version } from '../version.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, reportError, say, setBlocking, stdoutIsData, type CliIo } from './io.js';
import { printable } from './printable.js';
import { fromFsError } from '../errors.js';

/**
 * Commands are loaded when used: a command's libraries (the pool, tar,
 * globbing) cost start-up time that `--version` or `describe` should not pay.
 */
const COMMANDS: Array<{ name: string; summary: string; load: () => Promise<Command> }> = [
  { name: 'tree', summary: 'draw the branch trees of every project at once', load: async () => (await import('./commands/tree.js')).treeCommand },
  { name: 'export', summary: 'export sessions to portable .zotsession files (one, or a whole archive)', load: async () => (await import('./commands/export.js')).exportCommand },
  { name: 'import', summary: 'import .zotsession files or export folders into the zot home', load: async () => (await import('./commands/import.js')).importCommand },
  { name: 'pack', summary: 'pack sessions into one bundle file, to move them to another machine', load: async () => (await import('./commands/pack.js')).packCommand },
  { name: 'unpack', summary: 'unpack a bundle into a zot home, remapping project folders; safe to repeat', load: async () => (await import('./commands/unpack.js')).unpackCommand },
  { name: 'verify', summary: 'check a bundle (or a folder of sessions): hashes, rows, ids, parents', load: async () => (await import('./commands/verify.js')).verifyCommand },
  { name: 'stats', summary: 'sessions, bytes, rows, messages and cost per project', load: async () => (await import('./commands/stats.js')).statsCommand },
  { name: 'find', summary: 'find a session file by id or id prefix, across all projects', load: async () => (await import('./commands/find.js')).findCommand },
  { name: 'branch', summary: 'start a new session from the first N messages of one', load: async () => (await import('./commands/branch.js')).branchCommand },
  { name: 'describe', summary: "show zot's summary of one session file", load: async () => (await import('./commands/describe.js')).describeCommand },
];

/**
 * Less inlining, for every command but `verify`. Three isolates (this
 * thread and two workers) each optimize the same hot code, on the two cores
 * that run the work: V8's optimizing compiler took 1.7 of 9.6 CPU-s of a tree
 * of 100,000 files (perf, samples per thread). A quarter of V8's default
 * inlining budget halves that (0.9 CPU-s) and costs the hot loops nothing
 * measurable: tree of 100,000 files 5.03 -> 4.72 s, of 2 GB 1.45 -> 1.33 s;
 * export, import, pack, unpack and a 600 MB row's scan the same (medians of
 * 5, interleaved). `verify` of a bundle reads it on this one thread, where
 * the inlining pays: 2 GB took 3.5-8% longer without it, in three runs of 5-8.
 * V8's flags are the process's, so the command line sets it, not the library,
 * and it stays set for the process's life: a later command run in the same
 * process (main() called again) keeps it, which changes its speed only.
 */
function inlineLess(command: string): void {
  if (command !== 'verify') setFlagsFromString('--max-inlined-bytecode-size-cumulative=230');
}

/** The overview; with `full`, every command's help after it (`--help`). */
async function usage(full: boolean): Promise<string> {
  const helps = full ? await Promise.all(COMMANDS.map(async (c) => (await c.load()).help)) : [];
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `zotpack ${version()} — bulk export, import, branch and trees for zot session archives

Usage: zotpack <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options every command takes (--home, --json and -q also before it):
  --home DIR    the zot home (default: $ZOT_HOME, else the platform's state folder)
  --json        one JSON document on stdout, nothing else there
  -q, --quiet   no warnings or progress on stderr
  -h, --help    help for a command
  --version     zotpack's version

Examples:
  zotpack tree                       every project's branch tree
  zotpack export --out backup/       the whole archive, incrementally
  zotpack import backup/             back into a zot home, trees intact
  zotpack export SESSION.jsonl out/  one session to out/<name>.zotsession
  zotpack help export                a command's flags and examples
${helps.map((h) => `\n${h}`).join('\n')}`;
}

/**
 * The options every command takes may come before the command too
 * (`zotpack --home X tree`, as git takes `-C`): moved after it.
 */
function commonFirst(argv: readonly string[]): string[] {
  const lead: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    // -q, or -q with -h in one cluster (`-qh`: quiet, and help).
    if (a === '--json' || /^-(?=h*q)[qh]+$/.test(a) || a === '--quiet' || a.startsWith('--home=')) lead.push(a);
    else if (a === '--home') lead.push(a, argv[++i] ?? ''); // '' (no value): the command's parser says so
    else break;
  }
  // Only these flags: no command (the overview, or with -h in a cluster the help); `help CMD` takes no flags.
  if (lead.length > 0 && i === argv.length) return asksForHelp(lead) ? ['--help'] : [];
  if (lead.length === 0) return [...argv];
  if (argv[i] === 'help') return argv.slice(i);
  return [argv[i]!, ...lead, ...argv.slice(i + 1)];
}

/**
 * Whether a command's arguments ask for its help: `--help`, or `-h` alone or
 * in a cluster of short flags (`-qh`), before `--`. A cluster's letters after
 * one that takes a value are that value (`-oh` is `--out h`), so the walk
 * stops at any letter other than the two boolean ones.
 */
function asksForHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help') return true;
    if (!/^-[A-Za-z]+$/.test(a)) continue;
    for (const letter of a.slice(1)) {
      if (letter === 'h') return true;
      if (letter !== 'q') break;
    }
  }
  return false;
}

export async function main(args: string[], io: CliIo = defaultIo()): Promise<number> {
  const argv = commonFirst(args);
  const [first, ...rest] = argv;
  if (first === undefined) {
    // A usage error: the overview, on stderr (--help gives every command's flags, on stdout).
    io.stderr.write(`${await usage(false)}\n`);
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h') {
    io.stdout.write(`${await usage(true)}\n`);
    return EXIT_OK;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  const name = first === 'help' ? rest[0] : first;
  if (first === 'help' && name === undefined) {
    io.stdout.write(`${await usage(true)}\n`);
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) {
    // An option before the command other than the common ones: say where it goes.
    const hint = name?.startsWith('-') ? ' (only --home, --json and -q may come before the command; other options go after it)' : '';
    say(io, `zotpack: unknown command '${name ?? ''}'${hint}`);
    say(io, `Run 'zotpack --help' for usage.`);
    return EXIT_USAGE;
  }
  try {
    const command = await entry.load();
    if (first === 'help' || asksForHelp(rest)) {
      io.stdout.write(`${command.help}\n`);
      return EXIT_OK;
    }
    inlineLess(entry.name);
    return await command.run(rest, io);
  } catch (err) {
    // Loaded only if a bar may be up: a command that draws one has loaded it.
    (await import('./progress.js')).stopProgressBars();
    return reportError(io, err, entry.name);
  }
}

function defaultIo(): CliIo {
  // `zotpack tree | head`: a closed pipe ends the output, not with a stack
  // trace; stdout that cannot be written (`> /dev/full`, a full disk) is one
  // error line and exit 1.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (stdoutIsData()) return; // pack -o -: its own failure, which it reports
    if (err.code === 'EPIPE') process.exit(0);
    const e = fromFsError(err, '<stdout>', 'cannot write', true);
    process.stderr.write(`${printable(`zotpack: ${e.message} [${e.code}]`)}\n`);
    process.exit(EXIT_FAILED);
  });
  // Node writes to a pipe without blocking and queues what the reader has not
  // taken: `zotpack pack --json | slow-reader` held 140 MB of JSON that way
  // (280 MB peak at 300,000 sessions, 251 into a file). Blocking writes wait
  // for the reader instead, as any Unix tool's do.
  setBlocking(process.stdout, true);
  // The report and errors, whatever happens after them (bin/zotpack.js ends a failed run at once).
  setBlocking(process.stderr, true);
  return { stdout: process.stdout, stderr: process.stderr, stdin: () => process.stdin, env: process.env, cwd: process.cwd() };
}

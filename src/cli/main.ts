/**
 * The zotpack command line: picks the command, runs it, maps failures to
 * exit codes (0 ok, 1 failed, 2 usage, 130 interrupted).
 */
import type { Command } from './command.js';
import { branchCommand } from './commands/branch.js';
import { describeCommand } from './commands/describe.js';
import { exportCommand } from './commands/export.js';
import { findCommand } from './commands/find.js';
import { importCommand } from './commands/import.js';
import { packCommand } from './commands/pack.js';
import { statsCommand } from './commands/stats.js';
import { treeCommand } from './commands/tree.js';
import { unpackCommand } from './commands/unpack.js';
import { verifyCommand } from './commands/verify.js';
import { version } from './version.js';
import { EXIT_OK, EXIT_USAGE, reportError, type CliIo } from './io.js';

const COMMANDS: Command[] = [
  treeCommand,
  exportCommand,
  importCommand,
  packCommand,
  unpackCommand,
  verifyCommand,
  statsCommand,
  findCommand,
  branchCommand,
  describeCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `zotpack ${version()} — bulk export, import, branch and trees for zot session archives

Usage: zotpack <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options every command takes:
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
${COMMANDS.map((c) => `\n${c.help}`).join('\n')}`;
}

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    io.stdout.write(`${usage()}\n`);
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  const name = first === 'help' ? rest[0] : first;
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`zotpack: unknown command '${name ?? ''}'\nRun 'zotpack --help' for usage.\n`);
    return EXIT_USAGE;
  }
  if (first === 'help' || rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.help}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    return reportError(io, err);
  }
}

function defaultIo(): CliIo {
  // `zotpack tree | head`: a closed pipe ends the output, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

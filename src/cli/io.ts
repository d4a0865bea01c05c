/**
 * How the CLI speaks: results on stdout (one JSON document with --json),
 * warnings and errors on stderr as one line each, naming the path.
 */
import { ZotpackError, type Warning } from '../errors.js';
import type { BundleSource } from '../batch/read-bundle.js';
import { writeJson } from '../format/json-writer.js';
import { printable } from './printable.js';
import { stopProgressBars } from './progress.js';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * Where `unpack -` and `verify -` read a bundle, opened when asked (none:
   * '-' is refused). Opening stdin makes a pipe non-blocking for every
   * process sharing it, so only a command that reads it opens it.
   */
  stdin?: () => AsyncIterable<Buffer> & { isTTY?: boolean; destroy: (err?: Error) => void };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/**
 * Clears a progress bar from the terminal that `stream` writes to, before
 * text goes there: the bar saves the cursor as it starts and returns to it
 * to clear itself, so a line written under it would be cleared or written
 * over. (A bar is drawn only on a terminal stderr; the next update draws it
 * again, below the line.)
 */
export function clearBarFor(stream: { isTTY?: boolean }): void {
  if (stream.isTTY) stopProgressBars();
}

/** One line of text output on stdout, its control characters escaped (printable.ts). */
export function print(io: CliIo, line = ''): void {
  clearBarFor(io.stdout);
  io.stdout.write(`${printable(line)}\n`);
}

/** One tab-separated line on stdout: a tab inside a cell is escaped, not taken for the next column. */
export function printRow(io: CliIo, cells: readonly string[]): void {
  clearBarFor(io.stdout);
  io.stdout.write(`${cells.map(printable).join('\t')}\n`);
}

/** One line on stderr, its control characters escaped: a message, a warning, a line of the report. */
export function say(io: CliIo, line: string): void {
  clearBarFor(io.stderr);
  io.stderr.write(`${printable(line)}\n`);
}

/** The one JSON document of --json, written in pieces (see json-writer.ts). */
export function printJson(io: CliIo, value: unknown): void {
  writeJson(io.stdout, value, 2);
  io.stdout.write('\n');
}

/** `warning: path:line: message [CODE]` on stderr. */
export function printWarnings(io: CliIo, warnings: readonly Warning[], quiet = false): void {
  if (quiet) return;
  for (const w of warnings) {
    const where = w.path === undefined ? '' : `${w.path}${w.row === undefined ? '' : `:${w.row}`}: `;
    say(io, `warning: ${where}${w.message} [${w.code}]`);
  }
}

/** Whether writes to a pipe wait for its reader by blocking the process (true) or by backpressure. */
export function setBlocking(stream: NodeJS.WritableStream, on: boolean): void {
  (stream as { _handle?: { setBlocking?: (on: boolean) => void } })._handle?.setBlocking?.(on);
}

let stdoutCarriesData = false;

/**
 * stdout carries a command's data (pack -o -): a reader gone is that
 * command's failure, not the quiet end `zotpack tree | head` gets; and the
 * data waits for its reader by backpressure, for a write(2) blocked on a
 * stalled reader (a quiet network) held off Ctrl-C.
 */
export function streamToStdout(io: CliIo): void {
  stdoutCarriesData = true;
  setBlocking(io.stdout, false);
}

/** Whether a command writes its data to stdout (streamToStdout). */
export function stdoutIsData(): boolean {
  return stdoutCarriesData;
}

/** A usage error: bad flags or arguments. */
export class UsageError extends Error {}

/** A bundle argument: a file's path, or '-' for a bundle piped to standard input. */
export function bundleArg(arg: string, io: CliIo, command: string): BundleSource {
  if (arg !== '-') return arg;
  const stdin = io.stdin?.();
  if (!stdin) throw new UsageError(`${command} - reads a bundle from standard input, and there is none here`);
  if (stdin.isTTY) throw new UsageError(`${command} - reads a bundle from standard input, which is a terminal: pipe one in (zotpack pack -o - | ...)`);
  return { stream: stdin, name: '<stdin>' };
}

/** One line for an error on stderr; returns the exit code it deserves. */
/**
 * Prints a failure on stderr, one line with its code, and gives the exit
 * code; stdout stays empty, `--json` or not. `command`: the command it
 * came from, for the usage hint.
 */
export function reportError(io: CliIo, err: unknown, command?: string): number {
  const help = `Run 'zotpack ${command ? `help ${command}` : '--help'}' for usage.`;
  if (err instanceof UsageError) {
    say(io, `zotpack: ${err.message}`);
    say(io, help);
    return EXIT_USAGE;
  }
  if (err instanceof ZotpackError) {
    say(io, `zotpack: ${err.message} [${err.code}]`);
    return err.code === 'E_USAGE' ? EXIT_USAGE : EXIT_FAILED;
  }
  const code = (err as { code?: string } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    // Node's own text suggests a positional after '--'; the flag is what matters.
    const text = (err as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(text);
    // Its text for a flag followed by nothing, or by another flag, is two sentences about dashes.
    const valueless = /^Option '(?:-\w, )?(--?[^' ]+)(?: <value>)?' argument (missing|is ambiguous)/.exec(text);
    // 'ambiguous': the next argument starts with '-' (another flag, or a value such as -1).
    const message = unknown
      ? `unknown option '${unknown[1]}'${command ? ` for ${command}` : ''}`
      : valueless?.[2] === 'missing'
        ? `${valueless[1]} needs a value`
        : valueless
          ? `${valueless[1]} needs a value (one that starts with '-' goes as ${valueless[1]}=VALUE)`
          : text;
    say(io, `zotpack: ${message}`);
    say(io, help);
    return EXIT_USAGE;
  }
  const trace = `zotpack: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  for (const line of trace.split('\n')) say(io, line);
  return EXIT_FAILED;
}

/** Dropped-row counts as a phrase: "2 invalid, 1 extra meta". */
export function droppedPhrase(d: { invalid: number; undecodable: number; meta: number }): string {
  const parts: string[] = [];
  if (d.invalid) parts.push(`${d.invalid} invalid`);
  if (d.undecodable) parts.push(`${d.undecodable} undecodable`);
  if (d.meta) parts.push(`${d.meta} folded into the header (meta rows after the first, renames they override)`);
  return parts.length === 0 ? 'none dropped' : `dropped ${parts.join(', ')}`;
}

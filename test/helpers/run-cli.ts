/**
 * Runs the real built binary, `node bin/zotpack.js`, in a child process.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(PROJECT_ROOT, 'bin', 'zotpack.js');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** ZOT_HOME for the child; unset when omitted (then HOME points into `cwd`, never at a real home). */
  home?: string;
  /** The child's working folder (its fallback cwd for imports and branches). */
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

export function zotpack(args: string[], options: CliRunOptions): CliRun {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: options.cwd, XDG_STATE_HOME: join(options.cwd, '.state'), ...options.env };
  delete env.ZOT_HOME;
  if (options.home !== undefined) env.ZOT_HOME = options.home;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  // A crash is never an expected outcome: say so, with what the child printed.
  if (r.signal !== null) throw new Error(`zotpack ${args.join(' ')} was killed by ${r.signal}:\n${r.stderr.slice(0, 1500)}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stdout parsed as exactly one JSON document (JSON.parse throws on anything more or less). */
export function jsonOf(r: CliRun): any {
  return JSON.parse(r.stdout);
}

/** The non-empty lines of a stream. */
export function linesOf(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** A failure: exit 1, and its error is one line on stderr naming the path and the code. */
export function errorLine(r: CliRun): string {
  const errors = linesOf(r.stderr).filter((l) => l.startsWith('zotpack: '));
  if (errors.length !== 1) throw new Error(`expected one error line on stderr, got:\n${r.stderr}`);
  return errors[0]!;
}

/**
 * The shape of a CLI command: its help and a run function over parsed args.
 */
import { homedir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isProjectKey } from '../format/project-key.js';
import { zotHome } from '../format/zot-home.js';
import { UsageError, type CliIo } from './io.js';

export interface Command {
  name: string;
  /** Usage lines, flags and an example, for `zotpack help <command>`. */
  help: string;
  run(argv: string[], io: CliIo): Promise<number> | number;
}

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  home: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's flags (plus the common ones) strictly: unknown flags
 * are usage errors, and so is what parseArgs would take silently but not as
 * meant — a long flag with one dash (`-json` is `-j son`), a value flag
 * given twice (the last would win), an empty value or argument ('' is the
 * current folder to every path function).
 */
export function parse<O extends Options>(argv: string[], options: O): ReturnType<typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; allowPositionals: true; strict: true }>> {
  const all = { ...COMMON_OPTIONS, ...options };
  const config: Options = all;
  const end = argv.indexOf('--');
  for (const arg of end < 0 ? argv : argv.slice(0, end)) {
    const name = /^-([A-Za-z][\w-]+)(=.*)?$/.exec(arg)?.[1];
    if (name !== undefined && Object.hasOwn(all, name)) throw new UsageError(`unknown option '${arg}': did you mean '-${arg}'?`);
  }
  const parsed = parseArgs({ args: argv, options: all, allowPositionals: true, strict: true, tokens: true });
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind === 'positional' && t.value === '') throw new UsageError("an empty argument (''): '' names no file, folder or id");
    if (t.kind !== 'option' || config[t.name]?.type !== 'string') continue;
    if (t.value === '') throw new UsageError(`--${t.name} needs a value, got ''`);
    if (!config[t.name]!.multiple && seen.has(t.name)) throw new UsageError(`--${t.name} is given twice; give it once`);
    seen.add(t.name);
  }
  const { values, positionals } = parsed;
  return { values, positionals };
}

/** The zot home: --home, else $ZOT_HOME or the platform default. */
export function homeOf(values: { home?: string | boolean | undefined }, io: CliIo): string {
  return typeof values.home === 'string' ? values.home : zotHome({ env: io.env });
}

export function positionals(list: string[], min: number, max: number, what: string): string[] {
  if (list.length < min || list.length > max) throw new UsageError(`expected ${what}`);
  return list;
}

export function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`--${name} takes a whole number, got '${value}'`);
  return Number(value);
}

/** Cleaned as zot's cwd always is (os.Getwd): `/a//b/./c/` is the folder /a/b/c, and has its key. */
function cleanPosix(path: string): string {
  return posix.normalize(path).replace(/(.)\/+$/, '$1');
}

/**
 * A project folder typed on this machine, as zot records a cwd: absolute.
 * `~` is the home folder (a shell leaves `--cwd=~/src` alone), and a
 * relative path is taken from the current folder, as zot takes its own
 * cwd. A POSIX path is cleaned (cleanPosix); absolute paths of other
 * systems (`C:\…`, `\\server\…`) are kept as typed: an archive may come
 * from another machine.
 */
export function typedFolder(value: string, io: CliIo): string {
  if (value.startsWith('/')) return cleanPosix(value);
  if (/^[A-Za-z]:[\\/]/.test(value) || value.startsWith('\\\\')) return value;
  if (value === '~' || value.startsWith('~/')) {
    const path = join(io.env.HOME ?? homedir(), value.slice(1));
    return path.startsWith('/') ? cleanPosix(path) : path;
  }
  return resolve(io.cwd, value);
}

/**
 * `--map-cwd OLD=NEW` values: NEW is a folder on this machine (typedFolder);
 * OLD is the other machine's, kept as typed. A malformed rule is left for
 * parseCwdRule to refuse with its own message.
 */
export function typedCwdRules(values: readonly string[] | undefined, io: CliIo): string[] | undefined {
  return values?.map((rule) => {
    const eq = rule.indexOf('=');
    return eq <= 0 || eq === rule.length - 1 ? rule : `${rule.slice(0, eq)}=${typedFolder(rule.slice(eq + 1), io)}`;
  });
}

/** `--project` values: a project key stays a key, anything else is a folder (typedFolder). */
export function typedProjects(values: readonly string[] | undefined, io: CliIo): string[] | undefined {
  return values?.map((v) => (isProjectKey(v) ? v : typedFolder(v, io)));
}

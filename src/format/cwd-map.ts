/**
 * Moving project folders: `OLD=NEW` prefix rules that turn a session's cwd
 * on one machine into its cwd on another (`/Users/ann/src` ->
 * `/home/ann/code`). The project key follows from the new cwd.
 *
 * A rule matches a cwd equal to OLD or below it (the next character is a
 * path separator), never a sibling that merely starts with the same
 * characters (`/src/api` does not match `/src/api2`). The longest matching
 * OLD wins. A rule from a Windows path to a POSIX one (or back) converts the
 * separators of the part below OLD.
 */
import { ZotpackError } from '../errors.js';
import { posix, win32 } from 'node:path';

export interface CwdRule {
  from: string;
  to: string;
}

/** A path without trailing separators, except a root (`/`, `C:\`). */
function trimSeparators(p: string): string {
  const t = p.replace(/[/\\]+$/, '');
  if (t === '') return p.slice(0, 1);
  if (/^[A-Za-z]:$/.test(t)) return `${t}${p[2] ?? '\\'}`;
  return t;
}

function isWindowsPath(p: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/** One `OLD=NEW` rule, split at the first `=`. `option` names the flag in errors. */
/** Absolute on this system or another, as zot records a cwd (a folder of another system is kept as typed). */
export function isRecordableCwd(p: string): boolean {
  return posix.isAbsolute(p) || win32.isAbsolute(p);
}

export function parseCwdRule(spec: string, option = '--map-cwd'): CwdRule {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) {
    throw new ZotpackError('E_USAGE', `${option} takes OLD=NEW (two non-empty paths), got '${spec}'`);
  }
  return { from: trimSeparators(spec.slice(0, eq)), to: trimSeparators(spec.slice(eq + 1)) };
}

/** The map of rules given as `OLD=NEW` text (parsed, refused with E_USAGE if malformed) or parsed already. */
export function cwdMapOf(rules: ReadonlyArray<string | CwdRule> | undefined): CwdMap {
  return new CwdMap((rules ?? []).map((r) => (typeof r === 'string' ? parseCwdRule(r) : r)));
}

export class CwdMap {
  private readonly rules: CwdRule[];
  private readonly used = new Set<CwdRule>();

  constructor(rules: readonly CwdRule[]) {
    // By OLD as its system compares paths: `c:/users/ann` and `C:\Users\ann` are one folder.
    const seen = new Map<string, CwdRule>();
    for (const r of rules) {
      if (r.from === '' || r.to === '') throw new ZotpackError('E_USAGE', 'a cwd mapping needs two non-empty paths');
      // NEW is a folder of this machine, recorded as a cwd: absolute, as zot records one (the CLI makes a typed one absolute).
      if (!isRecordableCwd(r.to)) throw new ZotpackError('E_USAGE', `a cwd mapping's NEW must be an absolute folder, as zot records a cwd: got '${r.to}'`);
      const key = isWindowsPath(r.from) ? foldWindows(r.from) : r.from;
      const other = seen.get(key);
      if (other !== undefined && other.to !== r.to) {
        throw new ZotpackError('E_USAGE', `'${r.from}' is mapped twice: to '${other.to}' and to '${r.to}'`);
      }
      if (other === undefined) seen.set(key, r);
    }
    // Longest first: the most specific rule wins.
    this.rules = [...seen.values()].map(({ from, to }) => ({ from, to })).sort((a, b) => b.from.length - a.from.length);
  }

  get size(): number {
    return this.rules.length;
  }

  /** The rules, longest OLD first: to hand to another thread, which makes its own map. */
  get all(): CwdRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Rules that have mapped no cwd yet: after a whole bundle, likely a typo in OLD. */
  unused(): CwdRule[] {
    return this.rules.filter((r) => !this.used.has(r));
  }

  /** The new cwd, or undefined when no rule matches. */
  map(cwd: string): string | undefined {
    for (const rule of this.rules) {
      const { from, to } = rule;
      if (!startsWithFolder(cwd, from)) continue;
      const rest = cwd.slice(from.length);
      const rooted = /[/\\]$/.test(from); // `/` or `C:\`: the rest starts right after it
      if (rest !== '' && !rooted && rest[0] !== '/' && rest[0] !== '\\') continue;
      this.used.add(rule);
      return join(to, rest, isWindowsPath(from) !== isWindowsPath(to));
    }
    return undefined;
  }
}

/**
 * Rules given, and not one moved a session: a typo in OLD, most likely, and
 * a run would put every session at the other machine's folders — where a
 * second run with the rules put right finds them present, and leaves them.
 */
export function refuseIfNoneMoved(map: CwdMap, path?: string): void {
  if (map.size === 0 || map.unused().length < map.size) return;
  const rules = map.all.map((r) => `${r.from}=${r.to}`).join(', ');
  throw new ZotpackError('E_USAGE', `--map-cwd ${rules}: no session has its project folder under OLD, so none would move: nothing written (a dry run lists the folders)`, { path });
}

/**
 * Whether `cwd` starts with `from`, as the system of `from` compares paths:
 * a Windows path in any case and with either separator (`c:/users/ann`
 * is `C:\Users\ann`), a POSIX one byte for byte.
 */
function startsWithFolder(cwd: string, from: string): boolean {
  if (!isWindowsPath(from)) return cwd.startsWith(from);
  return foldWindows(cwd.slice(0, from.length)) === foldWindows(from);
}

/** A Windows path as Windows compares it: one case, one separator. */
function foldWindows(p: string): string {
  return p.replace(/\//g, '\\').toLowerCase();
}

function join(to: string, rest: string, convert: boolean): string {
  if (rest === '') return to;
  let tail = rest.replace(/^[/\\]+/, '');
  const sep = isWindowsPath(to) ? '\\' : '/';
  if (convert) tail = tail.replace(/[/\\]/g, sep);
  if (tail === '') return to;
  return /[/\\]$/.test(to) ? `${to}${tail}` : `${to}${sep}${tail}`;
}

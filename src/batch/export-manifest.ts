/**
 * `<out>/manifest.json`: what a bulk export holds and where each file came
 * from. It is also the memory of incremental runs: a session whose source
 * has the size and modification time recorded here, and whose output is
 * still there at the recorded size, is not read again.
 *
 * Sessions are laid out one a line, sorted by output path, so that an export
 * can read the previous manifest and write the next a project at a time
 * (ManifestCursor, ManifestWriter) instead of holding every entry.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { readRows } from '../jsonl/row-reader.js';
import { isValidJson } from '../jsonl/json-scan.js';
import { join } from 'node:path';
import { fromFsError, ZotpackError } from '../errors.js';
import { AtomicFile } from '../session/atomic-file.js';
import type { SessionRecord } from './session-record.js';
import { interner } from '../format/interner.js';

export const MANIFEST_NAME = 'manifest.json';

export interface ManifestEntry extends SessionRecord {
  /** Absolute path of the session file exported. */
  source: string;
  /** The export, relative to the export folder, with `/` separators. */
  output: string;
  model: string;
  provider: string;
  /** Source size and modification time when exported (the incremental check). */
  size: number;
  mtimeMs: number;
  /**
   * sha256 of the source's last 4 KiB before `size` (source-tail.ts): a grown
   * source must still hold them to replace its export. Missing in manifests
   * of zotpack before it.
   */
  sourceTail?: string;
  /** Rows in the export, header included. */
  rows: number;
  /** Size of the export. */
  bytes: number;
  sha256: string;
  /** The source is gone; its export is kept. */
  sourceDeleted?: boolean;
}

export interface ExportManifest {
  format: 'zotpack-export';
  version: 1;
  zotpack: string;
  updated: string;
  sessions: ManifestEntry[];
}

export type ManifestHead = Omit<ExportManifest, 'sessions'>;

/** The whole manifest in memory (small exports, tools and tests); undefined when there is none. */
export function readManifest(out: string): ExportManifest | undefined {
  const cursor = ManifestCursor.open(out);
  if (!cursor) return undefined;
  return { ...cursor.head, sessions: cursor.takeAll() };
}

const SESSIONS_OPEN = Buffer.from('  "sessions": [');
const SESSIONS_CLOSE = Buffer.from('  ]');

/** The project key an output path starts with (its folder in the export). */
export function outputKey(output: string): string {
  const slash = output.indexOf('/');
  return slash < 0 ? '' : output.slice(0, slash);
}

/**
 * The manifest's order: by project key (an output's folder), then output
 * path. The same as by output path for every path zotpack writes (the keys
 * are all 16 characters); defined by key so that a range of projects is
 * always one run of lines.
 */
export function compareOutputs(a: string, b: string): number {
  const ka = outputKey(a);
  const kb = outputKey(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const byOutput = (a: ManifestEntry, b: ManifestEntry) => compareOutputs(a.output, b.output);

function badManifest(path: string, err: unknown): ZotpackError {
  return new ZotpackError(
    'E_BAD_MANIFEST',
    `cannot read the export manifest: ${(err as Error).message} (export into a new folder; or remove it and export here again: each session still at the source is exported anew)`,
    { path, cause: err },
  );
}

/**
 * The previous manifest's entries in output order, taken a range of projects
 * at a time. A manifest as writeManifest lays it out is read twice a line at
 * a time (once to check it is whole and in order, once to hand it out) and
 * never held; one laid out otherwise (edited by hand, say) is parsed whole.
 */
export class ManifestCursor {
  private rows: Generator<{ bytes: Buffer }> | undefined;
  private next: ManifestEntry | undefined;
  private held: ManifestEntry[] | undefined;
  private readonly intern = interner();

  private constructor(
    readonly path: string,
    readonly head: ManifestHead,
    whole: ManifestEntry[] | undefined,
  ) {
    if (whole) {
      this.held = whole.sort(byOutput).reverse();
    } else {
      this.rows = readRows(path);
      try {
        // Past the head, to the first entry. (Not with for-of: leaving that loop would close the file.)
        for (let r = this.rows.next(); !r.done; r = this.rows.next()) if (r.value.bytes.equals(SESSIONS_OPEN)) break;
        this.advance();
      } catch (err) {
        this.close();
        throw err;
      }
    }
  }

  /** undefined when `out` has no manifest; E_BAD_MANIFEST when it is not one. */
  static open(out: string): ManifestCursor | undefined {
    const path = join(out, MANIFEST_NAME);
    if (!existsSync(path)) return undefined;
    try {
      const head = checkLayout(path);
      if (head) return new ManifestCursor(path, head, undefined);
      const bytes = readFileSync(path);
      // Checked first, as zot checks a row: JSON.parse of 40 MB of '[' took 2.8 GB.
      if (!isValidJson(bytes)) throw new Error('not JSON, or nested deeper than 10,000 levels');
      const m = JSON.parse(bytes.toString('utf8')) as ExportManifest;
      if (m.format !== 'zotpack-export' || !Array.isArray(m.sessions)) throw new Error('not a zotpack export manifest');
      const bad = m.sessions.findIndex((e) => !isEntry(e));
      if (bad >= 0) throw new Error(`session ${bad + 1} is not an entry zotpack writes (a field missing or of another type)`);
      const { sessions, ...rest } = m;
      return new ManifestCursor(path, rest, sessions);
    } catch (err) {
      throw err instanceof ZotpackError ? err : badManifest(path, err);
    }
  }

  private advance(): void {
    this.next = undefined;
    const rows = this.rows;
    if (!rows) return;
    for (;;) {
      const r = rows.next();
      if (r.done) break;
      const { bytes } = r.value;
      if (bytes.equals(SESSIONS_CLOSE)) break;
      const e = parseEntryLine(bytes);
      if (!e) throw badManifest(this.path, new Error('changed while being read'));
      e.cwd = this.intern(e.cwd);
      e.key = this.intern(e.key);
      e.model = this.intern(e.model);
      e.provider = this.intern(e.provider);
      this.next = e;
      return;
    }
    this.close();
  }

  private peek(): ManifestEntry | undefined {
    if (this.held) return this.held[this.held.length - 1];
    return this.next;
  }

  private take(): ManifestEntry {
    if (this.held) return this.held.pop()!;
    const e = this.next!;
    this.advance();
    return e;
  }

  /** The project key of the next entry, or undefined at the end. */
  nextKey(): string | undefined {
    const e = this.peek();
    return e === undefined ? undefined : outputKey(e.output);
  }

  /** The entries whose output's project key is `key` or sorts before it, in output order. */
  takeThrough(key: string): ManifestEntry[] {
    const taken: ManifestEntry[] = [];
    this.forEachThrough(key, (e) => taken.push(e));
    return taken;
  }

  /** takeThrough, each entry handed on and not kept (a caller that wants a few projects' of them). */
  forEachThrough(key: string, each: (e: ManifestEntry) => void): void {
    for (let e = this.peek(); e !== undefined && outputKey(e.output) <= key; e = this.peek()) each(this.take());
  }

  /** Every entry not yet taken, in output order. */
  takeAll(): ManifestEntry[] {
    const taken: ManifestEntry[] = [];
    this.forEachRest((e) => taken.push(e));
    return taken;
  }

  /** takeAll, each entry handed on and not kept. */
  forEachRest(each: (e: ManifestEntry) => void): void {
    while (this.peek() !== undefined) each(this.take());
  }

  /** Closes the file (before the manifest is replaced: some systems refuse to replace an open file). */
  close(): void {
    this.rows?.return(undefined);
    this.rows = undefined;
  }
}

const STRING_FIELDS = ['source', 'output', 'model', 'provider', 'sha256', 'cwd', 'key', 'id', 'parent', 'started', 'title'] as const;
const NUMBER_FIELDS = ['size', 'mtimeMs', 'rows', 'bytes', 'forkPoint'] as const;

/** Whether `e` has every field of an entry, of its type: one edited by hand must not reach the code that trusts it. */
function isEntry(e: unknown): e is ManifestEntry {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const o = e as Record<string, unknown>;
  return STRING_FIELDS.every((f) => typeof o[f] === 'string') && NUMBER_FIELDS.every((f) => typeof o[f] === 'number') && (o.sourceDeleted === undefined || typeof o.sourceDeleted === 'boolean') && (o.sourceTail === undefined || typeof o.sourceTail === 'string');
}

/** One session's line as writeManifest writes it, or undefined. */
function parseEntryLine(bytes: Buffer): ManifestEntry | undefined {
  const end = bytes[bytes.length - 1] === 0x2c ? bytes.length - 1 : bytes.length; // a trailing ','
  const text = bytes.toString('utf8', 0, end).trim();
  if (!text.startsWith('{')) return undefined;
  const e = tryParse<unknown>(text);
  return isEntry(e) ? e : undefined;
}

/**
 * The head of a manifest laid out as writeManifest writes it, whole and in
 * output order; undefined when it is laid out otherwise (the caller then
 * parses it whole). Reads a line at a time and keeps none.
 */
function checkLayout(path: string): ManifestHead | undefined {
  let head = '';
  let inSessions = false;
  let closed = false;
  let tail = '';
  let last: string | undefined;
  for (const { bytes } of readRows(path)) {
    if (closed) {
      tail += bytes.toString('utf8');
    } else if (!inSessions) {
      if (bytes.equals(SESSIONS_OPEN)) inSessions = true;
      else head += `${bytes.toString('utf8')}\n`;
    } else if (bytes.equals(SESSIONS_CLOSE)) {
      closed = true;
    } else {
      const e = parseEntryLine(bytes);
      if (!e || (last !== undefined && compareOutputs(e.output, last) < 0)) return undefined;
      last = e.output;
    }
  }
  if (!closed || tail.trim() !== '}' || !head.trimEnd().endsWith(',')) return undefined;
  const m = tryParse<ManifestHead>(`${head.trimEnd().slice(0, -1)}}`);
  if (!m || m.format !== 'zotpack-export') return undefined;
  return m;
}

/** The JSON value of `text`, or undefined when it is not JSON (then the layout is not ours). */
function tryParse<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * Writes a manifest entry by entry (in output order), one session a line,
 * through one reused buffer: the text of 100,000 sessions as one string (or
 * as a long chain of pieces) would be the largest thing in memory. The file
 * appears whole on commit, or not at all.
 */
export class ManifestWriter {
  private readonly buf = Buffer.allocUnsafe(WRITE_CHUNK);
  private used = 0;
  private count = 0;
  private last: string | undefined;

  private constructor(private readonly file: AtomicFile) {}

  static open(out: string, head: ManifestHead, durable: boolean): ManifestWriter {
    const w = new ManifestWriter(AtomicFile.create(join(out, MANIFEST_NAME), { overwrite: true, durable }));
    w.put(JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "sessions": ['));
    return w;
  }

  private put(text: string): void {
    // At most 3 bytes per UTF-16 unit: a string this short always fits an emptied buffer.
    if (this.used + text.length * 3 > this.buf.length) {
      this.file.write(this.buf.subarray(0, this.used));
      this.used = 0;
    }
    if (text.length * 3 > this.buf.length) this.file.write(Buffer.from(text));
    else this.used += this.buf.write(text, this.used);
  }

  add(e: ManifestEntry): void {
    // The next run reads it a range at a time: the order is what makes that possible.
    if (this.last !== undefined && compareOutputs(e.output, this.last) <= 0) throw new Error(`manifest entries out of order: ${e.output} after ${this.last}`);
    this.last = e.output;
    this.put(`${this.count++ > 0 ? ',' : ''}\n    ${JSON.stringify(e)}`);
  }

  commit(): void {
    this.put(`${this.count > 0 ? '\n  ' : ''}]\n}\n`);
    this.file.write(this.buf.subarray(0, this.used));
    this.file.commit();
  }

  abort(): void {
    this.file.abort();
  }
}

/** Writes a whole manifest (sorting its sessions by output). */
export function writeManifest(out: string, manifest: ExportManifest, durable: boolean): void {
  manifest.sessions.sort(byOutput);
  const { sessions, ...head } = manifest;
  const w = ManifestWriter.open(out, head, durable);
  try {
    for (const e of sessions) w.add(e);
    w.commit();
  } catch (err) {
    w.abort();
    throw err;
  }
}

const WRITE_CHUNK = 1 << 20;

/**
 * What a run has finished so far, a line per session, appended as exports
 * are published and removed once the manifest is written. The manifest is
 * written once, at the end; if the run is killed first (SIGKILL, a crash),
 * the next run takes the finished sessions from here instead of exporting
 * them again.
 */
export const JOURNAL_NAME = '.zotpack-journal.jsonl';

/** Appends finished sessions to the journal, a few hundred lines a write. */
export class Journal {
  private fd: number | undefined;
  private lines: string[] = [];

  constructor(private readonly out: string) {}

  add(e: ManifestEntry): void {
    this.lines.push(`${JSON.stringify(e)}\n`);
    if (this.lines.length >= 256) this.flush();
  }

  flush(): void {
    if (this.lines.length === 0) return;
    const path = join(this.out, JOURNAL_NAME);
    const text = this.lines.join('');
    this.lines = [];
    try {
      this.fd ??= openSync(path, 'a');
      writeSync(this.fd, text);
    } catch (err) {
      throw fromFsError(err, path, 'cannot write the journal', true);
    }
  }

  /** Flushes and closes; `remove` also deletes the file (the manifest now holds it all). */
  close(remove: boolean): void {
    try {
      if (!remove) this.flush();
    } finally {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      if (remove) rmSync(join(this.out, JOURNAL_NAME), { force: true });
    }
  }
}

/** A killed run's finished sessions by source (the last line of each wins); empty when there is no journal. */
export function readJournal(out: string): Map<string, ManifestEntry> {
  const path = join(out, JOURNAL_NAME);
  const found = new Map<string, ManifestEntry>();
  if (!existsSync(path)) return found;
  for (const { bytes } of readRows(path)) {
    // A line cut short by the kill is not a finished session.
    const e = parseEntryLine(bytes);
    if (e) found.set(e.source, e);
  }
  return found;
}

/**
 * One pass over a session's rows that sees each row the way zot does.
 *
 * Every operation on a session file (export, describe, tree, stats) walks the
 * rows once through a SessionScan: it classifies each row (kept, meta,
 * invalid, undecodable), keeps the first and last meta, and builds zot's
 * summary of the session on the way — decoding only the rows whose fields
 * the summary needs.
 */
import { ZotpackError, type Warning } from '../errors.js';
import { GoTypeError, numberField, objectField, stringField } from '../jsonl/go-fields.js';
import type { Row } from '../jsonl/row-reader.js';
import type { ScannedObject } from '../jsonl/object-members.js';
import { headOfScan, readRowHead, type RowHead } from '../jsonl/row-type.js';
import { keyMatches } from '../jsonl/object-members.js';
import { skipWs } from '../jsonl/json-scan.js';
import { compactionMessages, firstNonEmptyText, rowFirstUserText } from '../format/message.js';
import { readMetaObject, type MetaObject } from '../format/session-meta.js';

/** zot's summary of a session: what its session list and tree show. */
export interface SessionSummary {
  started: string | undefined;
  model: string;
  provider: string;
  title: string;
  messages: number;
  firstUserText: string;
  cost: number;
}

/** What became of a row. */
export type RowVerdict = 'first-meta' | 'meta' | 'keep' | 'invalid' | 'undecodable';

/** Row counts for reports. */
export interface RowCounts {
  /** Non-empty rows read. */
  rows: number;
  /** Bytes of the file read. */
  bytes: number;
  /** Rows by their `type` ('' for none), counting only rows zot reads. */
  byType: Record<string, number>;
  /** Rows that are not valid JSON (zot skips them). */
  invalid: number;
  /** Valid JSON that zot's row struct cannot decode (zot skips them). */
  undecodable: number;
  /** The longest row, in bytes. */
  largestRow: number;
}

/** How many row warnings a scan keeps word for word; the rest are only counted. */
export const MAX_ROW_WARNINGS = 20;

const BOM = [0xef, 0xbb, 0xbf];

/** Row types whose fields `add` reads (besides message rows, until the first prompt is found). */
const READS_FIELDS = new Set(['meta', 'compaction', 'rename', 'usage']);

/** gzip's magic bytes, or a tar header's `ustar` mark (at byte 257). */
function looksLikeBundle(b: Buffer): boolean {
  return (b[0] === 0x1f && b[1] === 0x8b) || (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar');
}

export class SessionScan {
  readonly path: string;
  firstMeta: MetaObject | undefined;
  lastMeta: MetaObject | undefined;
  /** Meta rows after the first. */
  extraMetas = 0;
  readonly summary: SessionSummary = {
    started: undefined,
    model: '',
    provider: '',
    title: '',
    messages: 0,
    firstUserText: '',
    cost: 0,
  };
  /** The seed's first prompt (first user message row with text), for export names. */
  firstPrompt = '';
  readonly counts: RowCounts = { rows: 0, bytes: 0, byType: {}, invalid: 0, undecodable: 0, largestRow: 0 };
  readonly warnings: Warning[] = [];
  /** Whether the last row read ended without a newline. */
  lastUnterminated = false;
  /** The head of the row last added, for callers that look further into it. */
  head: RowHead = { kind: 'invalid' };

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Adds every row of `rows`, and nothing else.
   *
   * A loop over a file's rows belongs in a function that does nothing after
   * the loop. V8 (Node 20) optimizes a function while its first call is
   * still looping over a big file, before the code after the loop has ever
   * run; that code then lacks type feedback, and the optimized function
   * deopts there on every later call, one session after another: 850-1,100
   * deopts a worker in `tree` and `export` of the 2 GB bench corpus. Here the
   * loop is the whole function, and its callers, called once per session, are
   * optimized only after their tails have run.
   */
  addAll(rows: Iterable<Row>): void {
    for (const row of rows) this.add(row);
  }

  /** Classifies one row and folds it into the summary. Throws for a first row zot cannot open. */
  add(row: Row): RowVerdict {
    const b = row.bytes;
    const c = this.counts;
    c.rows++;
    c.bytes = row.end;
    const length = row.skim?.length ?? b.length;
    if (length > c.largestRow) c.largestRow = length;
    this.lastUnterminated = !row.terminated;
    const first = c.rows === 1;
    // zot's tree, export, import and branch read the meta from line 1 with a
    // bufio.Scanner, which hands them the blank line itself: they fail, while
    // its resume skips blank lines. zotpack reads the session (a backup must
    // not lose what zot can resume) and says what zot will make of it.
    if (first && row.line > 1) {
      this.warn({ code: 'W_INVALID_ROW', message: "line 1 is blank: zot's tree leaves this session out, and its export, import and branch fail on it (zot resumes it; remove the blank line)", row: 1 });
    }
    if (first && b[0] === BOM[0] && b[1] === BOM[1] && b[2] === BOM[2]) {
      throw new ZotpackError('E_BOM', 'starts with a UTF-8 byte-order mark, which zot cannot read', { path: this.path });
    }
    const head = row.skim ? headOfScan(b, row.skim.scan) : readRowHead(b);
    this.head = head;
    if (head.kind !== 'row') {
      if (first && looksLikeBundle(b)) throw new ZotpackError('E_NOT_META', 'a bundle (gzip or tar), not a session: use `zotpack unpack` for bundles', { path: this.path });
      if (first) throw this.notMeta(head.kind === 'invalid' ? 'the first row is not valid JSON' : 'the first row is not a JSON object');
      return this.skip(row, head.kind);
    }
    c.byType[head.type] = (c.byType[head.type] ?? 0) + 1;
    const top = head.object;
    try {
      switch (head.type) {
        case 'meta':
          return this.meta(row, top === null ? undefined : readMetaObject(b, top), first);
        case 'message':
          if (first) break;
          // describeSession counts every message row, even one the
          // transcript drops (no content, or a field zot cannot decode).
          this.summary.messages++;
          if (top !== null && (this.summary.firstUserText === '' || this.firstPrompt === '')) this.userText(b, top);
          return 'keep';
        case 'compaction':
          if (first || top === null) break;
          this.compaction(b, top);
          return 'keep';
        case 'rename': {
          if (first || top === null) break;
          const title = stringField(b, top, 'title');
          if (title) this.summary.title = title;
          return 'keep';
        }
        case 'usage': {
          if (first || top === null) break;
          const cumulative = objectField(b, top, 'cumulative');
          if (cumulative) this.summary.cost = numberField(b, cumulative, 'cost_usd') ?? 0;
          return 'keep';
        }
      }
    } catch (err) {
      if (!(err instanceof GoTypeError)) throw err;
      if (first) throw new ZotpackError('E_BAD_META', `the meta row cannot be read by zot: ${err.message}`, { path: this.path });
      if (head.type === 'meta') {
        c.byType[head.type]!--;
        return this.skip(row, 'undecodable', err.message);
      }
      // zot's export keeps any row whose type it can read, so zotpack keeps
      // it too; only the summary passes over the field it cannot decode.
      this.warn({ code: 'W_UNDECODABLE_ROW', message: `zot's reader cannot decode ${err.message}; kept as is`, row: row.line });
      return 'keep';
    }
    if (first) throw this.notMeta(head.type === '' ? 'the first row has no "type"' : `the first row is a "${head.type}" row, not a meta row`);
    return 'keep';
  }

  /**
   * For a reader's needsWholeRow: whether `add` needs more of a skimmed row
   * than its start. It does for the first row (every check of the meta), for
   * a row whose keys or `type` reach past the start, and for a row whose
   * fields the summary reads; a big message row after the first prompt was
   * found needs nothing but its type.
   */
  needsWholeRow(row: Row): boolean {
    const scan = row.skim!.scan;
    if (this.counts.rows === 0) return true;
    const b = row.bytes;
    // (Whether a non-object is a `null` row is read off its first byte, which is past the start only after 64 KiB of whitespace.)
    if (scan === 'not-object') return skipWs(b, 0) >= b.length;
    if (scan === 'invalid') return false;
    for (const m of scan.members) {
      if (m.keyEnd > b.length || (m.valueEnd > b.length && keyMatches(b, m, 'type'))) return true;
    }
    const head = headOfScan(b, scan);
    if (head.kind !== 'row') return false;
    return head.type === 'message' ? this.summary.firstUserText === '' || this.firstPrompt === '' : READS_FIELDS.has(head.type);
  }

  private notMeta(reason: string): ZotpackError {
    return new ZotpackError('E_NOT_META', `${reason}; a zot session starts with its meta row`, { path: this.path });
  }

  private meta(row: Row, meta: MetaObject | undefined, first: boolean): RowVerdict {
    if (meta === undefined) {
      if (first) throw this.notMeta('the first row has type "meta" but no meta object');
      return 'meta'; // Go: a nil meta; zot's loader ignores it
    }
    const s = this.summary;
    s.started = meta.meta.started;
    s.model = meta.meta.model;
    s.provider = meta.meta.provider;
    s.title = meta.meta.title;
    this.lastMeta = meta;
    if (first) {
      this.firstMeta = meta;
      if (meta.meta.id === '') this.warn({ code: 'W_NO_ID', message: 'the meta row has no id', row: row.line });
      return 'first-meta';
    }
    this.extraMetas++;
    return 'meta';
  }

  private userText(b: Buffer, top: ScannedObject): void {
    const text = rowFirstUserText(b, top);
    if (this.summary.firstUserText === '') this.summary.firstUserText = text;
    if (this.firstPrompt === '') this.firstPrompt = text;
  }

  /** zot counts the checkpoint's kept messages, and takes the text of the first of them (not of a message it drops). */
  private compaction(b: Buffer, top: ScannedObject): void {
    const kept = compactionMessages(b, top);
    this.summary.messages = kept.length;
    if (this.summary.firstUserText === '' && kept[0] !== undefined) {
      this.summary.firstUserText = firstNonEmptyText(b, kept[0].msg);
    }
  }

  private skip(row: Row, kind: 'invalid' | 'undecodable', detail?: string): RowVerdict {
    if (kind === 'invalid') {
      this.counts.invalid++;
      const truncated = !row.terminated;
      this.warn({
        code: truncated ? 'W_TRUNCATED' : 'W_INVALID_ROW',
        message: truncated
          ? 'the last row is cut short (no newline, not valid JSON): zot skips it'
          : 'not valid JSON: zot skips this row',
        row: row.line,
      });
    } else {
      this.counts.undecodable++;
      this.warn({ code: 'W_UNDECODABLE_ROW', message: `zot cannot decode this row${detail ? ` (${detail})` : ''}: it skips it`, row: row.line });
    }
    return kind;
  }

  private warn(w: Omit<Warning, 'path'>): void {
    if (this.warnings.length < MAX_ROW_WARNINGS) this.warnings.push({ ...w, path: this.path });
  }

  /** Throws E_EMPTY when no row was seen. Call after the last row. */
  finish(): this {
    if (this.counts.rows === 0) throw new ZotpackError('E_EMPTY', 'the file has no rows', { path: this.path });
    return this;
  }
}

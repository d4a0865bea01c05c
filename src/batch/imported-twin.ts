/**
 * A local session that an import wrote, compared with the bundled session
 * it came from.
 *
 * An export folds every meta row after the first into its header and leaves
 * out the rows zot skips, and an import writes what the export holds: the
 * local file then differs from the bundled one from its first row (or from
 * the first row left out), though it holds the same conversation. Compared
 * byte for byte, every session moved once with export and import and later
 * with pack and unpack was a conflict. Compared here, it is the same session
 * while each bundled row after the first equals the next local row after
 * the header, or is one the export leaves out (a meta row, a row zot skips;
 * after rows an earlier unpack appended, those are there too). Rename rows
 * are not matched one by one — the export leaves out those a later meta row
 * overrides, and keeps the others as they are — but by the renames each
 * side holds since the last row in common, and the title both end with:
 *
 * - the local rows run out first: the session grew on the other machine,
 *   and every bundled byte after the last row matched is appended — meta
 *   rows included, so zot's loader finds the model last used;
 * - the bundled rows run out first: present, the local one went on since
 *   (unless a meta row came on the other side after the last row matched:
 *   both went on);
 * - a row differs: a conflict.
 *
 * Rows are held one at a time on each side (and the rename and meta rows
 * since the last row in common, a title or a meta each), so memory stays
 * bounded by the largest row.
 */
import { ZotpackError } from '../errors.js';
import { readRowsFd, type Row } from '../jsonl/row-reader.js';
import { RowStream } from '../session/row-stream.js';
import { SessionScan } from '../session/session-scan.js';
import { readRowHead } from '../jsonl/row-type.js';
import { stringField } from '../jsonl/go-fields.js';
import { readMetaObject, type SessionMeta } from '../format/session-meta.js';

const NEWLINE = Buffer.from('\n');

/** A bundled rename row (its bytes, its title) or meta row (and whether it says what the local side holds). */
interface RenameRow {
  rename: string;
  title: string;
}
interface MetaRow {
  meta: SessionMeta | undefined;
  held: boolean;
}
type TitleRow = RenameRow | MetaRow;

/** The title of a rename row ('' when it has none: it sets nothing); undefined for any other row. */
function renameTitle(b: Buffer): string | undefined {
  const head = readRowHead(b);
  if (head.kind !== 'row' || head.type !== 'rename') return undefined;
  if (head.object === null) return '';
  try {
    return stringField(b, head.object, 'title') ?? '';
  } catch {
    return ''; // a title of the wrong type: zot's struct cannot decode it, and sets nothing
  }
}

/** The meta of a header row, or undefined. */
function headerMeta(b: Buffer): SessionMeta | undefined {
  const head = readRowHead(b);
  if (head.kind !== 'row' || head.type !== 'meta' || head.object === null) return undefined;
  try {
    return readMetaObject(b, head.object)?.meta;
  } catch {
    return undefined; // a field of the wrong type: no header to compare with
  }
}

/**
 * Whether a meta row says what `held` says of the model (and the hidden
 * flag): a meta row is written when the model switches, and carries the
 * session's title as it then was, which rename rows, not meta rows, change.
 */
function sameModel(m: SessionMeta | undefined, held: SessionMeta | undefined): boolean {
  return m !== undefined && held !== undefined && m.model === held.model && m.provider === held.provider && m.hideFromSessions === held.hideFromSessions;
}

export type ImportedVerdict =
  | { status: 'present'; localAhead: boolean }
  | { status: 'appended'; bytes: number }
  | { status: 'conflict'; at: number };

export class ImportedTwin {
  private readonly scan: SessionScan;
  private readonly stream: RowStream;
  private readonly local: Generator<Row>;
  /** The local row the next kept bundled row must equal; undefined once the local rows ran out. */
  private next: Row | undefined;
  private state: 'matching' | 'extend' | 'conflict' = 'matching';
  /** Bundled bytes seen. */
  private offset = 0;
  /** The bundled offset from which bytes are appended. */
  private extendFrom = 0;
  private appended = 0;
  private conflictAt = 0;
  /** A meta row came in the bundle after the last row matched. */
  private metaSinceMatch = false;
  /**
   * The title the local rows read so far leave (zot's rule: a meta row sets
   * it, a rename with a title sets it). Rename rows are not matched one by
   * one: the export leaves out those a later meta row overrides, and one
   * it keeps may equal an earlier one it left out. What must agree is the
   * title both sides end with.
   */
  private localTitle = '';
  /**
   * The rename rows of each side since the last row matched, the local
   * ones with where the first starts: each local one must be one of the
   * bundled ones (an export keeps a rename as it is, or leaves it out),
   * else the local side renamed the session itself.
   */
  private localRenames: Array<{ bytes: string; title: string }> = [];
  private localRenamesAt = 0;
  private readonly bundledRenames = new Set<string>();
  /**
   * The title the session had when it was exported, as far as the rows in
   * common tell: the header's, then at each row in common the local title
   * (its renames there all the bundle's too); `sinceFrom` is where the
   * renames after the last matched meta row start in localRenames.
   */
  private exportedTitle = '';
  private sinceFrom = 0;
  /** The meta the local rows hold: its header's, or the last meta row both hold (not one only the bundle holds). */
  private held: SessionMeta | undefined;
  /** The bundled rename and meta rows since the last row in common (a title or a meta each). */
  private tail: TitleRow[] = [];
  /** A bundled meta row saying what `held` says came before the tail (then the export's header may be it). */
  private heldBeforeTail = false;
  private heldSeen = false;
  /** The last local row had no newline after it: one goes before the appended bytes. */
  private needsNewline = false;
  private out: { write(bytes: Buffer): void } | undefined;
  /** The local side's current meta: its header's (what the export last saw), then each meta row matched or brought. */
  private current: SessionMeta | undefined;
  /** A row zot reads came after the last one matched. */
  private grew = false;

  /**
   * @param fd the local file, open for reading (positioned reads only)
   * @param path the local file, named in errors
   * @param extension where the bytes to append go, opened when the local
   *   rows run out (undefined in a dry run)
   */
  constructor(
    fd: number,
    path: string,
    private readonly extension: () => { write(bytes: Buffer): void } | undefined,
  ) {
    this.scan = new SessionScan(path);
    this.local = readRowsFd(fd, 1 << 20, path);
    // The header: the bundled session's first row is not compared with it,
    // but what it says of the model is what the export folded into it.
    const header = this.local.next();
    if (!header.done) {
      this.current = headerMeta(header.value.bytes);
      this.held = this.current;
      this.localTitle = this.current?.title ?? '';
      this.exportedTitle = this.localTitle;
      this.needsNewline = !header.value.terminated;
    }
    this.pull();
    this.stream = new RowStream(
      (row) => this.row(row),
      (bytes) => this.emit(bytes),
      path,
    );
  }

  /** The bundled session's bytes, from its first. */
  push(bytes: Buffer): void {
    this.stream.push(bytes);
  }

  /** The bundled session ended: what it is to the local one. Closes the local reader. */
  finish(): ImportedVerdict {
    try {
      this.stream.end();
      if (this.state === 'conflict') return { status: 'conflict', at: this.conflictAt };
      // The title each side ends with, against the one the export had: which side renamed the session since.
      const { exported, after } = this.exportPoint();
      const bundled = this.scan.summary.title;
      const lastMeta = after.filter((t): t is MetaRow => 'meta' in t).at(-1);
      // A model switch since the export that the local side does not hold.
      const switched = lastMeta !== undefined && !sameModel(lastMeta.meta, this.held);
      if (this.state === 'extend') {
        const grew = this.grew || switched;
        if (bundled === this.localTitle) return grew ? { status: 'appended', bytes: this.appended } : { status: 'present', localAhead: false };
        // The other side renamed it (or switched to a meta row with another title): bring that.
        if (this.localTitle === exported) return { status: 'appended', bytes: this.appended };
        // This side renamed it: a title from the other side too, or title rows appended over it (all the tail goes), is both going on.
        if (bundled !== exported || (grew && this.tail.length > 0)) return { status: 'conflict', at: this.localRenamesAt };
        // Rows that leave this side's title, or only rows zot skips (a crash's cut-off row, left out by the export).
        return grew ? { status: 'appended', bytes: this.appended } : { status: 'present', localAhead: true };
      }
      // The bundled rows ran out, the local ones did not.
      const at = this.next!.start;
      if (this.metaSinceMatch && switched) return { status: 'conflict', at };
      // A title set on the other side since the export, which this side does not end with: both went on.
      if (bundled !== exported && this.localFinalTitle() !== bundled) return { status: 'conflict', at };
      return { status: 'present', localAhead: true };
    } finally {
      this.close();
    }
  }

  close(): void {
    this.local.return(undefined);
  }

  /** Whether the bundled meta row just read says other than the local side's current meta: a model switch it lacks. */
  private switches(): boolean {
    return !sameModel(this.scan.lastMeta?.meta, this.current);
  }

  /** The next local row other than a rename (a rename's title taken on the way). */
  private pull(): void {
    for (;;) {
      const r = this.local.next();
      this.next = r.done ? undefined : r.value;
      if (!this.next) return;
      this.needsNewline = !this.next.terminated;
      const title = renameTitle(this.next.bytes);
      if (title === undefined) return;
      if (title !== '') this.localTitle = title;
      if (this.localRenames.length === 0) this.localRenamesAt = this.next.start;
      this.localRenames.push({ bytes: this.next.bytes.toString('latin1'), title });
    }
  }

  /** The title the local file ends with: its rows read to the end. */
  private localFinalTitle(): string {
    while (this.next) {
      const meta = headerMeta(this.next.bytes);
      if (meta) this.localTitle = meta.title ?? '';
      this.pull();
    }
    return this.localTitle;
  }

  private row(row: Row): undefined {
    if (this.state === 'extend') {
      // Growth is a row zot reads; renames and meta rows go to the tail, which
      // finish() weighs against where the export was made (exportPoint).
      const verdict = this.scan.add(row);
      if (verdict === 'keep' && this.isRename()) this.tailRename(row);
      else if (verdict === 'keep') this.grew = true;
      if (verdict === 'meta') {
        this.tail.push({ meta: this.scan.lastMeta?.meta, held: this.isHeld() });
        this.current = this.scan.lastMeta?.meta; // appended: the local side's now
      }
      return undefined;
    }
    if (this.state !== 'matching') return undefined;
    let verdict;
    try {
      verdict = this.scan.add(row);
    } catch (err) {
      // A first row zot cannot open: not the session the local file holds.
      if (!(err instanceof ZotpackError)) throw err;
      return this.diverge();
    }
    if (verdict === 'keep' && this.isRename()) {
      // Compared by the title both sides end with (finish), not row by row.
      this.bundledRenames.add(this.tailRename(row));
      return undefined;
    }
    if (verdict === 'first-meta' && this.isHeld()) this.heldSeen = true;
    if (verdict !== 'first-meta') {
      if (this.next?.bytes.equals(row.bytes)) {
        // A rename only the local side holds, then more rows in common: not a history an export and this bundle make.
        if (verdict === 'keep' && !this.renamesExplained()) return this.diverge();
        if (verdict === 'meta') {
          this.current = this.scan.lastMeta?.meta;
          this.held = this.current;
          this.localTitle = this.current?.title ?? '';
          // A meta row both hold: the title is its, and the renames before it are overridden.
          this.exportedTitle = this.localTitle;
          this.sinceFrom = this.localRenames.length;
        }
        this.metaSinceMatch = false;
        if (verdict === 'keep') {
          this.exportedTitle = this.localTitle;
          this.localRenames = [];
          this.sinceFrom = 0;
          this.bundledRenames.clear();
          this.heldSeen ||= this.tail.some((t) => 'meta' in t && t.held);
          this.heldBeforeTail = this.heldSeen;
          this.tail = [];
        }
        if (verdict === 'meta') {
          this.heldSeen = this.heldBeforeTail = true;
          this.tail = [];
        }
        this.pull();
      } else if (verdict === 'keep') {
        return this.diverge();
      } else {
        // A row the export left out (a meta row it folded into the header,
        // a row zot skips) — or one the local side lacks, if it went on:
        // a model switch the local side does not hold. The last one counts.
        if (verdict === 'meta') {
          this.foldedMeta();
          this.metaSinceMatch = this.switches();
          this.tail.push({ meta: this.scan.lastMeta?.meta, held: this.isHeld() });
        }
        return undefined;
      }
    }
    if (this.next === undefined) {
      this.state = 'extend';
      this.extendFrom = row.end;
    }
    return undefined;
  }

  /** Whether every local rename since the last row matched is one of the bundled ones. */
  private renamesExplained(): boolean {
    return this.localRenames.every((r) => this.bundledRenames.has(r.bytes));
  }

  /**
   * A bundled meta row the local side does not hold as a row: when it says
   * what the local header (or last meta) says, it is the one the export
   * folded into the header, so the renames before it were left out of the
   * export and none of the local ones can be them.
   */
  private foldedMeta(): void {
    if (this.isHeld()) this.bundledRenames.clear();
  }

  /** A bundled rename row into the tail; its bytes (as a string key). */
  private tailRename(row: Row): string {
    const bytes = row.bytes.toString('latin1');
    this.tail.push({ rename: bytes, title: renameTitle(row.bytes) ?? '' });
    return bytes;
  }

  /** Whether the bundled meta row just read says what the local side's held meta says (model, hidden flag, title). */
  private isHeld(): boolean {
    const m = this.scan.lastMeta?.meta;
    return sameModel(m, this.held) && (m?.title ?? '') === (this.held?.title ?? '');
  }

  /**
   * Where the export was made in the tail, as the local rows tell: after the
   * meta row it folded into its header (one saying what `held` says, or one
   * before the tail) and the renames after it the local side holds first, in
   * order (an export keeps every rename after its header's meta row). Of the
   * places that fit, the one that explains the most local renames. Returns
   * the title the export had and the tail's rows after it.
   */
  private exportPoint(): { exported: string; after: TitleRow[] } {
    const local = this.localRenames.slice(this.sinceFrom);
    const places = this.tail.flatMap((t, i) => ('meta' in t && t.held ? [i] : []));
    if (this.heldBeforeTail || places.length === 0) places.unshift(-1);
    // `from`: the folded meta row's place in the tail (-1: before it); `kept`: the renames after it the export kept.
    let best = { from: -1, kept: -1 };
    for (const from of places) {
      let kept = 0;
      for (let i = from + 1; i < this.tail.length && kept < local.length; i++) {
        const t = this.tail[i]!;
        if (!('rename' in t) || t.rename !== local[kept]!.bytes) break;
        kept++;
      }
      if (kept > best.kept || (kept === best.kept && from > best.from)) best = { from, kept };
    }
    let exported = best.from === -1 ? this.exportedTitle : (this.held?.title ?? '');
    for (const r of local.slice(0, best.kept)) if (r.title !== '') exported = r.title;
    return { exported, after: this.tail.slice(best.from + best.kept + 1) };
  }

  private isRename(): boolean {
    const { head } = this.scan;
    return head.kind === 'row' && head.type === 'rename';
  }

  private diverge(): undefined {
    this.state = 'conflict';
    this.conflictAt = this.next?.start ?? 0;
    return undefined;
  }

  /** Every bundled byte passes here in order, after the rows it holds were seen. */
  private emit(bytes: Buffer): void {
    const start = this.offset;
    this.offset += bytes.length;
    if (this.state !== 'extend' || this.offset <= this.extendFrom) return;
    const tail = bytes.subarray(Math.max(0, this.extendFrom - start));
    if (this.appended === 0) {
      this.out = this.extension();
      if (this.needsNewline) {
        this.out?.write(NEWLINE);
        this.appended += 1;
      }
    }
    this.out?.write(tail);
    this.appended += tail.length;
  }
}

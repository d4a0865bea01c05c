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
 * Rows are held one at a time on each side (and the rename rows since the
 * last row in common, a title each), so memory stays bounded by the largest
 * row.
 */
import { ZotpackError } from '../errors.js';
import { readRowsFd, type Row } from '../jsonl/row-reader.js';
import { RowStream } from '../session/row-stream.js';
import { SessionScan } from '../session/session-scan.js';
import { readRowHead } from '../jsonl/row-type.js';
import { stringField } from '../jsonl/go-fields.js';
import { readMetaObject, type SessionMeta } from '../format/session-meta.js';

const NEWLINE = Buffer.from('\n');

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
  /** A bundled rename or meta row came after the last row matched. */
  private titleSinceMatch = false;
  /**
   * The rename rows of each side since the last row matched, the local
   * ones with where the first starts: each local one must be one of the
   * bundled ones (an export keeps a rename as it is, or leaves it out),
   * else the local side renamed the session itself.
   */
  private localRenames: string[] = [];
  private localRenamesAt = 0;
  private readonly bundledRenames = new Set<string>();
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
   * @param extension where appended bytes go, opened with the local bytes
   *   in it when the local rows run out (undefined in a dry run)
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
      this.localTitle = this.current?.title ?? '';
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
      if (this.state === 'extend') {
        if (!this.renamesExplained()) {
          // The local side renamed the session: if the other side went on too, both did.
          if (this.grew || this.titleSinceMatch) return { status: 'conflict', at: this.localRenamesAt };
          return { status: 'present', localAhead: true };
        }
        // Renames and meta rows after the last row matched bring a title the local side lacks, or one it holds already.
        if (this.titleSinceMatch && this.scan.summary.title !== this.localTitle) this.grew = true;
        // Only rows zot skips after the last one matched (a crash's cut-off
        // row, left out by the export): nothing to bring.
        return this.grew ? { status: 'appended', bytes: this.appended } : { status: 'present', localAhead: false };
      }
      // The bundled rows ran out, the local ones did not.
      const at = this.next!.start;
      if (this.metaSinceMatch) return { status: 'conflict', at };
      // A title set on the other side after the last row matched, which the local side does not end with: both went on.
      if (this.titleSinceMatch && this.localFinalTitle() !== this.scan.summary.title) return { status: 'conflict', at };
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
      this.localRenames.push(this.next.bytes.toString('latin1'));
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
      // Growth is a row zot reads, or a model switch the local side does not
      // hold yet (a meta row the import folded into the header is not).
      const verdict = this.scan.add(row);
      const rename = verdict === 'keep' && this.isRename();
      if (rename) this.bundledRenames.add(row.bytes.toString('latin1'));
      if ((verdict === 'keep' && !rename) || (verdict === 'meta' && this.switches())) this.grew = true;
      if (rename || verdict === 'meta') this.titleSinceMatch = true;
      if (verdict === 'meta') this.current = this.scan.lastMeta?.meta; // appended: the local side's now
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
      this.titleSinceMatch = true;
      this.bundledRenames.add(row.bytes.toString('latin1'));
      return undefined;
    }
    if (verdict !== 'first-meta') {
      if (this.next?.bytes.equals(row.bytes)) {
        // A rename only the local side holds, then more rows in common: not a history an export and this bundle make.
        if (verdict === 'keep' && !this.renamesExplained()) return this.diverge();
        if (verdict === 'meta') {
          this.current = this.scan.lastMeta?.meta;
          this.localTitle = this.current?.title ?? '';
        }
        this.metaSinceMatch = false;
        if (verdict === 'keep') {
          this.titleSinceMatch = false;
          this.localRenames = [];
          this.bundledRenames.clear();
        }
        this.pull();
      } else if (verdict === 'keep') {
        return this.diverge();
      } else {
        // A row the export left out (a meta row it folded into the header,
        // a row zot skips) — or one the local side lacks, if it went on:
        // a model switch the local side does not hold. The last one counts.
        if (verdict === 'meta') {
          this.metaSinceMatch = this.switches();
          this.titleSinceMatch = true;
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
    return this.localRenames.every((r) => this.bundledRenames.has(r));
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

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
 * the header, or is one the export leaves out (a meta row, a row zot skips,
 * a rename row a later meta row overrides; after rows an earlier unpack
 * appended, those are there too):
 *
 * - the local rows run out first: the session grew on the other machine,
 *   and every bundled byte after the last row matched is appended — meta
 *   rows included, so zot's loader finds the model last used;
 * - the bundled rows run out first: present, the local one went on since
 *   (unless a meta row came on the other side after the last row matched:
 *   both went on);
 * - a row differs: a conflict.
 *
 * Rows are held one at a time on each side, so memory stays bounded by the
 * largest row.
 */
import { ZotpackError } from '../errors.js';
import { readRowsFd, type Row } from '../jsonl/row-reader.js';
import { RowStream } from '../session/row-stream.js';
import { SessionScan } from '../session/session-scan.js';
import { readRowHead } from '../jsonl/row-type.js';
import { readMetaObject, type SessionMeta } from '../format/session-meta.js';

const NEWLINE = Buffer.from('\n');

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
   * Where the local side stood at the first bundled rename row it lacks,
   * while no meta row has come after it: the export leaves out a rename a
   * later meta row overrides, so it is explained only once one comes.
   */
  private renameUnmatchedAt: number | undefined;
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
      // A rename the local side lacks that no later meta row overrides: the session went on differently.
      if (this.renameUnmatchedAt !== undefined) return { status: 'conflict', at: this.renameUnmatchedAt };
      // Only rows zot skips after the last one matched (a crash's cut-off
      // row, left out by the export): nothing to bring.
      if (this.state === 'extend') return this.grew ? { status: 'appended', bytes: this.appended } : { status: 'present', localAhead: false };
      // The bundled rows ran out, the local ones did not.
      if (this.metaSinceMatch) return { status: 'conflict', at: this.next!.start };
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

  private pull(): void {
    const r = this.local.next();
    this.next = r.done ? undefined : r.value;
    if (this.next) this.needsNewline = !this.next.terminated;
  }

  private row(row: Row): undefined {
    if (this.state === 'extend') {
      // Growth is a row zot reads, or a model switch the local side does not
      // hold yet (a meta row the import folded into the header is not).
      const verdict = this.scan.add(row);
      if (verdict === 'keep' || (verdict === 'meta' && this.switches())) this.grew = true;
      if (verdict === 'meta') {
        this.current = this.scan.lastMeta?.meta; // appended: the local side's now
        this.renameUnmatchedAt = undefined;
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
    if (verdict === 'meta') this.renameUnmatchedAt = undefined;
    if (verdict !== 'first-meta') {
      if (this.next?.bytes.equals(row.bytes)) {
        if (verdict === 'meta') this.current = this.scan.lastMeta?.meta;
        this.metaSinceMatch = false;
        this.pull();
      } else if (verdict === 'keep' && this.isRename()) {
        this.renameUnmatchedAt ??= this.next?.start ?? 0;
        return undefined;
      } else if (verdict === 'keep') {
        return this.diverge();
      } else {
        // A row the export left out (a meta row it folded into the header,
        // a row zot skips) — or one the local side lacks, if it went on:
        // a model switch the local side does not hold. The last one counts.
        if (verdict === 'meta') this.metaSinceMatch = this.switches();
        return undefined;
      }
    }
    if (this.next === undefined) {
      this.state = 'extend';
      this.extendFrom = row.end;
    }
    return undefined;
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

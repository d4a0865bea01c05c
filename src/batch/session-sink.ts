/**
 * Where an unpacked session's bytes go. A sink takes the session's bytes as
 * they arrive from the bundle and publishes nothing until `finish` — called
 * only once the entry's size and sha256 have been checked — or drops
 * everything on `abort`. Sinks compose: a RewriteSink rewrites meta rows on
 * the way to another sink; a TwinSink (twin-sink.ts) compares with the
 * session already there.
 */
import { AtomicFile } from '../session/atomic-file.js';
import type { Publisher } from './publisher.js';
import { RowStream } from '../session/row-stream.js';
import { metaRewriter, type MetaRewrite } from '../session/meta-rewrite.js';
import { SessionScan } from '../session/session-scan.js';
import { ZotpackError } from '../errors.js';
import type { Row } from '../jsonl/row-reader.js';
import { metaDisagrees, noRows, type BundleSession } from './bundle-manifest.js';

/** What became of a bundled session. */
export type SinkOutcome =
  /** Written as a new session file. */
  | { status: 'new'; path: string; bytes: number }
  /** Already there, byte for byte; `localAhead`: the local file goes on beyond the bundled bytes. */
  | { status: 'present'; path: string; localAhead: boolean }
  /** The local file was a prefix: the rest was appended. */
  | { status: 'appended'; path: string; bytes: number }
  /** Changed on both sides since they last agreed (from byte `at`): left as it was. */
  | { status: 'conflict'; path: string; at: number; reason: string }
  /** A conflict kept as a new session with a new id, next to the local one. */
  | { status: 'copied'; path: string; at: number; copy: SinkOutcome };

export interface SessionSink {
  write(bytes: Buffer): void;
  /** The bytes were verified: publish them. */
  finish(): SinkOutcome;
  /** Drop whatever was written; publish nothing. Safe to call twice. */
  abort(): void;
}

export interface SinkOptions {
  /** Decide, write nothing. */
  dryRun: boolean;
  /** fsync before publishing. */
  durable: boolean;
  /** Publishes new files in durable batches (when durable); without it each is fsynced and published at once. */
  publisher?: Publisher;
  /** The modification time a file written gets: the bundled session's (tar header). */
  mtime?: Date;
}

/** A new session file at `target`, which must not exist (published with link: never overwrites). */
export class NewSink implements SessionSink {
  private file: AtomicFile | undefined;
  private bytes = 0;

  constructor(
    private readonly target: string,
    private readonly options: SinkOptions,
  ) {}

  write(bytes: Buffer): void {
    this.bytes += bytes.length;
    if (this.options.dryRun) return;
    this.open().write(bytes);
  }

  private open(): AtomicFile {
    // A batch's file is synced with the batch, not alone.
    this.file ??= AtomicFile.create(this.target, { durable: this.options.durable && this.options.publisher === undefined, mtime: this.options.mtime });
    return this.file;
  }

  finish(): SinkOutcome {
    if (!this.options.dryRun) {
      const publisher = this.options.publisher;
      if (publisher) publisher.add(this.open().finish(), this.bytes);
      else this.open().commit(); // E_EXISTS if a file appeared there meanwhile
    }
    return { status: 'new', path: this.target, bytes: this.bytes };
  }

  abort(): void {
    this.file?.abort();
  }
}

/**
 * Lets `inner` publish a bundled session only if its first row is a meta
 * row naming the id and parent of its manifest entry, as verify requires:
 * unpack must not put in the home what verify refuses (bytes that are no
 * session, or a session under another id than the manifest's, which would
 * sit beside the home's own session of that id). Only the first row is
 * framed; the bytes after it pass straight through.
 */
export class FirstRowSink implements SessionSink {
  private rows: RowStream | undefined;
  private seen = false;

  constructor(
    private readonly entry: Pick<BundleSession, 'path' | 'id' | 'parent'>,
    private readonly inner: SessionSink,
  ) {
    const scan = new SessionScan(entry.path);
    const check = (row: Row): undefined => {
      if (this.seen) return undefined;
      this.seen = true;
      scan.add(row); // E_NOT_META, E_BOM, ... for a first row zot cannot read
      const { id, parent } = scan.firstMeta!.meta;
      const disagrees = metaDisagrees(entry, id, parent);
      if (disagrees) throw disagrees;
      return undefined;
    };
    this.rows = new RowStream(check, (b) => inner.write(b), entry.path);
  }

  write(bytes: Buffer): void {
    // Line by line only until the first row is seen: the rest of the chunk (often the whole session) goes on unframed.
    let from = 0;
    while (this.rows) {
      const nl = bytes.indexOf(0x0a, from);
      if (nl < 0) {
        this.rows.push(from === 0 ? bytes : bytes.subarray(from));
        return;
      }
      this.rows.push(bytes.subarray(from, nl + 1));
      from = nl + 1;
      if (this.seen) this.flush();
    }
    if (from < bytes.length) this.inner.write(from === 0 ? bytes : bytes.subarray(from));
  }

  /** The first row is checked: what is held of the next goes on as it is, and so does the rest. */
  private flush(): void {
    const rows = this.rows;
    this.rows = undefined;
    rows?.end();
  }

  finish(): SinkOutcome {
    this.flush();
    if (!this.seen) throw noRows(this.entry.path);
    return this.inner.finish();
  }

  abort(): void {
    this.inner.abort();
  }
}

/** Rewrites meta rows (cwd, ids) on the way to `inner`, every other byte untouched. */
export class RewriteSink implements SessionSink {
  private readonly rows: RowStream;

  constructor(
    rewrite: MetaRewrite,
    private readonly inner: SessionSink,
  ) {
    this.rows = new RowStream(metaRewriter(rewrite), (b) => inner.write(b));
  }

  write(bytes: Buffer): void {
    this.rows.push(bytes);
  }

  finish(): SinkOutcome {
    this.rows.end();
    return this.inner.finish();
  }

  abort(): void {
    this.inner.abort();
  }
}

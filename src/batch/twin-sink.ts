/**
 * A bundled session whose id is already in the home: compared with the
 * local file as its bytes arrive, so that unpacking the same bundle again
 * writes nothing.
 *
 * - Same bytes to the end: present (nothing written). A bundled session
 *   shorter than the local one but equal to its start is present too: the
 *   local one went on since.
 * - The local file ends first, equal so far: it is a prefix — the session
 *   grew on the other machine. The new bytes are staged in a temp file
 *   and, once the bundle's sha256 checks out, appended to the local file where it is
 *   (append-in-place.ts: a zot that has it open keeps writing to it), only
 *   if it is still the one compared (same inode, size and mtime).
 * - The bytes differ: the local file may be an import of the session's
 *   export, which holds the same rows under another header; from there
 *   the rows are compared (imported-twin.ts): present, grown, or
 * - a conflict, handled by the policy — skip (left as it
 *   was), fail (E_CONFLICT), or copy: the bundled session is
 *   written through `copy()` (a new id, see unpack-session.ts); its bytes
 *   up to the first difference equal the local file's, so they are read
 *   back from there, and the rest are copied as they come (and dropped if
 *   the rows turn out the same).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ZotpackError, fromFsError } from '../errors.js';
import { AtomicFile } from '../session/atomic-file.js';
import { appendInPlace } from '../session/append-in-place.js';
import { ImportedTwin } from './imported-twin.js';
import type { SessionSink, SinkOptions, SinkOutcome } from './session-sink.js';

export type ConflictPolicy = 'skip' | 'copy' | 'fail';

export interface TwinOptions extends SinkOptions {
  onConflict: ConflictPolicy;
  /** The sink for a copy of a conflicting session (policy copy). */
  copy?: () => SessionSink;
  /** A conflict known before any byte (a different session holds the file name): the local file is not read. */
  conflict?: string;
  /** What a divergence means here, when more is known than that the bytes differ. */
  reason?: string;
}

const PIECE = 1 << 20;

export class TwinSink implements SessionSink {
  private fd: number | undefined;
  private stat: Stats | undefined;
  private state: 'same' | 'extend' | 'conflict' | 'imported' = 'same';
  /** From the first differing byte on: the comparison with a local file an import wrote (imported-twin.ts). */
  private imported: ImportedTwin | undefined;
  /** Bytes of the bundled session seen. */
  private offset = 0;
  private conflictAt = 0;
  private reason = '';
  private out: AtomicFile | undefined;
  private copySink: SessionSink | undefined;
  private readonly scratch = Buffer.allocUnsafe(PIECE);

  constructor(
    private readonly path: string,
    private readonly options: TwinOptions,
  ) {
    if (options.conflict !== undefined) {
      this.diverge(0, options.conflict);
      return;
    }
    try {
      // Never through a link: a link in a home is not the session to append to.
      this.fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
      this.stat = fstatSync(this.fd);
      if (!this.stat.isFile()) this.diverge(0, 'the local session is not a regular file');
    } catch (err) {
      if (err instanceof ZotpackError) throw err;
      this.diverge(0, `the local session cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }

  private get localSize(): number {
    return this.stat?.size ?? 0;
  }

  write(bytes: Buffer): void {
    if (this.state === 'same') return this.compare(bytes);
    this.offset += bytes.length;
    if (this.state === 'extend') {
      this.out?.write(bytes);
    } else {
      this.imported?.push(bytes);
      this.copySink?.write(bytes);
    }
  }

  private compare(b: Buffer): void {
    let i = 0;
    while (i < b.length) {
      if (this.offset >= this.localSize) return this.extend(b.subarray(i));
      const n = Math.min(b.length - i, this.localSize - this.offset, PIECE);
      const local = this.scratch.subarray(0, this.readLocal(this.scratch, n, this.offset));
      const theirs = b.subarray(i, i + local.length);
      if (local.length < n || !local.equals(theirs)) {
        let d = 0;
        while (d < local.length && local[d] === theirs[d]) d++;
        return this.diverge(this.offset + d, this.options.reason ?? 'the session changed on both sides', b.subarray(i + d));
      }
      this.offset += n;
      i += n;
    }
  }

  private extend(rest: Buffer): void {
    this.state = 'extend';
    this.openExtension();
    this.write(rest);
  }

  /** The temp file the new bytes are staged in until the bundle's sha256 checks out (none in a dry run). */
  private openExtension(): AtomicFile | undefined {
    if (this.options.dryRun) return undefined;
    // Not durable: it is read back, appended, and removed, never published.
    this.out = AtomicFile.create(this.path, { overwrite: true, durable: false });
    return this.out;
  }

  private diverge(at: number, reason: string, rest?: Buffer): void {
    this.conflictAt = at;
    this.reason = reason;
    // The bytes differ, but an import of this session's export would differ
    // too: whether the rows do is known only at the end (imported-twin.ts).
    const mayBeImported = this.fd !== undefined && this.options.conflict === undefined && this.options.reason === undefined;
    if (mayBeImported) {
      this.state = 'imported';
      this.imported = new ImportedTwin(this.fd!, this.path, () => this.openExtension());
    } else {
      this.state = 'conflict';
      if (this.options.onConflict === 'fail') throw this.conflictError(at);
    }
    // A copy is made as the bytes come, in case they conflict (dropped if not).
    if (this.options.onConflict === 'copy' && this.options.copy) this.copySink = this.options.copy();
    if (this.copySink || this.imported) {
      // The bundled bytes before `at` equal the local ones: replay them from there.
      for (let p = 0; p < at; ) {
        const n = this.readLocal(this.scratch, Math.min(PIECE, at - p), p);
        const piece = Buffer.from(this.scratch.subarray(0, n));
        this.imported?.push(piece);
        this.copySink?.write(piece);
        p += n;
      }
    }
    this.offset = at;
    if (rest) this.write(rest);
  }

  private conflictError(at: number): ZotpackError {
    return new ZotpackError('E_CONFLICT', `${this.reason} (the local file differs from the bundled session at its byte ${at}); --on-conflict skip or copy to go on`, { path: this.path });
  }

  /** What the comparison with an imported local file found. */
  private finishImported(): SinkOutcome {
    const v = this.imported!.finish();
    if (v.status !== 'conflict') {
      this.copySink?.abort();
      this.copySink = undefined;
      if (v.status === 'present') {
        this.out?.abort();
        return { status: 'present', path: this.path, localAhead: v.localAhead };
      }
      return this.appended(v.bytes);
    }
    const at = Math.max(this.conflictAt, v.at);
    this.out?.abort();
    if (this.options.onConflict === 'fail') throw this.conflictError(at);
    if (this.copySink) return { status: 'copied', path: this.path, at, copy: this.copySink.finish() };
    return { status: 'conflict', path: this.path, at, reason: this.reason };
  }

  /** Appends the new bytes to the local file where it is, if it is still the one compared. */
  private appended(bytes: number): SinkOutcome {
    if (!this.options.dryRun) {
      const out = this.out!;
      try {
        const grown = appendInPlace(this.path, this.stat!, out.tempPath, out.bytesWritten, this.options);
        if (!grown) return { status: 'conflict', path: this.path, at: this.localSize, reason: 'the local session changed during the unpack' };
      } finally {
        out.abort();
      }
    }
    return { status: 'appended', path: this.path, bytes };
  }

  finish(): SinkOutcome {
    try {
      switch (this.state) {
        case 'same':
          return { status: 'present', path: this.path, localAhead: this.offset < this.localSize };
        case 'extend':
          return this.appended(this.offset - this.localSize);
        case 'imported':
          return this.finishImported();
        case 'conflict':
          if (this.copySink) return { status: 'copied', path: this.path, at: this.conflictAt, copy: this.copySink.finish() };
          return { status: 'conflict', path: this.path, at: this.conflictAt, reason: this.reason };
      }
    } finally {
      this.close();
    }
  }

  abort(): void {
    this.imported?.close();
    this.out?.abort();
    this.copySink?.abort();
    this.close();
  }

  private readLocal(buf: Buffer, length: number, position: number): number {
    let done = 0;
    try {
      while (done < length) {
        const n = readSync(this.fd!, buf, done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } catch (err) {
      throw fromFsError(err, this.path, 'cannot read the local session');
    }
    return done;
  }

  private close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

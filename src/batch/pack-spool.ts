/**
 * What pack learns in its first pass and needs in its second, kept in a temp
 * folder between them: the manifest's session entries, as the text they go
 * into the bundle as, and the files to pack, in bundle order. Held as
 * objects, 300,000 sessions made pack peak at 756 MB; spooled, the first
 * pass holds one slice of projects and the second one file's read buffer.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZotpackError, fromFsError } from '../errors.js';
import { readRows } from '../jsonl/row-reader.js';
import type { BundleManifest, BundleSession } from './bundle-manifest.js';

/** A session to pack: its manifest entry, and where its bytes are. */
export interface SpooledSession {
  source: string;
  /** The tar entry name (the manifest entry's `path`). */
  path: string;
  size: number;
  sha256: string;
  mtimeMs: number;
}

/** Text gathered before a write. */
const WRITE_AT = 64 << 10;
const READ_SIZE = 1 << 20;

/** One append-only temp file, written in pieces of about 64 KB. */
class SpoolFile {
  private readonly fd: number;
  private pieces: string[] = [];
  private held = 0;
  bytes = 0;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'wx+', 0o600);
    } catch (err) {
      throw fromFsError(err, path, 'cannot make the pack spool (a temp file)', true);
    }
  }

  append(text: string): void {
    this.pieces.push(text);
    this.held += text.length;
    if (this.held >= WRITE_AT) this.flush();
  }

  flush(): void {
    if (this.pieces.length === 0) return;
    const buf = Buffer.from(this.pieces.join(''));
    try {
      for (let done = 0; done < buf.length; ) done += writeSync(this.fd, buf, done);
    } catch (err) {
      throw fromFsError(err, this.path, 'cannot write the pack spool (a temp file)', true);
    }
    this.bytes += buf.length;
    this.pieces = [];
    this.held = 0;
  }

  /** Its bytes from the start, in fresh buffers (a tar stream may keep one a while). */
  *read(): Generator<Buffer> {
    this.flush();
    for (let at = 0; at < this.bytes; ) {
      const buf = Buffer.allocUnsafe(Math.min(READ_SIZE, this.bytes - at));
      const n = readSync(this.fd, buf, 0, buf.length, at);
      if (n === 0) throw new ZotpackError('E_UNREADABLE', 'the pack spool (a temp file) was cut short', { path: this.path });
      at += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

export class PackSpool {
  private readonly dir: string;
  private readonly entries: SpoolFile;
  private readonly files: SpoolFile;
  /** Sessions added, and their bytes. */
  count = 0;
  bytes = 0;

  constructor() {
    try {
      this.dir = mkdtempSync(join(tmpdir(), 'zotpack-pack-'));
    } catch (err) {
      throw fromFsError(err, join(tmpdir(), 'zotpack-pack-*'), 'cannot make a temp folder for the manifest', true);
    }
    try {
      this.entries = new SpoolFile(join(this.dir, 'manifest-sessions.json'));
      this.files = new SpoolFile(join(this.dir, 'files.jsonl'));
    } catch (err) {
      rmSync(this.dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The next session in bundle order. */
  add(entry: BundleSession, source: string, mtimeMs: number): void {
    // As JSON.stringify(manifest, null, 1) lays out an item of `sessions`
    // (a string holds no raw newline, so only the layout's newlines move).
    this.entries.append(`${this.count > 0 ? ',' : ''}\n  ${JSON.stringify(entry, null, 1).replace(/\n/g, '\n  ')}`);
    this.files.append(`${JSON.stringify([source, entry.path, entry.size, entry.sha256, mtimeMs])}\n`);
    this.count++;
    this.bytes += entry.size;
  }

  /** The manifest's text around its sessions: JSON.stringify(manifest, null, 1) and a newline, in two parts. */
  private frame(header: Omit<BundleManifest, 'sessions'>): [string, string] {
    const text = JSON.stringify({ ...header, sessions: [] }, null, 1);
    const at = text.lastIndexOf('[]') + 1;
    return [text.slice(0, at), `${this.count > 0 ? '\n ' : ''}${text.slice(at)}\n`];
  }

  /** The bytes of manifest.json. */
  manifestSize(header: Omit<BundleManifest, 'sessions'>): number {
    this.entries.flush();
    const [head, tail] = this.frame(header);
    return Buffer.byteLength(head) + this.entries.bytes + Buffer.byteLength(tail);
  }

  /** manifest.json, in pieces of at most 1 MiB. */
  *manifest(header: Omit<BundleManifest, 'sessions'>): Generator<Buffer> {
    const [head, tail] = this.frame(header);
    yield Buffer.from(head);
    yield* this.entries.read();
    yield Buffer.from(tail);
  }

  /** The sessions to pack, in the order they were added. */
  *sessions(): Generator<SpooledSession> {
    this.files.flush();
    for (const row of readRows(this.files.path)) {
      const [source, path, size, sha256, mtimeMs] = JSON.parse(row.bytes.toString()) as [string, string, number, string, number];
      yield { source, path, size, sha256, mtimeMs };
    }
  }

  /** Removes the temp folder. */
  close(): void {
    try {
      this.entries.close();
      this.files.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

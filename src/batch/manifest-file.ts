/**
 * A bundle's manifest kept in a temp file instead of in memory (a file with
 * no name, where the system allows: nothing is left if the process is
 * killed). It is read
 * once as it streams in (manifest-scan.ts): checked as a whole, each session
 * entry checked on its own and the usable ones numbered in manifest order.
 * Then a session is read back when it is wanted — by number, or by its
 * entry name. What stays in memory is about 30 bytes a session: where its
 * text is in the file, hashes of its entry name and id (hash-index.ts), and
 * what has become of it; 300,000 sessions take some 9 MB, not the 750 MB
 * their parsed manifest took.
 *
 * Reading back is cheap when the bundle's entries come in the manifest's
 * order, as `zotpack pack` writes them: the file is then read forward, a
 * block at a time. An entry out of order costs a lookup and a small read.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZotpackError, fromFsError } from '../errors.js';
import { asBundleSession, BUNDLE_FORMAT, BUNDLE_VERSION, checkSession, MAX_REFUSED, type BundleSession, type RejectedSession } from './bundle-manifest.js';
import { HashIndex, hashKey, MAX_RECORDS, NO_KEY } from './hash-index.js';
import { ManifestScan, NotAnObject } from './manifest-scan.js';

/** An entry of this name has come. */
const SEEN = 1;
/** The caller is done with the session. */
const DONE = 2;
/** A second listing of an entry name. */
const REJECTED = 4;

/** What a forward read takes at once. */
const BLOCK = 64 << 10;

function bad(reason: string): ZotpackError {
  return new ZotpackError('E_BAD_BUNDLE', `the manifest ${reason}`, { path: 'manifest.json' });
}

/** `n` bytes at `at` into `buf`, fewer only at the end of the file. */
function readAt(fd: number, buf: Buffer, n: number, at: number): number {
  let got = 0;
  while (got < n) {
    let k: number;
    try {
      k = readSync(fd, buf, got, n - got, at + got);
    } catch (err) {
      throw fromFsError(err, 'manifest.json', 'cannot read back the manifest kept in a temp file');
    }
    if (k === 0) break;
    got += k;
  }
  return got;
}

/** Sessions of one project folder with one cwd. */
export interface ProjectGroup {
  /** The bundle's project key. */
  key: string;
  cwd: string;
  sessions: number;
}

function grown<T extends Float64Array | Uint32Array>(a: T, n: number, make: (size: number) => T): T {
  if (n < a.length) return a;
  const b = make(a.length * 2);
  b.set(a);
  return b;
}

export class BundleManifestFile {
  /** When the bundle was made, and by which zotpack ('' when the manifest does not say). */
  created = '';
  zotpack = '';
  /** Usable sessions (rejected entries are not counted). */
  count = 0;
  /** Usable sessions with an id. */
  idCount = 0;
  /** Bytes of the sessions listed (a session listed twice counts twice): for progress, where the bundle's size is not known. */
  bytes = 0;
  /** Entries that cannot be used, in manifest order. */
  rejected: RejectedSession[] = [];
  /** Usable sessions per project folder (the bundle's key) and cwd, in order of first listing. */
  private readonly groups = new Map<string, ProjectGroup>();

  private dir: string | undefined;
  private fd: number | undefined;
  /** Records: usable entries in manifest order (their numbers), duplicates among them until read() ends. */
  private n = 0;
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private pathHashes = new Uint32Array(1024);
  private idHashes = new Uint32Array(1024);
  private state = new Uint8Array(0);
  private paths: HashIndex | undefined;
  private ids: HashIndex | undefined;
  /** Where a forward reader is: the first record not yet seen. */
  private cursor = 0;
  private block = Buffer.alloc(0);
  private blockStart = 0;
  private blockEnd = 0;
  private scratch = Buffer.allocUnsafe(4096);

  private constructor() {}

  /**
   * The manifest from its bytes, spooled to a temp file (removed by close(),
   * or at once if this throws). E_BAD_BUNDLE when it is not a manifest of
   * this version or larger than `limit`; errors of `data` itself pass through.
   */
  static async read(data: AsyncIterable<Buffer>, limit: number): Promise<BundleManifestFile> {
    const m = new BundleManifestFile();
    try {
      await m.fill(data, limit);
      return m;
    } catch (err) {
      m.close();
      throw err;
    }
  }

  private async fill(data: AsyncIterable<Buffer>, limit: number): Promise<void> {
    const head: { format?: unknown; version?: unknown; created?: unknown; zotpack?: unknown } = {};
    let listed = false;
    let elements = 0;
    const rejected: Array<RejectedSession & { at: number }> = [];
    const restart = (isList: boolean) => {
      listed = isList;
      elements = 0;
      rejected.length = 0;
      this.n = 0;
      this.groups.clear();
    };
    const scan = new ManifestScan({
      member: (key, value) => {
        if (key === 'sessions') restart(false);
        else if (key === 'format' || key === 'version' || key === 'created' || key === 'zotpack') head[key] = value;
      },
      sessionsStart: () => restart(true),
      element: (raw, offset, length) => {
        const k = elements++;
        const path = typeof (raw as { path?: unknown } | null)?.path === 'string' ? (raw as { path: string }).path : `#${k}`;
        let s: BundleSession;
        try {
          s = checkSession(raw, k);
        } catch (err) {
          if (!(err instanceof ZotpackError)) throw err;
          if (rejected.length >= MAX_REFUSED) throw bad(`rejects over ${MAX_REFUSED} of its entries: not one zotpack wrote`);
          rejected.push({ path, error: err, at: offset });
          return;
        }
        this.add(s, offset, length);
      },
    });
    let dir: string;
    try {
      dir = this.dir = mkdtempSync(join(tmpdir(), 'zotpack-manifest-'));
    } catch (err) {
      throw fromFsError(err, join(tmpdir(), 'zotpack-manifest-*'), 'cannot make a temp folder for the manifest', true);
    }
    const file = join(dir, 'manifest.json');
    try {
      this.fd = openSync(file, 'w+', 0o600);
    } catch (err) {
      throw fromFsError(err, file, 'cannot keep the manifest in a temp file', true);
    }
    try {
      // Gone from the folder at once, kept through the open descriptor: an
      // unpack is made to be killed, and a killed one must not leave a copy
      // of the manifest behind. (Where an open file cannot be removed, close() does it.)
      unlinkSync(file);
      rmdirSync(dir);
      this.dir = undefined;
    } catch {
      // removed by close()
    }
    let size = 0;
    const scanned = (f: () => void) => {
      try {
        f();
      } catch (err) {
        if (err instanceof NotAnObject) throw bad('is not a JSON object');
        if (err instanceof SyntaxError) throw bad(`is not valid JSON: ${err.message}`);
        throw err;
      }
    };
    for await (const chunk of data) {
      size += chunk.length;
      if (size > limit) throw bad(`is larger than ${limit} bytes`);
      try {
        for (let done = 0; done < chunk.length; ) done += writeSync(this.fd, chunk, done, chunk.length - done, size - chunk.length + done);
      } catch (err) {
        throw fromFsError(err, file, 'cannot keep the manifest in a temp file', true);
      }
      scanned(() => scan.push(chunk));
    }
    scanned(() => scan.end());
    if (head.format !== BUNDLE_FORMAT) throw bad(`is not a zotpack bundle manifest (format ${JSON.stringify(head.format)})`);
    if (head.version !== BUNDLE_VERSION) {
      throw bad(`has version ${JSON.stringify(head.version)}; this zotpack reads version ${BUNDLE_VERSION} (a newer zotpack made the bundle?)`);
    }
    if (!listed) throw bad('has no sessions list');
    this.created = typeof head.created === 'string' ? head.created : '';
    this.zotpack = typeof head.zotpack === 'string' ? head.zotpack : '';
    this.index(rejected);
    this.rejected = rejected.sort((a, b) => a.at - b.at).map(({ path, error }) => ({ path, error }));
  }

  private add(s: BundleSession, offset: number, length: number): void {
    const r = this.n++;
    if (r >= MAX_RECORDS) throw bad(`lists more than ${MAX_RECORDS} sessions`);
    this.offsets = grown(this.offsets, r, (size) => new Float64Array(size));
    this.lengths = grown(this.lengths, r, (size) => new Uint32Array(size));
    this.pathHashes = grown(this.pathHashes, r, (size) => new Uint32Array(size));
    this.idHashes = grown(this.idHashes, r, (size) => new Uint32Array(size));
    this.offsets[r] = offset;
    this.lengths[r] = length;
    this.pathHashes[r] = hashKey(s.path);
    this.idHashes[r] = s.id === '' ? NO_KEY : hashKey(s.id);
    this.group(s).sessions++;
    this.bytes += s.size;
  }

  private group(s: BundleSession): ProjectGroup {
    const name = `${s.key}\n${s.cwd}`;
    let g = this.groups.get(name);
    if (!g) this.groups.set(name, (g = { key: s.key, cwd: s.cwd, sessions: 0 }));
    return g;
  }

  /** The usable sessions by project folder (the bundle's key) and cwd, in order of first listing. */
  projects(): ProjectGroup[] {
    return [...this.groups.values()];
  }

  /** The usable sessions per project folder (the bundle's key), in order of first listing. */
  keyCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const g of this.groups.values()) counts.set(g.key, (counts.get(g.key) ?? 0) + g.sessions);
    return counts;
  }

  /** The lookups by name and id; a second listing of a name is rejected (the first stands). */
  private index(rejected: Array<RejectedSession & { at: number }>): void {
    const n = this.n;
    this.state = new Uint8Array(n);
    this.paths = new HashIndex(this.pathHashes, n);
    this.ids = new HashIndex(this.idHashes, n);
    let ids = 0;
    for (let r = 0; r < n; r++) if (this.idHashes[r] !== NO_KEY) ids++;
    this.pathHashes = this.idHashes = new Uint32Array(0);
    this.offsets = this.offsets.slice(0, n);
    this.lengths = this.lengths.slice(0, n);
    let count = n;
    for (const group of this.paths.collisions()) {
      const first = new Set<string>();
      for (const r of group) {
        const s = this.session(r);
        if (!first.has(s.path)) {
          first.add(s.path);
          continue;
        }
        this.state[r] = REJECTED;
        count--;
        if (s.id !== '') ids--;
        this.group(s).sessions--;
        rejected.push({ path: s.path, error: new ZotpackError('E_BAD_BUNDLE', 'the manifest lists this entry twice', { path: s.path }), at: this.offsets[r]! });
      }
    }
    for (const [name, g] of this.groups) if (g.sessions === 0) this.groups.delete(name);
    this.count = count;
    this.idCount = ids;
  }

  /**
   * Session `r`'s text. `ahead`: the caller reads forward, so the block
   * around it is read (and kept for the next ones); else just its bytes.
   */
  private text(r: number, ahead: boolean): string {
    const at = this.offsets[r]!;
    const n = this.lengths[r]!;
    if (at >= this.blockStart && at + n <= this.blockEnd) return this.block.toString('utf8', at - this.blockStart, at - this.blockStart + n);
    let buf = this.scratch;
    if (ahead) {
      const size = Math.max(BLOCK, n);
      if (this.block.length < size) this.block = Buffer.allocUnsafe(size);
      buf = this.block;
      this.blockStart = at;
      this.blockEnd = at + readAt(this.fd!, buf, size, at);
    } else {
      if (buf.length < n) buf = this.scratch = Buffer.allocUnsafe(n);
      readAt(this.fd!, buf, n, at);
    }
    return buf.toString('utf8', 0, n);
  }

  /** Usable session `r` (0 ≤ r < records; see all()). */
  session(r: number, ahead = false): BundleSession {
    return asBundleSession(JSON.parse(this.text(r, ahead)) as Record<string, unknown>);
  }

  /** The usable session an entry of this name is, or undefined when none is. */
  find(name: string): number | undefined {
    for (const r of this.paths!.candidates(name)) {
      if (this.state[r]! & REJECTED) continue;
      if ((JSON.parse(this.text(r, false)) as { path: string }).path === name) return r;
    }
    return undefined;
  }

  /** True when a usable session has this id. */
  hasId(id: string): boolean {
    if (id === '') return false;
    for (const r of this.ids!.candidates(id)) {
      if (this.state[r]! & REJECTED) continue;
      if ((JSON.parse(this.text(r, false)) as { id: string }).id === id) return true;
    }
    return false;
  }

  /**
   * The usable session an arriving entry named `name` is, looked up only
   * when it is not the next one in manifest order.
   */
  entry(name: string): { r: number; session: BundleSession } | undefined {
    while (this.cursor < this.n && this.state[this.cursor]! & (SEEN | REJECTED)) this.cursor++;
    if (this.cursor < this.n) {
      const next = this.session(this.cursor, true);
      if (next.path === name) return { r: this.cursor, session: next };
    }
    const r = this.find(name);
    return r === undefined ? undefined : { r, session: this.session(r) };
  }

  markSeen(r: number): void {
    this.state[r]! |= SEEN;
  }

  seen(r: number): boolean {
    return (this.state[r]! & SEEN) !== 0;
  }

  markDone(r: number): void {
    this.state[r]! |= DONE;
  }

  done(r: number): boolean {
    return (this.state[r]! & DONE) !== 0;
  }

  /** Every usable session in manifest order, with its number. */
  *all(): Generator<[number, BundleSession]> {
    for (let r = 0; r < this.n; r++) if (!(this.state[r]! & REJECTED)) yield [r, this.session(r, true)];
  }

  /** The usable sessions not marked done, in manifest order. */
  *pending(): Generator<[number, BundleSession]> {
    for (let r = 0; r < this.n; r++) if (!(this.state[r]! & (REJECTED | DONE))) yield [r, this.session(r, true)];
  }

  /** Closes (and so removes) the temp file. Safe to call twice. */
  close(): void {
    const { fd, dir } = this;
    this.fd = undefined;
    this.dir = undefined;
    try {
      if (fd !== undefined) closeSync(fd);
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** True when two or more usable sessions have this id (an unpack then compares the later ones with what it wrote). */
  idListedTwice(id: string): boolean {
    if (id === '') return false;
    const candidates = [...this.ids!.candidates(id)].filter((r) => !(this.state[r]! & REJECTED));
    if (candidates.length < 2) return false;
    return candidates.filter((r) => (JSON.parse(this.text(r, false)) as { id: string }).id === id).length > 1;
  }
}

/**
 * Which file holds each session id, for a whole archive or home: what an
 * import checks every source against (so that running it twice adds nothing
 * twice) and what verify checks every session against (two sessions with one
 * id). It is the one record those runs keep for every session, so it holds
 * no JavaScript object per session: ids and paths (below a common folder)
 * are bytes in one buffer, found through an open-addressing table of entry
 * numbers. About 120 bytes a session, outside the JavaScript heap, where a
 * Map of id strings cost about 140 bytes, 100 of them on the heap that every
 * collection walks (and that V8 lets grow well past what is live): verify of
 * an export of 300,000 sessions peaked at 274 MB with the Map.
 */
import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import type { Warning } from '../errors.js';
import { sessionsRoot } from '../format/project-key.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { hashKey } from './hash-index.js';
import { idBytes, writeId } from './id-bytes.js';
import { runOp } from './run-op.js';
import { SliceSource, type SliceLimits } from './select-slices.js';

/** Marks a packed path that is not under the common folder (a link's own path, say): kept whole. */
const WHOLE = '\0';

/** `a` with room for at least `need` items (half as many again, so copies stay rare and slack small). */
function roomy<T extends Uint32Array | Int32Array | Float64Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  const bigger = make(Math.max(need, Math.ceil(a.length * 1.5)));
  bigger.set(a);
  return bigger;
}

export class IdPaths {
  /** Entry k: its id's bytes, then its packed path's (none for a reserved id), from starts[k] to starts[k + 1]. */
  private bytes = Buffer.allocUnsafe(64 << 10);
  private starts = new Uint32Array(1024);
  /** Where entry k's id ends and its path begins. */
  private idEnds = new Uint32Array(1024);
  private hashes = new Uint32Array(1024);
  /** Bytes of entry k's rows after its meta row (NaN: not known). */
  private rowBytes = new Float64Array(1024);
  private count = 0;
  /** Entry number + 1 of each id, 0 for an empty slot; kept at most half full. */
  private slots = new Int32Array(2048);
  private ids = 0;
  /** The id being looked up, as bytes, to compare with entries whose hash matches. */
  private probe = Buffer.allocUnsafe(256);
  private readonly prefix: string;

  /** `folder`: what most paths are under ('' to keep them whole). */
  constructor(folder: string) {
    this.prefix = folder === '' || folder.endsWith(sep) ? folder : folder + sep;
  }

  /**
   * The session with this id is at `path` (the last one named wins);
   * `rowBytes`: what its rows after the meta row take, when known.
   */
  add(id: string, path: string, rowBytes = NaN): void {
    this.put(id, path.startsWith(this.prefix) ? path.slice(this.prefix.length) : WHOLE + path, rowBytes);
  }

  /** Takes an id for a session not written yet (one a run is about to import). */
  reserve(id: string): void {
    this.put(id, '', NaN);
  }

  /** What the rows after the meta row of the session with this id take, when it was added with that. */
  rowBytesOf(id: string): number | undefined {
    const k = this.slots[this.slotOf(id, hashKey(id))]! - 1;
    const n = k < 0 ? NaN : this.rowBytes[k]!;
    return Number.isNaN(n) ? undefined : n;
  }

  /** The path of the session with this id; null when the id is reserved; undefined when it is free. */
  where(id: string): string | null | undefined {
    const k = this.slots[this.slotOf(id, hashKey(id))]! - 1;
    if (k < 0) return undefined;
    const from = this.idEnds[k]!;
    const to = this.starts[k + 1]!;
    if (from === to) return null;
    const packed = this.bytes.toString('utf8', from, to);
    return packed.startsWith(WHOLE) ? packed.slice(1) : this.prefix + packed;
  }

  /** A new entry for `id` (an id named again gets a new entry; the old one's bytes are left unused). */
  private put(id: string, packed: string, rowBytes: number): void {
    const hash = hashKey(id);
    const k = this.count;
    const used = this.starts[k]!;
    const need = idBytes(id) + Buffer.byteLength(packed);
    if (used + need > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(used + need, Math.ceil(this.bytes.length * 1.5)));
      this.bytes.copy(bigger, 0, 0, used);
      this.bytes = bigger;
    }
    const make32 = (n: number) => new Uint32Array(n);
    this.starts = roomy(this.starts, k + 2, make32);
    this.idEnds = roomy(this.idEnds, k + 1, make32);
    this.hashes = roomy(this.hashes, k + 1, make32);
    this.rowBytes = roomy(this.rowBytes, k + 1, (n) => new Float64Array(n));
    const idEnd = used + writeId(this.bytes, id, used);
    this.idEnds[k] = idEnd;
    this.starts[k + 1] = idEnd + this.bytes.write(packed, idEnd);
    this.hashes[k] = hash;
    this.rowBytes[k] = rowBytes;
    this.count++;
    const slot = this.slotOf(id, hash);
    if (this.slots[slot] === 0) this.ids++;
    this.slots[slot] = k + 1;
    if (this.ids * 2 > this.slots.length) this.rehash();
  }

  /** The slot holding `id`, or the empty one where it would go. */
  private slotOf(id: string, hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    let length = -1; // bytes of the id in `probe`, written at the first hash that matches
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const k = slots[i]! - 1;
      if (k < 0) return i;
      if (this.hashes[k] !== hash) continue;
      if (length < 0) length = this.encode(id);
      const from = this.starts[k]!;
      if (this.idEnds[k]! - from === length && this.probe.compare(this.bytes, from, from + length, 0, length) === 0) return i;
    }
  }

  private encode(id: string): number {
    const need = idBytes(id);
    if (need > this.probe.length) this.probe = Buffer.allocUnsafe(need);
    return writeId(this.probe, id, 0);
  }

  /** Twice the slots, every id placed again. */
  private rehash(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = slots.length - 1;
    for (const entry of old) {
      if (entry === 0) continue;
      let i = this.hashes[entry - 1]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = entry;
    }
    this.slots = slots;
  }
}

/**
 * The ids of a zot home: the first row of every session file, read on the
 * pool a few projects at a time. A missing home has no ids; a file zot
 * cannot read has none to collide with.
 */
export async function indexHomeIds(
  home: string,
  options: ResolvedBatchOptions,
  limits: SliceLimits = {},
  /** Folders of the home that could not be listed, and the like. */
  onWarnings?: (warnings: readonly Warning[]) => void,
): Promise<IdPaths> {
  const root = sessionsRoot(home);
  const index = new IdPaths(root);
  if (!existsSync(root)) return index;
  const quiet = { ...options, sources: [root], filter: {}, onProgress: undefined };
  for await (const slice of new SliceSource(quiet, '.jsonl', limits).slices()) {
    if (options.signal?.aborted) break;
    if (slice.warnings.length > 0) onWarnings?.(slice.warnings);
    const peeks = await runOp(quiet, 'meta', slice.sessions, {});
    // In path order, whatever order the jobs finished in: of two files with one id, the last is named.
    peeks.forEach((o, i) => {
      const s = slice.sessions[i]!;
      if (o.ok && o.value.id !== '') index.add(o.value.id, s.path, s.size - o.value.headerBytes);
    });
  }
  return index;
}

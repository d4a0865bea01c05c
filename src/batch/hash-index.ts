/**
 * Record numbers by a hash of a string key, in one sorted Float64Array:
 * 8 bytes a record, where a Map of the strings costs about 100. A lookup
 * gives the records whose key hashes alike; the caller, which can read a
 * record's key back, checks each, so the answer is exact.
 */
import { randomBytes } from 'node:crypto';

/** A record number fits in the low bits, the hash in the rest of a double's 53. */
const RECORD_BITS = 23;
const RECORD_SPAN = 2 ** RECORD_BITS;
export const MAX_RECORDS = RECORD_SPAN;

/**
 * Where each run's hashes start: random, so that a bundle cannot be made of
 * names that all hash alike (each lookup would then read every one of them).
 */
const SEED = randomBytes(4).readUInt32LE(0);

/** A 30-bit hash of `s` (FNV-1a over its UTF-16 code units, from this run's seed). */
export function hashKey(s: string): number {
  let h = SEED;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 2;
}

export class HashIndex {
  private readonly keys: Float64Array;

  /** `hashes[r]` for records 0..count-1; records with `NO_KEY` are left out. */
  constructor(hashes: Uint32Array, count: number) {
    let n = 0;
    for (let r = 0; r < count; r++) if (hashes[r] !== NO_KEY) n++;
    this.keys = new Float64Array(n);
    n = 0;
    for (let r = 0; r < count; r++) if (hashes[r] !== NO_KEY) this.keys[n++] = hashes[r]! * RECORD_SPAN + r;
    this.keys.sort();
  }

  /** The records whose key hashes as `key` does, in record order. */
  *candidates(key: string): Generator<number> {
    const base = hashKey(key) * RECORD_SPAN;
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < base) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < keys.length && keys[k]! < base + RECORD_SPAN; k++) yield keys[k]! - base;
  }

  /** Each set of two or more records whose keys hash alike, in record order. */
  *collisions(): Generator<number[]> {
    const keys = this.keys;
    for (let k = 0; k < keys.length; ) {
      const hash = Math.floor(keys[k]! / RECORD_SPAN);
      let end = k + 1;
      while (end < keys.length && Math.floor(keys[end]! / RECORD_SPAN) === hash) end++;
      if (end - k > 1) yield Array.from(keys.subarray(k, end), (x) => x - hash * RECORD_SPAN);
      k = end;
    }
  }
}

/** A record with no key (hashKey never gives it: its hashes have 30 bits). */
export const NO_KEY = 0xffffffff;

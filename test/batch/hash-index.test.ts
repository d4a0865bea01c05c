import { describe, expect, it } from 'vitest';
import { HashIndex, hashKey, NO_KEY } from '../../src/batch/hash-index.js';

/** Two different names with one hash: found by trying names until two agree (a 30-bit hash: some 40,000 tries). */
function collidingNames(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const name = `sessions/0123456789abcdef/${i}.jsonl`;
    const other = seen.get(hashKey(name));
    if (other !== undefined) return [other, name];
    seen.set(hashKey(name), name);
  }
}

describe('HashIndex', () => {
  it('gives every record whose key hashes alike, records without a key left out, and the sets that collide', () => {
    const [a, b] = collidingNames();
    const keys = ['x', a, 'y', b, '', a];
    const hashes = new Uint32Array(keys.map((k) => (k === '' ? NO_KEY : hashKey(k))));
    const index = new HashIndex(hashes, keys.length);
    expect([...index.candidates(a)]).toEqual([1, 3, 5]);
    expect([...index.candidates(b)]).toEqual([1, 3, 5]);
    expect([...index.candidates('x')]).toEqual([0]);
    expect([...index.candidates('nothing')]).toEqual([]);
    expect([...index.collisions()]).toEqual([[1, 3, 5]]);
    // The caller tells them apart by reading each candidate's key.
    expect([...index.candidates(b)].filter((r) => keys[r] === b)).toEqual([3]);
  });
});

import { describe, expect, it } from 'vitest';
import { idBytes, writeId } from '../../src/batch/id-bytes.js';

const bytesOf = (id: string) => {
  const buf = Buffer.alloc(idBytes(id) + 8);
  const n = writeId(buf, id, 3);
  expect(n).toBe(idBytes(id));
  return buf.subarray(3, 3 + n).toString('hex');
};

describe('idBytes / writeId', () => {
  it('keeps an id of whole characters as UTF-8, and tells apart ids that UTF-8 would make one', () => {
    expect(bytesOf('9a1e0001-0000-4000-8000-000000000000')).toBe(Buffer.from('9a1e0001-0000-4000-8000-000000000000').toString('hex'));
    expect(bytesOf('é')).toBe('c3a9');
    // Each lone surrogate is U+FFFD in UTF-8: these four would all be ef bf bd.
    const lone = ['\uD800', '\uD801', '\uDC00', '\uFFFD'].map(bytesOf);
    expect(new Set(lone).size).toBe(4);
    // An emoji (a surrogate pair) differs from its UTF-8 form, and from the same code units as other text.
    expect(bytesOf('\uD83D\uDE00')).not.toBe(Buffer.from('\uD83D\uDE00').toString('hex'));
    expect(bytesOf('ab')).not.toBe(bytesOf('a\u0000b\u0000'));
  });
});

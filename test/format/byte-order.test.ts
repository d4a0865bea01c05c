import { describe, expect, it } from 'vitest';
import { byteOrderKey, sortByBytes } from '../../src/format/byte-order.js';

// Go sorts file names by their UTF-8 bytes; the reference here is Buffer.compare.
const byBytes = (names: string[]) => [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('sortByBytes', () => {
  it('orders ASCII, accented, private-use and astral names as their UTF-8 bytes', () => {
    const names = ['b.jsonl', 'é.jsonl', '\uE000.jsonl', '😀.jsonl', 'ÿ', 'z', 'A', '\u00ff\u0100', 'a\u{1F600}b', 'a\uFFFDb', 'a~b', ''];
    expect(sortByBytes(names, (n) => n)).toEqual(byBytes(names));
    // The astral character (F0 ...) sorts after U+E000 (EE ...), unlike UTF-16's order.
    expect(byBytes(['\uE000', '😀'])).toEqual(['\uE000', '😀']);
    expect(['😀', '\uE000'].sort()).toEqual(['😀', '\uE000']);
  });

  it('uses an ASCII name as its own key', () => {
    const name = '20260106-031037-9db55068.jsonl';
    expect(byteOrderKey(name)).toBe(name);
    expect(byteOrderKey('é')).toBe('\u00c3\u00a9');
  });
});

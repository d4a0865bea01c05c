import { describe, expect, it } from 'vitest';
import { appendAll } from '../../src/format/append-all.js';

describe('appendAll', () => {
  it('appends a list far past what push(...list) takes, in order', () => {
    const items = Array.from({ length: 300_000 }, (_, i) => i);
    // The failure it exists for: the spread passes every item as an argument.
    expect(() => [].push(...(items as never[]))).toThrow(RangeError);
    const to = [-1];
    expect(appendAll(to, items)).toBe(to);
    expect(to).toHaveLength(300_001);
    expect(to[0]).toBe(-1);
    expect(to[300_000]).toBe(299_999);
  });
});

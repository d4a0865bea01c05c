import { describe, expect, it } from 'vitest';
import { bundleOrder } from '../../src/batch/bundle-order.js';

const s = (key: string, file: string, id: string, parent = '') => ({ key, file, id, parent });

describe('bundleOrder', () => {
  it('puts projects in key order and parents before children, siblings by file name', () => {
    const items = [
      s('b', '3.jsonl', 'c2', 'r'),
      s('b', '1.jsonl', 'r'),
      s('b', '2.jsonl', 'c1', 'r'),
      s('b', '0.jsonl', 'g', 'c2'), // an older file name than its parent
      s('a', '9.jsonl', 'o', 'gone'), // an orphan: a root
    ];
    expect(bundleOrder(items).map((x) => x.id)).toEqual(['o', 'r', 'c1', 'c2', 'g']);
  });

  it('keeps sessions caught in a parent cycle, at the end', () => {
    const items = [s('k', '1.jsonl', 'x', 'y'), s('k', '2.jsonl', 'y', 'x'), s('k', '3.jsonl', 'z')];
    expect(bundleOrder(items).map((x) => x.id)).toEqual(['z', 'x', 'y']);
  });

  it('handles a tree deeper than the stack', () => {
    const items = Array.from({ length: 20_000 }, (_, k) => s('k', `${String(k).padStart(6, '0')}.jsonl`, `n${k}`, k === 0 ? '' : `n${k - 1}`));
    const out = bundleOrder([...items].reverse());
    expect(out.map((x) => x.id)).toEqual(items.map((x) => x.id));
  });
});

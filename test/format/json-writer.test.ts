import { describe, expect, it } from 'vitest';
import { writeJson } from '../../src/format/json-writer.js';
import { randomJson } from '../helpers/random-json.js';
import { seededRandom } from '../helpers/seeded-random.js';

function written(value: unknown, indent?: number): { text: string; chunks: string[] } {
  const chunks: string[] = [];
  writeJson({ write: (c: string) => chunks.push(c) }, value, indent);
  return { text: chunks.join(''), chunks };
}

describe('writeJson', () => {
  it('writes what JSON.stringify writes, compact and indented, for random documents', () => {
    const r = seededRandom(7);
    for (let k = 0; k < 2000; k++) {
      const value = JSON.parse(randomJson(r)) as unknown;
      expect(written(value).text).toBe(JSON.stringify(value));
      expect(written(value, 2).text).toBe(JSON.stringify(value, null, 2));
    }
  });

  it('follows JSON.stringify on what results hold besides JSON: undefined, functions, toJSON, empty members', () => {
    const value = {
      a: undefined,
      f: () => 1,
      s: Symbol('x'),
      list: [undefined, () => 1, null, [], {}, [[]], { x: undefined }],
      when: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      bytes: Buffer.from('hi'),
      custom: { toJSON: (key: string) => `custom at ${key}` },
      nested: { deep: [{ k: 'v', n: -0, big: 1e21, nan: NaN, inf: -Infinity }] },
      map: new Map([['k', 1]]),
      text: 'quote " backslash \\ line\n control \u0001 \u2028 é 😀',
      sparse: [1, , 3], // a hole
      boxed: [Object('s'), Object(2), Object(false)],
      typed: new Uint8Array([1, 2]),
    };
    const fn = Object.assign(() => 1, { toJSON: (key: string) => `function at ${key}` });
    Object.assign(value, { fn });
    for (const indent of [0, 2, 4, 12, -1, 1.5]) expect(written(value, indent).text).toBe(JSON.stringify(value, null, indent));
    expect(written(undefined).text).toBe('');
    expect(written([undefined]).text).toBe('[null]');
  });

  it('writes a result of 100,000 entries in pieces, none much over 64 KB', () => {
    const plan = Array.from({ length: 100_000 }, (_, i) => ({ source: `/home/ann/.local/state/zot/sessions/${i}.jsonl`, output: `k/${i}.zotsession`, status: 'new' }));
    const { text, chunks } = written({ plan }, 2);
    expect(text).toBe(JSON.stringify({ plan }, null, 2));
    expect(chunks.length).toBeGreaterThan(100);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan((64 << 10) + 1024);
  });
});

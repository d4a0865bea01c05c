import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IdPaths } from '../../src/batch/id-paths.js';

describe('IdPaths', () => {
  it('gives back every path it packed, past its first buffers, non-ASCII names and paths outside its folder included', () => {
    const root = '/home/ü/.local/state/zot/sessions';
    const ids = new IdPaths(root);
    // 5,000 paths of about 80 bytes: past the first 64 KB of names and the first 1,024 offsets.
    const path = (i: number) =>
      i % 10 === 9 ? `/elsewhere/${i}.jsonl` : join(root, (i % 7).toString(16).padStart(16, '0'), `20260105-1034${i}-é-${'x'.repeat(i % 50)}.jsonl`);
    for (let i = 0; i < 5000; i++) ids.add(`id-${i}`, path(i));
    for (let i = 0; i < 5000; i++) expect(ids.where(`id-${i}`)).toBe(path(i));
    expect(ids.where('id-5000')).toBeUndefined();
    // An id reserved by a run; a second file with one id is named by the last.
    ids.reserve('new');
    expect(ids.where('new')).toBeNull();
    ids.add('id-3', path(4));
    expect(ids.where('id-3')).toBe(path(4));
    // Paths kept whole.
    const whole = new IdPaths('');
    whole.add('a', 'sessions/k/a.jsonl');
    expect(whole.where('a')).toBe('sessions/k/a.jsonl');
  });

  it('tells apart ids that share a prefix, differ only past ASCII, or are longer than its lookup buffer, through reserve and re-add', () => {
    const ids = new IdPaths('/h');
    const long = 'λ'.repeat(400); // 800 bytes
    // Lone surrogates all become one replacement character in UTF-8; an emoji is a surrogate pair.
    const names = ['a', 'ab', 'abc', 'é', 'e\u0301', long, `${long}x`, ''.padEnd(36, '0'), '\uD800', '\uD801', 'x\uDC00', '\uD83D\uDE00', '\uFFFD'];
    names.forEach((id, i) => ids.add(id, `/h/k/${i}.jsonl`));
    names.forEach((id, i) => expect(ids.where(id)).toBe(`/h/k/${i}.jsonl`));
    expect(ids.where('abcd')).toBeUndefined();
    expect(ids.where(long.slice(1))).toBeUndefined();
    // Reserved, then written: the path; written, then reserved: null.
    ids.reserve('fresh');
    expect(ids.where('fresh')).toBeNull();
    ids.add('fresh', '/h/k/fresh.jsonl');
    expect(ids.where('fresh')).toBe('/h/k/fresh.jsonl');
    ids.reserve('ab');
    expect(ids.where('ab')).toBeNull();
    expect(ids.where('abc')).toBe('/h/k/2.jsonl');
  });

  it('keeps 200,000 ids, each named twice, with the last path for each', () => {
    const ids = new IdPaths('/h');
    const id = (i: number) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    for (let round = 0; round < 2; round++) for (let i = 0; i < 200_000; i++) ids.add(id(i), `/h/k/${round}-${i}.jsonl`);
    for (let i = 0; i < 200_000; i += 7) expect(ids.where(id(i))).toBe(`/h/k/1-${i}.jsonl`);
    expect(ids.where(id(200_000))).toBeUndefined();
  });
});

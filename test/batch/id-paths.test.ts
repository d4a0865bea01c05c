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
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EARLIER_IN_RUN, HomeIds } from '../../src/batch/home-ids.js';

describe('HomeIds', () => {
  it('gives back every path it packed, past its first buffers, non-ASCII names included', () => {
    const root = '/home/ü/.local/state/zot/sessions';
    const ids = new HomeIds(root);
    // 5,000 paths of about 80 bytes: past the first 64 KB of names and the first 1,024 offsets.
    const path = (i: number) => join(root, (i % 7).toString(16).padStart(16, '0'), `20260105-1034${i}-é-${'x'.repeat(i % 50)}.jsonl`);
    for (let i = 0; i < 5000; i++) ids.add(`id-${i}`, path(i));
    for (let i = 0; i < 5000; i++) expect(ids.where(`id-${i}`)).toBe(path(i));
    expect(ids.where('id-5000')).toBeUndefined();
    // An id taken by this run; a second file with one id is named by the last.
    ids.take('new');
    expect(ids.where('new')).toBe(EARLIER_IN_RUN);
    ids.add('id-3', path(4));
    expect(ids.where('id-3')).toBe(path(4));
  });
});

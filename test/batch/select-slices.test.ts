import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveBatchOptions } from '../../src/batch/batch-options.js';
import { SliceSource } from '../../src/batch/select-slices.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

/** A sessions folder with projects of these sizes (keys in size order), and the project keys. */
function archive(sizes: readonly number[]): { dir: string; keys: string[] } {
  const dir = makeTempDir();
  const keys = sizes.map((_, p) => p.toString(16).padStart(16, 'a'));
  sizes.forEach((n, p) => {
    mkdirSync(join(dir, keys[p]!));
    for (let i = 0; i < n; i++) writeFileSync(join(dir, keys[p]!, `20260105-10000${i}-0000000${i}.jsonl`), '{}\n');
  });
  return { dir, keys };
}

async function sliceSizes(dir: string, maxFiles: number, firstMaxFiles?: number): Promise<number[][]> {
  const source = new SliceSource(resolveBatchOptions({ sources: [dir], jobs: 1 }), '.jsonl', { maxFiles, firstMaxFiles });
  const out: number[][] = [];
  for await (const slice of source.slices()) {
    if (slice.sessions.length === 0) continue;
    // Sessions per project, in the slice's order.
    const per = new Map<string, number>();
    for (const s of slice.sessions) per.set(s.folderKey, (per.get(s.folderKey) ?? 0) + 1);
    out.push([...per.values()]);
  }
  return out;
}

describe('SliceSource', () => {
  it('starts a new slice before a project that would take it past its bound; a project over the bound is a slice alone', async () => {
    const { dir } = archive([3, 3, 3, 7, 1]);
    expect(await sliceSizes(dir, 5)).toEqual([[3], [3], [3], [7], [1]]);
    // Up to the bound exactly, projects share a slice.
    expect(await sliceSizes(dir, 6)).toEqual([[3, 3], [3], [7], [1]]);
    expect(await sliceSizes(dir, 100)).toEqual([[3, 3, 3, 7, 1]]);
  });

  it('bounds the first slice by firstMaxFiles and the rest by maxFiles', async () => {
    const { dir } = archive([2, 2, 3, 3, 3]);
    expect(await sliceSizes(dir, 6, 2)).toEqual([[2], [2, 3], [3, 3]]);
    // A first project over the first bound is the first slice alone; a first bound over maxFiles is maxFiles.
    expect(await sliceSizes(dir, 4, 1)).toEqual([[2], [2], [3], [3], [3]]);
    expect(await sliceSizes(dir, 4, 100)).toEqual([[2, 2], [3], [3], [3]]);
  });
});

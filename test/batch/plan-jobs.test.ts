import { describe, expect, it } from 'vitest';
import { planJobs } from '../../src/batch/plan-jobs.js';

const files = (sizes: number[]) => sizes.map((size, index) => ({ index, size }));

describe('planJobs', () => {
  it('sends big files first, each as a job of its own', () => {
    const jobs = planJobs(files([10, 50 << 20, 20, 9 << 20]), { bigFileBytes: 1 << 20 });
    expect(jobs.map((j) => j.map((f) => f.index))).toEqual([[1], [3], [2, 0]]);
  });

  it('cuts a small archive into at least four jobs a worker, never into jobs under 1 MiB', () => {
    const archive = files(Array.from({ length: 64 }, () => 256 << 10)); // 16 MiB
    const jobs = planJobs(archive, { workers: 2 });
    expect(jobs.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...jobs.map((j) => j.reduce((n, f) => n + f.size, 0)))).toBeLessThanOrEqual(2 << 20);
    // Tiny archives stay in jobs of 1 MiB: spreading 40 KB over 8 jobs would be all round trips.
    expect(planJobs(files(Array.from({ length: 10 }, () => 4096)), { workers: 2 })).toHaveLength(1);
    // A big archive keeps 16 MiB jobs.
    const big = planJobs(files(Array.from({ length: 1000 }, () => 1 << 20)), { workers: 2 });
    expect(big).toHaveLength(Math.ceil(1000 / 16));
  });

  it('packs small files by bytes and by count', () => {
    const small = files(Array.from({ length: 10 }, () => 100));
    expect(planJobs(small, { batchFiles: 4 }).map((j) => j.length)).toEqual([4, 4, 2]);
    expect(planJobs(small, { batchBytes: 250 }).map((j) => j.length)).toEqual([2, 2, 2, 2, 2]);
  });

  it('plans every file exactly once, deterministically', () => {
    const many = files(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 100_000));
    const a = planJobs(many, { bigFileBytes: 90_000, batchBytes: 300_000, batchFiles: 50 });
    const b = planJobs(many, { bigFileBytes: 90_000, batchBytes: 300_000, batchFiles: 50 });
    expect(a).toEqual(b);
    const seen = a.flat().map((f) => f.index).sort((x, y) => x - y);
    expect(seen).toEqual(many.map((f) => f.index));
  });
});

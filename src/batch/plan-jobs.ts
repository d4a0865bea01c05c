/**
 * Turning files into pool jobs. Big files go first, each alone, so the
 * longest job starts at once and never ends up last on one core; small files
 * are packed into shared jobs by bytes and count, so an archive of 100,000
 * tiny files is not dominated by per-task overhead.
 */

export interface PlannedFile {
  /** Position in the caller's file list; outcomes are restored to it. */
  index: number;
  size: number;
}

export interface PlanLimits {
  /** A file at least this big is a job of its own. Default 4 MiB. */
  bigFileBytes?: number;
  /** A shared job holds at most this many bytes... Default 4 MiB. */
  batchBytes?: number;
  /** ...and at most this many files. Default 512. */
  batchFiles?: number;
}

export function planJobs<F extends PlannedFile>(files: readonly F[], limits: PlanLimits = {}): F[][] {
  const big = limits.bigFileBytes ?? 4 << 20;
  const maxBytes = limits.batchBytes ?? 4 << 20;
  const maxFiles = limits.batchFiles ?? 512;
  // Largest first; ties by index, so the plan is deterministic.
  const sorted = [...files].sort((a, b) => b.size - a.size || a.index - b.index);
  const jobs: F[][] = [];
  let current: F[] = [];
  let bytes = 0;
  for (const f of sorted) {
    if (f.size >= big) {
      jobs.push([f]);
      continue;
    }
    if (current.length > 0 && (current.length >= maxFiles || bytes + f.size > maxBytes)) {
      jobs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.size;
  }
  if (current.length > 0) jobs.push(current);
  return jobs;
}

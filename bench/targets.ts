/**
 * The targets for this machine, as ratios measured in one run, and
 * the checks that mark each table line pass or fail.
 */

export const TARGETS = {
  /** Bulk export throughput at least this fraction of `cp -r`'s. */
  exportVsCp: 0.8,
  /** Tree throughput at least this fraction of `cat`'s. */
  treeVsCat: 0.85,
  /** zotpack at least this many times faster than the naive baseline (export and tree). */
  vsNaive: 20,
  /** Tree over many ~4 KB files: at least this many files/s. */
  smallTreeFilesPerS: 20_000,
  /** Peak RSS at most the largest row plus this many MB, whatever the archive size. */
  rssHeadroomMB: 256,
  /** Cost per byte at 10x the bytes at most this multiple of the smaller corpus's (linear, within noise). */
  linearSlack: 1.2,
} as const;

/** One target, checked on one line. */
export interface Check {
  label: string;
  pass: boolean;
}

/** `value >= min`, labelled e.g. ">= 0.8x cp -r". */
export function atLeast(label: string, value: number | null, min: number): Check {
  return { label, pass: value !== null && value >= min };
}

/** `value <= max`. */
export function atMost(label: string, value: number | null, max: number): Check {
  return { label, pass: value !== null && value <= max };
}

/** zotpack >= 20x faster than the naive script on the same work; the label carries the factor. */
export function vsNaiveCheck(zotpack: { seconds: number | null }, naive: { seconds: number | null }): Check {
  const x = zotpack.seconds !== null && naive.seconds !== null ? naive.seconds / zotpack.seconds : null;
  return atLeast(`${x === null ? '?' : x.toFixed(1)}x naive >= ${TARGETS.vsNaive}x`, x, TARGETS.vsNaive);
}

/** Peak RSS <= largest row + 256 MB; null when RSS is unknown (no /usr/bin/time). */
export function rssCheck(rssMB: number | null, largestRowBytes: number): Check | null {
  if (rssMB === null) return null;
  const limit = largestRowBytes / 1e6 + TARGETS.rssHeadroomMB;
  return { label: `RSS <= ${Math.round(limit)} MB`, pass: rssMB <= limit };
}

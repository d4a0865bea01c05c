/**
 * zot's summary of one session (what its session list and tree show),
 * computed in one pass over the bytes.
 */
import { createHash } from 'node:crypto';
import type { Warning } from '../errors.js';
import { readRows } from '../jsonl/row-reader.js';
import { recordedCwd } from '../format/session-meta.js';
import { SessionScan, type RowCounts, type SessionSummary } from './session-scan.js';

export interface SessionDescription {
  path: string;
  /** Identity from the first meta row, the one zot's tree reads. */
  id: string;
  parent: string;
  forkPoint: number;
  /** The project folder the session belongs to (an export's recorded one). */
  cwd: string;
  /** Hidden from zot's flat session list (still in the tree). */
  hidden: boolean;
  summary: SessionSummary;
  counts: RowCounts;
  /** Meta rows after the first (model switches). */
  extraMetas: number;
  warnings: Warning[];
  /** With `hashBytes`: the sha256 of the file's first that many bytes, taken in the same read; absent when the file is shorter. */
  sha256?: string;
}

export interface DescribeOptions {
  chunkSize?: number;
  /** Also hash the file's first this many bytes (a verify of an export folder: one read, not two). */
  hashBytes?: number;
  /** The file's size when it was listed (see RowReaderOptions.listedSize). */
  listedSize?: number;
}

export function describeSession(path: string, options: DescribeOptions = {}): SessionDescription {
  const scan = new SessionScan(path);
  const limit = options.hashBytes;
  const hash = limit === undefined ? undefined : createHash('sha256');
  let hashed = 0;
  const onRead = hash
    ? (b: Buffer) => {
        const take = Math.min(b.length, limit! - hashed);
        if (take <= 0) return;
        hash.update(take === b.length ? b : b.subarray(0, take));
        hashed += take;
      }
    : undefined;
  // Big rows are skimmed: a tree or stats needs no more of an image row than its type.
  scan.addAll(readRows(path, { chunkSize: options.chunkSize, onRead, listedSize: options.listedSize, needsWholeRow: (row) => scan.needsWholeRow(row) }));
  const d = describeScan(scan.finish());
  if (hash && hashed === limit) d.sha256 = hash.digest('hex');
  return d;
}

/** The description a finished scan holds. */
export function describeScan(scan: SessionScan): SessionDescription {
  const first = scan.firstMeta!.meta;
  return {
    path: scan.path,
    id: first.id,
    parent: first.parent,
    forkPoint: first.forkPoint,
    cwd: recordedCwd(first),
    hidden: scan.lastMeta!.meta.hideFromSessions,
    summary: scan.summary,
    counts: scan.counts,
    extraMetas: scan.extraMetas,
    warnings: scan.warnings,
  };
}

/**
 * zot's summary of one session (what its session list and tree show),
 * computed in one pass over the bytes.
 */
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
}

export function describeSession(path: string, options: { chunkSize?: number } = {}): SessionDescription {
  const scan = new SessionScan(path);
  for (const row of readRows(path, { chunkSize: options.chunkSize })) scan.add(row);
  return describeScan(scan.finish());
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

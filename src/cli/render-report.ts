/**
 * The short table at the end of a bulk run.
 */
import type { BatchReport } from '../batch/batch-report.js';

/** A byte count for people: 31.7 kB, 2.80 MB, 1.95 GB. */
export function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/**
 * `nothingWritten`: a dry run, or an unpack that a conflict stopped. Its
 * plan was printed above; counts of files done, bytes and rows would all
 * read 0, as if every file had failed, so only the failures are counted.
 */
export function renderReport(r: BatchReport, nothingWritten = false): string[] {
  const lines: string[] = [];
  for (const e of r.errors.slice(0, 50)) lines.push(`error: ${e.path ?? ''}: ${e.message} [${e.code}]`);
  if (r.errors.length > 50) lines.push(`error: … and ${r.errors.length - 50} more (see --json)`);
  const parts = nothingWritten ? [] : [`${r.succeeded} ok`];
  if (r.failed) parts.push(`${r.failed} failed`);
  // unpack's: present, conflicting (left as they were, each a warning) or, in a dry run, everything: the lines per project say which.
  const skipped = r.command === 'import' ? 'already present' : r.command === 'unpack' ? 'left as they were' : 'unchanged';
  if (r.skipped && !nothingWritten) parts.push(`${r.skipped} ${skipped}`);
  const said = nothingWritten ? [parts.join(', '), 'nothing written'].filter(Boolean).join('; ') : parts.join(', ');
  const rows: Array<[string, string]> = [['files', `${r.files} (${said})`]];
  if (!nothingWritten) rows.push(['bytes', `${size(r.bytes)} at ${r.mbPerSec} MB/s in ${(r.elapsedMs / 1000).toFixed(2)} s`]);
  const d = r.rowsDropped;
  if ((r.command === 'export' || r.command === 'import') && d && !nothingWritten) {
    rows.push(['rows kept', String(r.rowsKept)]);
    rows.push(['rows dropped', `${d.invalid} invalid, ${d.undecodable} undecodable, ${d.meta} folded into headers (meta rows after the first, renames they override)`]);
  }
  const codes = Object.entries(r.errorsByCode);
  if (codes.length) rows.push(['errors', codes.map(([c, n]) => `${c} ${n}`).join(', ')]);
  if (r.warningCount) rows.push(['warnings', String(r.warningCount)]);
  if (r.interrupted) rows.push(['interrupted', 'yes: run the same command again to finish']);
  for (const [k, v] of rows) lines.push(`${k.padEnd(13)}${v}`);
  return lines;
}

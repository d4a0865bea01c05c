/**
 * The end-of-run report every bulk command gives: counts, bytes, speed, rows
 * kept and dropped, errors by code.
 */
import { emptyAsWarning, type Warning, type ZotpackErrorCode } from '../errors.js';
import type { JobError } from './protocol.js';

/** Warnings kept word for word in a report; the rest are only counted. */
export const MAX_REPORT_WARNINGS = 200;

export interface BatchReport {
  command: string;
  /** Files selected. */
  files: number;
  succeeded: number;
  failed: number;
  /** Files left as they were (unchanged since the last export, already imported). */
  skipped: number;
  /** Bytes of the files processed. */
  bytes: number;
  elapsedMs: number;
  mbPerSec: number;
  /**
   * Rows written (export, import) or that zot reads (verify). Only in the
   * reports of those commands: the others pass bytes through or read only
   * what they need, and a 0 there would be a count nobody made.
   */
  rowsKept?: number;
  /** Rows left out, by reason (export, import) or found (verify); as rowsKept. */
  rowsDropped?: RowsDropped;
  errors: JobError[];
  errorsByCode: Partial<Record<ZotpackErrorCode, number>>;
  warnings: Warning[];
  warningCount: number;
  interrupted: boolean;
}

export interface RowsDropped {
  invalid: number;
  undecodable: number;
  /** Meta rows after the first, folded into the header (export, import). */
  meta: number;
}

export class ReportBuilder {
  private readonly started = performance.now();
  readonly report: BatchReport;

  /** `rows`: the command counts rows (export, import, verify): the report has rowsKept and rowsDropped. */
  constructor(command: string, files: number, { rows = false }: { rows?: boolean } = {}) {
    this.report = {
      command,
      files,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      bytes: 0,
      elapsedMs: 0,
      mbPerSec: 0,
      ...(rows ? { rowsKept: 0, rowsDropped: { invalid: 0, undecodable: 0, meta: 0 } } : {}),
      errors: [],
      errorsByCode: {},
      warnings: [],
      warningCount: 0,
      interrupted: false,
    };
  }

  fail(error: JobError): void {
    const empty = emptyAsWarning(error);
    if (empty) return this.warn([empty]);
    const r = this.report;
    r.failed++;
    r.errors.push(error);
    r.errorsByCode[error.code] = (r.errorsByCode[error.code] ?? 0) + 1;
  }

  warn(warnings: readonly Warning[]): void {
    const r = this.report;
    r.warningCount += warnings.length;
    for (const w of warnings) if (r.warnings.length < MAX_REPORT_WARNINGS) r.warnings.push(w);
  }

  /** Counts rows kept and dropped; only for a report made with `rows`. */
  rows(kept: number, d: RowsDropped): void {
    const r = this.report.rowsDropped;
    if (r === undefined || this.report.rowsKept === undefined) throw new Error(`the ${this.report.command} report counts no rows`);
    this.report.rowsKept += kept;
    r.invalid += d.invalid;
    r.undecodable += d.undecodable;
    r.meta += d.meta;
  }

  finish(interrupted = false): BatchReport {
    const r = this.report;
    r.elapsedMs = Math.round(performance.now() - this.started);
    r.mbPerSec = r.elapsedMs > 0 ? Math.round((r.bytes / 1e6 / (r.elapsedMs / 1000)) * 10) / 10 : 0;
    r.interrupted = interrupted;
    return r;
  }
}

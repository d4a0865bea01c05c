/**
 * What the coordinator and the pool workers say to each other: one job is
 * one op over a few files; one outcome comes back per file, in job order.
 * Everything here must survive structured cloning.
 */
import type { ZotpackErrorCode } from '../errors.js';
import type { CwdRule } from '../format/cwd-map.js';
import type { BigRowShare } from '../jsonl/big-row-buffer.js';
import type { ExportResult } from '../session/export-session.js';
import type { ImportResult } from '../session/import-session.js';
import type { PackedDescription } from './packed-description.js';
import type { SessionDigest } from '../session/digest-session.js';

export interface ExportFile {
  path: string;
  /** The output file path. */
  destination: string;
  /** Replace an earlier export of this session (incremental runs). */
  replace: boolean;
  /** The size the coordinator saw: the fingerprint of the source's end there goes in the manifest. */
  tailAt: number;
}

export interface ImportFile {
  path: string;
  /** Its size and sha256 as the export folder's manifest records them. */
  expect?: { bytes: number; sha256: string };
}

/** The first meta's fields, enough to filter and find. */
export interface MetaPeek {
  id: string;
  parent: string;
  forkPoint: number;
  cwd: string;
  started: string | undefined;
  /** Where the rows after the meta row begin: the file's size less this is what its rows take. */
  headerBytes: number;
  /** A zotpack export (its header records where it came from): its rows are the session's, as an import writes them. */
  zotpackExport: boolean;
}

export type Job =
  /** `defer`: leave outputs as finished temp files for the coordinator to sync and publish. */
  | { op: 'export'; files: ExportFile[]; durable: boolean; defer: boolean }
  /**
   * `for`: what the summary is for, so a worker returns only that: tree (the
   * first prompt cut to 100 characters, no row counts by type) or stats (no
   * first prompt). 100,000 sessions must fit the memory budget.
   */
  | { op: 'describe'; files: Array<{ path: string; size?: number; hashBytes?: number }>; for: 'tree' | 'stats' }
  | { op: 'meta'; files: Array<{ path: string }> }
  /** sha256 and identity of exactly the first `bytes` bytes of each file (pack). */
  | { op: 'hash'; files: Array<{ path: string; bytes: number }> }
  | {
      op: 'import';
      files: ImportFile[];
      home: string;
      cwd: string | undefined;
      mapCwd: CwdRule[];
      fallbackCwd: string | undefined;
      freshId: boolean;
      durable: boolean;
      /** As for export: finished temp files, synced and published by the coordinator. */
      defer: boolean;
      /** The coordinator already skipped ids present in the home. */
      checkDuplicates: boolean;
    };

export interface OpValue {
  export: ExportResult;
  describe: PackedDescription;
  meta: MetaPeek;
  hash: SessionDigest;
  import: ImportResult;
}

/** An error as it crosses the thread boundary. */
export interface JobError {
  code: ZotpackErrorCode;
  message: string;
  path: string | undefined;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: JobError };

/** What every worker is given when it starts (piscina's workerData). */
export interface PoolWorkerData {
  bigRows: BigRowShare | undefined;
  /** Each worker's scanner memory (see scannerBytesForPool). */
  scannerBytes: number;
}

export interface JobResult<T = unknown> {
  outcomes: Array<Outcome<T>>;
}

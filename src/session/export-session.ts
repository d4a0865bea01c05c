/**
 * Export one session to a portable `.zotsession` file, as zot does, without
 * zot's losses: the header carries the current model, title, tree links and
 * unknown fields, and records where the session came from.
 */
import { basename, dirname, resolve, sep } from 'node:path';
import { ZotpackError, type Warning } from '../errors.js';
import { goString } from '../format/go-json.js';
import { ORIGIN_FIELD, originJson, type MetaObject } from '../format/session-meta.js';
import { exportFileName, PORTABLE_EXT } from '../format/session-names.js';
import type { PendingFile } from './atomic-file.js';
import { copySession, type CopyOptions, type DroppedRows } from './copy-session.js';
import { currentHeader } from './header.js';
import { statQuietly } from './stat-quietly.js';
import type { SessionSummary } from './session-scan.js';

export interface ExportOptions extends CopyOptions {
  /** The session file to export. */
  source: string;
  /**
   * An existing folder (the name is derived from the session: start time, id
   * and first prompt), a path ending in a separator (a folder, created), or
   * a file path (`.zotsession` is added when missing). Never overwritten.
   */
  destination: string;
  /** Replace an existing file at a file destination (the bulk engine's re-export of a grown session). */
  replace?: boolean;
  /**
   * The destination is the file's path, whatever is there (the bulk engine
   * names each file): a folder in its place is E_IS_DIR, not a folder to
   * write into.
   */
  asFile?: boolean;
}

export interface ExportResult {
  source: string;
  output: string;
  id: string;
  cwd: string;
  parent: string;
  forkPoint: number;
  summary: SessionSummary;
  rowsKept: number;
  dropped: DroppedRows;
  bytesIn: number;
  bytesOut: number;
  sha256: string | undefined;
  /** With `tailAt`: the fingerprint of where the source ended then (source-tail.ts). */
  sourceTail?: string;
  warnings: Warning[];
  /** With `defer`: the finished temp file, published later with publishFile. */
  pending?: PendingFile;
}


/** The header of an export: zot strips the cwd; zotpack also records it, with the id and file name. */
export function exportHeader(source: string, first: MetaObject, last: MetaObject): Buffer {
  // Re-exporting an export keeps the origin it already records.
  const origin =
    last.meta.origin && last.meta.cwd === ''
      ? last.meta.origin
      : { cwd: first.meta.cwd, id: first.meta.id, file: basename(source) };
  return currentHeader(first, last, [
    ['cwd', goString('')],
    [ORIGIN_FIELD, originJson(origin)],
  ]);
}

export function exportSession(options: ExportOptions): ExportResult {
  const source = resolve(options.source);
  const dst = options.destination;
  const st = statQuietly(dst);
  if (options.asFile && st?.isDirectory()) throw new ZotpackError('E_IS_DIR', 'a folder is where the export goes; move it away', { path: resolve(dst) });
  const toFolder = !options.asFile && (st?.isDirectory() === true || dst.endsWith('/') || dst.endsWith(sep));
  let file: string | undefined;
  if (!toFolder) {
    file = resolve(dst.toLowerCase().endsWith(PORTABLE_EXT) ? dst : dst + PORTABLE_EXT);
    const existing = file === resolve(dst) ? st : statQuietly(file); // the bulk engine names the file: one stat
    const src = existing && statQuietly(source);
    if (existing && src && existing.ino === src.ino && existing.dev === src.dev) {
      throw new ZotpackError('E_SAME_FILE', 'the destination is the source file itself', { path: file });
    }
    if (existing && !options.replace) throw new ZotpackError('E_EXISTS', 'already exists; zotpack never overwrites', { path: file });
  }
  const dir = toFolder ? resolve(dst) : dirname(file!);
  const result = copySession(
    source,
    {
      dir: () => dir,
      name: (scan) =>
        file !== undefined ? basename(file) : exportFileName(scan.firstMeta!.meta.started, scan.firstMeta!.meta.id, scan.firstPrompt),
      header: (first, last) => exportHeader(source, first, last),
    },
    // The export keeps the session's modification time: its last activity, which an import passes on.
    { ...options, overwrite: options.replace === true && !toFolder, mtime: options.mtime ?? statQuietly(source)?.mtime },
  );
  const meta = result.scan.firstMeta!.meta;
  return {
    source,
    output: result.output,
    id: meta.id,
    cwd: meta.origin && meta.cwd === '' ? meta.origin.cwd : meta.cwd,
    parent: meta.parent,
    forkPoint: meta.forkPoint,
    summary: result.scan.summary,
    rowsKept: result.rowsKept,
    dropped: result.dropped,
    bytesIn: result.scan.counts.bytes,
    bytesOut: result.bytesOut,
    sha256: result.sha256,
    sourceTail: result.sourceTail,
    warnings: result.warnings,
    pending: result.pending,
  };
}

/**
 * Checking a bundle end to end without unpacking it: the manifest, every
 * entry's name, type, size and sha256, and every session's rows as zot
 * reads them (each row's validity, the first row a meta row, its id the
 * manifest's) — one streaming pass, a row at a time.
 */
import { createHash } from 'node:crypto';
import { ZotpackError, type Warning } from '../errors.js';
import { describeScan, type SessionDescription } from '../session/describe-session.js';
import { RowStream } from '../session/row-stream.js';
import { SessionScan } from '../session/session-scan.js';
import type { Progress } from './batch-options.js';
import type { BundleManifest, BundleSession } from './bundle-manifest.js';
import type { JobError } from './protocol.js';
import { readBundle } from './read-bundle.js';

export interface CheckedSession {
  entry: BundleSession;
  /** Undefined when the rows could not be read as a session. */
  description: SessionDescription | undefined;
  problems: JobError[];
}

export interface BundleCheck {
  manifest: BundleManifest | undefined;
  sessions: CheckedSession[];
  /** Problems not of one session: the bundle's framing, refused entries, manifest entries. */
  problems: JobError[];
  warnings: Warning[];
}

function asJobError(err: ZotpackError): JobError {
  return { code: err.code, message: err.reason, path: err.path };
}

/** One session's bytes: hashed, and scanned row by row. */
async function checkSession(entry: BundleSession, data: AsyncIterable<Buffer>, onBytes: (n: number) => void): Promise<CheckedSession> {
  const problems: JobError[] = [];
  const scan = new SessionScan(entry.path);
  let scanError: ZotpackError | undefined;
  const rows = new RowStream(
    (row) => {
      if (scanError) return undefined;
      try {
        scan.add(row);
      } catch (err) {
        if (!(err instanceof ZotpackError)) throw err;
        scanError = err;
      }
      return undefined;
    },
    () => {},
    entry.path,
  );
  const hash = createHash('sha256');
  let n = 0;
  const scanned = (f: () => void) => {
    if (scanError) return;
    try {
      f();
    } catch (err) {
      if (!(err instanceof ZotpackError)) throw err;
      scanError = err; // a row too large to hold: the bytes are still hashed
    }
  };
  for await (const chunk of data) {
    n += chunk.length;
    hash.update(chunk);
    scanned(() => rows.push(chunk));
    onBytes(chunk.length);
  }
  scanned(() => rows.end());
  const sha = hash.digest('hex');
  if (n !== entry.size || sha !== entry.sha256) {
    problems.push({ code: 'E_HASH_MISMATCH', message: `${n} bytes with sha256 ${sha}; the manifest says ${entry.size} bytes, ${entry.sha256}`, path: entry.path });
  }
  if (!scanError && scan.counts.rows === 0) scanError = new ZotpackError('E_EMPTY', 'the file has no rows', { path: entry.path });
  if (scanError) {
    problems.push(asJobError(scanError));
    return { entry, description: undefined, problems };
  }
  const description = describeScan(scan);
  if (description.id !== entry.id || description.parent !== entry.parent) {
    problems.push({
      code: 'E_BAD_BUNDLE',
      message: `the manifest says id ${entry.id} (parent ${entry.parent || 'none'}), the session's meta row ${description.id} (parent ${description.parent || 'none'})`,
      path: entry.path,
    });
  }
  return { entry, description, problems };
}

export async function checkBundle(path: string, options: { signal?: AbortSignal; onProgress?: (p: Progress) => void; size: number }): Promise<BundleCheck> {
  const check: BundleCheck = { manifest: undefined, sessions: [], problems: [], warnings: [] };
  const progress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: options.size, errors: 0 };
  const tell = () => options.onProgress?.({ ...progress });
  const seen = new Set<string>();
  try {
    for await (const item of readBundle(path, { signal: options.signal, onBytes: (n) => ((progress.bytesDone = n), tell()) })) {
      if (item.kind === 'manifest') {
        check.manifest = item.manifest;
        for (const r of item.rejected) check.problems.push(asJobError(r.error));
        progress.filesTotal = item.manifest.sessions.length;
        tell();
      } else if (item.kind === 'refused') {
        check.problems.push(asJobError(item.error));
      } else {
        const checked = await checkSession(item.session, item.data, () => {});
        seen.add(item.session.path);
        check.sessions.push(checked);
        check.warnings.push(...(checked.description?.warnings ?? []));
        progress.filesDone++;
        if (checked.problems.length > 0) progress.errors++;
        tell();
      }
    }
  } catch (err) {
    if (!(err instanceof ZotpackError) || err.code === 'E_ABORTED') throw err;
    check.problems.push(asJobError(err));
  }
  for (const s of check.manifest?.sessions ?? []) {
    if (!seen.has(s.path)) check.problems.push({ code: 'E_BAD_BUNDLE', message: 'listed in the manifest, missing from the bundle', path: s.path });
  }
  return check;
}

/**
 * Checking a bundle end to end without unpacking it: the manifest, every
 * entry's name, type, size and sha256, and every session's rows as zot
 * reads them (each row's validity, the first row a meta row, its id the
 * manifest's) — one streaming pass, a row at a time. Each session is
 * handed on as it is checked; a project's descriptions are held only until
 * every session the manifest lists for it has come (in a bundle as pack
 * writes it, one project at a time).
 */
import { createHash } from 'node:crypto';
import { ZotpackError, type Warning } from '../errors.js';
import { describeScan, type SessionDescription } from '../session/describe-session.js';
import { RowStream } from '../session/row-stream.js';
import { SessionScan } from '../session/session-scan.js';
import type { Progress } from './batch-options.js';
import { metaDisagrees, noRows, type BundleSession } from './bundle-manifest.js';
import type { JobError } from './protocol.js';
import type { BundleManifestFile } from './manifest-file.js';
import { BundleReader, type BundleSource } from './read-bundle.js';

export interface CheckedSession {
  entry: BundleSession;
  /** Undefined when the rows could not be read as a session. */
  description: SessionDescription | undefined;
  problems: JobError[];
}

export interface CheckBundleOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Each session as it is checked, in the bundle's order. */
  onSession: (c: CheckedSession) => void;
  /**
   * Each project's described sessions (in the bundle's order) once every
   * session the manifest lists for it has come, projects in the order they
   * first came; those never whole at the end.
   */
  onProject: (key: string, descriptions: SessionDescription[]) => void;
  /** What a project keeps of each description until it is whole (default: all of it). */
  keep?: (d: SessionDescription) => SessionDescription;
}

export interface BundleCheck {
  manifest: { created: string; zotpack: string; sessions: number } | undefined;
  /** Problems not of one session: the bundle's framing, refused entries, manifest entries, sessions missing. */
  problems: JobError[];
  /** What describing each session found. */
  warnings: Warning[];
  /** For each of `problems`, then each of `warnings`: the project of the checked session it names, if it names one. */
  namedKeys: Array<string | undefined>;
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
  if (!scanError && scan.counts.rows === 0) scanError = noRows(entry.path);
  if (scanError) {
    problems.push(asJobError(scanError));
    return { entry, description: undefined, problems };
  }
  const description = describeScan(scan);
  const disagrees = metaDisagrees(entry, description.id, description.parent);
  if (disagrees) problems.push(asJobError(disagrees));
  return { entry, description, problems };
}

/** Checks the bundle at `path` a session at a time, handing each on; what is kept is the manifest's index and the projects not yet whole. */
export async function checkBundle(source: BundleSource, options: CheckBundleOptions): Promise<BundleCheck> {
  const check: BundleCheck = { manifest: undefined, problems: [], warnings: [], namedKeys: [] };
  const progress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, errors: 0 };
  const tell = () => options.onProgress?.({ ...progress });
  const keep = options.keep ?? ((d: SessionDescription) => d);
  /** Sessions still to come per project, and the described ones held until it is whole. */
  let remaining = new Map<string, number>();
  const held = new Map<string, SessionDescription[]>();
  const release = (all: boolean) => {
    // Every whole project, wherever it is: one that never completes (an
    // entry missing or refused) must not hold the projects after it.
    for (const [key, group] of held) {
      if (!all && remaining.get(key) !== 0) continue;
      held.delete(key);
      options.onProject(key, group);
    }
  };
  let cut = false;
  const reader = new BundleReader(source, { signal: options.signal, onBytes: (done, total) => ((progress.bytesDone = done), (progress.bytesTotal = total), tell()) });
  try {
    try {
      for await (const item of reader.items()) {
        if (item.kind === 'manifest') {
          const m = item.manifest;
          check.manifest = { created: m.created, zotpack: m.zotpack, sessions: m.count };
          for (const r of m.rejected) check.problems.push(asJobError(r.error));
          remaining = m.keyCounts();
          progress.filesTotal = m.count;
          tell();
        } else if (item.kind === 'refused') {
          check.problems.push(asJobError(item.error));
        } else {
          const checked = await checkSession(item.session, item.data, () => {});
          reader.manifest!.markDone(item.r);
          const { key } = item.session;
          remaining.set(key, remaining.get(key)! - 1);
          const d = checked.description;
          if (d) {
            check.warnings.push(...d.warnings);
            checked.description = keep(d);
            const group = held.get(key);
            if (group) group.push(checked.description);
            else held.set(key, [checked.description]);
          }
          options.onSession(checked);
          release(false);
          progress.filesDone++;
          if (checked.problems.length > 0) progress.errors++;
          tell();
        }
      }
    } catch (err) {
      if (!(err instanceof ZotpackError) || err.code === 'E_ABORTED') throw err;
      check.problems.push(asJobError(err));
      cut = true;
    }
    release(true);
    const m = reader.manifest;
    if (m) {
      // As unpack words it: a bundle that broke off did not say whether it holds the rest.
      const why = cut ? 'not checked: the bundle ends (or breaks) before it, or inside it' : 'listed in the manifest, missing from the bundle';
      for (const [, s] of m.pending()) check.problems.push({ code: 'E_BAD_BUNDLE', message: why, path: s.path });
      check.namedKeys = namedKeys(m, [...check.problems, ...check.warnings]);
    }
  } finally {
    reader.close();
  }
  return check;
}

/** The project of the checked session each finding names, if it names one. */
function namedKeys(m: BundleManifestFile, findings: ReadonlyArray<{ path?: string }>): Array<string | undefined> {
  let last: string | undefined;
  let lastKey: string | undefined;
  return findings.map(({ path }) => {
    if (path === undefined) return undefined;
    if (path !== last) {
      const r = m.find(path);
      last = path;
      lastKey = r !== undefined && m.done(r) ? m.session(r).key : undefined;
    }
    return lastKey;
  });
}

/**
 * `manifest.json`, the first entry of a bundle: what it holds, so that an
 * unpack can plan (and a dry run answer) from the first entry alone, and
 * check every session's bytes against their sha256 before it writes any.
 */
import { ZotpackError } from '../errors.js';
import { sessionEntryPath } from './bundle-entry.js';
import type { SessionRecord } from './session-record.js';

export const BUNDLE_FORMAT = 'zotpack-bundle';
export const BUNDLE_VERSION = 1;
/** The most manifest a bundle may have (it is kept in a temp file): a bound against a hostile one (about 2 million sessions). */
export const MAX_MANIFEST_BYTES = 512 << 20;
/**
 * Refused entries of a bundle, or rejected entries of its manifest, past
 * which it is refused whole: one zotpack made has none, and each kept is
 * memory (3 million took 3 GB).
 */
export const MAX_REFUSED = 1000;

/** One session in a bundle. */
export interface BundleSession extends SessionRecord {
  /** The tar entry: `sessions/<key>/<file name>`. */
  path: string;
  hidden: boolean;
  /** Bytes in the bundle: the session as it was when packed. */
  size: number;
  sha256: string;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  /** When the bundle was made (RFC 3339). */
  created: string;
  /** The zotpack that made it. */
  zotpack: string;
  /** In the bundle's entry order: each project's sessions, parents before children. */
  sessions: BundleSession[];
}

/** E_BAD_BUNDLE when a session's meta row names another id or parent than its manifest entry (verify's finding, unpack's refusal). */
export function metaDisagrees(entry: Pick<BundleSession, 'path' | 'id' | 'parent'>, id: string, parent: string): ZotpackError | undefined {
  if (id === entry.id && parent === entry.parent) return undefined;
  return new ZotpackError(
    'E_BAD_BUNDLE',
    `the manifest says id ${entry.id} (parent ${entry.parent || 'none'}), the session's meta row ${id} (parent ${parent || 'none'})`,
    { path: entry.path },
  );
}

/** A bundled session with no rows: pack passes over such a file (W_EMPTY), so it is no bundle pack made. */
export function noRows(path: string): ZotpackError {
  return new ZotpackError('E_BAD_BUNDLE', 'a session with no rows, which pack never bundles', { path });
}

/** A manifest entry that cannot be used, and why. */
export interface RejectedSession {
  path: string;
  error: ZotpackError;
}

function bad(reason: string): ZotpackError {
  return new ZotpackError('E_BAD_BUNDLE', `the manifest ${reason}`, { path: 'manifest.json' });
}

const STRING_FIELDS = ['path', 'cwd', 'key', 'id', 'parent', 'started', 'title', 'sha256'] as const;

/** Element `k` of a manifest's sessions, checked: E_BAD_BUNDLE (or E_UNSAFE_PATH) when it cannot be used. */
export function checkSession(raw: unknown, k: number): BundleSession {
  if (typeof raw !== 'object' || raw === null) throw bad(`entry ${k} is not an object`);
  const s = raw as Record<string, unknown>;
  for (const f of STRING_FIELDS) if (typeof s[f] !== 'string') throw bad(`entry ${k} has no string "${f}"`);
  const path = s.path as string;
  const where = sessionEntryPath(path); // E_UNSAFE_PATH
  if (where.key !== s.key) throw new ZotpackError('E_BAD_BUNDLE', `the manifest gives key ${String(s.key)} for an entry in ${where.key}`, { path });
  if (!Number.isSafeInteger(s.size) || (s.size as number) < 0) throw new ZotpackError('E_BAD_BUNDLE', 'the manifest gives no valid size', { path });
  if (!/^[0-9a-f]{64}$/.test(s.sha256 as string)) throw new ZotpackError('E_BAD_BUNDLE', 'the manifest gives no valid sha256', { path });
  if (s.forkPoint !== undefined && !Number.isSafeInteger(s.forkPoint)) throw new ZotpackError('E_BAD_BUNDLE', 'the manifest gives a bad forkPoint', { path });
  return asBundleSession(s);
}

/** The session of an entry checkSession has passed (a manifest read back need not check it again). */
export function asBundleSession(s: Record<string, unknown>): BundleSession {
  return {
    path: s.path as string,
    cwd: s.cwd as string,
    key: s.key as string,
    id: s.id as string,
    parent: s.parent as string,
    forkPoint: (s.forkPoint as number | undefined) ?? 0,
    started: s.started as string,
    title: s.title as string,
    hidden: s.hidden === true,
    size: s.size as number,
    sha256: s.sha256 as string,
  };
}

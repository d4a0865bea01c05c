/**
 * A bundle manifest read whole, the obvious way: JSON.parse, then each
 * session entry through checkSession. The reference the streaming reader
 * (manifest-file.ts) is held to, and how tests read the bundles pack makes.
 */
import { ZotpackError } from '../../src/errors.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, checkSession, type BundleManifest, type BundleSession, type RejectedSession } from '../../src/batch/bundle-manifest.js';

function bad(reason: string): ZotpackError {
  return new ZotpackError('E_BAD_BUNDLE', `the manifest ${reason}`, { path: 'manifest.json' });
}

/**
 * Reads a manifest. Throws E_BAD_BUNDLE when it is not one; a session entry
 * that cannot be used (an unsafe path, a missing field, a second entry for
 * one path) is returned in `rejected`, and the rest stay usable.
 */
export function parseManifest(bytes: Buffer): { manifest: BundleManifest; rejected: RejectedSession[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw bad(`is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw bad('is not a JSON object');
  const m = doc as Record<string, unknown>;
  if (m.format !== BUNDLE_FORMAT) throw bad(`is not a zotpack bundle manifest (format ${JSON.stringify(m.format)})`);
  if (m.version !== BUNDLE_VERSION) {
    throw bad(`has version ${JSON.stringify(m.version)}; this zotpack reads version ${BUNDLE_VERSION} (a newer zotpack made the bundle?)`);
  }
  if (!Array.isArray(m.sessions)) throw bad('has no sessions list');
  const sessions: BundleSession[] = [];
  const rejected: RejectedSession[] = [];
  const paths = new Set<string>();
  m.sessions.forEach((raw, k) => {
    const path = typeof (raw as { path?: unknown } | null)?.path === 'string' ? (raw as { path: string }).path : `#${k}`;
    try {
      const s = checkSession(raw, k);
      if (paths.has(s.path)) throw new ZotpackError('E_BAD_BUNDLE', 'the manifest lists this entry twice', { path: s.path });
      paths.add(s.path);
      sessions.push(s);
    } catch (err) {
      if (!(err instanceof ZotpackError)) throw err;
      rejected.push({ path, error: err });
    }
  });
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    created: typeof m.created === 'string' ? m.created : '',
    zotpack: typeof m.zotpack === 'string' ? m.zotpack : '',
    sessions,
  };
  return { manifest, rejected };
}

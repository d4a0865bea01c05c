/**
 * zotpack's own version, read from its package.json: what bundles and
 * export manifests record as the zotpack that made them.
 */
import { packageRoot } from './package-root.js';

export function version(): string {
  return packageRoot()?.version ?? '';
}

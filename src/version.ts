/**
 * zotpack's own version, read from its package.json: what bundles and
 * export manifests record as the zotpack that made them.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function version(): string {
  if (cached !== undefined) return cached;
  // dist/src/version.js when built, src/version.ts when the sources run (tests).
  for (const up of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'zotpack' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // not this one
    }
  }
  return (cached = '');
}

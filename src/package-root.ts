/**
 * zotpack's own package folder: the nearest folder up from this module
 * whose package.json is zotpack's. Found by looking, not by a fixed number
 * of `..`, because this code runs from wherever a build put it: dist/src/
 * (the library), dist/cli/ (the bundled CLI), dist/workers/ (the bundled
 * worker), or src/ when tests run the sources.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageRoot {
  dir: string;
  version: string;
}

let found: PackageRoot | null | undefined;

/** The package folder and its version, or null when no zotpack package.json is above this module. */
export function packageRoot(): PackageRoot | null {
  if (found !== undefined) return found;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'zotpack' && typeof pkg.version === 'string') return (found = { dir, version: pkg.version });
    } catch {
      // none here, or not readable
    }
    if (dirname(dir) === dir) return (found = null);
  }
}

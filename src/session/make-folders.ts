/**
 * `mkdir -p` that always ends. Node 20's `mkdirSync(dir, { recursive: true })`
 * loops forever, deaf to Ctrl-C, where a folder exists but refuses a child
 * with ENOENT (`/proc`: mkdir("/proc/x") is ENOENT, and Node takes that as
 * "make the parent first", which exists). Here each missing folder is made
 * once, from the top, and an error is final.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Makes `dir` and its missing parents; returns the topmost folder made, or undefined when `dir` was there. */
export function makeFolders(dir: string, mode = 0o777): string | undefined {
  const missing: string[] = [];
  for (let d = resolve(dir); ; ) {
    try {
      statSync(d);
      break; // there (a file here makes the mkdir below fail with ENOTDIR, as mkdir -p does)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    missing.push(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  let first: string | undefined;
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode });
      first ??= d;
    } catch (err) {
      // Made meanwhile by another run: fine, if it is a folder.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw err;
    }
  }
  return first;
}

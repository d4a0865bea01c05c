/**
 * What a folder holds, to check that a failed operation wrote nothing.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file and folder under `dir` (relative paths, sorted); [] when `dir` does not exist. */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(relative(dir, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** `listTree` with each file's size and mtime, so a rewrite shows up too. */
export function snapshot(dir: string): string[] {
  return listTree(dir).map((p) => {
    if (p.endsWith('/')) return p;
    const st = statSync(join(dir, p));
    return `${p} ${st.size} ${st.mtimeMs}`;
  });
}

/** Names under `dir` that look like zotpack temp files. */
export function tempFiles(dir: string): string[] {
  return listTree(dir).filter((p) => p.includes('.zotpack-tmp'));
}

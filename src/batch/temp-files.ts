/**
 * Removing the temp files an interrupted run leaves behind (a stopped worker
 * cannot clean up after itself).
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fg from 'fast-glob';
import { TEMP_MARK, tempPrefixOf } from '../session/atomic-file.js';

/** Deletes zotpack temp files up to two folders below `root`; returns how many. */
export async function removeTempFiles(root: string): Promise<number> {
  const hits = await fg([`.*${TEMP_MARK}`, `*/.*${TEMP_MARK}`, `*/*/.*${TEMP_MARK}`], {
    cwd: root,
    absolute: true,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    suppressErrors: true,
  });
  return removeAll(hits);
}

/** Deletes the temp files of one output `target` (a bundle whose pack was killed); returns how many. */
export function removeTempFilesOf(target: string): number {
  const dir = dirname(target);
  const prefix = tempPrefixOf(target);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // no folder yet: nothing left there
  }
  return removeAll(names.filter((n) => n.startsWith(prefix) && n.endsWith(TEMP_MARK)).map((n) => join(dir, n)));
}

function removeAll(paths: readonly string[]): number {
  let n = 0;
  for (const path of paths) {
    try {
      unlinkSync(path);
      n++;
    } catch {
      // gone already
    }
  }
  return n;
}

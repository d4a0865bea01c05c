/**
 * Removing the temp files an interrupted run leaves behind (a stopped worker
 * cannot clean up after itself).
 */
import { unlinkSync } from 'node:fs';
import fg from 'fast-glob';
import { TEMP_MARK } from '../session/atomic-file.js';

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
  let n = 0;
  for (const path of hits) {
    try {
      unlinkSync(path);
      n++;
    } catch {
      // gone already
    }
  }
  return n;
}

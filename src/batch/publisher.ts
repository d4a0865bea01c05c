/**
 * New session files of an unpack, published in batches: each is written to
 * a temp file and closed without an fsync; once 512 MB are waiting (and at
 * the end), the file system is synced once and every waiting file is
 * linked to its name (publish-durably.ts). Thousands of small sessions then
 * cost a few syncs, not one journal commit each. A crash before a batch is
 * published leaves only temp files, which the next run removes and redoes.
 */
import type { ZotpackError } from '../errors.js';
import type { PendingFile } from '../session/atomic-file.js';
import { publishDurably } from './publish-durably.js';

const BATCH_BYTES = 512 << 20;

export class Publisher {
  private waitingFiles: PendingFile[] = [];
  private waitingBytes = 0;
  private readonly targets = new Set<string>();
  /** Targets whose publishing failed, and why (E_EXISTS: a file appeared there meanwhile). */
  readonly failures = new Map<string, ZotpackError>();

  add(file: PendingFile, bytes: number): void {
    this.waitingFiles.push(file);
    this.targets.add(file.target);
    this.waitingBytes += bytes;
    if (this.waitingBytes >= BATCH_BYTES) this.flush();
  }

  /** Files waiting to be published. */
  get waiting(): number {
    return this.waitingFiles.length;
  }

  /** True while `target` waits to be published. */
  has(target: string): boolean {
    return this.targets.has(target);
  }

  /** Syncs and publishes everything waiting. */
  flush(): void {
    const files = this.waitingFiles;
    this.waitingFiles = [];
    this.waitingBytes = 0;
    this.targets.clear();
    publishDurably(files).forEach((err, i) => {
      if (err) this.failures.set(files[i]!.target, err);
    });
  }
}

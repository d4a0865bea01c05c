/**
 * `<out>/manifest.json`: what a bulk export holds and where each file came
 * from. It is also the memory of incremental runs: a session whose source
 * has the size and modification time recorded here, and whose output is
 * still there at the recorded size, is not read again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZotpackError } from '../errors.js';
import { AtomicFile } from '../session/atomic-file.js';
import type { SessionRecord } from './session-record.js';

export const MANIFEST_NAME = 'manifest.json';

export interface ManifestEntry extends SessionRecord {
  /** Absolute path of the session file exported. */
  source: string;
  /** The export, relative to the export folder, with `/` separators. */
  output: string;
  model: string;
  provider: string;
  /** Source size and modification time when exported (the incremental check). */
  size: number;
  mtimeMs: number;
  /** Rows in the export, header included. */
  rows: number;
  /** Size of the export. */
  bytes: number;
  sha256: string;
  /** The source is gone; its export is kept. */
  sourceDeleted?: boolean;
}

export interface ExportManifest {
  format: 'zotpack-export';
  version: 1;
  zotpack: string;
  updated: string;
  sessions: ManifestEntry[];
}

export function readManifest(out: string): ExportManifest | undefined {
  const path = join(out, MANIFEST_NAME);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as ExportManifest;
    if (m.format !== 'zotpack-export' || !Array.isArray(m.sessions)) throw new Error('not a zotpack export manifest');
    return m;
  } catch (err) {
    throw new ZotpackError('E_BAD_META', `cannot read the export manifest: ${(err as Error).message}`, { path, cause: err });
  }
}

/**
 * Writes the manifest, one session a line, in slices: the text of 100,000
 * sessions as one string (and its Buffer) would be the largest thing in memory.
 */
export function writeManifest(out: string, manifest: ExportManifest, durable: boolean): void {
  manifest.sessions.sort((a, b) => (a.output < b.output ? -1 : a.output > b.output ? 1 : 0));
  const file = AtomicFile.create(join(out, MANIFEST_NAME), { overwrite: true, durable });
  try {
    const { sessions, ...head } = manifest;
    const opening = JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "sessions": [');
    let text = opening;
    sessions.forEach((e, i) => {
      text += `${i > 0 ? ',' : ''}\n    ${JSON.stringify(e)}`;
      if (text.length >= 1 << 20) {
        file.write(Buffer.from(text));
        text = '';
      }
    });
    file.write(Buffer.from(`${text}${sessions.length > 0 ? '\n  ' : ''}]\n}\n`));
    file.commit();
  } catch (err) {
    file.abort();
    throw err;
  }
}

/**
 * `<out>/manifest.json`: what a bulk export holds and where each file came
 * from. It is also the memory of incremental runs: a session whose source
 * has the size and modification time recorded here, and whose output is
 * still there at the recorded size, is not read again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readRows } from '../jsonl/row-reader.js';
import { join } from 'node:path';
import { ZotpackError } from '../errors.js';
import { AtomicFile } from '../session/atomic-file.js';
import type { SessionRecord } from './session-record.js';
import { interner } from '../format/interner.js';

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
  if (!existsSync(path)) return undefined;
  try {
    const m = readByLine(path) ?? (JSON.parse(readFileSync(path, 'utf8')) as ExportManifest);
    if (m.format !== 'zotpack-export' || !Array.isArray(m.sessions)) throw new Error('not a zotpack export manifest');
    return m;
  } catch (err) {
    throw new ZotpackError('E_BAD_META', `cannot read the export manifest: ${(err as Error).message}`, { path, cause: err });
  }
}

const SESSIONS_OPEN = Buffer.from('  "sessions": [');

/**
 * The manifest as writeManifest lays it out (one session a line), read a
 * line at a time: parsing 100,000 sessions' text as one string would take
 * several times its size. undefined when the file is laid out otherwise
 * (edited by hand, say); the caller then parses it whole.
 */
function readByLine(path: string): ExportManifest | undefined {
  const intern = interner();
  let head = '';
  let sessions: ManifestEntry[] | undefined;
  let closed = false;
  let tail = '';
  for (const { bytes } of readRows(path)) {
    if (closed) {
      tail += bytes.toString('utf8');
    } else if (sessions === undefined) {
      if (bytes.equals(SESSIONS_OPEN)) sessions = [];
      else head += `${bytes.toString('utf8')}\n`;
    } else if (bytes.equals(SESSIONS_CLOSE)) {
      closed = true;
    } else {
      const end = bytes[bytes.length - 1] === 0x2c ? bytes.length - 1 : bytes.length; // a trailing ','
      const text = bytes.toString('utf8', 0, end).trim();
      if (!text.startsWith('{')) return undefined;
      const e = tryParse<ManifestEntry>(text);
      if (!e) return undefined;
      e.cwd = intern(e.cwd);
      e.key = intern(e.key);
      e.model = intern(e.model);
      e.provider = intern(e.provider);
      sessions.push(e);
    }
  }
  if (!closed || tail.trim() !== '}' || !head.trimEnd().endsWith(',')) return undefined;
  const m = tryParse<ExportManifest>(`${head.trimEnd().slice(0, -1)}}`);
  if (m) m.sessions = sessions!;
  return m;
}

const SESSIONS_CLOSE = Buffer.from('  ]');

/** The JSON value of `text`, or undefined when it is not JSON (then the layout is not ours). */
function tryParse<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * Writes the manifest, one session a line, through one reused buffer: the
 * text of 100,000 sessions as one string (or as a long chain of pieces) would
 * be the largest thing in memory, and the garbage of building it more.
 */
export function writeManifest(out: string, manifest: ExportManifest, durable: boolean): void {
  manifest.sessions.sort((a, b) => (a.output < b.output ? -1 : a.output > b.output ? 1 : 0));
  const file = AtomicFile.create(join(out, MANIFEST_NAME), { overwrite: true, durable });
  try {
    const { sessions, ...head } = manifest;
    const buf = Buffer.allocUnsafe(WRITE_CHUNK);
    let used = 0;
    const put = (text: string) => {
      // At most 3 bytes per UTF-16 unit: a string this short always fits an emptied buffer.
      if (used + text.length * 3 > buf.length) {
        file.write(buf.subarray(0, used));
        used = 0;
      }
      if (text.length * 3 > buf.length) file.write(Buffer.from(text));
      else used += buf.write(text, used);
    };
    put(JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "sessions": ['));
    sessions.forEach((e, i) => put(`${i > 0 ? ',' : ''}\n    ${JSON.stringify(e)}`));
    put(`${sessions.length > 0 ? '\n  ' : ''}]\n}\n`);
    file.write(buf.subarray(0, used));
    file.commit();
  } catch (err) {
    file.abort();
    throw err;
  }
}

const WRITE_CHUNK = 1 << 20;

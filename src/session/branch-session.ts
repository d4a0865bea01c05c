/**
 * Branch a session at a point of its effective transcript, as zot does: the
 * new session holds the first N messages and records `parent` and
 * `fork_point` so trees can link it.
 *
 * zot holds the whole transcript in memory; zotpack makes two passes instead
 * (count, then copy), so memory stays bounded by the largest row. Messages
 * taken from a compaction checkpoint are copied verbatim, not re-encoded, so
 * block fields zot's structs do not know survive.
 */
import { join } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { ZotpackError, type Warning } from '../errors.js';
import { GoTypeError, objectField } from '../jsonl/go-fields.js';
import type { ScannedObject } from '../jsonl/object-members.js';
import { readRows } from '../jsonl/row-reader.js';
import { readRowHead } from '../jsonl/row-type.js';
import { compactionMessages, hasContent, readMessage } from '../format/message.js';
import { goTime } from '../format/go-json.js';
import { sessionsDir } from '../format/project-key.js';
import { metaRow, newMetaObject, recordedCwd } from '../format/session-meta.js';
import { sessionFileName } from '../format/session-names.js';
import { AtomicFile } from './atomic-file.js';
import { SessionScan } from './session-scan.js';

export interface BranchOptions {
  /** The session to branch. */
  source: string;
  /** How many messages of the effective transcript the branch keeps (0..length). */
  at: number;
  /** The zot home the branch goes to. */
  home: string;
  /** The project of the branch. Default: the source's. */
  cwd?: string;
  /** Used when neither `cwd` is given nor the source records one. */
  fallbackCwd?: string;
  durable?: boolean;
  now?: () => Date;
  newId?: () => string;
}

export interface BranchResult {
  source: string;
  output: string;
  id: string;
  parent: string;
  forkPoint: number;
  cwd: string;
  /** Length of the source's effective transcript. */
  transcriptLength: number;
  /** Rows written after the header (messages and usage). */
  rowsWritten: number;
  /** What the source's scan noticed (rows zot skips, a meta row without id). */
  warnings: Warning[];
}

/** True when a message row's message survives zot's decoding with content. */
function rowHasContent(b: Buffer, top: ScannedObject): boolean {
  try {
    const obj = objectField(b, top, 'message');
    return obj !== undefined && hasContent(b, readMessage(b, obj));
  } catch (err) {
    if (err instanceof GoTypeError) return false; // zot skips the row
    throw err;
  }
}

/** The messages zot keeps from a compaction row, or undefined when zot cannot decode the row. */
function checkpoint(b: Buffer, top: ScannedObject): Array<[number, number]> | undefined {
  try {
    return compactionMessages(b, top).map((m) => m.span);
  } catch (err) {
    if (err instanceof GoTypeError) return undefined;
    throw err;
  }
}

export function branchSession(options: BranchOptions): BranchResult {
  const { source, at } = options;
  if (!Number.isSafeInteger(at) || at < 0) {
    throw new ZotpackError('E_BAD_FORK', `fork point must be a whole number from 0, got ${at}`, { path: source });
  }
  // Pass 1: the metas, and where the effective transcript starts and how long it is.
  const scan = new SessionScan(source);
  let length = 0;
  let lastCompaction = 0; // line of the last compaction row zot applies
  for (const row of readRows(source)) {
    const verdict = scan.add(row);
    const head = scan.head;
    if (verdict !== 'keep' || head.kind !== 'row' || head.object === null) continue;
    if (head.type === 'message') {
      if (rowHasContent(row.bytes, head.object)) length++;
    } else if (head.type === 'compaction') {
      const kept = checkpoint(row.bytes, head.object);
      if (kept !== undefined) {
        length = kept.length;
        lastCompaction = row.line;
      }
    }
  }
  scan.finish();
  if (at > length) {
    throw new ZotpackError('E_BAD_FORK', `fork point ${at} is past the end: the transcript has ${length} messages`, { path: source });
  }
  const first = scan.firstMeta!.meta;
  const last = scan.lastMeta!.meta;
  const cwd = options.cwd ?? (recordedCwd(first) || options.fallbackCwd || '');
  if (cwd === '') throw new ZotpackError('E_USAGE', 'the session does not record its project folder; pass a cwd', { path: source });
  const id = (options.newId ?? uuidv4)();
  const started = goTime((options.now ?? (() => new Date()))());
  const header = newMetaObject({
    id,
    cwd,
    model: last.model,
    provider: last.provider,
    started,
    version: last.version,
    title: '',
    parent: first.id,
    forkPoint: at,
  });
  const target = join(sessionsDir(options.home, cwd), sessionFileName(started, id));
  const out = AtomicFile.create(target, { durable: options.durable });
  const NL = Buffer.from('\n');
  let written = 0;
  try {
    out.write(Buffer.concat([metaRow(header), NL]));
    // Pass 2: copy. Without a compaction, message and usage rows are copied
    // until N messages (zot keeps usage only before the cut); with one, the
    // checkpoint's messages come first and no usage row is kept.
    let count = 0;
    for (const row of readRows(source)) {
      if (count >= at) break;
      if (lastCompaction > 0 && row.line < lastCompaction) continue;
      const head = readRowHead(row.bytes);
      if (head.kind !== 'row' || head.object === null) continue;
      const b = row.bytes;
      if (row.line === lastCompaction) {
        for (const [s, e] of checkpoint(b, head.object)!.slice(0, at)) {
          out.write(Buffer.concat([Buffer.from('{"type":"message","message":'), b.subarray(s, e), Buffer.from('}\n')]));
          count++;
          written++;
        }
      } else if (head.type === 'message' && rowHasContent(b, head.object)) {
        out.write(b);
        out.write(NL);
        count++;
        written++;
      } else if (head.type === 'usage' && lastCompaction === 0) {
        out.write(b);
        out.write(NL);
        written++;
      }
    }
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
  return { source, output: target, id, parent: first.id, forkPoint: at, cwd, transcriptLength: length, rowsWritten: written, warnings: scan.warnings };
}


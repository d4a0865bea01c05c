/**
 * Import a `.zotsession` (or any session file) into a zot home.
 *
 * Unlike zot, the session keeps its identity — id, start time, title, parent
 * and fork point — so a project imported file by file keeps its tree, and
 * importing the same file twice is refused instead of making a duplicate.
 * `freshId` gives zot's behaviour: a new id and start time.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { ZotpackError, type Warning } from '../errors.js';
import { goString, goTime } from '../format/go-json.js';
import { sessionsDir, sessionsRoot } from '../format/project-key.js';
import { cwdMapOf, refuseIfNoneMoved, type CwdMap, type CwdRule } from '../format/cwd-map.js';
import { ORIGIN_FIELD, recordedCwd, type SessionMeta } from '../format/session-meta.js';
import { isPlainSessionName, sessionFileName } from '../format/session-names.js';
import { copySession, type CopyOptions, type DroppedRows } from './copy-session.js';
import type { PendingFile } from './atomic-file.js';
import { findIdInHome } from './find-session.js';
import { currentHeader } from './header.js';
import { statQuietly } from './stat-quietly.js';
import type { SessionSummary } from './session-scan.js';

export interface ImportOptions extends CopyOptions {
  /** The file to import. */
  source: string;
  /** The zot home to import into. */
  home: string;
  /** The project to import into. Default: the cwd the file records. */
  cwd?: string;
  /**
   * `OLD=NEW` rules (cwd-map.ts) that move a recorded project folder under
   * OLD to NEW: a session exported on another machine. Not with `cwd`.
   */
  mapCwd?: ReadonlyArray<string | CwdRule>;
  /**
   * With `mapCwd`: refuse (E_USAGE, nothing written) a session no rule
   * moves — the rules were given for it, so OLD has a typo, and imported at
   * the other machine's folder it would stay there (a second import finds
   * it present). The bulk import checks the whole run instead.
   */
  mustMove?: boolean;
  /** Used when neither `cwd` is given nor the file records one (zot's own exports). */
  fallbackCwd?: string;
  /** A new id and start time, as zot's import does. Default false: keep them. */
  freshId?: boolean;
  /**
   * Refuse a session whose id is already in the home, in any project (reads
   * the first row of each file there). Default true; the bulk engine checks
   * the whole home once instead, on the pool.
   */
  checkDuplicates?: boolean;
  /** Clock and id source, for tests. */
  now?: () => Date;
  newId?: () => string;
}

export interface ImportResult {
  source: string;
  output: string;
  id: string;
  cwd: string;
  /** The project folder the session recorded, when a `mapCwd` rule moved it from there. */
  movedFrom?: string;
  summary: SessionSummary;
  rowsKept: number;
  dropped: DroppedRows;
  warnings: Warning[];
  bytesOut: number;
  /** With `defer`: the finished temp file, published later with publishFile. */
  pending?: PendingFile;
}

/** Where and under which identity an imported session lands. */
interface Placement {
  cwd: string;
  movedFrom: string | undefined;
  dir: string;
  id: string;
  started: string;
  name: string;
}

/**
 * The project a session goes to: `cwd`, else the one it records (moved by
 * `map`), else the fallback. Also the bulk import's plan, so the two agree.
 */
export function importCwd(options: Pick<ImportOptions, 'cwd' | 'fallbackCwd'>, recorded: string, map: CwdMap): string {
  if (options.cwd !== undefined) return options.cwd;
  if (recorded !== '') return map.map(recorded) ?? recorded;
  return options.fallbackCwd ?? '';
}

/** Refuses `cwd` beside `mapCwd`: one project for everything, or each moved by the rules, not both. */
export function importCwdMap(options: Pick<ImportOptions, 'cwd' | 'mapCwd'>): CwdMap {
  const map = cwdMapOf(options.mapCwd);
  if (options.cwd !== undefined && map.size > 0) {
    throw new ZotpackError('E_USAGE', 'give --cwd (one project for everything) or --map-cwd (each moved by the rules), not both');
  }
  return map;
}

function place(options: ImportOptions, map: CwdMap, meta: SessionMeta): Placement {
  const cwd = importCwd(options, recordedCwd(meta), map);
  if (options.mustMove && options.cwd === undefined) refuseIfNoneMoved(map, options.source);
  if (cwd === '') {
    throw new ZotpackError('E_USAGE', 'the file does not record its project folder; pass a cwd', { path: options.source });
  }
  const fresh = options.freshId === true || meta.id === '';
  const id = fresh ? (options.newId ?? uuidv4)() : meta.id;
  const started = fresh || meta.started === undefined ? goTime((options.now ?? (() => new Date()))()) : meta.started;
  // Keep the original file name where it is known: children in zot's tree
  // are ordered by file name, and zot's names do not always end in the id.
  const recorded = meta.origin?.file ?? (meta.cwd !== '' ? basename(options.source) : '');
  // Never a hidden name ('.x.jsonl', '.jsonl'), which zotpack's listings and bundles pass over, nor one
  // with a folder or a control character in it (an export from a stranger).
  const keepName = !fresh && isPlainSessionName(recorded);
  const name = keepName ? recorded : sessionFileName(started, id);
  const movedFrom = options.cwd === undefined && recordedCwd(meta) !== '' && recordedCwd(meta) !== cwd ? recordedCwd(meta) : undefined;
  return { cwd, movedFrom, dir: sessionsDir(options.home, cwd), id, started, name };
}

export function importSession(options: ImportOptions): ImportResult {
  const map = importCwdMap(options);
  let placed: Placement | undefined;
  const result = copySession(
    options.source,
    {
      dir: (scan) => (placed ??= place(options, map, scan.firstMeta!.meta)).dir,
      check: (_scan, dir) => {
        const { id, name } = placed!;
        // The id first: a second import of one file meets its own earlier
        // copy under the same name, and that is a duplicate, not a name clash.
        // In any project: the same session imported with another --cwd is still a duplicate.
        const twin = options.checkDuplicates === false || options.freshId ? undefined : findIdInHome(sessionsRoot(options.home), id);
        if (twin) {
          throw new ZotpackError('E_DUPLICATE_ID', `session ${id} is already there as ${twin.path} (a fresh id imports a copy)`, {
            path: options.source,
          });
        }
        if (existsSync(join(dir, name))) {
          throw new ZotpackError('E_EXISTS', 'a session file of this name is already there; zotpack never overwrites', {
            path: join(dir, name),
          });
        }
      },
      name: () => placed!.name,
      header: (first, last) =>
        currentHeader(first, last, [
          ['id', goString(placed!.id)],
          ['cwd', goString(placed!.cwd)],
          ['started', goString(placed!.started)],
          [ORIGIN_FIELD, null],
        ]),
    },
    // The session keeps its last activity (the export's time, which export kept), unless it starts anew as zot's import does.
    { ...options, mtime: options.mtime ?? (options.freshId ? undefined : statQuietly(options.source)?.mtime) },
  );
  return {
    source: options.source,
    output: result.output,
    id: placed!.id,
    cwd: placed!.cwd,
    ...(placed!.movedFrom === undefined ? {} : { movedFrom: placed!.movedFrom }),
    summary: result.scan.summary,
    rowsKept: result.rowsKept,
    dropped: result.dropped,
    warnings: result.warnings,
    bytesOut: result.bytesOut,
    pending: result.pending,
  };
}

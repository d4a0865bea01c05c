/**
 * Stable error codes. A code never changes meaning once released; scripts
 * match on it, people read the message.
 */
export type ZotpackErrorCode =
  | 'E_NOT_FOUND' // the path does not exist
  | 'E_IS_DIR' // a folder where a file is expected
  | 'E_NOT_DIR' // a file where a folder is expected
  | 'E_UNREADABLE' // the OS refused to read it
  | 'E_EMPTY' // no rows at all
  | 'E_BOM' // starts with a UTF-8 byte-order mark, which zot cannot parse
  | 'E_NOT_META' // the first row is not a meta row
  | 'E_BAD_META' // the meta row has a field of the wrong type; or an export manifest is not one zotpack can read
  | 'E_ROW_TOO_LARGE' // a row larger than this Node.js can hold in one Buffer
  | 'E_EXISTS' // the destination exists and zotpack never overwrites
  | 'E_SAME_FILE' // the destination is the source
  | 'E_DUPLICATE_ID' // a session with this id is already in the target
  | 'E_NOT_IN_ARCHIVE' // no session matches an id
  | 'E_AMBIGUOUS' // more than one session matches an id prefix
  | 'E_BAD_FORK' // a fork point outside the transcript
  | 'E_UNSAFE_PATH' // a path that would write outside the target root
  | 'E_WRITE' // writing the output failed
  | 'E_USAGE' // bad options or arguments
  | 'E_WORKER' // a pool worker died while running the job
  | 'E_ABORTED' // the run was interrupted
  | 'E_BAD_BUNDLE' // not a zotpack bundle, or one that is cut short, corrupt or incomplete
  | 'E_HASH_MISMATCH' // a bundled session's size or sha256 differs from its manifest entry
  | 'E_CONFLICT' // a session changed on both machines since they last agreed
  | 'E_CHANGED' // a source file changed (not by appending) while it was being packed, or shrank since its export
  | 'E_BAD_MANIFEST' // an export folder's manifest.json that cannot be read as one zotpack writes
  | 'E_UNLISTED' // a session file in an export folder that its manifest (and journal) do not list
  | 'E_BUSY'; // another zotpack is writing into the same export folder or zot home

/** The one error family of zotpack: a stable `code`, the `path`, the `cause`. */
export class ZotpackError extends Error {
  override readonly name = 'ZotpackError';
  readonly code: ZotpackErrorCode;
  readonly path: string | undefined;
  /** The message without the path. */
  readonly reason: string;

  constructor(code: ZotpackErrorCode, reason: string, options: { path?: string; cause?: unknown } = {}) {
    super(options.path === undefined ? reason : `${options.path}: ${reason}`, { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.reason = reason;
  }
}

/** Turns an fs error about `path` into a ZotpackError with a readable reason. */
export function fromFsError(err: unknown, path: string, doing: string, writing = false): ZotpackError {
  if (err instanceof ZotpackError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new ZotpackError('E_NOT_FOUND', `${doing}: no such file or folder`, { path, cause: err });
    case 'EISDIR':
      return new ZotpackError('E_IS_DIR', `${doing}: is a folder, expected a file`, { path, cause: err });
    case 'ENOTDIR':
      return new ZotpackError('E_NOT_DIR', `${doing}: a part of the path is not a folder`, { path, cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      // What cannot be written is not unreadable: E_UNREADABLE names a source.
      return new ZotpackError(writing ? 'E_WRITE' : 'E_UNREADABLE', `${doing}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}`, { path, cause: err });
    case 'EEXIST':
      return new ZotpackError('E_EXISTS', `${doing}: already exists`, { path, cause: err });
    case 'EPIPE':
      return new ZotpackError('E_WRITE', `${doing}: the reading end of the pipe closed`, { path, cause: err });
    case 'ESPIPE':
      return new ZotpackError('E_UNREADABLE', `${doing}: not a regular file (a pipe or device)`, { path, cause: err });
    default: {
      const reason = err instanceof Error ? err.message : String(err);
      return new ZotpackError(writing ? 'E_WRITE' : 'E_UNREADABLE', `${doing}: ${reason}`, { path, cause: err });
    }
  }
}

/** A per-row or per-file problem that does not stop the work: counted and reported. */
export interface Warning {
  code: WarningCode;
  message: string;
  path?: string;
  /** 1-based row number in the source file, where the warning is about a row. */
  row?: number;
}

export type WarningCode =
  | 'W_INVALID_ROW' // a row that is not valid JSON (zot skips it)
  | 'W_UNDECODABLE_ROW' // valid JSON that zot's row struct cannot decode (zot skips it)
  | 'W_NO_ID' // a meta row without an id
  | 'W_TRUNCATED' // the last row has no newline and is not valid JSON: a crash mid-write
  | 'W_ORPHAN' // a session whose parent is not in the archive
  | 'W_OTHER_PROJECT' // verify: a session whose parent is in another project of the archive (a branch made with --cwd); no failure
  | 'W_DUPLICATE_ID' // two files claim one id
  | 'W_MOVED' // verify: an export kept for a session gone from its source shares its id with the live export (the session moved); no failure
  | 'W_UNREADABLE' // an entry that could not be read during discovery
  | 'W_CONFLICT' // a bundled session that diverged from the local one, left as it was
  | 'W_UNUSED_MAP' // a --map-cwd rule that no session of the bundle (unpack) or the sources (import) matched
  | 'W_EMPTY' // a session file with no rows yet, passed over by a bulk run as zot's readers pass it over
  | 'W_GROWN' // import: a zotpack export holds rows past the end of the home's copy of its session, which import leaves as it is
  | 'W_NO_SESSIONS'; // a source folder with no session files of the kind the command reads, or a --project no folder holds

/**
 * A zot session file (.jsonl) with no rows, met in a bulk run: a warning, not a failure.
 * zot creates a session's file, then writes its first row (a branch of a big
 * session after copying the parent's rows), and its readers pass over a file
 * with none; a nightly run that meets one in that moment must not fail.
 */
export function emptyAsWarning(error: { code: string; message: string; path?: string }): Warning | undefined {
  // Only a zot session file: an empty export (.zotsession) is damage, as zotpack never writes one.
  if (error.code !== 'E_EMPTY' || !error.path?.endsWith('.jsonl')) return undefined;
  return { code: 'W_EMPTY', message: `${error.message}: passed over, as zot passes it over (zot creates a session's file just before its first row)`, path: error.path };
}

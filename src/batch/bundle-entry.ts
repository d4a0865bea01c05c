/**
 * Which tar entries a bundle may hold, checked before a byte of one is used.
 *
 * A bundle holds `manifest.json` and regular files named
 * `sessions/<16 hex>/<name>.jsonl`; a name is a plain file name (no folder
 * part, no leading dot, no control character, no `\`, `:` or NUL). Folder
 * entries of that layout are allowed and ignored. Anything else — an
 * absolute path, `..`, a symbolic or hard link, a device, a FIFO — is
 * refused with E_UNSAFE_PATH, naming the entry. Nothing a bundle says can
 * put a byte outside `<home>/sessions/<key>/`.
 */
import { ZotpackError } from '../errors.js';
import { isProjectKey } from '../format/project-key.js';

export const MANIFEST_ENTRY = 'manifest.json';

/** The type names tar-stream gives entries. */
export type TarEntryType = string | null | undefined;

/** A session's place in a bundle: `sessions/<key>/<file>`. */
export interface SessionEntryPath {
  key: string;
  file: string;
}

const MAX_NAME_BYTES = 255;

function unsafe(name: string, reason: string): ZotpackError {
  return new ZotpackError('E_UNSAFE_PATH', `refused bundle entry: ${reason}`, { path: name });
}

/** Why a path is not a plain relative path, or undefined when it is one. */
function pathProblem(name: string): string | undefined {
  if (name === '') return 'an empty name';
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return 'an absolute path';
  const parts = name.split(/[/\\]/);
  if (parts.includes('..')) return "a path with '..'";
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a name with a control character';
  return undefined;
}

/** A bundle path's key and file name; throws E_UNSAFE_PATH for anything but `sessions/<key>/<name>.jsonl`. */
export function sessionEntryPath(name: string): SessionEntryPath {
  const problem = pathProblem(name);
  if (problem) throw unsafe(name, problem);
  const parts = name.split('/');
  if (parts.length !== 3 || parts[0] !== 'sessions' || !isProjectKey(parts[1]!)) {
    throw unsafe(name, 'not of the form sessions/<16 hex>/<name>.jsonl');
  }
  const file = parts[2]!;
  if (!file.endsWith('.jsonl') || file.length <= '.jsonl'.length) throw unsafe(name, 'a session file name must end in .jsonl');
  if (file.startsWith('.')) throw unsafe(name, 'a session file name must not start with a dot');
  if (/[\\:]/.test(file)) throw unsafe(name, "a session file name must not hold '\\' or ':'");
  if (Buffer.byteLength(file) > MAX_NAME_BYTES) throw unsafe(name, `a file name longer than ${MAX_NAME_BYTES} bytes`);
  return { key: parts[1]!, file };
}

export type EntryKind = 'manifest' | 'session' | 'folder';

/**
 * What a tar entry is, or E_UNSAFE_PATH. Only regular files carry data;
 * folders of the layout are accepted (and ignored).
 */
export function classifyEntry(name: string, type: TarEntryType, linkname?: string | null): EntryKind {
  const problem = pathProblem(name);
  if (problem) throw unsafe(name, problem);
  switch (type) {
    case 'file':
    case null:
    case undefined:
      break;
    case 'directory': {
      const folder = name.replace(/\/+$/, '');
      if (folder === 'sessions' || /^sessions\/[0-9a-f]{16}$/.test(folder)) return 'folder';
      throw unsafe(name, 'a folder outside the bundle layout');
    }
    case 'symlink':
      throw unsafe(name, `a symbolic link (to ${linkname ?? '?'}), not a file`);
    case 'link':
      throw unsafe(name, `a hard link (to ${linkname ?? '?'}), not a file`);
    case 'character-device':
    case 'block-device':
      throw unsafe(name, 'a device, not a file');
    case 'fifo':
      throw unsafe(name, 'a FIFO, not a file');
    default:
      throw unsafe(name, `an entry of type ${type}, not a regular file`);
  }
  if (name === MANIFEST_ENTRY) return 'manifest';
  sessionEntryPath(name);
  return 'session';
}

/**
 * Which file holds each session id, for a whole archive or home: what an
 * import checks every source against (so that running it twice adds nothing
 * twice) and what verify checks every session against (two sessions with one
 * id). It is the one record those runs keep for every session, so it is kept
 * small: the id, and the path below a common folder packed into one buffer
 * (about 140 bytes a session against 200 for a Map of paths; 300,000
 * sessions take about 42 MB).
 */
import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import type { Warning } from '../errors.js';
import { sessionsRoot } from '../format/project-key.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { runOp } from './run-op.js';
import { SliceSource, type SliceLimits } from './select-slices.js';

/** The number of an id reserved with no file (yet). */
const RESERVED = -1;
/** Marks a packed path that is not under the common folder (a link's own path, say): kept whole. */
const WHOLE = '\0';

export class IdPaths {
  /** Id to the number of its path, or RESERVED. */
  private readonly ids = new Map<string, number>();
  private bytes = Buffer.allocUnsafe(64 << 10);
  private used = 0;
  /** Where path k starts in `bytes`; path k ends where k + 1 starts. */
  private starts = new Uint32Array(1024);
  private count = 0;
  private readonly prefix: string;

  /** `folder`: what most paths are under ('' to keep them whole). */
  constructor(folder: string) {
    this.prefix = folder === '' || folder.endsWith(sep) ? folder : folder + sep;
  }

  /** The session with this id is at `path` (the last one named wins). */
  add(id: string, path: string): void {
    const packed = path.startsWith(this.prefix) ? path.slice(this.prefix.length) : WHOLE + path;
    const need = Buffer.byteLength(packed);
    if (this.used + need > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + need));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    if (this.count + 2 > this.starts.length) {
      const bigger = new Uint32Array(this.starts.length * 2);
      bigger.set(this.starts);
      this.starts = bigger;
    }
    this.starts[this.count] = this.used;
    this.used += this.bytes.write(packed, this.used);
    this.starts[++this.count] = this.used;
    this.ids.set(id, this.count - 1);
  }

  /** Takes an id for a session not written yet (one a run is about to import). */
  reserve(id: string): void {
    this.ids.set(id, RESERVED);
  }

  /** The path of the session with this id; null when the id is reserved; undefined when it is free. */
  where(id: string): string | null | undefined {
    const k = this.ids.get(id);
    if (k === undefined) return undefined;
    if (k === RESERVED) return null;
    const packed = this.bytes.toString('utf8', this.starts[k], this.starts[k + 1]);
    return packed.startsWith(WHOLE) ? packed.slice(1) : this.prefix + packed;
  }
}

/**
 * The ids of a zot home: the first row of every session file, read on the
 * pool a few projects at a time. A missing home has no ids; a file zot
 * cannot read has none to collide with.
 */
export async function indexHomeIds(
  home: string,
  options: ResolvedBatchOptions,
  limits: SliceLimits = {},
  /** Folders of the home that could not be listed, and the like. */
  onWarnings?: (warnings: readonly Warning[]) => void,
): Promise<IdPaths> {
  const root = sessionsRoot(home);
  const index = new IdPaths(root);
  if (!existsSync(root)) return index;
  const quiet = { ...options, sources: [root], filter: {}, onProgress: undefined };
  for await (const slice of new SliceSource(quiet, '.jsonl', limits).slices()) {
    if (options.signal?.aborted) break;
    if (slice.warnings.length > 0) onWarnings?.(slice.warnings);
    const peeks = await runOp(quiet, 'meta', slice.sessions, {});
    // In path order, whatever order the jobs finished in: of two files with one id, the last is named.
    peeks.forEach((o, i) => {
      if (o.ok && o.value.id !== '') index.add(o.value.id, slice.sessions[i]!.path);
    });
  }
  return index;
}

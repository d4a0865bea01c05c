/**
 * The ids of the sessions in a zot home and where each one is: what an
 * import checks every source against, so that running it twice adds nothing
 * twice. It is the one record an import keeps for the whole home, so it is
 * kept small: the id, and the path below `sessions/` packed into one buffer
 * (about 140 bytes a session against 200 for a Map of paths; 300,000
 * sessions take about 42 MB).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sessionsRoot } from '../format/project-key.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { runOp } from './run-op.js';
import { SliceSource, type SliceLimits } from './select-slices.js';

/** What `where` says of an id taken by a session this run imports. */
export const EARLIER_IN_RUN = '(an earlier file of this run)';

const TAKEN_IN_RUN = -1;

export class HomeIds {
  /** Id to the number of its path, or TAKEN_IN_RUN. */
  private readonly ids = new Map<string, number>();
  private bytes = Buffer.allocUnsafe(64 << 10);
  private used = 0;
  /** Where path k starts in `bytes`; path k ends where k + 1 starts. */
  private starts = new Uint32Array(1024);
  private count = 0;

  constructor(private readonly root: string) {}

  /** A session of the home, at `path` (under the root). */
  add(id: string, path: string): void {
    const rel = relative(this.root, path);
    const need = Buffer.byteLength(rel);
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
    this.used += this.bytes.write(rel, this.used);
    this.starts[++this.count] = this.used;
    this.ids.set(id, this.count - 1);
  }

  /** Notes an id as taken by a session this run imports. */
  take(id: string): void {
    this.ids.set(id, TAKEN_IN_RUN);
  }

  /** Where the session with this id is, EARLIER_IN_RUN, or undefined when the id is free. */
  where(id: string): string | undefined {
    const k = this.ids.get(id);
    if (k === undefined) return undefined;
    if (k === TAKEN_IN_RUN) return EARLIER_IN_RUN;
    return join(this.root, this.bytes.toString('utf8', this.starts[k], this.starts[k + 1]));
  }
}

/**
 * Reads the first row of every session file in `home` on the pool, a few
 * projects at a time. A missing home has no ids; a file zot cannot read
 * has none to collide with.
 */
export async function indexHomeIds(home: string, options: ResolvedBatchOptions, limits: SliceLimits = {}): Promise<HomeIds> {
  const root = sessionsRoot(home);
  const index = new HomeIds(root);
  if (!existsSync(root)) return index;
  const quiet = { ...options, sources: [root], filter: {}, onProgress: undefined };
  for await (const slice of new SliceSource(quiet, '.jsonl', limits).slices()) {
    if (options.signal?.aborted) break;
    const peeks = await runOp(quiet, 'meta', slice.sessions, {});
    // In path order, whatever order the jobs finished in: of two files with one id, the last is named.
    peeks.forEach((o, i) => {
      if (o.ok && o.value.id !== '') index.add(o.value.id, slice.sessions[i]!.path);
    });
  }
  return index;
}

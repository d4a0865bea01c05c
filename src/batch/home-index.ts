/**
 * The sessions already in a zot home, by id: what an unpack compares the
 * bundle with. Each file's first row is read on the pool, once per run.
 */
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Warning } from '../errors.js';
import { sessionsRoot } from '../format/project-key.js';
import type { ResolvedBatchOptions } from './batch-options.js';
import { runOp } from './run-op.js';
import { selectSessions } from './select-sessions.js';

export interface LocalSession {
  path: string;
  /** The project folder name (16 hex, or another name zot would not make). */
  key: string;
  id: string;
  parent: string;
}

export class HomeIndex {
  private readonly byId = new Map<string, LocalSession[]>();
  /** `<key>/<file name>` of every session file, readable or not. */
  private readonly names = new Set<string>();

  add(s: LocalSession): void {
    this.names.add(`${s.key}/${basename(s.path)}`);
    if (s.id === '') return;
    const list = this.byId.get(s.id);
    if (list) list.push(s);
    else this.byId.set(s.id, [s]);
  }

  /** Notes a file name that is taken (a file that is not a readable session). */
  addName(key: string, file: string): void {
    this.names.add(`${key}/${file}`);
  }

  /** Sessions with this id, the one at `preferred` (a path) first. */
  withId(id: string, preferred?: string): LocalSession[] {
    const list = this.byId.get(id) ?? [];
    return preferred === undefined ? list : [...list].sort((a, b) => Number(b.path === preferred) - Number(a.path === preferred));
  }

  hasName(key: string, file: string): boolean {
    return this.names.has(`${key}/${file}`);
  }

  get size(): number {
    return this.names.size;
  }
}

/** Indexes `<home>/sessions/*\/*.jsonl`. A missing home is an empty index. */
export async function indexHome(home: string, options: ResolvedBatchOptions): Promise<{ index: HomeIndex; warnings: Warning[] }> {
  const index = new HomeIndex();
  const root = sessionsRoot(home);
  if (!existsSync(root)) return { index, warnings: [] };
  const found = await selectSessions({ ...options, sources: [root], filter: {}, onProgress: undefined });
  const peeks = await runOp({ ...options, onProgress: undefined }, 'meta', found.sessions, {});
  const warnings: Warning[] = [...found.warnings];
  found.sessions.forEach((s, i) => {
    const o = peeks[i]!;
    const key = basename(dirname(s.path));
    if (o.ok) index.add({ path: s.path, key, id: o.value.id, parent: o.value.parent });
    else index.addName(key, basename(s.path));
  });
  return { index, warnings };
}

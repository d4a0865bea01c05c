/**
 * The items of a JSON array that a command is handed one at a time, kept
 * as text (in memory, then in a temp file: project-spool.ts) until the
 * document they belong to is written. `--json` over 300,000 sessions then
 * holds text for a few thousand, not 300,000 objects.
 */
import type { CliIo } from './io.js';
import { ProjectSpool } from './project-spool.js';

/** Items joined into one spool piece: the spool keeps a few numbers per piece. */
const ITEMS_PER_PIECE = 1024;

export class SpooledArray {
  private readonly spool: ProjectSpool;
  private lines: string[] = [];
  private count = 0;

  /** `memoryBytes`: text held before the spool moves to a temp file (`zotpack-json-*`; default project-spool.ts's). */
  constructor(memoryBytes?: number) {
    this.spool = new ProjectSpool(memoryBytes, 'json');
  }

  get length(): number {
    return this.count;
  }

  push(item: unknown): void {
    // As printJson lays out an item of an array that is a top-level member.
    this.lines.push(`    ${JSON.stringify(item, null, 2).replace(/\n/g, '\n    ')}`);
    this.count++;
    if (this.lines.length >= ITEMS_PER_PIECE) this.flush();
  }

  private flush(): void {
    if (this.lines.length > 0) this.spool.add('', '', this.lines.join(',\n'));
    this.lines = [];
  }

  /** The items, comma-separated, in the order they came; then the temp file is gone. */
  writeTo(out: CliIo['stdout']): void {
    this.flush();
    this.spool.writeTo(out, (i) => (i > 0 ? ',\n' : ''));
  }

  /** Removes the temp file, if there is one (after an error: writeTo removes it too). */
  close(): void {
    this.spool.close();
  }
}

/**
 * Writes what printJson(doc) would, with each of `arrays` as the top-level
 * member of its name. `doc` need not hold those members; they go where the
 * caller's key order puts them (a member `doc` lacks goes last).
 */
export function printJsonWithArrays(io: CliIo, doc: Record<string, unknown>, arrays: Record<string, SpooledArray>): void {
  const merged: Record<string, unknown> = { ...doc };
  for (const name of Object.keys(arrays)) merged[name] = [];
  const text = JSON.stringify(merged, null, 2);
  // Each array is `"name": []` at the top level: a newline and two spaces
  // before it (a string cannot hold a raw newline, deeper members have more spaces).
  const places = Object.keys(arrays)
    .map((name) => {
      const opening = `\n  ${JSON.stringify(name)}: [`;
      const at = text.indexOf(`${opening}]`);
      if (at < 0) throw new Error(`printJsonWithArrays: no top-level member ${name}`);
      return { name, at: at + opening.length };
    })
    .sort((a, b) => a.at - b.at);
  let from = 0;
  for (const { name, at } of places) {
    const items = arrays[name]!;
    if (items.length === 0) continue;
    io.stdout.write(`${text.slice(from, at)}\n`);
    items.writeTo(io.stdout);
    io.stdout.write('\n  ');
    from = at;
  }
  io.stdout.write(`${text.slice(from)}\n`);
}

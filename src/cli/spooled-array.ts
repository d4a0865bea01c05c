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

  private readonly indent: string;

  /**
   * `memoryBytes`: text held before the spool moves to a temp file
   * (`zotpack-json-*`; default project-spool.ts's). `depth`: how deep the
   * array sits in its document (1: a top-level member; 2: a member of one).
   */
  constructor(memoryBytes?: number, depth = 1) {
    this.spool = new ProjectSpool(memoryBytes, 'json');
    this.indent = '  '.repeat(depth + 1);
  }

  get length(): number {
    return this.count;
  }

  push(item: unknown): void {
    // As printJson lays out an item of an array at this depth.
    this.lines.push(`${this.indent}${JSON.stringify(item, null, 2).replace(/\n/g, `\n${this.indent}`)}`);
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
 * Writes what printJson(doc) would, with each of `arrays` as the member its
 * name gives: a top-level one (`"plan"`), or a member of a top-level object
 * (`"manifest.sessions"`, an array made with depth 2). They go where the
 * caller's key order puts them (a member `doc` lacks goes last).
 */
export function printJsonWithArrays(io: CliIo, doc: Record<string, unknown>, arrays: Record<string, SpooledArray>): void {
  const merged: Record<string, unknown> = { ...doc };
  for (const name of Object.keys(arrays)) {
    const [top, inner] = name.split('.') as [string, string | undefined];
    if (inner === undefined) merged[top] = [];
    else merged[top] = { ...(merged[top] as Record<string, unknown>), [inner]: [] };
  }
  const text = JSON.stringify(merged, null, 2);
  // Each array is `"name": []` after a newline and its depth's spaces (a
  // string cannot hold a raw newline; a deeper member has more spaces), in
  // its parent's object when it has one.
  const places = Object.keys(arrays)
    .map((name) => {
      const [top, inner] = name.split('.') as [string, string | undefined];
      let from = 0;
      let opening = `\n  ${JSON.stringify(top)}: [`;
      if (inner !== undefined) {
        from = text.indexOf(`\n  ${JSON.stringify(top)}: {`);
        opening = `\n    ${JSON.stringify(inner)}: [`;
      }
      const at = from < 0 ? -1 : text.indexOf(`${opening}]`, from);
      if (at < 0) throw new Error(`printJsonWithArrays: no member ${name}`);
      return { name, at: at + opening.length, close: inner === undefined ? '\n  ' : '\n    ' };
    })
    .sort((a, b) => a.at - b.at);
  let from = 0;
  for (const { name, at, close } of places) {
    const items = arrays[name]!;
    if (items.length === 0) continue;
    io.stdout.write(`${text.slice(from, at)}\n`);
    items.writeTo(io.stdout);
    io.stdout.write(close);
    from = at;
  }
  io.stdout.write(`${text.slice(from)}\n`);
}

/**
 * What the two naive baselines share: the session files of a zot home, one
 * after another, each read line by line with readline — as a user would
 * write it. Such a script dies at the first row over 512 MB: readline's line
 * buffer hits V8's string limit and throws `RangeError: Invalid string
 * length` inside a stream callback, an uncaught exception that ends the
 * process. Here that is caught per file, so the benchmark can report "failed
 * on N files" instead of a crash that would hide every other figure.
 */
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Printed as the last line of stderr, prefixed with `NAIVE `, for the harness. */
export interface NaiveSummary {
  files: number;
  failed: number;
  /** The first few failures: path and reason. */
  failures: Array<{ path: string; reason: string }>;
}

export const SUMMARY_PREFIX = 'NAIVE ';

/** `<home>/sessions/<key>/*.jsonl`, sorted. */
export function sessionFiles(home: string): string[] {
  const root = join(home, 'sessions');
  const out: string[] = [];
  for (const key of readdirSync(root).sort()) {
    for (const name of readdirSync(join(root, key)).sort()) if (name.endsWith('.jsonl')) out.push(join(root, key, name));
  }
  return out;
}

/** Where readline's uncaught RangeError goes while a file is read; installed by runNaive, not on import (table.ts imports this file). */
let onUncaught: ((e: unknown) => void) | null = null;
function catchUncaught(): void {
  process.on('uncaughtException', (e) => {
    if (onUncaught) onUncaught(e);
    else {
      console.error(e);
      process.exit(1);
    }
  });
}

/** Calls `onLine` for each non-empty line of `path`; rejects with whatever readline or `onLine` throws. */
export async function eachLine(path: string, onLine: (line: string) => void | Promise<void>): Promise<void> {
  const input = createReadStream(path);
  const rl = createInterface({ input, crlfDelay: Infinity });
  const died = new Promise<never>((_, reject) => {
    onUncaught = (e) => {
      rl.close();
      input.destroy();
      reject(e);
    };
  });
  const work = (async () => {
    for await (const line of rl) if (line) await onLine(line);
  })();
  work.catch(() => {}); // if `died` wins the race, `work` may still settle; nobody waits for it
  try {
    await Promise.race([work, died]);
  } finally {
    onUncaught = null;
  }
}

function reason(e: unknown): string {
  if (e instanceof RangeError && /string length/i.test(e.message)) return `row > 512 MB (${e.message})`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Runs `perFile` on every session file of `home` in turn, catching failures per file; prints the summary. */
export async function runNaive(home: string, perFile: (path: string) => Promise<void>): Promise<NaiveSummary> {
  catchUncaught();
  const files = sessionFiles(home);
  const summary: NaiveSummary = { files: files.length, failed: 0, failures: [] };
  for (const path of files) {
    try {
      await perFile(path);
    } catch (e) {
      summary.failed++;
      if (summary.failures.length < 5) summary.failures.push({ path, reason: reason(e) });
    }
  }
  process.stderr.write(`${SUMMARY_PREFIX}${JSON.stringify(summary)}\n`);
  return summary;
}

/**
 * The Piscina worker: runs one job's op over its files with the same library
 * functions the single-file commands use, and returns one outcome per file.
 * A failing file fails alone; the rest of the job goes on.
 */
import { ZotpackError } from '../src/errors.js';
import { readFirstMetaRow } from '../src/session/first-meta.js';
import { describeSession, type SessionDescription } from '../src/session/describe-session.js';
import { digestSession } from '../src/session/digest-session.js';
import { exportSession } from '../src/session/export-session.js';
import { recordedCwd } from '../src/format/session-meta.js';
import type { Job, JobError, JobResult, Outcome, PoolWorkerData } from '../src/batch/protocol.js';
import { useBigRowShare } from '../src/jsonl/big-row-buffer.js';
import { packDescription, type PackedDescription } from '../src/batch/packed-description.js';
import { setScannerMemoryBytes } from '../src/jsonl/wasm-scanner.js';

// This thread's scanner memory, for the test of its size: the bundled worker
// (scripts/bundle.mjs) holds its own copy of the scanner module, which no other module can ask.
export { scannerMemoryBytes } from '../src/jsonl/wasm-scanner.js';

function attempt<T>(path: string, fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    const error: JobError =
      err instanceof ZotpackError
        ? { code: err.code, message: err.reason, path: err.path ?? path }
        : { code: 'E_WORKER', message: err instanceof Error ? err.message : String(err), path };
    return { ok: false, error };
  }
}

/** Tree summaries keep this much of the first prompt. */
export const FIRST_TEXT_CHARS = 100;

const NO_COUNTS: Record<string, number> = {};

/**
 * The first `n` characters as a string of their own. A slice would keep the
 * whole text (a pasted log of megabytes) alive as long as the tree holds the
 * slice: when this code runs on the calling thread (a small run), nothing
 * copies it on the way, as sending it from a thread does.
 */
function head(s: string, n: number): string {
  return s.length <= n ? s : (JSON.parse(JSON.stringify(s.slice(0, n))) as string);
}

/** What the coordinator keeps of a description, packed (packed-description.ts); it has each file's path already. */
function leanDescription(d: SessionDescription, purpose: 'tree' | 'stats'): PackedDescription {
  if (purpose === 'stats') d.summary.firstUserText = '';
  else {
    d.summary.firstUserText = head(d.summary.firstUserText, FIRST_TEXT_CHARS);
    d.counts.byType = NO_COUNTS;
  }
  return packDescription(d);
}

/**
 * What the coordinator records of an export or import: not the first prompt,
 * which can be any size (and an import's result waits for its batch to be
 * published).
 */
function lean<R extends { summary: { firstUserText: string } }>(r: R): R {
  r.summary.firstUserText = '';
  return r;
}

let started = false;

/** Once per worker: takes up what the coordinator shares with every worker. */
export function start(data: PoolWorkerData | undefined): void {
  if (started) return;
  started = true;
  if (data) setScannerMemoryBytes(data.scannerBytes);
  useBigRowShare(data?.bigRows);
}

// Loaded with the first import job: it brings the uuid package (17 ms of a
// worker's start), which no other op needs.
let importModule: Promise<typeof import('../src/session/import-session.js')> | undefined;

export default function runJob(job: Job): JobResult | Promise<JobResult> {
  switch (job.op) {
    case 'export':
      return {
        outcomes: job.files.map((f) =>
          attempt(f.path, () =>
            lean(
              exportSession({
                source: f.path,
                destination: f.destination,
                asFile: true,
                replace: f.replace,
                tailAt: f.tailAt,
                durable: job.durable,
                defer: job.defer,
                sha256: true,
              }),
            ),
          ),
        ),
      };
    case 'describe':
      return { outcomes: job.files.map((f) => attempt(f.path, () => leanDescription(describeSession(f.path, { hashBytes: f.hashBytes, listedSize: f.size }), job.for))) };
    case 'meta':
      return {
        outcomes: job.files.map((f) =>
          attempt(f.path, () => {
            const { meta, end } = readFirstMetaRow(f.path);
            const m = meta.meta;
            return { id: m.id, parent: m.parent, forkPoint: m.forkPoint, cwd: recordedCwd(m), started: m.started, headerBytes: end, zotpackExport: m.origin !== undefined };
          }),
        ),
      };
    case 'hash':
      return { outcomes: job.files.map((f) => attempt(f.path, () => digestSession(f.path, f.bytes))) };
    case 'import':
      return (importModule ??= import('../src/session/import-session.js')).then(({ importSession }) => ({
        outcomes: job.files.map((f) =>
          attempt(f.path, () =>
            lean(
              importSession({
                source: f.path,
                home: job.home,
                cwd: job.cwd,
                mapCwd: job.mapCwd,
                fallbackCwd: job.fallbackCwd,
                freshId: job.freshId,
                durable: job.durable,
                defer: job.defer,
                checkDuplicates: job.checkDuplicates,
                expectSource: f.expect,
              }),
            ),
          ),
        ),
      }));
  }
}

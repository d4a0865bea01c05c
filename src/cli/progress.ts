/**
 * The progress bar of bulk commands: drawn on stderr, only for a person
 * watching (a TTY, no --json, no --quiet), without colour under NO_COLOR.
 */
import { createRequire } from 'node:module';
import type { Progress } from '../batch/batch-options.js';
import type { CliIo } from './io.js';

export interface ProgressSink {
  update(p: Progress): void;
  stop(): void;
}

const NONE: ProgressSink = { update() {}, stop() {} };

// A drawn bar's redraw timer keeps the process alive: a command that fails
// with its bar still up would hang instead of exiting with its error.
const drawn = new Set<ProgressSink>();

/** Stops every bar still drawn (a command failed before stopping its own). */
export function stopProgressBars(): void {
  for (const sink of drawn) sink.stop();
}

function mb(n: number): string {
  return (n / 1e6).toFixed(n >= 1e8 ? 0 : 1);
}

// Loaded only when a bar is drawn: 7-9 ms of start-up that a script or a
// pipe would pay for nothing.
const loadCliProgress = () => createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');

export function progressBar(io: CliIo, enabled: boolean, label: string): ProgressSink {
  if (!enabled || !io.stderr.isTTY) return NONE;
  const cliProgress = loadCliProgress();
  const plain = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr as NodeJS.WriteStream,
      // Time left is ours, from bytes: cli-progress's own, from files, shows Infinity while the first files are read.
      format: `${label} {bar} {percentage}% | {value}/{total} files | {mbDone}/{mbTotal} MB | {errors} errors{left}`,
      barCompleteChar: plain ? '#' : '\u2588',
      barIncompleteChar: plain ? '-' : '\u2591',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = performance.now();
  const left = (p: Progress): string => {
    const seconds = (performance.now() - t0) / 1000;
    if (seconds < 1 || p.bytesDone <= 0 || p.bytesTotal <= p.bytesDone) return '';
    return ` | ${Math.ceil(((p.bytesTotal - p.bytesDone) * seconds) / p.bytesDone)} s left`;
  };
  const sink: ProgressSink = {
    update(p) {
      const payload = { mbDone: mb(p.bytesDone), mbTotal: mb(p.bytesTotal), errors: p.errors, left: left(p) };
      if (!started) {
        bar.start(p.filesTotal, p.filesDone, payload);
        started = true;
        drawn.add(sink);
      } else {
        bar.setTotal(p.filesTotal);
        bar.update(p.filesDone, payload);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
      drawn.delete(sink);
    },
  };
  return sink;
}

/**
 * What every bulk command shares on the command line: the source and filter
 * flags, the progress bar, Ctrl-C, and the closing report.
 */
import { existsSync } from 'node:fs';
import type { BatchOptions } from '../batch/batch-options.js';
import { ZotpackError } from '../errors.js';
import type { BatchReport } from '../batch/batch-report.js';
import { parseWhen } from '../batch/filters.js';
import { intFlag, homeOf, typedProjects } from './command.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, printWarnings, say, UsageError, type CliIo } from './io.js';
import { progressBar } from './progress.js';
import { renderReport } from './render-report.js';

/** Where the sessions are, and how many threads: what every bulk command takes (find takes only these). */
export const SOURCE_OPTIONS = {
  from: { type: 'string', multiple: true },
  project: { type: 'string', multiple: true },
  jobs: { type: 'string', short: 'j' },
} as const;

export const BULK_OPTIONS = {
  ...SOURCE_OPTIONS,
  since: { type: 'string' },
  until: { type: 'string' },
  id: { type: 'string' },
} as const;

/** The bulk commands that write (export, import): a plan instead of the run. Others refuse the flag. */
export const DRY_RUN_OPTION = { 'dry-run': { type: 'boolean' } } as const;

const whereHelp = (from: string) => `  --from PATH     a zot home, sessions/ folder, project folder or file (repeatable;
                  ${from})
  --project P     only the project with cwd P or key P (repeatable)`;
const WHERE_HELP = whereHelp('default: the zot home');

const FILTER_HELP = `  --since T       only sessions started at or after T (2026-05-06, local
                  midnight, or RFC 3339)
  --until T       only sessions started before T
  --id PREFIX     only sessions whose id starts with PREFIX`;

const RUN_HELP = `  -j, --jobs N    worker threads (default: the number of CPUs)
  --home DIR      the zot home (default: $ZOT_HOME or the platform's)
  --json          one JSON report on stdout
  -q, --quiet     no progress bar, warnings or report on stderr`;

/** The help of SOURCE_OPTIONS (and the common flags). */
export const SOURCE_HELP = `${WHERE_HELP}\n${RUN_HELP}`;

export const BULK_HELP = `${WHERE_HELP}\n${FILTER_HELP}\n${RUN_HELP}`;

/** import's: its sources are what it imports, with no default. */
export const IMPORT_SOURCES_HELP = `${whereHelp('the same as SRC: no default')}\n${FILTER_HELP}\n${RUN_HELP}`;

interface BulkValues {
  from?: string[];
  project?: string[];
  since?: string;
  until?: string;
  id?: string;
  jobs?: string;
  home?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface BulkRun {
  options: BatchOptions;
  /**
   * Stops the bar and the signal handlers; prints the report; gives the exit
   * code. `nothingWritten`: a dry run (or a run that a conflict stopped).
   */
  finish(report: BatchReport, nothingWritten?: boolean): number;
}

/**
 * The zot home a command reads when no --from is given. One that is not
 * there is the run's one error, saying where that home came from: a first
 * `zotpack tree` on a machine whose zot keeps its home elsewhere must say
 * how to point at it, not report a missing file among the results.
 */
function homeToRead(values: BulkValues, io: CliIo): string {
  const home = homeOf(values, io);
  if (existsSync(home)) return home;
  const how = typeof values.home === 'string' ? 'given with --home' : io.env.ZOT_HOME ? 'from $ZOT_HOME' : "zot's default home on this system";
  throw new ZotpackError('E_NOT_FOUND', `no zot home here (${how}): give --home DIR or set ZOT_HOME, or name sessions with --from`, { path: home });
}

/**
 * Options from flags, with Ctrl-C wired to abort the run and a progress bar
 * when a person watches. `readsHome`: without --from the command reads the
 * zot home, which must be there (commands that write into a home make it).
 */
export function startBulk(values: BulkValues, io: CliIo, label: string, readsHome = false): BulkRun {
  // Usage errors first (exit 2), then a home that is not there (exit 1); neither leaves a handler behind.
  const filter = {
    projects: typedProjects(values.project, io),
    since: values.since === undefined ? undefined : parseWhen(values.since, '--since'),
    until: values.until === undefined ? undefined : parseWhen(values.until, '--until'),
    idPrefix: values.id,
  };
  const jobs = intFlag(values.jobs, 'jobs');
  // The library's own check names its option; here the flag is named.
  if (jobs !== undefined && (jobs < 1 || jobs > 256)) throw new UsageError(`--jobs takes a whole number from 1 to 256, got ${jobs}`);
  const sources = values.from && values.from.length > 0 ? values.from : [readsHome ? homeToRead(values, io) : homeOf(values, io)];
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT_INTERRUPTED); // a second Ctrl-C: stop now
    if (!values.quiet) io.stderr.write('\ninterrupted: stopping, cleaning up…\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bar = progressBar(io, !values.json && !values.quiet, label);
  const options: BatchOptions = { sources, filter, jobs, signal: controller.signal, onProgress: (p) => bar.update(p) };
  return {
    options,
    finish(report, nothingWritten = false) {
      bar.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (!values.json && !values.quiet) {
        printWarnings(io, report.warnings);
        for (const line of renderReport(report, nothingWritten)) say(io, line);
      } else if (!values.json) {
        // Quiet drops the table and warnings, never the names of failed files.
        for (const e of report.errors) say(io, `error: ${e.path ?? ''}: ${e.message} [${e.code}]`);
      }
      if (report.interrupted) return EXIT_INTERRUPTED;
      return report.failed > 0 ? EXIT_FAILED : EXIT_OK;
    },
  };
}


import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { unpackArchive, type UnpackArchiveResult } from '../../batch/unpack-archive.js';
import type { ConflictPolicy } from '../../batch/twin-sink.js';
import { homeOf, parse, positionals, typedCwdRules, type Command } from '../command.js';
import { startBulk } from '../bulk.js';
import { bundleArg, EXIT_FAILED, print, UsageError, type CliIo } from '../io.js';
import { printJsonWithArrays, SpooledArray } from '../spooled-array.js';

/** A project's counts; `planned`: nothing was written, so they say what a run would do. */
function counts(p: UnpackArchiveResult['projects'][number], planned: boolean): string {
  const parts = [
    `${p.new} new`,
    `${p.present} already present`,
    `${p.appended} ${planned ? 'to append to' : 'appended to'}`,
    `${p.conflict} conflicting`,
  ];
  if (p.copied) parts.push(`${p.copied} ${planned ? 'to copy' : 'copied'}`);
  if (p.failed) parts.push(`${p.failed} failed`);
  return parts.join(', ');
}

function printPlan(io: CliIo, r: UnpackArchiveResult): void {
  const stops = (r.report.errorsByCode.E_CONFLICT ?? 0) > 0; // --on-conflict fail met a conflict
  const verb = r.dryRun ? (stops ? 'would unpack nothing from' : 'would unpack') : r.written ? 'unpacked' : 'nothing unpacked from';
  print(io, `${verb} ${r.bundle.path} (${r.bundle.sessions} sessions, made ${r.bundle.created || 'at an unknown time'}) into ${r.home}`);
  for (const p of r.projects) {
    const moved = p.fromCwd === p.toCwd ? p.toCwd : `${p.fromCwd} -> ${p.toCwd}`;
    print(io, `  ${moved || '(no cwd)'}`);
    print(io, `    sessions/${p.fromKey} -> ${p.folder}: ${counts(p, !r.written)}`);
  }
}

/** Whether two paths name one folder (through links too); they do when both are one path. */
function sameFolder(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

export const unpackCommand: Command = {
  name: 'unpack',
  help: `zotpack unpack FILE|- [--map-cwd OLD=NEW ...] [--to ZOT_HOME] [--dry-run]
                    [--fresh-ids] [--on-conflict skip|copy|fail]

Unpacks a bundle made by \`zotpack pack\` into a zot home. With --map-cwd,
a session whose project folder starts with OLD goes to the project NEW plus
the rest of the path (the longest OLD wins; the project key is recomputed).
Sessions keep their ids, titles and branch links, so trees survive.

Safe to repeat: a session already there byte for byte is left alone; one
that has grown in the bundle gets the new rows appended (atomically); one
changed on both sides is a conflict: --on-conflict skip (default; reported)
leaves it, copy adds the bundled one as a new session next to it, fail
stops before anything is written. Every entry's sha256 is checked before
any of it is published; unsafe entries (absolute paths, .., links, devices)
are refused; nothing outside the home is written, nothing is overwritten.

- reads the bundle from standard input, once, as it comes: straight from
another machine's \`zotpack pack -o -\` over ssh, with no bundle file on
either side (--on-conflict fail, which reads the bundle twice, needs a file).

  --map-cwd OLD=NEW  move project folders under OLD to NEW (repeatable)
  --to ZOT_HOME      the home to unpack into (default: --home, $ZOT_HOME, or
                     the platform's)
  --home DIR         the same, as every command takes it
  --dry-run          per project: old cwd -> new cwd and folder, sessions new,
                     already present, to append to, conflicting; write nothing
  --fresh-ids        give every session a new id (the same ones on every run)
                     and rewrite the parent links inside the bundle to match
  --on-conflict P    skip (default), copy or fail
  --no-fsync         no fsync: faster, but a crash may leave new files cut short
  -j, --jobs N       worker threads for reading the home
  --json             one JSON report on stdout
  -q, --quiet        no progress bar, warnings or report on stderr

Examples:
  zotpack unpack all.zotpack --map-cwd /Users/ann/src=/home/ann/code --dry-run
  zotpack unpack all.zotpack --map-cwd /Users/ann/src=/home/ann/code
  ssh old-box zotpack pack -o - | zotpack unpack - --map-cwd /Users/ann=/home/ann`,
  async run(argv, io) {
    const { values, positionals: pos } = parse(argv, {
      'map-cwd': { type: 'string', multiple: true },
      to: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'fresh-ids': { type: 'boolean' },
      'on-conflict': { type: 'string' },
      'no-fsync': { type: 'boolean' },
      jobs: { type: 'string', short: 'j' },
    });
    const [bundle] = positionals(pos, 1, 1, "one bundle FILE, or - for standard input");
    const policy = values['on-conflict'] ?? 'skip';
    if (!['skip', 'copy', 'fail'].includes(policy)) throw new UsageError(`--on-conflict takes skip, copy or fail, got '${policy}'`);
    // Two names for one folder: both given and not the same is a usage error, not the one silently winning.
    if (values.to !== undefined && values.home !== undefined && !sameFolder(resolve(io.cwd, values.to), resolve(io.cwd, values.home))) {
      throw new UsageError(`--to and --home name two homes (${values.to}, ${values.home}): give one`);
    }
    const home = values.to ?? homeOf(values, io);
    const bulk = startBulk({ jobs: values.jobs, json: values.json, quiet: values.quiet, home }, io, values['dry-run'] ? 'reading' : 'unpacking');
    // Handed on as they come, not kept: --json spools them (spooled-array.ts); the text shows only projects.
    const sessions = new SpooledArray();
    try {
      const result = await unpackArchive({
        bundle: bundleArg(bundle!, io, 'unpack'),
        home,
        mapCwd: typedCwdRules(values['map-cwd'], io),
        freshIds: values['fresh-ids'],
        onConflict: policy as ConflictPolicy,
        dryRun: values['dry-run'],
        durable: !values['no-fsync'],
        jobs: bulk.options.jobs,
        signal: bulk.options.signal,
        onProgress: bulk.options.onProgress,
        onSession: (s) => {
          if (values.json) sessions.push(s);
        },
      });
      if (values.json) printJsonWithArrays(io, { ...result }, { sessions });
      else if (!result.report.interrupted) printPlan(io, result);
      const code = bulk.finish(result.report, !result.written);
      return code === 0 && !result.written && !result.dryRun ? EXIT_FAILED : code;
    } finally {
      sessions.close();
    }
  },
};

import { packArchive } from '../../batch/pack-archive.js';
import { intFlag, parse, positionals, type Command } from '../command.js';
import { BULK_HELP, BULK_OPTIONS, DRY_RUN_OPTION, startBulk } from '../bulk.js';
import { print, say, streamToStdout, UsageError } from '../io.js';
import { progressBar } from '../progress.js';
import { version } from '../../version.js';
import { size } from '../render-report.js';
import { printJsonWithArrays, SpooledArray } from '../spooled-array.js';

export const packCommand: Command = {
  name: 'pack',
  help: `zotpack pack -o FILE [--from PATH ...] [--project P ...] [--since T] [--no-gzip]

Writes the selected sessions (default: the whole zot home) into FILE: a
standard tar (gzipped unless --no-gzip; \`tar -tf FILE\` lists it) holding
manifest.json — each session's project cwd and key, id, parent, fork point,
start, title, size and sha256 — and every session file byte for byte as
sessions/<project key>/<file>. Sessions zot is still writing are packed as
they were when the run began. Unpack it with \`zotpack unpack FILE\`.
With -o - the bundle goes to standard output, to pipe it to another
machine: zotpack pack -o - | ssh HOST zotpack unpack -

  -o, --out FILE  the bundle to write (never overwritten without --force);
                  - for standard output (not a terminal; no --json)
  --no-gzip       a plain tar: faster, larger
  --level N       gzip level, 1 (fast, default) to 9 (small)
  --force         replace FILE if it exists
  --no-fsync      no fsync: faster, but a crash may leave the bundle cut short
${BULK_HELP}

Examples:
  zotpack pack -o all.zotpack
  zotpack pack -o api.zotpack --project ~/src/api --since 2026-01-01
  zotpack pack -o - | ssh new-box zotpack unpack - --map-cwd /Users/ann=/home/ann`,
  async run(argv, io) {
    const { values, positionals: pos } = parse(argv, {
      ...BULK_OPTIONS,
      ...DRY_RUN_OPTION, // refused below, with a pointer to unpack's
      out: { type: 'string', short: 'o' },
      'no-gzip': { type: 'boolean' },
      level: { type: 'string' },
      force: { type: 'boolean' },
      'no-fsync': { type: 'boolean' },
    });
    positionals(pos, 0, 0, 'no arguments (sources go in --from, the bundle in -o)');
    if (values.out === undefined) throw new UsageError('pack needs -o FILE, the bundle to write');
    if (values['dry-run']) throw new UsageError('pack has no --dry-run (unpack has)');
    const toStdout = values.out === '-';
    if (toStdout && values.json) throw new UsageError('-o - writes the bundle to standard output, where --json would go: give -o FILE, or leave out --json');
    if (toStdout && io.stdout.isTTY) throw new UsageError('-o - would write the bundle to a terminal: redirect standard output, or pipe it');
    if (toStdout && values.force) throw new UsageError('--force replaces a bundle file; -o - writes to standard output');
    if (toStdout) streamToStdout(io);
    const bulk = startBulk(values, io, 'pack', true);
    // Two bars: hashing (on all cores), then writing the bundle.
    const show = !values.json && !values.quiet;
    const bars = { hash: progressBar(io, show, 'hashing'), pack: progressBar(io, show, 'packing') };
    let phase: keyof typeof bars = 'hash';
    // The manifest's entries, for --json, as text (300,000 of them as objects made 756 MB).
    const sessions = new SpooledArray(undefined, 2);
    const result = await packArchive({
      ...bulk.options,
      onProgress: (p) => bars[phase].update(p),
      onPhase: (next) => {
        bars[phase].stop();
        phase = next;
      },
      out: toStdout ? { stream: io.stdout, name: '<stdout>' } : values.out,
      // A Ctrl-C of the whole pipeline may close the reader's end before it reaches this process.
      signalGraceMs: toStdout ? 100 : 0,
      gzip: !values['no-gzip'],
      level: intFlag(values.level, 'level'),
      force: values.force,
      durable: !values['no-fsync'],
      version: version(),
      onPacked: (s) => values.json && sessions.push(s),
    }).catch((err: unknown) => {
      sessions.close();
      throw err;
    });
    bars[phase].stop();
    if (values.json) printJsonWithArrays(io, result as unknown as Record<string, unknown>, { 'manifest.sessions': sessions });
    else if (!result.report.interrupted) {
      if (!toStdout) print(io, result.out);
      if (!values.quiet) {
        const n = result.report.succeeded;
        say(io, `packed ${n} session${n === 1 ? '' : 's'}: ${size(result.report.bytes)} -> ${size(result.bytesOut)}${result.gzip ? ' (gzip)' : ''}`);
      }
    }
    return bulk.finish(result.report);
  },
};

import { statSync } from 'node:fs';
import { importArchive } from '../../batch/import-archive.js';
import { ExportHashes } from '../../batch/export-hashes.js';
import { importSession } from '../../session/import-session.js';
import { homeOf, parse, typedCwdRules, typedFolder, type Command } from '../command.js';
import { BULK_OPTIONS, DRY_RUN_OPTION, IMPORT_SOURCES_HELP, startBulk } from '../bulk.js';
import { printJsonWithArrays, SpooledArray } from '../spooled-array.js';
import { droppedPhrase, EXIT_OK, print, printJson, printWarnings, say, UsageError } from '../io.js';

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export const importCommand: Command = {
  name: 'import',
  help: `zotpack import SRC... [--cwd DIR | --map-cwd OLD=NEW ...] [--fresh-id] [--home ZOT_HOME]

Copies sessions into <home>/sessions/<project>/. SRC may be .zotsession
files or folders (a zotpack export folder, or any folder of .zotsession
files). Each session goes to --cwd if given, else to the project folder it
records (moved by --map-cwd: an export made on another machine), else
(zot's own exports record none) the current folder.

Sessions keep their id, start time, title and tree links, so a project's
branch tree survives. With one file, a session already in the home is an
error (E_DUPLICATE_ID); with several, it is skipped and counted (--dry-run
and --json name each), so running the same import again adds nothing twice.

  --cwd DIR       the project to import everything into
  --map-cwd OLD=NEW  move recorded project folders under OLD to NEW
                  (repeatable; the longest OLD wins), as unpack does
  --fresh-id      new ids and start times, as zot's own import gives
  --dry-run       show what would be imported; write nothing
  --no-fsync      no fsync: faster, but a crash may leave new files cut short
${IMPORT_SOURCES_HELP}

--project and the filters select by what a session records: its project
folder before --map-cwd moves it.

Examples:
  zotpack import ~/backups/zot
  zotpack import /mnt/usb/zot --map-cwd /Users/ann/src=/home/ann/code
  zotpack import 20261125-003305-d907c305-fix-the-tests.zotsession --cwd ~/src/api`,
  async run(argv, io) {
    const { values, positionals: pos } = parse(argv, {
      ...BULK_OPTIONS,
      ...DRY_RUN_OPTION,
      cwd: { type: 'string' },
      'map-cwd': { type: 'string', multiple: true },
      'fresh-id': { type: 'boolean' },
      'no-fsync': { type: 'boolean' },
    });
    const sources = [...pos, ...(values.from ?? [])];
    if (sources.length === 0) throw new UsageError('import needs at least one SRC file or folder');
    const home = homeOf(values, io);
    const durable = !values['no-fsync'];
    const cwd = values.cwd === undefined ? undefined : typedFolder(values.cwd, io);
    const mapCwd = typedCwdRules(values['map-cwd'], io);
    if (sources.length === 1 && isFile(sources[0]!) && !values['dry-run']) {
      // A file of an export folder: checked against its manifest before anything is written.
      const expected = ExportHashes.of(sources[0]!, (w) => printWarnings(io, w, values.quiet));
      if (expected) ExportHashes.check(sources[0]!, expected);
      const r = importSession({
        source: sources[0]!,
        home,
        cwd,
        mapCwd,
        mustMove: true,
        fallbackCwd: io.cwd,
        freshId: values['fresh-id'],
        durable,
      });
      if (values.json) {
        printJson(io, r);
        return EXIT_OK;
      }
      printWarnings(io, r.warnings, values.quiet);
      print(io, r.output);
      if (!values.quiet) say(io, `imported ${r.id} into ${r.cwd} (${droppedPhrase(r.dropped)})`);
      return EXIT_OK;
    }
    const bulk = startBulk({ ...values, from: sources }, io, 'import');
    const dryRun = values['dry-run'] === true;
    // Handed on as they come, not kept: --json spools them (spooled-array.ts).
    const planned = new SpooledArray();
    const imported = new SpooledArray();
    const present = new SpooledArray();
    let toImport = 0;
    try {
      const result = await importArchive({
        ...bulk.options,
        home,
        cwd,
        mapCwd,
        fallbackCwd: io.cwd,
        freshId: values['fresh-id'],
        durable,
        dryRun,
        onPlanned: (p) => {
          toImport++;
          if (!dryRun) return;
          if (values.json) planned.push(p);
          else print(io, `import ${p.source} -> ${p.cwd}`);
        },
        onImported: (s) => (values.json ? imported.push(s) : print(io, s.output)),
        onPresent: (p) => {
          if (values.json) present.push(p);
          // A dry run names each (that is what it is for); a real one counts
          // them in its report, or re-running an import of 100,000 sessions
          // would bury its errors under 100,000 lines.
          else if (dryRun && !values.quiet) say(io, `already present: ${p.source} (${p.id} at ${p.path})`);
        },
      });
      // A dry run lists what it would import; a real run, what it imported.
      if (values.json && dryRun) printJsonWithArrays(io, { planned: [], present: [], report: result.report }, { planned, present });
      else if (values.json) printJsonWithArrays(io, { imported: [], present: [], report: result.report }, { imported, present });
      else if (dryRun) print(io, `${toImport} to import, ${result.report.skipped} already present`);
      return bulk.finish(result.report, dryRun);
    } finally {
      planned.close();
      imported.close();
      present.close();
    }
  },
};

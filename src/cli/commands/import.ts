import { importSession } from '../../session/import-session.js';
import { homeOf, parse, positionals, type Command } from '../command.js';
import { droppedPhrase, EXIT_OK, print, printJson, printWarnings } from '../io.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'import a .zotsession file into the zot home',
  help: `zotpack import SRC [--cwd DIR] [--fresh-id] [--home ZOT_HOME]

Copies SRC into <home>/sessions/<project>/. The project is --cwd, else the
folder a zotpack export records, else the current folder (zot's own exports
record none). The session keeps its id, start time, title and tree links, so
importing a project file by file keeps its branch tree, and importing the
same file twice is refused (E_DUPLICATE_ID).

  --cwd DIR     the project to import into
  --fresh-id    a new id and start time, as zot's import gives
  --home DIR    the zot home (default: $ZOT_HOME or the platform's)
  --json        print the result as JSON

Example:
  zotpack import 20261125-003305-d907c305-fix-the-tests.zotsession --cwd ~/src/api`,
  run(argv, io) {
    const { values, positionals: pos } = parse(argv, {
      cwd: { type: 'string' },
      'fresh-id': { type: 'boolean' },
      'no-fsync': { type: 'boolean' },
    });
    const [src] = positionals(pos, 1, 1, 'one SRC file');
    const r = importSession({
      source: src!,
      home: homeOf(values, io),
      cwd: values.cwd,
      fallbackCwd: io.cwd,
      freshId: values['fresh-id'],
      durable: !values['no-fsync'],
    });
    if (values.json) {
      printJson(io, r);
      return EXIT_OK;
    }
    printWarnings(io, r.warnings, values.quiet);
    print(io, r.output);
    if (!values.quiet) io.stderr.write(`imported ${r.id} into ${r.cwd} (${droppedPhrase(r.dropped)})\n`);
    return EXIT_OK;
  },
};

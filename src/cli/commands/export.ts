import { exportSession } from '../../session/export-session.js';
import { parse, positionals, type Command } from '../command.js';
import { droppedPhrase, EXIT_OK, print, printJson, printWarnings } from '../io.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a session to a portable .zotsession file',
  help: `zotpack export SRC [DST]

Writes SRC (a session .jsonl) as a .zotsession file. DST is a folder (the
name comes from the start time, id and first prompt; a path ending in / is
created) or a file name (.zotsession is added). Default DST: the current
folder. Never overwrites; the file appears whole or not at all.

  --json        print the result as JSON
  --no-fsync    skip fsync (faster; a crash may lose the new file)

Example:
  zotpack export ~/.local/state/zot/sessions/ea93126eefee3546/20261125-003305-e5aacad9.jsonl backups/`,
  run(argv, io) {
    const { values, positionals: pos } = parse(argv, { 'no-fsync': { type: 'boolean' } });
    const [src, dst] = positionals(pos, 1, 2, 'SRC [DST]');
    const r = exportSession({ source: src!, destination: dst ?? io.cwd, durable: !values['no-fsync'] });
    if (values.json) {
      printJson(io, r);
      return EXIT_OK;
    }
    printWarnings(io, r.warnings, values.quiet);
    print(io, `${r.output}`);
    if (!values.quiet) {
      io.stderr.write(`exported ${r.rowsKept + 1} rows (${droppedPhrase(r.dropped)}), ${r.bytesOut} bytes\n`);
    }
    return EXIT_OK;
  },
};

import { ZotpackError } from '../../errors.js';
import { findInArchive } from '../../batch/find-in-archive.js';
import { parse, positionals, type Command } from '../command.js';
import { SOURCE_HELP, SOURCE_OPTIONS, startBulk } from '../bulk.js';
import { EXIT_FAILED, print, printJson, printWarnings } from '../io.js';

export const findCommand: Command = {
  name: 'find',
  help: `zotpack find ID-PREFIX [--cwd DIR] [--from PATH ...] [--json]

Prints the path of the session whose id is ID-PREFIX or starts with it
(in either case). An ambiguous prefix (or an id in several files) lists
the candidates (id, path) and exits 1; no match exits 1. Searches a zot
home's sessions and an export folder's .zotsession files alike.

  --cwd DIR       only the project of DIR
${SOURCE_HELP}

Example:
  zotpack find d907c305`,
  async run(argv, io) {
    const { values, positionals: pos } = parse(argv, { ...SOURCE_OPTIONS, cwd: { type: 'string' } });
    const [prefix] = positionals(pos, 1, 1, 'one ID-PREFIX');
    if (values.cwd !== undefined) values.project = [...(values.project ?? []), values.cwd];
    const bulk = startBulk({ ...values, quiet: true }, io, 'find', true);
    const { matches, report } = await findInArchive(bulk.options, prefix!);
    const code = bulk.finish(report);
    // No report table for find (its answer is a path), but a folder with nothing to search is said.
    if (!values.json) printWarnings(io, report.warnings.filter((w) => w.code === 'W_NO_SESSIONS'), values.quiet);
    // Ctrl-C: what was not searched may hold the id, so no answer, only the exit code.
    if (report.interrupted && !values.json) return code;
    if (values.json) {
      printJson(io, { prefix, matches, report });
      if (report.interrupted) return code;
      return matches.length === 1 ? code : EXIT_FAILED;
    }
    // The error names where it looked, as every zotpack error names its path.
    const where = { path: bulk.options.sources.join(', ') };
    if (matches.length === 0) throw new ZotpackError('E_NOT_IN_ARCHIVE', `no session id starts with '${prefix}'`, where);
    if (matches.length > 1) {
      for (const m of matches) print(io, `${m.id}  ${m.path}`);
      // One id in several files (a home and its export, a copy): more of the id would not help.
      const ids = new Set(matches.map((m) => m.id));
      const why = ids.size === 1 ? `${matches.length} files hold session ${matches[0]!.id}` : `${matches.length} sessions match '${prefix}'; give more of the id`;
      throw new ZotpackError('E_AMBIGUOUS', why, where);
    }
    print(io, matches[0]!.path);
    return code;
  },
};

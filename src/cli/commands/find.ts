import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ZotpackError } from '../../errors.js';
import { sessionsDir, sessionsRoot } from '../../format/project-key.js';
import { findSessions, type FoundSession } from '../../session/find-session.js';
import { homeOf, parse, positionals, type Command } from '../command.js';
import { EXIT_OK, print, printJson, printWarnings } from '../io.js';

export const findCommand: Command = {
  name: 'find',
  summary: 'find a session file by id or id prefix',
  help: `zotpack find ID [--cwd DIR] [--home ZOT_HOME] [--json]

Prints the path of the session whose id is ID or starts with it, across all
projects (or the project of --cwd). An ambiguous prefix lists the candidates
and exits 1.

Example:
  zotpack find d907c305`,
  run(argv, io) {
    const { values, positionals: pos } = parse(argv, { cwd: { type: 'string' } });
    const [id] = positionals(pos, 1, 1, 'one ID');
    const home = homeOf(values, io);
    let dirs: string[];
    if (values.cwd !== undefined) dirs = [sessionsDir(home, values.cwd)];
    else {
      try {
        dirs = readdirSync(sessionsRoot(home)).map((d) => join(sessionsRoot(home), d));
      } catch {
        dirs = [];
      }
    }
    const matches: FoundSession[] = [];
    for (const dir of dirs) {
      const r = findSessions(dir, id!);
      printWarnings(io, r.warnings, values.quiet || values.json);
      matches.push(...r.matches);
    }
    const exact = matches.filter((m) => m.id === id);
    const found = exact.length > 0 ? exact : matches;
    if (values.json) printJson(io, { id, matches: found });
    if (found.length === 0) throw new ZotpackError('E_NOT_IN_ARCHIVE', `no session id starts with '${id}'`, { path: home });
    if (found.length > 1) {
      if (!values.json) for (const m of found) print(io, `${m.id}  ${m.path}`);
      throw new ZotpackError('E_AMBIGUOUS', `${found.length} sessions match '${id}'`, { path: home });
    }
    if (!values.json) print(io, found[0]!.path);
    return EXIT_OK;
  },
};

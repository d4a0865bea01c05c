import { branchSession } from '../../session/branch-session.js';
import { homeOf, intFlag, parse, positionals, typedFolder, type Command } from '../command.js';
import { EXIT_OK, print, printJson, UsageError } from '../io.js';

export const branchCommand: Command = {
  name: 'branch',
  help: `zotpack branch SRC --at N [--cwd DIR] [--home ZOT_HOME]

Creates a session holding the first N messages of SRC's effective transcript
(after compactions), with parent and fork_point set so the tree links it.

  --at N        messages to keep, 0 to the transcript's length
  --cwd DIR     the project of the branch (default: SRC's)
  --home DIR    the zot home (default: $ZOT_HOME or the platform's)
  --no-fsync    no fsync: faster, but a crash may leave the branch cut short
  --json        print the result as JSON

Example:
  zotpack branch ~/.local/state/zot/sessions/ea93126eefee3546/20261125-003305-e5aacad9.jsonl --at 3`,
  run(argv, io) {
    const { values, positionals: pos } = parse(argv, {
      at: { type: 'string' },
      cwd: { type: 'string' },
      'no-fsync': { type: 'boolean' },
    });
    const [src] = positionals(pos, 1, 1, 'one SRC file');
    const at = intFlag(values.at, 'at');
    if (at === undefined) throw new UsageError('branch needs --at N');
    const r = branchSession({
      source: src!,
      at,
      home: homeOf(values, io),
      cwd: values.cwd === undefined ? undefined : typedFolder(values.cwd, io),
      fallbackCwd: io.cwd,
      durable: !values['no-fsync'],
    });
    if (values.json) printJson(io, r);
    else print(io, r.output);
    return EXIT_OK;
  },
};

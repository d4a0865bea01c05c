import { archiveTrees } from '../../batch/archive-trees.js';
import { projectKey } from '../../format/project-key.js';
import { parse, positionals, type Command } from '../command.js';
import { BULK_HELP, BULK_OPTIONS, startBulk } from '../bulk.js';
import { print } from '../io.js';
import { writeJson } from '../json-writer.js';
import { renderTree } from '../render-tree.js';

export const treeCommand: Command = {
  name: 'tree',
  help: `zotpack tree [--cwd DIR] [--from PATH ...] [--project P ...] [--json]

Every project's sessions linked into their branch trees, grouped by project,
each session with its title (or first prompt), id, current model, messages,
cost and start time. Sessions whose parent is gone are roots marked
[orphan]; two files with one id are marked [duplicate id].

  --cwd DIR       only the project of DIR (same as --project DIR)
${BULK_HELP}

Examples:
  zotpack tree
  zotpack tree --cwd ~/src/api --json`,
  async run(argv, io) {
    const { values, positionals: pos } = parse(argv, { ...BULK_OPTIONS, cwd: { type: 'string' } });
    positionals(pos, 0, 0, 'no arguments (sources go in --from)');
    if (values.cwd !== undefined) values.project = [...(values.project ?? []), values.cwd];
    const bulk = startBulk(values, io, 'tree');
    const result = await archiveTrees(bulk.options);
    if (values.json) {
      // One line per project, written in pieces: one string for 100,000 sessions would cost hundreds of MB.
      io.stdout.write('{"projects":[');
      result.projects.forEach((p, i) => {
        io.stdout.write(i > 0 ? ',\n' : '\n');
        writeJson(io.stdout, p);
      });
      io.stdout.write('\n],"report":');
      writeJson(io.stdout, result.report);
      io.stdout.write('}\n');
    } else {
      for (const p of result.projects) {
        const mismatch = p.cwd !== '' && projectKey(p.cwd) !== p.key ? ' [folder does not match cwd]' : '';
        print(io, `${p.cwd || '(unknown cwd)'}  (${p.key}, ${p.sessions} sessions)${mismatch}`);
        for (const line of renderTree(p.roots)) print(io, line);
        print(io);
      }
    }
    return bulk.finish(result.report);
  },
};

import { archiveTrees } from '../../batch/archive-trees.js';
import { projectKey } from '../../format/project-key.js';
import { parse, positionals, type Command } from '../command.js';
import { BULK_HELP, BULK_OPTIONS, startBulk } from '../bulk.js';
import { writeJson } from '../../format/json-writer.js';
import { ProjectSpool } from '../project-spool.js';
import { renderTree } from '../render-tree.js';
import { printable } from '../printable.js';
import { clearBarFor } from '../io.js';

export const treeCommand: Command = {
  name: 'tree',
  help: `zotpack tree [--cwd DIR] [--from PATH ...] [--project P ...] [--json]

Every project's sessions linked into their branch trees, grouped by project,
each session with its title (or first prompt), id, current model, messages,
cost and start time; a branch starts with @N, its fork point (it was made
from the first N messages of its parent). Sessions whose parent is gone
are roots marked [orphan]; two files with one id are marked [duplicate
id]. --from an export folder draws the trees of a backup.

  --cwd DIR       only the project of DIR (same as --project DIR)
${BULK_HELP}

Examples:
  zotpack tree
  zotpack tree --cwd ~/src/api --json
  zotpack tree --from ~/backups/zot`,
  async run(argv, io) {
    const { values, positionals: pos } = parse(argv, { ...BULK_OPTIONS, cwd: { type: 'string' } });
    positionals(pos, 0, 0, 'no arguments (sources go in --from)');
    if (values.cwd !== undefined) values.project = [...(values.project ?? []), values.cwd];
    const bulk = startBulk(values, io, 'tree', true);
    // Each project is rendered as it is linked and let go; the spool puts them in cwd order.
    const spool = new ProjectSpool();
    try {
      const result = await archiveTrees(bulk.options, (p) => {
        if (values.json) {
          const pieces: string[] = [];
          writeJson({ write: (s) => pieces.push(s) }, p);
          spool.add(p.cwd, p.key, pieces.join(''));
          return;
        }
        const mismatch = p.cwd !== '' && projectKey(p.cwd) !== p.key ? ' [folder does not match cwd]' : '';
        const lines = [`${p.cwd || '(unknown cwd)'}  (${p.key}, ${p.sessions} ${p.sessions === 1 ? 'session' : 'sessions'})${mismatch}`, ...renderTree(p.roots), '', ''];
        spool.addLines(p.cwd, p.key, lines.map(printable));
      });
      if (values.json) {
        io.stdout.write('{"projects":[');
        spool.writeTo(io.stdout, (i) => (i > 0 ? ',\n' : '\n'));
        io.stdout.write('\n],"report":');
        writeJson(io.stdout, result.report);
        io.stdout.write('}\n');
      } else {
        clearBarFor(io.stdout);
        spool.writeTo(io.stdout);
      }
      return bulk.finish(result.report);
    } finally {
      spool.close();
    }
  },
};

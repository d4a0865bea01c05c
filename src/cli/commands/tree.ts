import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { projectKey, sessionsDir, sessionsRoot } from '../../format/project-key.js';
import { projectTree, type ProjectTree, type TreeNode } from '../../session/session-tree.js';
import { homeOf, parse, positionals, type Command } from '../command.js';
import { EXIT_OK, print, printJson, printWarnings } from '../io.js';
import { renderTree } from '../render-tree.js';

/** The cwd a project's sessions record (the first root's), or '' when none do. */
function projectCwd(tree: ProjectTree): string {
  const first = tree.roots.find((n: TreeNode) => n.cwd !== '');
  return first?.cwd ?? '';
}

function projectDirs(home: string): string[] {
  const root = sessionsRoot(home);
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(root, e.name))
      .sort();
  } catch {
    return [];
  }
}

export const treeCommand: Command = {
  name: 'tree',
  summary: 'draw the branch trees of every project (or one)',
  help: `zotpack tree [--cwd DIR] [--home ZOT_HOME] [--json]

Every project's sessions linked into their branch trees, each session with
its title (or first prompt), id, current model, messages, cost and start.
Sessions whose parent is gone are shown as roots marked [orphan].

  --cwd DIR     only the project of DIR
  --home DIR    the zot home (default: $ZOT_HOME or the platform's)
  --json        print the trees as JSON

Example:
  zotpack tree --cwd ~/src/api`,
  run(argv, io) {
    const { values, positionals: pos } = parse(argv, { cwd: { type: 'string' } });
    positionals(pos, 0, 0, 'no arguments');
    const home = homeOf(values, io);
    const dirs = values.cwd !== undefined ? [sessionsDir(home, values.cwd)] : projectDirs(home);
    const trees = dirs.map((dir) => projectTree(dir)).filter((t) => t.sessions > 0 || t.warnings.length > 0);
    const projects = trees.map((t) => ({
      cwd: projectCwd(t) || values.cwd || '',
      key: basename(t.dir),
      dir: t.dir,
      sessions: t.sessions,
      roots: t.roots,
      warnings: t.warnings,
    }));
    if (values.json) {
      printJson(io, { home, projects });
      return EXIT_OK;
    }
    for (const p of projects) {
      printWarnings(io, p.warnings, values.quiet);
      const mismatch = p.cwd !== '' && projectKey(p.cwd) !== p.key ? ' [folder does not match cwd]' : '';
      print(io, `${p.cwd || '(unknown cwd)'}  (${p.key}, ${p.sessions} sessions)${mismatch}`);
      for (const line of renderTree(p.roots)) print(io, line);
      print(io);
    }
    if (projects.length === 0 && !values.quiet) io.stderr.write(`no sessions under ${sessionsRoot(home)}\n`);
    return EXIT_OK;
  },
};

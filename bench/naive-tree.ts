/**
 * The naive tree baseline, as a user would write it: every session file in
 * turn, readline and JSON.parse per row, counting messages and taking the
 * cost, title and first prompt as zot's summary does, then linking sessions to their parents and
 * printing each project's tree on stdout. Run as its own process by
 * bench-tree and bench-small-files: `node dist/bench/naive-tree.js --from HOME`.
 */
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { eachLine, runNaive } from './naive-lines.js';

interface Node {
  id: string;
  parent: string;
  title: string;
  firstPrompt: string;
  model: string;
  messages: number;
  cost: number;
  children: Node[];
}

interface Row {
  type?: string;
  meta?: { id?: string; parent?: string; title?: string; model?: string };
  message?: { role?: string; content?: Array<{ text?: string }> };
  messages?: Array<{ content?: unknown[] }>;
  cumulative?: { cost_usd?: number };
  title?: string;
}

async function describe(path: string): Promise<Node> {
  const node: Node = { id: '', parent: '', title: '', firstPrompt: '', model: '', messages: 0, cost: 0, children: [] };
  await eachLine(path, (line) => {
    const row = JSON.parse(line) as Row;
    if (row.type === 'meta' && row.meta) {
      if (!node.id) {
        node.id = row.meta.id ?? '';
        node.parent = row.meta.parent ?? '';
      }
      node.title = row.meta.title ?? '';
      node.model = row.meta.model ?? '';
    } else if (row.type === 'message') {
      node.messages++;
      if (!node.firstPrompt && row.message?.role === 'user') node.firstPrompt = row.message.content?.find((b) => b.text)?.text ?? '';
    }
    else if (row.type === 'compaction') node.messages = (row.messages ?? []).filter((m) => (m.content ?? []).length > 0).length;
    else if (row.type === 'usage') node.cost = row.cumulative?.cost_usd ?? node.cost;
    else if (row.type === 'rename' && row.title) node.title = row.title;
  });
  return node;
}

const { values } = parseArgs({ options: { from: { type: 'string' } } });
if (!values.from) {
  console.error('usage: node dist/bench/naive-tree.js --from HOME');
  process.exit(2);
}
const projects = new Map<string, Node[]>();
await runNaive(values.from, async (path) => {
  const node = await describe(path);
  const key = basename(dirname(path));
  const list = projects.get(key) ?? [];
  list.push(node);
  projects.set(key, list);
});
const lines: string[] = [];
const print = (n: Node, depth: number) => {
  lines.push(`${'  '.repeat(depth)}${n.title || n.firstPrompt.slice(0, 50) || n.id} ${n.id.slice(0, 8)} ${n.model} ${n.messages} msgs $${n.cost.toFixed(2)}`);
  for (const c of n.children) print(c, depth + 1);
};
for (const [key, nodes] of projects) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const roots: Node[] = [];
  for (const n of nodes) {
    const parent = n.parent ? byId.get(n.parent) : undefined;
    if (parent && parent !== n) parent.children.push(n);
    else roots.push(n);
  }
  lines.push(key);
  for (const r of roots) print(r, 1);
}
process.stdout.write(`${lines.join('\n')}\n`);

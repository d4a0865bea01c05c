import { describeSession } from '../../session/describe-session.js';
import { parse, positionals, type Command } from '../command.js';
import { EXIT_OK, print, printJson, printWarnings } from '../io.js';
import { formatCost } from '../render-tree.js';
import { firstLine } from '../printable.js';

export const describeCommand: Command = {
  name: 'describe',
  help: `zotpack describe FILE [--json]

Title, current model, message count, first prompt, cost and row counts, as
zot's session list computes them.

Example:
  zotpack describe ~/.local/state/zot/sessions/ea93126eefee3546/20261125-003305-e5aacad9.jsonl`,
  run(argv, io) {
    const { values, positionals: pos } = parse(argv, {});
    const [file] = positionals(pos, 1, 1, 'one FILE');
    const d = describeSession(file!);
    if (values.json) {
      printJson(io, d);
      return EXIT_OK;
    }
    printWarnings(io, d.warnings, values.quiet);
    const s = d.summary;
    const rows = Object.entries(d.counts.byType)
      .map(([t, n]) => `${n} ${t || '(untyped)'}`)
      .join(', ');
    const lines: Array<[string, string]> = [
      ['path', d.path],
      ['id', d.id],
      ['cwd', d.cwd],
      ['title', s.title],
      // Either may be missing (a hand-written meta row): no dangling slash.
      ['model', [s.provider, s.model].filter((x) => x !== '').join('/')],
      ['started', s.started ?? ''],
      ['messages', String(s.messages)],
      ['first prompt', firstLine(s.firstUserText, 100)],
      ['cost', formatCost(s.cost)],
      ['parent', d.parent ? `${d.parent} at ${d.forkPoint}` : ''],
      ['hidden', d.hidden ? 'yes' : ''],
      ['rows', `${rows}${d.counts.invalid ? `, ${d.counts.invalid} invalid` : ''}${d.counts.undecodable ? `, ${d.counts.undecodable} undecodable` : ''}`],
      ['bytes', `${d.counts.bytes} (largest row ${d.counts.largestRow})`],
    ];
    for (const [k, v] of lines) if (v !== '') print(io, `${k.padEnd(13)}${v}`);
    return EXIT_OK;
  },
};

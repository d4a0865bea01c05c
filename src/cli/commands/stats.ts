import { archiveStats, type StatsFigures } from '../../batch/archive-stats.js';
import { parse, positionals, type Command } from '../command.js';
import { BULK_HELP, BULK_OPTIONS, startBulk } from '../bulk.js';
import { printJson, printRow } from '../io.js';
import { formatCost } from '../render-tree.js';
import { localTime } from '../local-time.js';

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

function cells(name: string, f: StatsFigures): string[] {
  const rows = Object.values(f.rows).reduce((a, b) => a + b, 0);
  return [
    name,
    String(f.sessions),
    mb(f.bytes),
    String(rows),
    mb(f.largestRow),
    String(f.messages),
    formatCost(f.cost),
    f.firstActivity && localTime(f.firstActivity, 'day'),
    f.lastActivity && localTime(f.lastActivity, 'day'),
  ];
}

export const statsCommand: Command = {
  name: 'stats',
  help: `zotpack stats [--from PATH ...] [--project P ...] [--json]

Per project and in total: sessions, bytes, rows (by type with --json),
largest row, messages, cost, first activity (earliest start) and last
activity (latest write). Tab-separated, one project a line. --from an
export folder gives the figures of a backup.

${BULK_HELP}

Example:
  zotpack stats --since 2026-01-01`,
  async run(argv, io) {
    const { values, positionals: pos } = parse(argv, { ...BULK_OPTIONS });
    positionals(pos, 0, 0, 'no arguments (sources go in --from)');
    const bulk = startBulk(values, io, 'stats', true);
    const result = await archiveStats(bulk.options);
    if (values.json) printJson(io, result);
    else {
      printRow(io, ['project', 'sessions', 'bytes', 'rows', 'largest row', 'messages', 'cost', 'first', 'last']);
      for (const p of result.projects) printRow(io, cells(p.cwd || p.key, p));
      printRow(io, cells('total', result.total));
    }
    return bulk.finish(result.report);
  },
};

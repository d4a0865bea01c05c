import { exportArchive, type ExportPlanItem } from '../../batch/export-archive.js';
import { exportSession } from '../../session/export-session.js';
import { parse, positionals, type Command } from '../command.js';
import { BULK_HELP, BULK_OPTIONS, DRY_RUN_OPTION, startBulk } from '../bulk.js';
import { droppedPhrase, EXIT_OK, print, printJson, printWarnings, say, UsageError } from '../io.js';
import { printJsonWithArrays, SpooledArray } from '../spooled-array.js';
import { version } from '../../version.js';

export const exportCommand: Command = {
  name: 'export',
  help: `zotpack export --out DIR [--from PATH ...] [--project P ...] [--dry-run]
zotpack export SRC [DST]

With --out: the whole archive (or what the filters select) to
DIR/<project key>/<session>.zotsession plus DIR/manifest.json, on all cores.
Run it again and only new or grown sessions are exported: a session whose
size and modification time match the manifest (zot only appends) is not
read again. Deleted sessions are reported; their exports are kept.

With SRC: one session file. DST is a folder (the name comes from the start
time, id and first prompt; a path ending in / is created) or a file name
(.zotsession is added). Default DST: the current folder.

Either way the file appears whole or not at all, and nothing is overwritten.
The header carries the session's current model, title and tree links, and
records its original cwd, id and file name.

  --out DIR       export the archive to DIR
  --dry-run       show what would be exported; write nothing
  --no-fsync      no fsync: faster, but a crash may leave new files cut short
${BULK_HELP}

Examples:
  zotpack export --out ~/backups/zot
  zotpack export --out /mnt/usb/zot --project ~/src/api --since 2026-01-01
  zotpack export ~/.local/state/zot/sessions/ea93126eefee3546/20261125-003305-e5aacad9.jsonl .`,
  async run(argv, io) {
    const { values, positionals: pos } = parse(argv, {
      ...BULK_OPTIONS,
      ...DRY_RUN_OPTION,
      out: { type: 'string', short: 'o' },
      'no-fsync': { type: 'boolean' },
    });
    const durable = !values['no-fsync'];
    if (values.out === undefined) {
      if (pos.length === 0) throw new UsageError('export needs --out DIR (the archive) or SRC [DST] (one session)');
      const [src, dst] = positionals(pos, 1, 2, 'SRC [DST]');
      // Not a file named '-.zotsession': a user who types - means standard output, which an export is not written to.
      if (dst === '-') throw new UsageError('export writes a file: give a file or folder as DST (a whole archive streams with pack -o -)');
      const r = exportSession({ source: src!, destination: dst ?? io.cwd, durable });
      if (values.json) {
        printJson(io, r);
        return EXIT_OK;
      }
      printWarnings(io, r.warnings, values.quiet);
      print(io, r.output);
      if (!values.quiet) say(io, `exported the header and ${r.rowsKept} rows (${droppedPhrase(r.dropped)}), ${r.bytesOut} bytes`);
      return EXIT_OK;
    }
    positionals(pos, 0, 0, 'no SRC with --out (sources go in --from)');
    const bulk = startBulk(values, io, 'export', true);
    // The plan of 100,000 sessions is not kept: a dry run prints it as it is
    // made, --json spools it (see spooled-array.ts) until the document is written.
    const plan = new SpooledArray();
    const onPlan = (item: ExportPlanItem) => {
      if (values.json) plan.push(item);
      else if (values['dry-run'] && item.status !== 'unchanged') print(io, `${item.status.padEnd(9)} ${item.source} -> ${item.output}`);
    };
    try {
      const result = await exportArchive({ ...bulk.options, out: values.out, dryRun: values['dry-run'], durable, version: version(), onPlan });
      if (values.json) {
        const { out, manifest, planned, deleted, report } = result;
        printJsonWithArrays(io, { out, manifest, plan: [], planned, deleted, report }, { plan });
      } else if (values['dry-run']) {
        const { planned } = result;
        for (const d of result.deleted) print(io, `deleted   ${d} (its export would be kept)`);
        print(io, `${planned.new} new, ${planned.changed} changed, ${planned.unchanged} unchanged, ${result.deleted.length} deleted`);
      } else if (!values.quiet) {
        for (const d of result.deleted) say(io, `deleted at the source (export kept): ${d}`);
      }
      return bulk.finish(result.report, values['dry-run'] === true);
    } finally {
      plan.close();
    }
  },
};

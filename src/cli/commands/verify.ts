import { failsCheck, verifyArchive } from '../../batch/verify-archive.js';
import { parse, positionals, type Command } from '../command.js';
import { startBulk } from '../bulk.js';
import { bundleArg, EXIT_FAILED, EXIT_OK, print, printJson, printWarnings } from '../io.js';

export const verifyCommand: Command = {
  name: 'verify',
  help: `zotpack verify FILE|DIR|- [--lenient] [--json]

A bundle: its manifest, every entry's name, type, size and sha256, every
row of every session (valid JSON, a meta row first, the id the manifest
names), no two sessions with one id, every parent present. A folder (a zot
home, a project folder, or a zotpack export folder, whose manifest hashes
are checked too): the same for its session files. - reads a bundle piped
to standard input.

Any finding exits 1: a bad or missing entry, a size or sha256 that
differs, a file zot cannot open as a session, two sessions with one id
(problems); rows that are not valid JSON and parents that are not there
(warnings: zot lives with both, skipping the rows and showing a root).
With --lenient only problems exit 1.

  --lenient       warnings alone do not fail the check
  -j, --jobs N    worker threads (folders)
  --json          one JSON report on stdout
  -q, --quiet     only the exit code and problems

Examples:
  zotpack verify all.zotpack
  zotpack verify ~/.local/state/zot --lenient
  ssh old-box zotpack pack -o - | zotpack verify -`,
  async run(argv, io) {
    const { values, positionals: pos } = parse(argv, { lenient: { type: 'boolean' }, jobs: { type: 'string', short: 'j' } });
    const [path] = positionals(pos, 1, 1, 'one bundle FILE, folder DIR, or - for a bundle on standard input');
    const bulk = startBulk({ jobs: values.jobs, json: values.json, quiet: values.quiet }, io, 'verifying');
    const result = await verifyArchive({ path: bundleArg(path!, io, 'verify'), lenient: values.lenient, jobs: bulk.options.jobs, signal: bulk.options.signal, onProgress: bulk.options.onProgress });
    if (values.json) printJson(io, result);
    // -q: only the exit code and problems (the report's error lines), as the help says.
    else if (!result.report.interrupted && !values.quiet) {
      const rows = [['project', 'key', 'sessions', 'MB', 'rows', 'invalid rows', 'problems', 'warnings']];
      for (const p of result.projects) {
        rows.push([p.cwd || '(unknown cwd)', p.key, String(p.sessions), (p.bytes / 1e6).toFixed(1), String(p.rows), String(p.invalidRows), String(p.problems), String(p.warnings)]);
      }
      // A reduce, not Math.max(...): one row per project, and a spread of 150,000 throws.
      const widths = rows[0]!.map((_, k) => rows.reduce((w, r) => Math.max(w, r[k]!.length), 0));
      for (const r of rows) print(io, r.map((c, k) => (k < 2 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ').trimEnd());
      const m = result.manifest;
      const what = result.kind === 'bundle' ? `bundle made ${m?.created || 'at an unknown time'} by zotpack ${m?.zotpack || '?'}` : 'folder';
      const verdict = result.ok
        ? `ok${result.warnings.length ? ` (${result.warnings.length} warning(s) zot lives with${values.lenient ? ', --lenient' : ''})` : ''}`
        : `${result.problems.length} problem(s), ${result.warnings.length} warning(s)`;
      print(io, `${what}: ${verdict}`);
    }
    // -q drops warnings, but not those that fail the check: they are its reason.
    if (values.quiet && !values.json) printWarnings(io, result.warnings.filter((w) => failsCheck(w, values.lenient === true)));
    const code = bulk.finish(result.report);
    if (code !== EXIT_OK) return code;
    return result.ok ? EXIT_OK : EXIT_FAILED;
  },
};

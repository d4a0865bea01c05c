/**
 * Every benchmark, one after another: `npm run bench` (2 GB corpus, 100,000
 * small files; best of 3 for export and tree, of 2 for the rest) or
 * `npm run bench:quick` (200 MB, 20,000 small files; best of 2 for export,
 * tree and small files (time-boxed), one run for the rest and for the
 * naive scripts, and only the lines a quick check needs: see each script;
 * under 2 minutes, corpus generation and the build included). Corpora are
 * cached in bench/corpus/. Prints each table as it is done, and how long
 * each script took, then appends one JSON line to bench/results.jsonl and
 * writes bench/latest.md.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { benchExport } from './bench-export.js';
import { benchGiantRow } from './bench-giant-row.js';
import { benchImport } from './bench-import.js';
import { benchMigrate } from './bench-migrate.js';
import { benchScaling } from './bench-scaling.js';
import { benchSmallFiles } from './bench-small-files.js';
import { benchTree } from './bench-tree.js';
import { corpusSpecs, ensureCorpus } from './corpus.js';
import { appendResults, gitCommit, machine, writeLatest, type RunRecord } from './results-file.js';
import { parseBenchArgs, type Bench } from './script-main.js';
import { renderMarkdown } from './table.js';
import { TARGETS } from './targets.js';

const BENCHES: Array<[string, Bench]> = [
  ['export', benchExport],
  ['tree', benchTree],
  ['import', benchImport],
  ['migrate', benchMigrate],
  ['small files', benchSmallFiles],
  ['scaling', benchScaling],
  ['giant row', benchGiantRow],
];

const start = performance.now();
const o = parseBenchArgs(process.argv.slice(2));
const commit = gitCommit(); // before this run writes its result files
const date = new Date().toISOString();
const m = machine();
rmSync(o.scratch, { recursive: true, force: true });
mkdirSync(o.scratch, { recursive: true });

const corpora: RunRecord['corpora'] = {};
for (const [name, spec] of Object.entries(corpusSpecs(o.quick))) {
  const { dir: _dir, ...figures } = ensureCorpus(spec);
  corpora[name] = figures;
}

const benches: RunRecord['benches'] = {};
const tables: string[] = [];
let failedChecks = 0;
for (const [name, bench] of BENCHES) {
  process.stderr.write(`${name} …\n`);
  const began = performance.now();
  try {
    const r = await bench(o);
    process.stderr.write(`${name}: ${((performance.now() - began) / 1000).toFixed(1)} s, setup and untimed steps included\n`);
    benches[name] = { question: r.question, reps: r.reps, lines: r.lines };
    failedChecks += r.lines.reduce((n, l) => n + l.checks.filter((c) => !c.pass).length, 0);
    const table = renderMarkdown(r);
    tables.push(table);
    process.stdout.write(`\n${table}`);
  } catch (e) {
    const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    benches[name] = { error };
    tables.push(`### ${name}\n\nFAILED: ${error.split('\n')[0]}\n`);
    process.stdout.write(`\n### ${name}\n\nFAILED: ${error}\n`);
    process.exitCode = 1;
  }
}
rmSync(o.scratch, { recursive: true, force: true });

const seconds = Math.round((performance.now() - start) / 100) / 10;
const header = [
  `## Latest benchmark run (${o.quick ? 'quick' : 'full'})`,
  '',
  `\`npm run ${o.quick ? 'bench:quick' : 'bench'}\` on ${date.slice(0, 16).replace('T', ' ')} UTC, commit ${commit}, ` +
    `${m.cores} cores (${m.cpu}), Node ${m.node}, ${m.platform}; ${seconds} s in all. ` +
    `Targets: export >= ${TARGETS.exportVsCp}x \`cp -r\`, tree >= ${TARGETS.treeVsCat}x \`cat\`, >= ${TARGETS.vsNaive}x the naive script, ` +
    `small-files tree >= ${TARGETS.smallTreeFilesPerS} files/s, peak RSS <= largest row + ${TARGETS.rssHeadroomMB} MB; ` +
    `${failedChecks} target check${failedChecks === 1 ? '' : 's'} failed.`,
  '',
].join('\n');
writeLatest(`${header}\n${tables.join('\n')}`);
appendResults({ commit, date, ...m, quick: o.quick, reps: o.reps, secondaryReps: o.secondaryReps, seconds, corpora, benches, failedChecks });
process.stderr.write(`\n${seconds} s; ${failedChecks} target checks failed; bench/latest.md written, bench/results.jsonl appended\n`);

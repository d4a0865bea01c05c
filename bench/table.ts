/**
 * A benchmark's answer: one line per variant with the figures the issue asks
 * for, rendered as a markdown table (readable on a terminal, pasteable into
 * the README) and kept as data for bench/results.jsonl.
 */
import type { Measurement, Variant } from './measure.js';
import { SUMMARY_PREFIX, type NaiveSummary } from './naive-lines.js';
import type { Check } from './targets.js';

/** What one run processes: the figures MB/s and files/s are computed from. */
export interface Work {
  bytes: number;
  files: number;
  largestRow: number;
}

export interface Line {
  variant: string;
  kind: Measurement['variant']['kind'];
  /** Best of N, or null when every run failed. */
  seconds: number | null;
  /** Every run's seconds, failed ones included. */
  runs: number[];
  /** Which of `runs` failed, by index (absent in results written before it was recorded). */
  failedRounds?: number[];
  mbPerS: number | null;
  filesPerS: number | null;
  /** Throughput relative to `ratioOf` (> 1: faster than it). */
  ratio: number | null;
  ratioOf: string;
  rssMB: number | null;
  largestRowMB: number;
  checks: Check[];
  notes: string[];
  /** The naive scripts' own account of their files. */
  naive?: NaiveSummary;
}

export interface BenchResult {
  name: string;
  /** The one question this benchmark answers. */
  question: string;
  /** What it ran on, in words. */
  setup: string;
  reps: number;
  lines: Line[];
  notes: string[];
}

/** V8's longest string (2^29 - 24 characters): readline cannot hold a longer row. */
const V8_MAX_STRING = 2 ** 29 - 24;

function naiveSummary(m: Measurement): NaiveSummary | undefined {
  const run = m.best;
  if (!run) return undefined;
  const last = run.stderr.trim().split('\n').reverse().find((l) => l.startsWith(SUMMARY_PREFIX));
  return last ? (JSON.parse(last.slice(SUMMARY_PREFIX.length)) as NaiveSummary) : undefined;
}

/** The figures of one measured variant over `work`; ratios and checks are the script's to add. */
export function lineOf(m: Measurement, work: Work): Line {
  const s = m.best?.seconds ?? null;
  const line: Line = {
    variant: m.variant.name,
    kind: m.variant.kind,
    seconds: s,
    runs: m.seconds,
    failedRounds: m.failedRounds,
    mbPerS: s === null ? null : work.bytes / 1e6 / s,
    filesPerS: s === null ? null : work.files / s,
    ratio: null,
    ratioOf: '',
    rssMB: m.rssMB,
    largestRowMB: work.largestRow / 1e6,
    checks: [],
    notes: [],
  };
  if (m.best === null) line.notes.push(`FAILED every run: ${m.failures[0] ?? ''}`);
  else if (m.failures.length > 0) line.notes.push(`${m.failures.length} of ${m.seconds.length} runs failed: ${m.failures[0]}`);
  if (m.variant.kind === 'naive') {
    line.naive = naiveSummary(m);
    if (line.naive && line.naive.failed > 0) {
      const why = line.naive.failures[0]?.reason ?? '';
      line.notes.push(`failed on ${line.naive.failed} of ${line.naive.files} files (${why.startsWith('row > 512 MB') ? 'row > 512 MB' : why}); its time skips the rest of those files`);
    } else if (line.naive) {
      const why = work.largestRow <= V8_MAX_STRING ? ': no row here is over 512 MB; it dies on any that is (V8 string limit), see the giant-row table' : '';
      line.notes.push(`failed on 0 of ${line.naive.files} files${why}`);
    }
  }
  return line;
}

/** A line per variant, in order, and a lookup by variant. */
export function linesOf(variants: Variant[], m: Map<string, Measurement>, work: Work): { lines: Line[]; line: (v: Variant) => Line } {
  const lines = variants.map((v) => lineOf(m.get(v.name)!, work));
  return { lines, line: (v) => lines[variants.indexOf(v)]! };
}

/** Sets `line.ratio` to its throughput over `base`'s (same work, so base seconds / own seconds). */
export function setRatio(line: Line, base: Line | undefined, of: string): void {
  line.ratioOf = of;
  line.ratio = base?.seconds != null && line.seconds !== null ? base.seconds / line.seconds : null;
  if (line.naive && line.naive.failed > 0) {
    line.ratio = null; // it stopped early: its time is not the job's
    line.ratioOf = '(did not finish)';
  }
}

/** A check pushed only when it could be computed. */
export function addCheck(line: Line, check: Check | null): void {
  if (check) line.checks.push(check);
}

const num = (n: number | null, digits: number) => (n === null ? '—' : n.toFixed(digits));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The table, with its question as a heading and its notes below. */
export function renderMarkdown(r: BenchResult): string {
  const head = ['variant', 's (best)', 'MB/s', 'files/s', 'ratio', 'peak RSS MB', 'largest row MB', 'targets / notes'];
  const rows = r.lines.map((l) => [
    l.variant,
    num(l.seconds, l.seconds !== null && l.seconds < 1 ? 3 : 2),
    num(l.mbPerS, 0),
    num(l.filesPerS, l.filesPerS !== null && l.filesPerS < 10 ? 1 : 0),
    l.ratio === null ? (l.ratioOf ? `— ${l.ratioOf}` : '') : `${l.ratio.toFixed(2)}x ${l.ratioOf}`,
    l.rssMB === null ? 'unknown' : l.rssMB.toFixed(0),
    l.largestRowMB.toFixed(l.largestRowMB < 0.1 ? 4 : 1),
    [...l.checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'} ${c.label}`), ...l.notes].join('; '),
  ]);
  const out = [
    `### ${r.name}: ${r.question}`,
    '',
    `${r.setup}; ${r.reps === 1 ? 'one run each' : `best of ${r.reps}, variants interleaved`}.`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i >= 1 && i <= 6 ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}

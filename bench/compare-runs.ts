/**
 * Two runs of the bench side by side: which lines got faster or slower than
 * the rounds' own spread explains. A line with a baseline (a ceiling such
 * as `cp -r`) is judged on its ratio to it, since both were measured in one
 * run and a busier machine moves both; other lines, and lines whose ratio
 * is over zotpack's own figures, on their best seconds.
 */
import type { RunRecord } from './results-file.js';
import type { Line } from './table.js';

/** Below this a change is noise whatever the rounds say: best-of-N timings on this machine move that much. */
export const MIN_CHANGE = 0.05;
/** Peak RSS moves by a few MB from run to run; a change counts above both. */
export const RSS_CHANGE = 0.1;
export const RSS_CHANGE_MB = 16;
/** Rounds further apart than this cannot show that nothing changed: such a line is 'unclear' rather than 'same'. */
export const MAX_NOISE = 0.25;

/**
 * `failed`: no successful round in the later run, or, for zotpack's own
 * lines, any failed round; `fixed`: so in the earlier run, not the later;
 * `unclear`: no change beyond the noise, but the noise is over MAX_NOISE.
 */
export type Verdict = 'faster' | 'slower' | 'same' | 'unclear' | 'new' | 'gone' | 'failed' | 'fixed';

export interface LineComparison {
  bench: string;
  variant: string;
  /** zotpack's own line, a baseline, or a naive script (from the run that has it). */
  kind: Line['kind'];
  /** What was compared: the ratio to a baseline (higher is better) or seconds (lower is better). */
  metric: 'ratio' | 'seconds';
  before: number | null;
  after: number | null;
  /** after / before of the metric, as a speed: > 1 is faster, whichever the metric. */
  speedup: number | null;
  /** The change the rounds' spread explains, as a fraction: the line's gaps in both runs, and its baseline's for a ratio (at least MIN_CHANGE). */
  noise: number;
  verdict: Verdict;
  rssBefore: number | null;
  rssAfter: number | null;
  /** Peak RSS grew by more than RSS_CHANGE and RSS_CHANGE_MB. */
  moreMemory: boolean;
}

export interface RunComparison {
  before: Pick<RunRecord, 'commit' | 'date' | 'quick'>;
  after: Pick<RunRecord, 'commit' | 'date' | 'quick'>;
  /** Why the two runs may not be comparable (other corpora, machine or Node). */
  caveats: string[];
  lines: LineComparison[];
}

type Lines = Map<string, Line>;

/** Stands for a script that stopped with an error: zotpack's, and failed. */
const SCRIPT_FAILED = '(the script stopped with an error)';

const FAILED_LINE: Line = {
  variant: SCRIPT_FAILED,
  kind: 'zotpack',
  seconds: null,
  runs: [],
  mbPerS: null,
  filesPerS: null,
  ratio: null,
  ratioOf: '',
  rssMB: null,
  largestRowMB: 0,
  checks: [],
  notes: [],
};

function linesOf(run: RunRecord, bench: string): Lines {
  const b = run.benches[bench];
  if (b && 'error' in b) return new Map([[SCRIPT_FAILED, { ...FAILED_LINE, notes: [b.error] }]]);
  return new Map(b && 'lines' in b ? b.lines.map((l) => [l.variant, l]) : []);
}

/** The indexes of a line's failed rounds: as recorded, or, in results from before they were, the rounds faster than the best successful one. */
function failedRounds(line: Line): number[] {
  if (line.failedRounds) return line.failedRounds;
  const best = line.seconds;
  return line.runs.flatMap((s, i) => (best === null || s < best ? [i] : []));
}

/**
 * How far a line's best round could move in another run: the gap from the
 * best successful round to the next one. (The slowest round says little:
 * the first round of a variant is often slow, and best-of-N drops it.
 * Failed rounds, which may end early or late, are left out.)
 */
function spread(line: Line | undefined): number {
  if (!line || line.seconds === null) return 0;
  const failed = new Set(failedRounds(line));
  const ok = line.runs.filter((s, i) => !failed.has(i) && Number.isFinite(s)).sort((x, y) => x - y);
  if (ok.length < 2) return 0;
  return (ok[1]! - ok[0]!) / ok[0]!;
}

/**
 * The line a ratio was taken against: named by `ratioOf` exactly, or the
 * one line whose name starts with it ('tar -cf' for 'tar -cf (no
 * compression)'). Undefined when there is none, or it is zotpack's own (a
 * naive script's ratio is over zotpack's time: it moves with zotpack).
 */
function baselineOf(line: Line, lines: Lines): Line | undefined {
  if (line.ratio === null || line.ratioOf === '') return undefined;
  let base = lines.get(line.ratioOf);
  if (!base) {
    const named = [...lines.values()].filter((l) => l !== line && l.variant.startsWith(line.ratioOf));
    base = named.length === 1 ? named[0] : undefined;
  }
  return base && base.kind !== 'zotpack' ? base : undefined;
}

function compareLine(bench: string, variant: string, a: Lines, b: Lines): LineComparison {
  const la = a.get(variant);
  const lb = b.get(variant);
  const ba = la && baselineOf(la, a);
  const bb = lb && baselineOf(lb, b);
  // A ratio only compares when both runs took it against the same baseline.
  const metric = ba && bb && ba.variant === bb.variant ? 'ratio' : 'seconds';
  const value = (l: Line | undefined) => (l === undefined ? null : metric === 'ratio' ? l.ratio : l.seconds);
  const before = value(la);
  const after = value(lb);
  const noise = Math.max(MIN_CHANGE, spread(la) + spread(lb) + (metric === 'ratio' ? spread(ba) + spread(bb) : 0));
  const kind = (lb ?? la)!.kind;
  let speedup: number | null = null;
  let verdict: Verdict;
  // A round of zotpack's own that failed fails the line; a baseline's failed round is only left out.
  const anyFailed = (l: Line) => kind === 'zotpack' && failedRounds(l).length > 0;
  if (!lb) verdict = 'gone';
  else if (after === null || after <= 0 || anyFailed(lb)) verdict = 'failed'; // a new line too
  else if (!la) verdict = 'new';
  else if (before === null || before <= 0 || anyFailed(la)) verdict = 'fixed';
  else {
    speedup = metric === 'ratio' ? after / before : before / after;
    // A change beyond even wide noise is still a change; only 'same' turns 'unclear'.
    verdict = speedup > 1 + noise ? 'faster' : speedup < 1 / (1 + noise) ? 'slower' : noise > MAX_NOISE ? 'unclear' : 'same';
  }
  const rssBefore = la?.rssMB ?? null;
  const rssAfter = lb?.rssMB ?? null;
  const moreMemory =
    rssBefore !== null && rssAfter !== null && rssAfter > rssBefore * (1 + RSS_CHANGE) && rssAfter - rssBefore > RSS_CHANGE_MB;
  return { bench, variant, kind, metric, before, after, speedup, noise, verdict, rssBefore, rssAfter, moreMemory };
}

function caveatsOf(a: RunRecord, b: RunRecord): string[] {
  const caveats: string[] = [];
  if (a.quick !== b.quick) caveats.push(`one run is quick and the other full: their corpora differ`);
  for (const name of new Set([...Object.keys(a.corpora), ...Object.keys(b.corpora)])) {
    const ca = JSON.stringify(a.corpora[name]?.spec);
    const cb = JSON.stringify(b.corpora[name]?.spec);
    if (ca !== cb) caveats.push(`corpus ${name}: ${ca ?? 'none'} before, ${cb ?? 'none'} after`);
  }
  for (const key of ['cores', 'cpu', 'node', 'platform'] as const) {
    if (a[key] !== b[key]) caveats.push(`${key}: ${a[key]} before, ${b[key]} after`);
  }
  return caveats;
}

/** Every line of every script in either run; kinds other than zotpack's own (baselines, floors) are compared too. */
export function compareRuns(a: RunRecord, b: RunRecord): RunComparison {
  const lines: LineComparison[] = [];
  const benches = [...new Set([...Object.keys(a.benches), ...Object.keys(b.benches)])];
  for (const bench of benches) {
    const la = linesOf(a, bench);
    const lb = linesOf(b, bench);
    for (const variant of new Set([...la.keys(), ...lb.keys()])) lines.push(compareLine(bench, variant, la, lb));
  }
  const head = (r: RunRecord) => ({ commit: r.commit, date: r.date, quick: r.quick });
  return { before: head(a), after: head(b), caveats: caveatsOf(a, b), lines };
}

/**
 * The run to compare `runs[at]` with: the latest earlier one of the same
 * mode on the same corpora and machine, or undefined.
 */
export function previousComparable(runs: readonly RunRecord[], at: number): number | undefined {
  const b = runs[at]!;
  for (let i = at - 1; i >= 0; i--) {
    if (caveatsOf(runs[i]!, b).length === 0) return i;
  }
  return undefined;
}

/**
 * `spec` names a run: a commit (or its prefix; the latest run of it), or
 * `~N`, the Nth run before the last (`~0` is the last), as git counts.
 */
export function findRun(runs: readonly RunRecord[], spec: string): number {
  const back = /^~(\d+)$/.exec(spec);
  if (back) {
    const i = runs.length - 1 - Number(back[1]);
    if (i < 0) throw new Error(`no run ${spec}: the results hold ${runs.length}`);
    return i;
  }
  for (let i = runs.length - 1; i >= 0; i--) if (runs[i]!.commit.startsWith(spec)) return i;
  throw new Error(`no run of commit ${spec} in the results`);
}

const fmt = (metric: 'ratio' | 'seconds', v: number | null) => (v === null ? '—' : metric === 'ratio' ? `${v.toFixed(2)}x` : `${v.toFixed(3)} s`);
const mb = (v: number | null) => (v === null ? '—' : `${Math.round(v)}`);

/** A markdown table: the changes first, then what stayed the same. */
export function renderComparison(c: RunComparison): string {
  const name = (r: RunComparison['before']) => `${r.commit} (${r.date.slice(0, 16).replace('T', ' ')}${r.quick ? ', quick' : ''})`;
  const out = [`## ${name(c.before)} → ${name(c.after)}`, ''];
  for (const caveat of c.caveats) out.push(`- not comparable: ${caveat}`);
  if (c.caveats.length > 0) out.push('');
  const order: Verdict[] = ['failed', 'slower', 'unclear', 'faster', 'fixed', 'gone', 'new', 'same'];
  const sorted = [...c.lines].sort((x, y) => order.indexOf(x.verdict) - order.indexOf(y.verdict));
  out.push('| script | line | compared | before | after | speed | noise | verdict | RSS MB |', '| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const l of sorted) {
    const speed = l.speedup === null ? '—' : `${l.speedup.toFixed(2)}x`;
    const rss = `${mb(l.rssBefore)} → ${mb(l.rssAfter)}${l.moreMemory ? ' **more**' : ''}`;
    const verdict = l.verdict === 'slower' || l.verdict === 'failed' ? `**${l.verdict}**` : l.verdict;
    out.push(`| ${l.bench} | ${l.variant} | ${l.metric} | ${fmt(l.metric, l.before)} | ${fmt(l.metric, l.after)} | ${speed} | ±${Math.round(l.noise * 100)}% | ${verdict} | ${rss} |`);
  }
  const count = (v: Verdict) => c.lines.filter((l) => l.verdict === v).length;
  const memory = c.lines.filter((l) => l.moreMemory).length;
  const own = regressions(c).length;
  out.push(
    '',
    `${count('faster')} faster, ${count('slower')} slower, ${count('same')} within noise, ${count('unclear')} unclear (rounds over ${MAX_NOISE * 100}% apart), ` +
      `${count('failed')} failed, ${count('fixed')} fixed; ${memory} using more memory. Regressions of zotpack's own lines: ${own}.`,
    '',
  );
  return out.join('\n');
}

/** zotpack's own lines that got slower, failed or use more memory (a slower baseline is the machine, not a regression). */
export function regressions(c: RunComparison): LineComparison[] {
  return c.lines.filter((l) => l.kind === 'zotpack' && (l.verdict === 'slower' || l.verdict === 'failed' || l.moreMemory));
}

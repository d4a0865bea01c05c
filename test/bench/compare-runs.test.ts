/**
 * Comparing two bench runs: which lines moved by more than their rounds'
 * spread, judged on the ratio to a baseline of the same run where there is
 * one; and the script that prints it, run as a child process.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareRuns, findRun, previousComparable, regressions, renderComparison } from '../../bench/compare-runs.js';
import type { RunRecord } from '../../bench/results-file.js';
import type { Line } from '../../bench/table.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

function line(variant: string, kind: Line['kind'], runs: number[], extra: Partial<Line> = {}): Line {
  return {
    variant,
    kind,
    seconds: Math.min(...runs),
    runs,
    mbPerS: null,
    filesPerS: null,
    ratio: null,
    ratioOf: '',
    rssMB: 100,
    largestRowMB: 1,
    checks: [],
    notes: [],
    ...extra,
  };
}

/** A zotpack line and its `cp -r` baseline, the ratio computed as the bench does. */
function exportLines(zot: number[], cp: number[], rssMB = 200): Line[] {
  const ratio = Math.min(...cp) / Math.min(...zot);
  return [line('zotpack export', 'zotpack', zot, { ratio, ratioOf: 'cp -r', rssMB }), line('cp -r', 'ceiling', cp, { rssMB: 2 })];
}

function run(commit: string, lines: Record<string, Line[]>, over: Partial<RunRecord> = {}): RunRecord {
  return {
    commit,
    date: '2026-11-25T12:00:00.000Z',
    cores: 2,
    cpu: 'AMD EPYC',
    node: 'v20.20.2',
    platform: 'linux-x64',
    quick: false,
    reps: 3,
    secondaryReps: 2,
    seconds: 600,
    corpora: { main: { spec: { shape: 'skewed', size: 2000, seed: 1 }, files: 2007, bytes: 2e9, largestRow: 5e7 } },
    benches: Object.fromEntries(Object.entries(lines).map(([name, l]) => [name, { question: name, reps: 3, lines: l }])),
    failedChecks: 0,
    ...over,
  } as RunRecord;
}

const of = (c: ReturnType<typeof compareRuns>, variant: string) => c.lines.find((l) => l.variant === variant)!;

describe('compareRuns', () => {
  it('judges a line with a baseline on its ratio: a busier machine that slows both is no change', () => {
    const before = run('a', { export: exportLines([2.0, 2.02, 2.5], [0.7, 0.71]) });
    const after = run('b', { export: exportLines([2.4, 2.42], [0.84, 0.85]) }); // both 20% slower
    const c = compareRuns(before, after);
    expect(of(c, 'zotpack export')).toMatchObject({ metric: 'ratio', verdict: 'same' });
    expect(of(c, 'cp -r')).toMatchObject({ metric: 'seconds', verdict: 'slower' });
    expect(regressions(c)).toEqual([]); // a slower baseline is the machine
  });

  it('a ratio 20% better is faster, 20% worse is slower and a regression', () => {
    const before = run('a', { export: exportLines([2.0, 2.02], [0.7, 0.7]) });
    const faster = compareRuns(before, run('b', { export: exportLines([1.6, 1.61], [0.7, 0.7]) }));
    expect(of(faster, 'zotpack export').verdict).toBe('faster');
    expect(of(faster, 'zotpack export').speedup).toBeCloseTo(1.25, 5);
    const slower = compareRuns(before, run('b', { export: exportLines([2.5, 2.52], [0.7, 0.7]) }));
    expect(of(slower, 'zotpack export').verdict).toBe('slower');
    expect(regressions(slower).map((l) => l.variant)).toEqual(['zotpack export']);
  });

  it('a change inside the gap between the best and next-best rounds is noise; with rounds over 25% apart, unclear', () => {
    const before = run('a', { tree: [line('zotpack tree', 'zotpack', [1.0, 1.15, 3.0])] });
    const after = run('b', { tree: [line('zotpack tree', 'zotpack', [1.1, 1.11])] });
    const l = of(compareRuns(before, after), 'zotpack tree');
    expect(l.metric).toBe('seconds');
    expect(l.noise).toBeCloseTo(0.15 + 0.01 / 1.1, 9); // the slow first round does not count
    expect(l.verdict).toBe('same');
    // Tight rounds: the same 10% is a change.
    const tight = compareRuns(run('a', { tree: [line('zotpack tree', 'zotpack', [1.0, 1.01])] }), after);
    expect(of(tight, 'zotpack tree').verdict).toBe('slower');
    // Rounds too far apart to say nothing changed.
    const loose = compareRuns(run('a', { tree: [line('zotpack tree', 'zotpack', [1.0, 1.3])] }), after);
    expect(of(loose, 'zotpack tree').verdict).toBe('unclear');
    expect(regressions(loose)).toEqual([]);
  });

  it("finds a baseline named by the start of its line's name, and counts its rounds in the noise", () => {
    const lines = (tar: number[]) => [
      line('zotpack pack', 'zotpack', [4.0, 4.01], { ratio: Math.min(...tar) / 4.0, ratioOf: 'tar -cf' }),
      line('tar -cf (no compression)', 'ceiling', tar),
    ];
    const c = compareRuns(run('a', { migrate: lines([1.0, 1.2]) }), run('b', { migrate: lines([1.15, 1.16]) }));
    expect(of(c, 'zotpack pack')).toMatchObject({ metric: 'ratio', verdict: 'same' }); // the ratio moved 15%: tar's own 20% gap
    expect(of(c, 'zotpack pack').noise).toBeCloseTo(0.0025 + 0.0025 + 0.2 + 0.01 / 1.15, 3);
  });

  it("judges a naive script's line on seconds: its ratio is over zotpack's time, which moves with zotpack", () => {
    const lines = (zot: number) => [
      line('zotpack export', 'zotpack', [zot, zot]),
      line('naive', 'naive', [18, 18], { ratio: zot / 18, ratioOf: 'zotpack' }),
    ];
    const c = compareRuns(run('a', { export: lines(3) }), run('b', { export: lines(2) }));
    expect(of(c, 'naive')).toMatchObject({ metric: 'seconds', verdict: 'same' });
    expect(of(c, 'zotpack export').verdict).toBe('faster');
  });

  it('flags peak RSS that grew by more than 10% and 16 MB, not less', () => {
    const before = run('a', { export: exportLines([2.0, 2.0], [0.7, 0.7], 200) });
    expect(of(compareRuns(before, run('b', { export: exportLines([2.0, 2.0], [0.7, 0.7], 230) })), 'zotpack export').moreMemory).toBe(true);
    const c = compareRuns(before, run('b', { export: exportLines([2.0, 2.0], [0.7, 0.7], 215) }));
    expect(of(c, 'zotpack export').moreMemory).toBe(false);
    expect(regressions(c)).toEqual([]);
  });

  it('lines in one run only are new or gone; a line with no successful round failed, one that has one again is fixed', () => {
    const before = run('a', { tree: [line('zotpack tree', 'zotpack', [1, 1]), line('old', 'zotpack', [1, 1]), line('back', 'zotpack', [1, 1], { seconds: null })] });
    const after = run('b', { tree: [line('zotpack tree', 'zotpack', [1, 1], { seconds: null }), line('new', 'zotpack', [1, 1]), line('back', 'zotpack', [1, 1])] });
    const c = compareRuns(before, after);
    expect(['old', 'new', 'zotpack tree', 'back'].map((v) => of(c, v).verdict)).toEqual(['gone', 'new', 'failed', 'fixed']);
    expect(regressions(c).map((l) => l.variant)).toEqual(['zotpack tree']);
  });

  it("a failed round fails a line of zotpack's own, and is left out of the noise, faster or slower than the best", () => {
    const before = run('a', { tree: [line('zotpack tree', 'zotpack', [1.0, 1.01])] });
    // The second round failed after 0.1 s: the best is still the 1.0 s round.
    const after = run('b', { tree: [line('zotpack tree', 'zotpack', [1.0, 0.1], { seconds: 1.0, failedRounds: [1] })] });
    const l = of(compareRuns(before, after), 'zotpack tree');
    expect(l.verdict).toBe('failed');
    expect(l.noise).toBeCloseTo(0.05, 9);
    // Results from before failed rounds were recorded: a round faster than the best successful one failed.
    const older = { ...after.benches.tree!, lines: [line('zotpack tree', 'zotpack', [1.0, 0.1], { seconds: 1.0 })] };
    expect(of(compareRuns(before, { ...after, benches: { tree: older } }), 'zotpack tree').verdict).toBe('failed');
    // A failed round slower than the best: still not noise. The earlier run failed, the later did not: fixed.
    const failedSlow = run('a', { tree: [line('zotpack tree', 'zotpack', [1.0, 1.01, 2.0], { failedRounds: [2] })] });
    const fixed = of(compareRuns(failedSlow, run('b', { tree: [line('zotpack tree', 'zotpack', [1.0, 1.01])] })), 'zotpack tree');
    expect(fixed).toMatchObject({ verdict: 'fixed', noise: 0.05 });
    // A baseline's failed round is only left out.
    const cp = (runs: number[], failedRounds: number[]) => run('x', { export: [line('cp -r', 'ceiling', runs, { seconds: 0.7, failedRounds })] });
    expect(of(compareRuns(cp([0.7, 0.7], []), cp([0.7, 0.1], [1])), 'cp -r').verdict).toBe('same');
  });

  it('a change beyond even wide noise is a change; only no change turns unclear', () => {
    const wide = (runs: number[]) => run('x', { tree: [line('zotpack tree', 'zotpack', runs)] });
    expect(of(compareRuns(wide([1.0, 1.3]), wide([2.0, 2.01])), 'zotpack tree').verdict).toBe('slower');
    expect(of(compareRuns(wide([1.0, 1.3]), wide([1.1, 1.11])), 'zotpack tree').verdict).toBe('unclear');
    // At the limit: 25% is still judged.
    expect(of(compareRuns(wide([1.0, 1.25]), wide([1.1, 1.1])), 'zotpack tree').verdict).toBe('same');
  });

  it('takes the baseline of exactly the ratio\'s name before one that starts with it; an ambiguous or changed baseline means seconds', () => {
    const lines = (cp: number[], other: number[], ratioOf = 'cp -r') => [
      line('zotpack export', 'zotpack', [2.0, 2.01], { ratio: Math.min(...cp) / 2.0, ratioOf }),
      line('cp -r', 'ceiling', cp),
      line('cp -r && sync', 'ceiling', other),
    ];
    // cp -r's rounds are tight, cp -r && sync's loose: the noise is cp -r's.
    const c = compareRuns(run('a', { export: lines([0.7, 0.7], [1.6, 2.4]) }), run('b', { export: lines([0.7, 0.7], [1.6, 2.4]) }));
    expect(of(c, 'zotpack export')).toMatchObject({ metric: 'ratio', verdict: 'same' });
    expect(of(c, 'zotpack export').noise).toBeCloseTo(0.05, 9);
    // 'cp' names two lines: no baseline, so seconds.
    const ambiguous = compareRuns(run('a', { export: lines([0.7, 0.7], [1.6, 1.6], 'cp') }), run('b', { export: lines([0.7, 0.7], [1.6, 1.6], 'cp') }));
    expect(of(ambiguous, 'zotpack export').metric).toBe('seconds');
    // A ratio over another baseline in each run does not compare.
    const changed = compareRuns(run('a', { export: lines([0.7, 0.7], [1.6, 1.6]) }), run('b', { export: lines([0.7, 0.7], [1.6, 1.6], 'cp -r && sync') }));
    expect(of(changed, 'zotpack export').metric).toBe('seconds');
  });

  it('more memory is a regression of zotpack\'s own lines only', () => {
    const withRss = (zot: number, cp: number) => [line('zotpack tree', 'zotpack', [1, 1], { rssMB: zot }), line('cat', 'ceiling', [0.4, 0.4], { rssMB: cp })];
    const c = compareRuns(run('a', { tree: withRss(200, 3) }), run('b', { tree: withRss(240, 30) }));
    expect(regressions(c).map((l) => [l.variant, l.moreMemory])).toEqual([['zotpack tree', true]]);
    expect(of(c, 'cat').moreMemory).toBe(true);
  });

  it('a script that stopped with an error is a failed line of zotpack\'s own', () => {
    const before = run('a', { export: exportLines([2.0, 2.0], [0.7, 0.7]) });
    const after = { ...run('b', {}), benches: { export: { error: 'ENOSPC' } } } as RunRecord;
    const c = compareRuns(before, after);
    expect(regressions(c).map((l) => [l.variant, l.verdict])).toEqual([['(the script stopped with an error)', 'failed']]);
    expect(of(c, 'zotpack export').verdict).toBe('gone');
  });

  it('says why two runs may not compare: the mode, the corpora, the machine', () => {
    const a = run('a', {});
    const b = run('b', {}, { quick: true, node: 'v22.0.0', corpora: { main: { spec: { shape: 'skewed', size: 200, seed: 1 }, files: 1, bytes: 1, largestRow: 1 } } });
    const caveats = compareRuns(a, b).caveats.join('\n');
    expect(caveats).toContain('quick');
    expect(caveats).toContain('corpus main');
    expect(caveats).toContain('node: v20.20.2 before, v22.0.0 after');
    expect(compareRuns(a, run('c', {})).caveats).toEqual([]);
  });
});

describe('choosing runs', () => {
  const runs = [run('1111aaa', {}), run('2222bbb', {}, { quick: true }), run('3333ccc', {}), run('4444ddd', {}, { quick: true })];

  it('the run before the last of the same mode and corpora', () => {
    expect(previousComparable(runs, 3)).toBe(1);
    expect(previousComparable(runs, 2)).toBe(0);
    expect(previousComparable(runs, 1)).toBeUndefined();
  });

  it('by commit prefix, the latest run of it, or ~N back from the last', () => {
    const again = [...runs, run('3333ccc', {})];
    expect(findRun(again, '3333')).toBe(4);
    expect(findRun(again, '~0')).toBe(4);
    expect(findRun(again, '~4')).toBe(0);
    expect(() => findRun(again, '~5')).toThrow('no run ~5');
    expect(() => findRun(again, 'ffff')).toThrow('no run of commit ffff');
  });
});

describe('npm run bench:compare', () => {
  const script = join(process.cwd(), 'dist', 'bench', 'compare.js');
  const results = join(makeTempDir(), 'results.jsonl');
  const before = run('1111aaa', { export: exportLines([2.0, 2.02], [0.7, 0.7]) });
  const same = run('2222bbb', { export: exportLines([2.01, 2.03], [0.7, 0.7]) });
  const slower = run('3333ccc', { export: exportLines([2.6, 2.61], [0.7, 0.7]) });
  writeFileSync(results, [before, same, slower].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const compare = (...args: string[]) => spawnSync(process.execPath, [script, '--file', results, ...args], { encoding: 'utf8' });

  it('prints the last run against the one before; --check exits 1 on a regression', () => {
    const r = compare('--check');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('## 2222bbb');
    expect(r.stdout).toMatch(/\| export \| zotpack export \| ratio \| 0\.35x \| 0\.27x \| 0\.77x \| ±5% \| \*\*slower\*\* \|/);
    expect(r.stdout).toContain('0 faster, 1 slower, 1 within noise, 0 unclear');
    expect(r.stdout).toContain("Regressions of zotpack's own lines: 1.");
  });

  it('compares the runs named; no regression, exit 0', () => {
    const r = compare('1111', '~1', '--check');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('## 1111aaa');
    expect(r.stdout).toContain('→ 2222bbb');
    expect(r.stdout).toContain('0 slower');
  });

  it('--check of runs that do not compare: exit 2, saying why', () => {
    const quick = join(makeTempDir(), 'results.jsonl');
    writeFileSync(quick, [before, { ...slower, quick: true }].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = spawnSync(process.execPath, [script, '--file', quick, '~1', '~0', '--check'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^bench:compare: --check: the runs do not compare \(one run is quick and the other full/);
  });

  it('a run that is not there: exit 2, one line that names it', () => {
    const r = compare('ffff');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('bench:compare: no run of commit ffff in the results');
  });
});

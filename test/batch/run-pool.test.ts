import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveTrees } from '../../src/batch/archive-trees.js';
import { exportArchive } from '../../src/batch/export-archive.js';
import { readManifest } from '../../src/batch/export-manifest.js';
import { WorkerPool } from '../../src/batch/run-pool.js';
import { SMALL_RUN } from '../../src/batch/run-inline.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir, writeSession, writeSlowSessions } from '../helpers/zot-archive.js';
import { tempFiles } from '../helpers/fs-snapshot.js';

afterAll(cleanupTempDirs);

const crashingWorker = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'crashing-worker.cjs');
const startMarkingWorker = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'start-marking-worker.cjs');
const alwaysCrashingWorker = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'always-crashing-worker.cjs');

describe('the pool', () => {
  it('fails only the file whose worker dies, in a shared job and alone', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 100_000 });
    // A readable session under a name that kills its worker.
    const victim = join(dirname(sample.named.plain), `20260101-000000-crash-me.jsonl`);
    copyFileSync(sample.named.plain, victim);
    const out = makeTempDir();
    const r = await exportArchive({ sources: [sample.home], out, jobs: 2, workerFile: crashingWorker });
    const workerErrors = r.report.errors.filter((e) => e.code === 'E_WORKER');
    expect(workerErrors.map((e) => e.path)).toEqual([victim]);
    const exported = readManifest(out)!.sessions.map((e) => e.source);
    expect(exported).not.toContain(victim);
    for (const good of sample.good) expect(exported).toContain(good);
    expect(tempFiles(out)).toEqual([]);
  });

  it('stops on abort, cleans its temp files, and a re-run finishes the rest', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 40_000_000 });
    const out = makeTempDir();
    const controller = new AbortController();
    let aborted = false;
    const r = await exportArchive({
      sources: [sample.home],
      out,
      jobs: 1,
      inlineSmallRuns: false,
      signal: controller.signal,
      onProgress: (p) => {
        if (!aborted && p.filesDone >= 1) {
          aborted = true;
          controller.abort();
        }
      },
    });
    expect(r.report.interrupted).toBe(true);
    expect(tempFiles(out)).toEqual([]);
    const done = readManifest(out)?.sessions.length ?? 0;
    expect(done).toBeLessThan(sample.good.length);
    const rerun = await exportArchive({ sources: [sample.home], out, jobs: 2 });
    expect(rerun.report.interrupted).toBe(false);
    const full = makeTempDir();
    await exportArchive({ sources: [sample.home], out: full, jobs: 2 });
    const a = readManifest(out)!.sessions;
    const b = readManifest(full)!.sessions;
    expect(a.map((e) => [e.output, e.sha256])).toEqual(b.map((e) => [e.output, e.sha256]));
    for (const e of a) expect(readFileSync(join(out, e.output)).equals(readFileSync(join(full, e.output)))).toBe(true);
    expect(basename(out)).not.toBe('');
  });
});

describe('the pool and its error events', () => {
  const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_000 });

  it('an abort from a callback as a worker posts its result resolves the run: the stray result is not the end of the process', async () => {
    // piscina emits 'error' for a result whose task was given up on; unheard, that ended the caller's process (8 runs in 20):
    // 15 rounds would all pass by chance once in some 2,000 suites.
    const home = makeTempDir();
    writeSlowSessions(home, 24);
    for (let round = 0; round < 15; round++) {
      const controller = new AbortController();
      const onProgress = (p: { filesDone: number }) => {
        if (p.filesDone >= 1) queueMicrotask(() => controller.abort());
      };
      const r = await archiveTrees({ sources: [home], jobs: 2, inlineSmallRuns: false, signal: controller.signal, onProgress });
      expect(r.report.interrupted).toBe(true);
      expect(r.report.errors.filter((e) => e.code === 'E_ABORTED' || e.code === 'E_WORKER')).toEqual([]);
    }
  });

  it('a worker file that cannot load fails the run with E_WORKER, not a wait forever', async () => {
    const missing = join(makeTempDir(), 'missing-worker.cjs');
    await expect(archiveTrees({ sources: [sample.home], jobs: 2, workerFile: missing })).rejects.toMatchObject({ code: 'E_WORKER' });
  });
});

describe('a pool kept across runs', () => {
  it('a tree whose onProgress throws stops the threads it started (Linux: threads counted in /proc)', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_000 });
    const threads = () => readdirSync('/proc/self/task').length;
    // One whole run first, so that threads Node starts once (libuv's) are there before counting.
    await archiveTrees({ sources: [sample.home], jobs: 2, inlineSmallRuns: false });
    const before = threads();
    for (let k = 0; k < 3; k++) {
      const failing = archiveTrees({
        sources: [sample.home],
        jobs: 4,
        inlineSmallRuns: false,
        onProgress: () => {
          throw new Error('the consumer failed');
        },
      });
      await expect(failing).rejects.toThrow('the consumer failed');
    }
    // Threads end a moment after the pool is destroyed; left running, they never do (the test's timeout fails it).
    while (threads() > before) await new Promise((r) => setTimeout(r, 20));
    expect(threads()).toBe(before);
  });

  it('threads that die on every job fail the run with E_WORKER after some deaths in a row, not after two for every file', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_000 });
    // 60 sessions: retried alone, twice each, they would start some 120 threads.
    const dir = dirname(sample.named.plain);
    for (let k = 0; k < 60; k++) copyFileSync(sample.named.plain, join(dir, `20260301-0000${String(k).padStart(2, '0')}-copy.jsonl`));
    const marks = join(makeTempDir(), 'starts');
    process.env.ZOTPACK_TEST_START_MARKS = marks;
    try {
      await expect(archiveTrees({ sources: [sample.home], jobs: 2, workerFile: alwaysCrashingWorker })).rejects.toMatchObject({
        code: 'E_WORKER',
        message: expect.stringContaining('in a row, with no job finished'),
      });
    } finally {
      delete process.env.ZOTPACK_TEST_START_MARKS;
    }
    const starts = readFileSync(marks, 'utf8').split('\n').filter(Boolean).length;
    // 12 + 4 x 2 deaths, plus the threads started meanwhile for jobs already queued.
    expect(starts).toBeGreaterThanOrEqual(20);
    expect(starts).toBeLessThan(60);
  });

  it('start() boots every thread before any job, and the jobs then run on them', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_000 });
    const marks = join(makeTempDir(), 'starts');
    const started = (): string[] => (existsSync(marks) ? readFileSync(marks, 'utf8').split('\n').filter(Boolean) : []);
    // Workers take a copy of the environment as they are created.
    process.env.ZOTPACK_TEST_START_MARKS = marks;
    const pool = new WorkerPool({ jobs: 2, workerFile: startMarkingWorker });
    try {
      pool.start();
      delete process.env.ZOTPACK_TEST_START_MARKS;
      // Waits for the threads, not for a time: the test's own timeout bounds it.
      while (started().length < 2) await new Promise((r) => setTimeout(r, 20));
      const files = sample.good.map((path) => ({ path }));
      const outcomes = await pool.run<unknown>(files.map((_, i) => [i]), (indexes) => ({ op: 'meta', files: indexes.map((i) => files[i]!) }), files.length);
      expect(outcomes.every((o) => o.ok)).toBe(true);
      // The jobs ran on the threads start() made: none was added.
      expect(started()).toHaveLength(2);
    } finally {
      delete process.env.ZOTPACK_TEST_START_MARKS;
      await pool.close();
    }
  });

  it('of two runs at once, every job of the first is handed out before any of the second: the second only fills the gaps', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_000 });
    const files = sample.good.map((path) => ({ path }));
    const pool = new WorkerPool({ jobs: 2, inlineSmallRuns: false });
    // A run makes a job as it hands it to the threads.
    const handedOut: string[] = [];
    const run = (name: string) =>
      pool.run<unknown>(
        Array.from({ length: 40 }, (_, i) => [i]),
        (indexes) => (handedOut.push(name), { op: 'meta', files: indexes.map((i) => files[i % files.length]!) }),
        40,
      );
    try {
      const [first, second] = await Promise.all([run('first'), run('second')]);
      expect([...first, ...second].every((o) => o.ok)).toBe(true);
    } finally {
      await pool.close();
    }
    // Two runs with queues of their own would take turns from the start, and finish together.
    expect(handedOut).toEqual([...Array(40).fill('first'), ...Array(40).fill('second')]);
  });

  it('starts no more jobs of a run once its consumer has failed it', async () => {
    const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 1_000 });
    const files = sample.good.map((path) => ({ path }));
    const pool = new WorkerPool({ jobs: 1, inlineSmallRuns: false });
    let calls = 0;
    try {
      const run = pool.run(
        files.map((_, i) => [i]),
        (indexes) => ({ op: 'meta', files: indexes.map((i) => files[i]!) }),
        files.length,
        {
          onFilesDone: () => {
            calls++;
            throw new Error('the consumer gives up');
          },
        },
      );
      await expect(run).rejects.toThrow('the consumer gives up');
      // The pool is still usable, and the failed run's queued jobs never ran.
      const again = await pool.run<unknown>([[0]], () => ({ op: 'meta', files: [files[0]!] }), 1);
      expect(again[0]!.ok).toBe(true);
    } finally {
      await pool.close();
    }
    expect(files.length).toBeGreaterThan(6);
    // The first job, and at most the two queued beside it (two per thread).
    expect(calls).toBeLessThanOrEqual(3);
  });
});

describe('a small run works on the calling thread', () => {
  // Linux: this process's threads. libuv's own start with its first file-system job, so a run comes first.
  const threads = () => readdirSync('/proc/self/task').length;
  /** The most threads this process had while files were being done. */
  const peakThreads = () => {
    let peak = 0;
    return { onProgress: () => void (peak = Math.max(peak, threads())), peak: () => peak };
  };
  const sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 100_000 });

  it('starts no thread, and gives what threads give: trees, summaries, warnings and errors alike', async () => {
    await archiveTrees({ sources: [sample.home] });
    const before = threads();
    const inline = peakThreads();
    const a = await archiveTrees({ sources: [sample.home], jobs: 2, onProgress: inline.onProgress });
    expect(inline.peak()).toBe(before);
    const threaded = peakThreads();
    const b = await archiveTrees({ sources: [sample.home], jobs: 2, inlineSmallRuns: false, onProgress: threaded.onProgress });
    expect(threaded.peak()).toBeGreaterThanOrEqual(before + 1);
    expect(b.report.errors.length + b.report.warnings.length).toBeGreaterThan(0); // the sample's damaged files
    // All but the timings.
    const { elapsedMs: _ea, mbPerSec: _sa, ...reportA } = a.report;
    const { elapsedMs: _eb, mbPerSec: _sb, ...reportB } = b.report;
    expect(reportA).toEqual(reportB);
    expect(a.projects).toEqual(b.projects);
  });

  it('an export made inline is the export threads make, byte for byte', async () => {
    const inlineOut = makeTempDir();
    const threadedOut = makeTempDir();
    const a = await exportArchive({ sources: [sample.home], out: inlineOut, jobs: 2 });
    const b = await exportArchive({ sources: [sample.home], out: threadedOut, jobs: 2, inlineSmallRuns: false });
    expect(a.report.errors).toEqual(b.report.errors);
    const ma = readManifest(inlineOut)!.sessions;
    const mb = readManifest(threadedOut)!.sessions;
    expect(ma.length).toBeGreaterThan(3);
    expect(ma).toEqual(mb);
    for (const e of ma) expect(readFileSync(join(inlineOut, e.output)).equals(readFileSync(join(threadedOut, e.output))), e.output).toBe(true);
  });

  it("keeps 100 characters of each first prompt, not the prompt: a tree's memory does not hold megabytes of pasted text", async () => {
    // setFlagsFromString('--expose-gc') and a fresh context's gc: the test's own heap, measured after a full collection.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const home = makeTempDir();
    // 16 prompts of 1,000,000 characters (2 MB each as V8 holds them): 32 MB of files, so the run is inline.
    for (let k = 0; k < 16; k++) writeSession(home, { cwd: '/prompts', rows: [{ user: `${k} ${'é'.repeat(1_000_000)}` }, { assistant: 'ok' }] });
    const used = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const before = used();
    const r = await archiveTrees({ sources: [home] });
    const held = used() - before;
    expect(r.projects[0]!.roots.map((n) => n.summary.firstUserText.length)).toEqual(Array(16).fill(100));
    // The prompts whole would be 32 MB; their first 100 characters are a few kB.
    expect(held).toBeLessThan(8 << 20);
  });

  it('a run with a file past the limit starts the threads', async () => {
    const home = makeTempDir();
    writeSession(home, { cwd: '/big', rows: [{ user: 'go' }, { toolResult: { callId: 'c', text: 'y'.repeat(SMALL_RUN.fileBytes + 1) } }] });
    await archiveTrees({ sources: [sample.home] });
    const before = threads();
    const run = peakThreads();
    const r = await archiveTrees({ sources: [home], jobs: 2, onProgress: run.onProgress });
    expect(r.report.errors).toEqual([]);
    expect(run.peak()).toBeGreaterThanOrEqual(before + 1);
  });

  it('a run past the limit starts the threads', async () => {
    const home = makeTempDir();
    for (let k = 0; k <= SMALL_RUN.files; k++) writeSession(home, { cwd: `/many/p${k % 3}`, rows: [{ user: `session ${k}` }] });
    await archiveTrees({ sources: [sample.home] });
    const before = threads();
    const run = peakThreads();
    const r = await archiveTrees({ sources: [home], jobs: 2, onProgress: run.onProgress });
    expect(r.report.errors).toEqual([]);
    expect(r.projects.reduce((n, p) => n + p.sessions, 0)).toBe(SMALL_RUN.files + 1);
    expect(run.peak()).toBeGreaterThanOrEqual(before + 1);
  });
});

/**
 * Unpack: a bundle into a zot home, project folders remapped, trees intact,
 * safe to run again and safe to kill.
 *
 * The manifest (the first entry) gives the plan per project; it is kept in
 * a temp file (manifest-file.ts), and each session is planned when its
 * entry comes: its new cwd, folder, id and name, and the local session of
 * the same id (the home's ids: id-paths.ts). The entries stream through,
 * one at a time: each is checked (name, type, size, then sha256 over all
 * its bytes) before anything of it is published, and goes to a new file, or
 * is compared with the local one — present (nothing written), grown (the
 * new rows appended atomically) or diverged (--on-conflict). Every file
 * appears whole or not at all, so a run killed at any point and run again
 * ends with the home a clean run makes: what the first run published is
 * found present, its temp files are removed.
 *
 * What became of each session is counted and handed on as it is known
 * (onSession), so what grows with the bundle is only the manifest's index
 * (about 30 bytes a session) and the home's ids (about 140). */
import { dirname, resolve } from 'node:path';
import { ZotpackError } from '../errors.js';
import { cwdMapOf, refuseIfNoneMoved, type CwdRule } from '../format/cwd-map.js';
import { derivedId } from '../format/derived-id.js';
import { callerCallback, rethrowCallers } from './caller-error.js';
import { pathOption, resolveBatchOptions, type Progress, type ResolvedBatchOptions } from './batch-options.js';
import { ReportBuilder, type BatchReport } from './batch-report.js';
import { HeldOutcomes } from './held-outcomes.js';
import { IdPaths, indexHomeIds } from './id-paths.js';
import { BundleReader, bundleName, probeBundle, probeBundleStream, type BundleSource } from './read-bundle.js';
import { Publisher } from './publisher.js';
import { WorkerPool } from './run-pool.js';
import { removeTempFiles } from './temp-files.js';
import { withRunLock } from './run-lock.js';
import { sessionsRoot } from '../format/project-key.js';
import type { ConflictPolicy } from './twin-sink.js';
import { unpacked, UnpackTally, type UnpackedSession, type UnpackProject } from './unpack-result.js';
import { exists, freshIdMapping, meetsHome, planProjects, planSession, routeSession, unsafeFolders, type RouteOptions } from './unpack-plan.js';
import { unpackSession, type UnpackContext } from './unpack-session.js';

export interface UnpackArchiveOptions {
  /**
   * The bundle file, or a stream (a pack piped from another machine), read
   * once: --on-conflict fail, which reads the bundle twice, needs a file.
   */
  bundle: BundleSource;
  /** The zot home to unpack into. */
  home: string;
  /** `OLD=NEW` cwd prefixes (strings as on the command line, or rules); the longest match wins. */
  mapCwd?: ReadonlyArray<string | CwdRule>;
  /** Give every session a new id (derived from its old one) and rewrite every parent link to match. */
  freshIds?: boolean;
  /** A session changed on both sides: leave it (skip, default), keep the bundled one as a copy, or stop (fail). */
  onConflict?: ConflictPolicy;
  /** Plan only: what would be new, present, appended or conflicting; write nothing. */
  dryRun?: boolean;
  /** fsync before publishing. Default true. */
  durable?: boolean;
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /**
   * What became of each session, as it is known: in the bundle's order,
   * then those it lacks in the manifest's. When given, the result's
   * `sessions` list stays empty.
   */
  onSession?: (s: UnpackedSession) => void;
  workerFile?: string;
  /** See BatchOptions.inlineSmallRuns. */
  inlineSmallRuns?: boolean;
}

export interface UnpackArchiveResult {
  bundle: { path: string; created: string; zotpack: string; sessions: number };
  home: string;
  dryRun: boolean;
  /**
   * False when the run wrote nothing by design: a dry run, or --on-conflict
   * fail met a conflict. Then each session's status is what a run would do
   * (new, appended, copied), and the report counts it unchanged.
   */
  written: boolean;
  projects: UnpackProject[];
  /** Every session, in onSession's order (without onSession). */
  sessions: UnpackedSession[];
  report: BatchReport;
}

const POLICIES: readonly ConflictPolicy[] = ['skip', 'copy', 'fail'];

interface Pass {
  head: UnpackArchiveResult['bundle'] | undefined;
  tally: UnpackTally;
  /** Refused entries and a bundle-level error. */
  errors: ZotpackError[];
  /** Sessions found to differ on both sides. */
  conflicts: number;
  /** Why the pass stopped before the bundle's end, if it did: what the sessions not reached fail with. */
  stopped?: ZotpackError;
}

/** Unpacks into `options.home`; one zotpack at a time writes into a home's sessions (run-lock.ts). */
export async function unpackArchive(options: UnpackArchiveOptions): Promise<UnpackArchiveResult> {
  pathOption(options.home, 'home');
  if (typeof options.bundle === 'string') pathOption(options.bundle, 'bundle');
  const guarded = { ...options, onProgress: callerCallback(options.onProgress), onSession: callerCallback(options.onSession) };
  return rethrowCallers(() =>
    withRunLock(options.dryRun ? undefined : sessionsRoot(resolve(options.home)), 'unpack', () => unpackUnlocked(guarded), { refuseLinks: true }),
  );
}

async function unpackUnlocked(options: UnpackArchiveOptions): Promise<UnpackArchiveResult> {
  const given = typeof options.bundle === 'string' ? resolve(options.bundle) : options.bundle;
  const bundle = bundleName(given);
  const resolved = resolveBatchOptions({ sources: [bundle], jobs: options.jobs, signal: options.signal, workerFile: options.workerFile, inlineSmallRuns: options.inlineSmallRuns });
  const home = resolve(options.home);
  const policy = options.onConflict ?? 'skip';
  if (!POLICIES.includes(policy)) throw new ZotpackError('E_USAGE', `--on-conflict takes skip, copy or fail, got '${String(policy)}'`);
  const cwdMap = cwdMapOf(options.mapCwd);
  const dryRun = options.dryRun === true;
  const report = new ReportBuilder('unpack', 0);
  // A bundle plainly not one fails at once, as the run's error: a file before the home is read, a stream's first bytes as it is.
  if (typeof given === 'string') probeBundle(given);
  else if (policy === 'fail' && !dryRun) {
    throw new ZotpackError('E_USAGE', '--on-conflict fail reads the bundle twice (a check, then the run): save the bundle to a file first', { path: bundle });
  }
  const probing = typeof given === 'string' ? Promise.resolve(given) : probeBundleStream(given, resolved.signal);
  probing.catch(() => {}); // awaited once the home is read
  let index: IdPaths;
  try {
    index = await indexHome(home, resolved, report);
  } catch (err) {
    if (typeof given !== 'string') given.stream.destroy();
    throw err;
  }
  const source = await probing.catch((err: unknown) => {
    // Ctrl-C before the stream said a word: an interrupted run that did nothing.
    if (err instanceof ZotpackError && err.code === 'E_ABORTED' && resolved.signal?.aborted) return undefined;
    throw err;
  });
  const sessions: UnpackedSession[] = [];
  const onSession = options.onSession ?? ((s: UnpackedSession) => sessions.push(s));

  const base = { home, cwdMap, freshIds: options.freshIds === true, policy, durable: options.durable ?? true, options };
  const run = (mode: Pick<PassOptions, 'dry' | 'probe' | 'failConflicts'>, out: ReportBuilder, each?: (s: UnpackedSession) => void) =>
    runPass(source!, index, { ...base, ...mode, report: out, onSession: each });
  let pass: Pass;
  let written = !dryRun;
  if (source === undefined) {
    pass = { head: undefined, tally: new UnpackTally([], report), errors: [], conflicts: 0 };
  } else if (!dryRun && policy === 'fail') {
    // A dry pass first, so that a conflict fails the run before anything is
    // written. It stops at the first conflict, and ends after the manifest
    // when nothing local shares an id.
    const probe = await run({ dry: true, probe: true }, new ReportBuilder('unpack', 0));
    if (resolved.signal?.aborted) {
      pass = probe;
    } else if (probe.conflicts > 0) {
      // Dry again, to say what became of every session: each conflict fails the run.
      written = false;
      pass = await run({ dry: true, failConflicts: true }, report, onSession);
    } else {
      pass = await run({ dry: false }, report, onSession);
    }
  } else {
    // A dry run under fail says what the real run would: each conflict fails it.
    pass = await run({ dry: dryRun, failConflicts: dryRun && policy === 'fail' }, report, onSession);
  }
  const interrupted = resolved.signal?.aborted === true;
  // Every session was routed: a rule that moved none has an OLD that names no project (a typo, a trailing part).
  if (!interrupted && pass.head) {
    for (const r of cwdMap.unused()) report.warn([{ code: 'W_UNUSED_MAP', message: `--map-cwd ${r.from}=${r.to}: no session of the bundle has its project folder under ${r.from}`, path: bundle }]);
  }
  const errors = pass.errors.filter((e) => e.code !== 'E_ABORTED');
  // The bundle's own error (cut short, corrupt) is reported, but is no file: each session it cost has an error of its own.
  const ofFiles = errors.filter((e) => e.path !== bundle).length;
  report.report.files = (pass.head?.sessions ?? 0) + ofFiles;
  for (const e of errors) report.fail({ code: e.code, message: e.reason, path: e.path });
  report.report.failed -= errors.length - ofFiles;
  const projects = pass.tally.finish();
  return {
    bundle: pass.head ?? { path: bundle, created: '', zotpack: '', sessions: 0 },
    home,
    dryRun,
    written,
    projects,
    sessions,
    report: report.finish(interrupted),
  };
}

/** The ids of the home's sessions (their first rows read on the pool), and its folders' warnings. */
async function indexHome(home: string, resolved: ResolvedBatchOptions, report: ReportBuilder): Promise<IdPaths> {
  const pool = new WorkerPool(resolved);
  try {
    return await indexHomeIds(home, { ...resolved, pool }, {}, (w) => report.warn(w));
  } finally {
    await pool.close();
  }
}

interface PassOptions extends RouteOptions {
  policy: ConflictPolicy;
  dry: boolean;
  /** The check before an --on-conflict fail run: dry, and done at the first conflict; it reports nothing. */
  probe?: boolean;
  /** After that check met a conflict: each conflict is a failure, for nothing was unpacked. */
  failConflicts?: boolean;
  durable: boolean;
  options: UnpackArchiveOptions;
  report: ReportBuilder;
  onSession?: (s: UnpackedSession) => void;
}

async function runPass(source: BundleSource, index: IdPaths, p: PassOptions): Promise<Pass> {
  const bundle = bundleName(source);
  const pass: Pass = { head: undefined, tally: new UnpackTally([], p.report), errors: [], conflicts: 0 };
  const { signal, onProgress } = p.options;
  const progress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, errors: 0 };
  const tell = () => onProgress?.({ ...progress });
  const route: RouteOptions = { home: p.home, cwdMap: p.cwdMap, freshIds: p.freshIds };
  let ctx: UnpackContext | undefined;
  let unsafe = new Map<string, ZotpackError>();
  const touched = new Set<string>();
  const publisher = !p.dry && p.durable ? new Publisher() : undefined;
  const held = new HeldOutcomes(publisher, (s, size) => pass.tally.add(s, size));
  // A file of this run that waits to be published has its name already.
  const taken = (target: string) => {
    if (publisher?.has(target)) held.settle();
    return exists(target);
  };
  const reader = new BundleReader(source, { signal, onBytes: (done, total) => ((progress.bytesDone = done), (progress.bytesTotal = total), tell()) });
  try {
    try {
      for await (const item of reader.items()) {
        if (item.kind === 'manifest') {
          const m = item.manifest;
          pass.head = { path: bundle, created: m.created, zotpack: m.zotpack, sessions: m.count };
          for (const r of m.rejected) pass.errors.push(r.error);
          const projects = planProjects(m, route);
          if (!p.dry && m.count > 0) refuseIfNoneMoved(p.cwdMap, bundle);
          pass.tally = new UnpackTally(projects, p.report, p.onSession, !p.dry);
          progress.filesTotal = m.count;
          tell();
          unsafe = unsafeFolders(p.home, projects.map((x) => x.key));
          ctx = {
            rewrite: { cwd: p.cwdMap, ids: p.freshIds ? freshIdMapping(m) : undefined },
            index,
            // A dry pass plans copies as a real one makes them; fail's conflicts it reports (failConflicts).
            onConflict: p.dry && p.policy === 'fail' ? 'skip' : p.policy,
            dryRun: p.dry,
            durable: p.durable,
            publisher,
          };
          if (p.dry && !meetsHome(m, { ...route, index })) {
            // Nothing here to compare with: the plan is the answer, from the first entry alone.
            for (const [r, entry] of m.all()) {
              const s = routeSession(entry, route);
              held.add(unpacked(s, unsafe.get(s.key) ?? { status: 'new', path: s.target, bytes: entry.size }, ''), entry.size);
              m.markDone(r);
            }
            reader.readToEnd();
            return pass;
          }
          continue;
        }
        if (item.kind === 'refused') {
          pass.errors.push(item.error);
          continue;
        }
        const plan = planSession(item.session, { ...route, index, taken });
        // Compared with a session this run wrote: publish it first.
        if (plan.twin && publisher?.has(plan.twin)) held.settle();
        const refused = unsafe.get(plan.key);
        if (!p.dry && !refused) {
          // Temp files a killed run left where this one writes: gone before it writes there.
          for (const dir of [dirname(plan.target), dirname(plan.twin ?? plan.target)]) {
            if (touched.has(dir)) continue;
            touched.add(dir);
            await removeTempFiles(dir);
          }
        }
        let done: UnpackedSession;
        if (refused) {
          done = unpacked(plan, refused, '');
        } else if (p.dry && !plan.twin && !plan.nameTaken) {
          done = unpacked(plan, { status: 'new', path: plan.target, bytes: plan.entry.size }, '');
        } else {
          const outcome = await unpackSession(plan, item.data, { ...ctx!, mtime: item.mtime }).catch((err: unknown) => {
            if (!(err instanceof ZotpackError) || err.code === 'E_ABORTED') throw err;
            // The bundle broke off inside this session: named once as the bundle's error, here as the session's.
            if (err.code === 'E_BAD_BUNDLE' && err.path === bundle) {
              return new ZotpackError('E_BAD_BUNDLE', 'not unpacked: the bundle ends (or breaks) inside it', { path: item.session.path });
            }
            return err;
          });
          done = unpacked(plan, outcome, derivedId('copy', plan.id));
          // Only an id the bundle lists again needs what this run wrote in the index.
          if (!p.dry && reader.manifest!.idListedTwice(item.session.id)) learn(index, done);
        }
        reader.manifest!.markDone(item.r);
        if (done.status === 'conflict') {
          pass.conflicts++;
          if (p.failConflicts) done = failedByConflict(done);
        }
        held.add(done, plan.entry.size);
        if (done.error?.code === 'E_CONFLICT' && !p.failConflicts) {
          pass.stopped = new ZotpackError('E_CONFLICT', 'not unpacked: the run stopped at a conflict (--on-conflict fail)');
          break;
        }
        progress.filesDone++;
        if (done.status === 'failed') progress.errors++;
        tell();
        if (p.probe && pass.conflicts > 0) break;
      }
    } catch (err) {
      // A usage error (rules that move nothing) is the run's, found before anything was written.
      if (!(err instanceof ZotpackError) || err.code === 'E_USAGE') throw err;
      pass.errors.push(err);
      if (err.code !== 'E_BAD_BUNDLE' && err.code !== 'E_ABORTED') pass.stopped ??= new ZotpackError(err.code, `not unpacked: the run stopped (${err.message})`);
    } finally {
      // Finished sessions are published even after an interrupt: a re-run has less to do.
      held.settle();
      if (signal?.aborted) for (const dir of touched) await removeTempFiles(dir);
    }
    const m = reader.manifest;
    if (m && !signal?.aborted && !p.probe) {
      const cut = pass.errors.some((e) => e.code === 'E_BAD_BUNDLE' && e.path === bundle);
      const why = cut ? 'not unpacked: the bundle ends (or breaks) before it' : 'missing from the bundle: the manifest lists it, the bundle does not hold it';
      for (const [, entry] of m.pending()) {
        const error = new ZotpackError(pass.stopped?.code ?? 'E_BAD_BUNDLE', pass.stopped?.reason ?? why, { path: entry.path });
        held.add(unpacked(routeSession(entry, route), error, ''), entry.size);
      }
    }
  } finally {
    reader.close();
  }
  return pass;
}

/** A conflict under --on-conflict fail: the failure that kept the run from writing. */
function failedByConflict(s: UnpackedSession): UnpackedSession {
  const why = s.conflict?.reason ?? 'the session changed on both sides';
  return { ...s, status: 'failed', error: { code: 'E_CONFLICT', message: `${why} (the local file differs from the bundled session at its byte ${s.conflict?.at ?? 0}); nothing was unpacked`, path: s.path } };
}

/** Sessions written in this run join the index: a later entry with the same id compares with them. */
function learn(index: IdPaths, s: UnpackedSession): void {
  if (s.status === 'new' && s.id !== '') index.add(s.id, s.path);
  if (s.copy?.status === 'new') index.add(s.copy.id, s.copy.path);
}

/**
 * Unpack: a bundle into a zot home, project folders remapped, trees intact,
 * safe to run again and safe to kill.
 *
 * The manifest (the first entry) gives the plan: each session's new cwd,
 * folder, id and name, and the local session of the same id, if any. Then
 * the entries stream through, one at a time: each is checked (name, type,
 * size, then sha256 over all its bytes) before anything of it is published,
 * and goes to a new file, or is compared with the local one — present
 * (nothing written), grown (the new rows appended atomically) or diverged
 * (--on-conflict). Every file appears whole or not at all, so a run killed
 * at any point and run again ends with the home a clean run makes: what the
 * first run published is found present, its temp files are removed.
 */
import { join, resolve } from 'node:path';
import { ZotpackError } from '../errors.js';
import { CwdMap, parseCwdRule, type CwdRule } from '../format/cwd-map.js';
import { derivedId } from '../format/derived-id.js';
import { sessionsRoot } from '../format/project-key.js';
import { resolveBatchOptions, type Progress } from './batch-options.js';
import { ReportBuilder, type BatchReport } from './batch-report.js';
import type { BundleManifest } from './bundle-manifest.js';
import { indexHome, type HomeIndex } from './home-index.js';
import { probeBundle, readBundle } from './read-bundle.js';
import { Publisher } from './publisher.js';
import { removeTempFiles } from './temp-files.js';
import type { ConflictPolicy } from './twin-sink.js';
import { reportSessions, tallyProjects, unpacked, type UnpackedSession, type UnpackProject } from './unpack-result.js';
import { planUnpack, unsafeFolders, type PlannedSession, type UnpackPlan } from './unpack-plan.js';
import { unpackSession, type UnpackContext } from './unpack-session.js';

export interface UnpackArchiveOptions {
  /** The bundle file. */
  bundle: string;
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
  workerFile?: string;
}

export interface UnpackArchiveResult {
  bundle: { path: string; created: string; zotpack: string; sessions: number };
  home: string;
  dryRun: boolean;
  /** False when the run wrote nothing by design: a dry run, or --on-conflict fail met a conflict. */
  written: boolean;
  projects: UnpackProject[];
  sessions: UnpackedSession[];
  report: BatchReport;
}

const POLICIES: readonly ConflictPolicy[] = ['skip', 'copy', 'fail'];

interface Pass {
  manifest: BundleManifest | undefined;
  plan: UnpackPlan | undefined;
  sessions: Map<string, UnpackedSession>;
  /** Refused entries and a bundle-level error. */
  errors: ZotpackError[];
  /** Why the pass stopped before the bundle's end, if it did: what the sessions not reached fail with. */
  stopped?: ZotpackError;
}

export async function unpackArchive(options: UnpackArchiveOptions): Promise<UnpackArchiveResult> {
  const bundle = resolve(options.bundle);
  const resolved = resolveBatchOptions({ sources: [bundle], jobs: options.jobs, signal: options.signal, workerFile: options.workerFile });
  const home = resolve(options.home);
  const policy = options.onConflict ?? 'skip';
  if (!POLICIES.includes(policy)) throw new ZotpackError('E_USAGE', `--on-conflict takes skip, copy or fail, got '${String(policy)}'`);
  const cwdMap = new CwdMap((options.mapCwd ?? []).map((r) => (typeof r === 'string' ? parseCwdRule(r) : r)));
  const dryRun = options.dryRun === true;
  const report = new ReportBuilder('unpack', 0);
  const { size: bundleSize } = probeBundle(bundle);
  const { index, warnings } = await indexHome(home, resolved);
  report.warn(warnings);

  const run = (dry: boolean) =>
    runPass(bundle, bundleSize, index, { home, cwdMap, freshIds: options.freshIds === true, policy, dry, durable: options.durable ?? true, options });
  let pass: Pass;
  let written = !dryRun;
  if (!dryRun && policy === 'fail') {
    // A dry pass first, so that a conflict fails the run before anything is
    // written. It ends after the manifest when nothing local shares an id.
    pass = await run(true);
    const conflicts = [...pass.sessions.values()].filter((s) => s.status === 'conflict');
    if (conflicts.length > 0) {
      written = false;
      for (const s of conflicts) {
        s.status = 'failed';
        const why = s.conflict?.reason ?? 'the session changed on both sides';
        s.error = { code: 'E_CONFLICT', message: `${why} (they differ from byte ${s.conflict?.at ?? 0}); nothing was unpacked`, path: s.path };
      }
    } else if (!resolved.signal?.aborted) {
      pass = await run(false);
    }
  } else {
    pass = await run(dryRun);
  }
  const interrupted = resolved.signal?.aborted === true;
  const manifest = pass.manifest;
  const sessions = manifest ? manifest.sessions.map((s) => pass.sessions.get(s.path)).filter((s): s is UnpackedSession => s !== undefined) : [];
  report.report.files = (manifest?.sessions.length ?? 0) + pass.errors.filter((e) => e.code !== 'E_ABORTED').length;
  for (const e of pass.errors) if (e.code !== 'E_ABORTED') report.fail({ code: e.code, message: e.reason, path: e.path });
  reportSessions(report, sessions, new Map((manifest?.sessions ?? []).map((s) => [s.path, s.size])));
  return {
    bundle: { path: bundle, created: manifest?.created ?? '', zotpack: manifest?.zotpack ?? '', sessions: manifest?.sessions.length ?? 0 },
    home,
    dryRun,
    written,
    projects: pass.plan ? tallyProjects(pass.plan.projects, sessions) : [],
    sessions,
    report: report.finish(interrupted),
  };
}

interface PassOptions {
  home: string;
  cwdMap: CwdMap;
  freshIds: boolean;
  policy: ConflictPolicy;
  dry: boolean;
  durable: boolean;
  options: UnpackArchiveOptions;
}

async function runPass(bundle: string, bundleSize: number, index: HomeIndex, p: PassOptions): Promise<Pass> {
  const pass: Pass = { manifest: undefined, plan: undefined, sessions: new Map(), errors: [] };
  const { signal, onProgress } = p.options;
  const progress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: bundleSize, errors: 0 };
  const tell = () => onProgress?.({ ...progress });
  let byPath = new Map<string, PlannedSession>();
  let ctx: UnpackContext | undefined;
  let unsafe = new Map<string, ZotpackError>();
  const touched = new Set<string>();
  const publisher = !p.dry && p.durable ? new Publisher(sessionsRoot(p.home)) : undefined;
  const publish = () => {
    if (!publisher) return;
    publisher.flush();
    for (const [target, err] of publisher.failures) failPublished(pass, target, err);
    publisher.failures.clear();
  };
  try {
    for await (const item of readBundle(bundle, { signal, onBytes: (n) => ((progress.bytesDone = n), tell()) })) {
      if (item.kind === 'manifest') {
        pass.manifest = item.manifest;
        for (const r of item.rejected) pass.errors.push(r.error);
        pass.plan = planUnpack(item.manifest.sessions, { home: p.home, cwdMap: p.cwdMap, freshIds: p.freshIds, index });
        byPath = new Map(pass.plan.sessions.map((s) => [s.entry.path, s]));
        progress.filesTotal = pass.plan.sessions.length;
        tell();
        unsafe = unsafeFolders(p.home, pass.plan.sessions.map((s) => s.key));
        ctx = { rewrite: { cwd: p.cwdMap, ids: pass.plan.ids }, index, onConflict: p.dry ? 'skip' : p.policy, dryRun: p.dry, durable: p.durable, publisher };
        if (p.dry && pass.plan.sessions.every((s) => !s.twin && !s.nameTaken)) {
          // Nothing here to compare with: the plan is the answer, from the first entry alone.
          for (const s of pass.plan.sessions) {
            pass.sessions.set(s.entry.path, unpacked(s, unsafe.get(s.key) ?? { status: 'new', path: s.target, bytes: s.entry.size }, ''));
          }
          return pass;
        }
        if (!p.dry) {
          for (const s of pass.plan.sessions) touched.add(join(s.target, '..')).add(join(s.twin?.path ?? s.target, '..'));
          for (const dir of touched) await removeTempFiles(dir);
        }
        continue;
      }
      if (item.kind === 'refused') {
        pass.errors.push(item.error);
        continue;
      }
      const plan = byPath.get(item.session.path)!;
      // A session met earlier in this bundle (a duplicate id) is the twin now.
      const current = plan.twin ? plan : { ...plan, twin: index.withId(plan.id, plan.target)[0] };
      // Compared with a session this run wrote: publish it first.
      if (current.twin && publisher?.has(current.twin.path)) publish();
      const refused = unsafe.get(plan.key);
      if (refused) {
        pass.sessions.set(plan.entry.path, unpacked(plan, refused, ''));
      } else if (p.dry && !current.twin && !current.nameTaken) {
        pass.sessions.set(plan.entry.path, unpacked(plan, { status: 'new', path: plan.target, bytes: plan.entry.size }, ''));
      } else {
        const outcome = await unpackSession(current, item.data, ctx!).catch((err: unknown) => {
          if (err instanceof ZotpackError && err.code !== 'E_ABORTED') return err;
          throw err;
        });
        const copyId = derivedId('copy', plan.id);
        const done = unpacked(current, outcome, copyId);
        pass.sessions.set(plan.entry.path, done);
        if (!p.dry) learn(index, done);
        if (done.error?.code === 'E_CONFLICT') {
          pass.stopped = new ZotpackError('E_CONFLICT', 'not unpacked: the run stopped at a conflict (--on-conflict fail)');
          break;
        }
      }
      progress.filesDone++;
      if (pass.sessions.get(plan.entry.path)?.status === 'failed') progress.errors++;
      tell();
    }
  } catch (err) {
    if (!(err instanceof ZotpackError)) throw err;
    pass.errors.push(err);
    if (err.code !== 'E_BAD_BUNDLE' && err.code !== 'E_ABORTED') pass.stopped ??= new ZotpackError(err.code, `not unpacked: the run stopped (${err.message})`);
  } finally {
    // Finished sessions are published even after an interrupt: a re-run has less to do.
    publish();
    if (signal?.aborted) for (const dir of touched) await removeTempFiles(dir);
  }
  if (pass.manifest && !signal?.aborted) {
    const cut = pass.errors.some((e) => e.code === 'E_BAD_BUNDLE' && e.path === bundle);
    for (const s of pass.plan!.sessions) {
      if (pass.sessions.has(s.entry.path)) continue;
      const why = cut ? 'not unpacked: the bundle ends (or breaks) before it' : 'missing from the bundle: the manifest lists it, the bundle does not hold it';
      const error = new ZotpackError(pass.stopped?.code ?? 'E_BAD_BUNDLE', pass.stopped?.reason ?? why, { path: s.entry.path });
      pass.sessions.set(s.entry.path, unpacked(s, error, ''));
    }
  }
  return pass;
}

/** A session (or its copy) whose batch could not be published: failed after all. */
function failPublished(pass: Pass, target: string, err: ZotpackError): void {
  for (const s of pass.sessions.values()) {
    if (s.status === 'new' && s.path === target) {
      s.status = 'failed';
      s.error = { code: err.code, message: err.reason, path: err.path ?? target };
    } else if (s.copy?.path === target && s.copy.status === 'new') {
      s.status = 'failed';
      s.error = { code: err.code, message: `the copy ${err.reason}`, path: err.path ?? target };
    }
  }
}

/** Sessions written in this run join the index: a later entry with the same id compares with them. */
function learn(index: HomeIndex, s: UnpackedSession): void {
  if (s.status === 'new') index.add({ path: s.path, key: s.key, id: s.id, parent: '' });
  if (s.copy?.status === 'new') index.add({ path: s.copy.path, key: s.key, id: s.copy.id, parent: '' });
}


/**
 * What an unpack reports: per session what became of it, per project the
 * counts, and the run's BatchReport.
 */
import type { ZotpackError } from '../errors.js';
import type { ReportBuilder } from './batch-report.js';
import type { JobError } from './protocol.js';
import type { SinkOutcome } from './session-sink.js';
import type { PlannedSession, ProjectPlan } from './unpack-plan.js';

export type UnpackStatus = 'new' | 'present' | 'appended' | 'conflict' | 'copied' | 'failed';

export interface UnpackedSession {
  /** The entry in the bundle. */
  entry: string;
  /** The id in the bundle, and in the home. */
  sourceId: string;
  id: string;
  fromCwd: string;
  cwd: string;
  key: string;
  status: UnpackStatus;
  /** The session file in the home (written, appended to, or compared with). */
  path: string;
  /** Bytes written: the whole file (new), the appended tail (appended). */
  bytes?: number;
  /** The local file goes on beyond the bundled bytes (present). */
  localAhead?: boolean;
  /** Where the two sides first differ, and why (conflict, copied). */
  conflict?: { at: number; reason?: string };
  /** The copy made of a conflicting session (copied). */
  copy?: { path: string; id: string; status: 'new' | 'present' | 'appended' | 'conflict' };
  error?: JobError;
}

export interface UnpackProject extends ProjectPlan {
  new: number;
  present: number;
  appended: number;
  conflict: number;
  copied: number;
  failed: number;
}

/** A session's entry in the result, from its plan and outcome. */
export function unpacked(plan: PlannedSession, outcome: SinkOutcome | ZotpackError, copyId: string): UnpackedSession {
  const base = { entry: plan.entry.path, sourceId: plan.entry.id, id: plan.id, fromCwd: plan.entry.cwd, cwd: plan.cwd, key: plan.key };
  if (!('status' in outcome)) {
    const error: JobError = { code: outcome.code, message: outcome.reason, path: outcome.path ?? plan.entry.path };
    return { ...base, status: 'failed', path: plan.target, error };
  }
  switch (outcome.status) {
    case 'new':
    case 'appended':
      return { ...base, status: outcome.status, path: outcome.path, bytes: outcome.bytes };
    case 'present':
      return { ...base, status: 'present', path: outcome.path, localAhead: outcome.localAhead };
    case 'conflict':
      return { ...base, status: 'conflict', path: outcome.path, conflict: { at: outcome.at, reason: outcome.reason } };
    case 'copied': {
      const c = outcome.copy;
      const status = c.status === 'copied' ? 'conflict' : c.status;
      return { ...base, status: 'copied', path: outcome.path, conflict: { at: outcome.at }, copy: { path: c.path, id: copyId, status } };
    }
  }
}

/** Per-project counts of a finished (or dry) run. */
export function tallyProjects(projects: readonly ProjectPlan[], sessions: readonly UnpackedSession[]): UnpackProject[] {
  const out = projects.map((p) => ({ ...p, new: 0, present: 0, appended: 0, conflict: 0, copied: 0, failed: 0 }));
  const byPair = new Map(out.map((p) => [`${p.fromKey}>${p.key}`, p]));
  for (const s of sessions) {
    const p = byPair.get(`${s.entry.split('/')[1]}>${s.key}`);
    if (p) p[s.status]++;
  }
  return out;
}

/** Folds the sessions into the run's report. */
export function reportSessions(report: ReportBuilder, sessions: readonly UnpackedSession[], sizes: ReadonlyMap<string, number>): void {
  const r = report.report;
  for (const s of sessions) {
    if (s.status === 'failed') {
      report.fail(s.error!);
      continue;
    }
    r.bytes += sizes.get(s.entry) ?? 0;
    if (s.status === 'present') r.skipped++;
    else if (s.status === 'conflict') {
      r.skipped++;
      report.warn([
        {
          code: 'W_CONFLICT',
          message: `${s.conflict?.reason ?? 'the session changed on both sides'} (they differ from byte ${s.conflict?.at ?? 0}); left as it was (--on-conflict copy keeps both)`,
          path: s.path,
        },
      ]);
    } else r.succeeded++;
  }
}

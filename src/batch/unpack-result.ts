/**
 * What an unpack reports: per session what became of it, per project the
 * counts, and the run's BatchReport.
 */
import type { ZotpackError } from '../errors.js';
import type { ReportBuilder } from './batch-report.js';
import type { JobError } from './protocol.js';
import type { SinkOutcome } from './session-sink.js';
import type { ProjectPlan, Route } from './unpack-plan.js';

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
  /** Where the two sides first differ, and why (conflict, copied, or present as an earlier run's copy). */
  conflict?: { at: number; reason?: string };
  /** The copy of a conflicting session: made by this run (copied), or by an earlier one (present, conflict). */
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
export function unpacked(plan: Route, outcome: SinkOutcome | ZotpackError, copyId: string): UnpackedSession {
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
      // The session's status says what this run did: a copy an earlier run
      // made, found whole, is present (a re-run writes nothing), and one
      // that went on in both places is a conflict of its own.
      const c = outcome.copy;
      const copyStatus = c.status === 'copied' ? 'conflict' : c.status;
      const copy = { path: c.path, id: copyId, status: copyStatus };
      const conflict = { at: outcome.at, reason: c.status === 'conflict' || c.status === 'copied' ? `the copy an earlier run made (${c.path}) changed too` : undefined };
      const status = copyStatus === 'new' || copyStatus === 'appended' ? 'copied' : copyStatus;
      return { ...base, status, path: outcome.path, conflict, copy };
    }
  }
}

/**
 * A run's sessions as they are known, each counted once: per project, and
 * in the report (bytes, unchanged, warnings at once; failures kept to be
 * reported after the bundle's own errors, as they always came). Nothing
 * of a session is kept once it is counted and handed on.
 */
export class UnpackTally {
  private readonly byPair = new Map<string, UnpackProject>();
  private readonly projects: UnpackProject[];
  private readonly failures: JobError[] = [];

  constructor(
    plans: readonly ProjectPlan[],
    private readonly report: ReportBuilder,
    private readonly onSession?: (s: UnpackedSession) => void,
    /** False for a pass that writes nothing (a dry run): what it would write is counted unchanged. */
    private readonly written = true,
  ) {
    this.projects = plans.map((p) => ({ ...p, new: 0, present: 0, appended: 0, conflict: 0, copied: 0, failed: 0 }));
    for (const p of this.projects) this.byPair.set(`${p.fromKey}>${p.key}`, p);
  }

  /** A session's outcome; `size`: its bytes in the bundle. */
  add(s: UnpackedSession, size: number): void {
    const p = this.byPair.get(`${s.entry.split('/')[1]}>${s.key}`);
    if (p) p[s.status]++;
    const r = this.report.report;
    if (s.status === 'failed') {
      this.failures.push(s.error!);
    } else {
      r.bytes += size;
      if (s.status === 'present') r.skipped++;
      else if (s.status === 'conflict') {
        r.skipped++;
        this.report.warn([
          {
            code: 'W_CONFLICT',
            message: `${s.conflict?.reason ?? 'the session changed on both sides'} (the local file differs from the bundled session at its byte ${s.conflict?.at ?? 0}); ${s.copy ? 'both left as they were' : 'left as it was (--on-conflict copy keeps both)'}`,
            path: s.path,
          },
        ]);
      } else if (this.written) r.succeeded++;
      else r.skipped++;
    }
    this.onSession?.(s);
  }

  /** Reports the sessions that failed; the projects, with their counts. */
  finish(): UnpackProject[] {
    for (const e of this.failures) this.report.fail(e);
    this.failures.length = 0;
    return this.projects;
  }
}

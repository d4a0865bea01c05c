/**
 * One bundled session into the home: its bytes hashed as they stream in,
 * rewritten (cwd, ids) on the way to a sink — a new file, or a comparison
 * with the local session of the same id — and published only once the
 * size and sha256 match the manifest.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { ZotpackError } from '../errors.js';
import { derivedId, renamedFor } from '../format/derived-id.js';
import { isIdentity, type MetaRewrite } from '../session/meta-rewrite.js';
import type { IdPaths } from './id-paths.js';
import { FirstRowSink, NewSink, RewriteSink, type SessionSink, type SinkOptions, type SinkOutcome } from './session-sink.js';
import { TwinSink, type ConflictPolicy } from './twin-sink.js';
import type { PlannedSession } from './unpack-plan.js';

export interface UnpackContext extends SinkOptions {
  rewrite: MetaRewrite;
  /** The ids of the home, and of the sessions this run has written. */
  index: IdPaths;
  onConflict: ConflictPolicy;
}

/**
 * A conflicting session kept as a copy: a new id derived from its own (so a
 * second run finds the copy it made the first time), the same parent, the
 * same start time in its file name.
 */
function copySink(plan: PlannedSession, ctx: UnpackContext): SessionSink {
  const id = derivedId('copy', plan.id);
  const twin = ctx.index.where(id);
  const inner = twin
    ? new TwinSink(twin, { ...ctx, onConflict: 'skip' })
    : new NewSink(join(dirname(plan.target), renamedFor(plan.file, id)), ctx);
  return new RewriteSink({ ids: new Map([[plan.id, id]]) }, inner);
}

/** The sink a planned session's bundled bytes go to. */
export function sinkFor(plan: PlannedSession, ctx: UnpackContext): SessionSink {
  const twinOptions = { ...ctx, copy: ctx.onConflict === 'copy' ? () => copySink(plan, ctx) : undefined };
  let inner: SessionSink;
  if (plan.twin) {
    // A twin in another project folder was unpacked with other cwds (another --map-cwd?).
    const elsewhere = dirname(plan.twin) !== dirname(plan.target);
    const reason = elsewhere ? `the session is already in ${dirname(plan.twin)}, with other bytes (unpacked with another --map-cwd?)` : undefined;
    inner = new TwinSink(plan.twin, { ...twinOptions, reason });
  }
  else if (plan.nameTaken) inner = new TwinSink(plan.target, { ...twinOptions, conflict: 'a different session has this file name' });
  else inner = new NewSink(plan.target, ctx);
  return isIdentity(ctx.rewrite) ? inner : new RewriteSink(ctx.rewrite, inner);
}

/** Streams `data` into the session's sink; throws E_HASH_MISMATCH (publishing nothing) when the bytes are not the manifest's. */
export async function unpackSession(
  plan: PlannedSession,
  data: AsyncIterable<Buffer>,
  ctx: UnpackContext,
  onBytes?: (n: number) => void,
): Promise<SinkOutcome> {
  const { size, sha256, path } = plan.entry;
  const hash = createHash('sha256');
  let n = 0;
  // A failing sink (a full disk, a conflict under --on-conflict fail) stops
  // writing, not reading: the entry is read to its end, so the bundle can go on.
  let failure: unknown;
  let sink: SessionSink | undefined;
  try {
    sink = new FirstRowSink(plan.entry, sinkFor(plan, ctx));
  } catch (err) {
    failure = err;
  }
  try {
    for await (const chunk of data) {
      n += chunk.length;
      hash.update(chunk);
      onBytes?.(chunk.length);
      if (failure !== undefined) continue;
      try {
        sink!.write(chunk);
      } catch (err) {
        failure = err;
        sink!.abort();
      }
    }
    // Bytes not the manifest's are the finding, whatever the sink made of them (a flipped byte in the meta row).
    if (n !== size) throw new ZotpackError('E_HASH_MISMATCH', `the entry has ${n} bytes, the manifest says ${size}: nothing written`, { path });
    const got = hash.digest('hex');
    if (got !== sha256) throw new ZotpackError('E_HASH_MISMATCH', `sha256 ${got} differs from the manifest's ${sha256}: nothing written`, { path });
    if (failure !== undefined) throw failure;
    return sink!.finish();
  } catch (err) {
    sink?.abort();
    throw err;
  }
}

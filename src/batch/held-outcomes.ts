/**
 * What became of an unpack's sessions, handed on in the order they came,
 * each only once it is final: a new file waiting in a Publisher batch is
 * not there yet, and fails if its batch cannot be published. Outcomes wait
 * here while such a file of theirs, or of one before them, waits; past a
 * bound (a few hundred bytes each) the batch is published early, so memory
 * does not grow with the bundle's sessions.
 */
import type { ZotpackError } from '../errors.js';
import type { Publisher } from './publisher.js';
import type { UnpackedSession } from './unpack-result.js';

/** Outcomes held before the files they wait for are published anyway. */
const MAX_HELD = 8192;

interface Held {
  s: UnpackedSession;
  /** The session's bytes in the bundle. */
  size: number;
}

export class HeldOutcomes {
  private readonly held: Held[] = [];

  /** Without a publisher (a dry run, or one that publishes each file at once) nothing waits. */
  constructor(
    private readonly publisher: Publisher | undefined,
    private readonly deliver: (s: UnpackedSession, size: number) => void,
  ) {}

  add(s: UnpackedSession, size: number): void {
    const waits = this.publisher !== undefined && (s.status === 'new' || s.copy?.status === 'new');
    if (this.held.length === 0 && !waits) return this.deliver(s, size);
    this.held.push({ s, size });
    // The publisher publishes a batch by itself once it holds 512 MB.
    if (this.publisher!.waiting === 0 || this.held.length >= MAX_HELD) this.settle();
  }

  /** Publishes what waits, then hands on every outcome held for it. */
  settle(): void {
    const { publisher, held } = this;
    if (publisher) {
      publisher.flush();
      for (const [target, err] of publisher.failures) failPublished(held, target, err);
      publisher.failures.clear();
    }
    for (const h of held) this.deliver(h.s, h.size);
    held.length = 0;
  }
}

/** A session (or its copy) whose batch could not be published: failed after all. */
function failPublished(held: readonly Held[], target: string, err: ZotpackError): void {
  for (const { s } of held) {
    if (s.status === 'new' && s.path === target) {
      s.status = 'failed';
      s.error = { code: err.code, message: err.reason, path: err.path ?? target };
    } else if (s.copy?.path === target && s.copy.status === 'new') {
      s.status = 'failed';
      s.error = { code: err.code, message: `the copy ${err.reason}`, path: err.path ?? target };
    }
  }
}

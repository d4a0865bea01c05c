/**
 * Waiting for a writable stream (Node's or streamx's) to take more:
 * resolves on `drain` (or when `start`'s wait calls back), or when the
 * stream closes or fails, or `signal` aborts — a destroyed stream never
 * drains, standard output never closes, a reader may stall for good, and a
 * writer waiting on any of them must not hang. The caller then looks at
 * what ended the wait.
 */
export function drained(w: NodeJS.EventEmitter, signal?: AbortSignal, start: (done: () => void) => void = (done) => w.once('drain', done)): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      for (const e of ['drain', 'close', 'error']) w.off(e, done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    w.on('close', done);
    w.on('error', done);
    signal?.addEventListener('abort', done, { once: true });
    start(done);
  });
}

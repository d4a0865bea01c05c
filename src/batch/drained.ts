/**
 * Waiting for a writable stream (Node's or streamx's) to take more: resolves
 * on `drain`, or when the stream closes — a destroyed stream never drains,
 * and a writer waiting on it must not hang.
 */
export function drained(w: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
  });
}

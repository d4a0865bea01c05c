/**
 * A bundle written to a stream (`pack -o -`: standard output, piped to ssh
 * or to unpack) instead of a file: with backpressure, and with the stream's
 * own failure — the reader gone (EPIPE), a full disk behind a redirect — as
 * the run's E_WRITE naming it. A stream has no temp file to publish or
 * remove: a run that fails leaves what it wrote, a bundle cut short that
 * unpack and verify report as such (E_BAD_BUNDLE).
 */
import { fromFsError, ZotpackError } from '../errors.js';
import { drained } from './drained.js';

export class StreamOut {
  bytesWritten = 0;
  private error: ZotpackError | undefined;
  private readonly onError = (err: Error) => {
    this.error ??= fromFsError(err, this.name, 'cannot write the bundle', true);
  };

  /** `signal`: Ctrl-C, which must not wait for a reader that stalled (a network gone quiet). */
  constructor(
    private readonly stream: NodeJS.WritableStream,
    readonly name: string,
    private readonly signal?: AbortSignal,
  ) {
    stream.on('error', this.onError);
  }

  private check(): void {
    // Destroyed with no error (a consumer that went away, a caller that gave up): a write would wait for a drain that never comes.
    if ((this.stream as { destroyed?: boolean }).destroyed && !this.error) {
      this.error = new ZotpackError('E_WRITE', 'cannot write the bundle: the stream was closed', { path: this.name });
    }
    if (this.error) throw this.error;
    if (this.signal?.aborted) throw new ZotpackError('E_ABORTED', 'interrupted', { path: this.name });
  }

  async write(chunk: Buffer): Promise<void> {
    this.check();
    this.bytesWritten += chunk.length;
    if (!this.stream.write(chunk)) await drained(this.stream, this.signal);
    this.check();
  }

  /** Resolves once everything written has been handed on (the write callback of an empty last write). */
  async flush(): Promise<void> {
    this.check();
    await drained(this.stream, this.signal, (done) =>
      this.stream.write(Buffer.alloc(0), (err) => {
        if (err) this.onError(err);
        done();
      }),
    );
    this.check();
  }

  /** Stops listening to the stream; it stays open (standard output belongs to the process). */
  close(): void {
    this.stream.off('error', this.onError);
  }
}

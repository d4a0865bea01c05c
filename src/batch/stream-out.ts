/**
 * A bundle written to a stream (`pack -o -`: standard output, piped to ssh
 * or to unpack) instead of a file: with backpressure, and with the stream's
 * own failure — the reader gone (EPIPE), a full disk behind a redirect — as
 * the run's E_WRITE naming it. A stream has no temp file to publish or
 * remove: a run that fails leaves what it wrote, a bundle cut short that
 * unpack and verify report as such (E_BAD_BUNDLE).
 */
import { fromFsError, type ZotpackError } from '../errors.js';

export class StreamOut {
  bytesWritten = 0;
  private error: ZotpackError | undefined;
  private readonly onError = (err: Error) => {
    this.error ??= fromFsError(err, this.name, 'cannot write the bundle', true);
  };

  constructor(
    private readonly stream: NodeJS.WritableStream,
    readonly name: string,
  ) {
    stream.on('error', this.onError);
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.error) throw this.error;
    this.bytesWritten += chunk.length;
    if (!this.stream.write(chunk)) await this.settled('drain');
    if (this.error) throw this.error;
  }

  /**
   * Until `event`, or the stream fails or closes. Standard output never
   * closes (Node keeps it open whatever happens), so a wait for 'drain'
   * alone outlived a reader gone: the run ended with nothing left to do.
   */
  private settled(event: string): Promise<void> {
    if (this.error) return Promise.resolve();
    return new Promise((resolve) => {
      const events = [event, 'error', 'close'];
      const done = () => {
        for (const e of events) this.stream.off(e, done);
        resolve();
      };
      for (const e of events) this.stream.on(e, done);
    });
  }

  /** Resolves once everything written has been handed on (the write callback of an empty last write). */
  async flush(): Promise<void> {
    if (this.error) throw this.error;
    await new Promise<void>((resolve) =>
      this.stream.write(Buffer.alloc(0), (err) => {
        if (err) this.onError(err);
        resolve();
      }),
    );
    if (this.error) throw this.error;
  }

  /** Stops listening to the stream; it stays open (standard output belongs to the process). */
  close(): void {
    this.stream.off('error', this.onError);
  }
}

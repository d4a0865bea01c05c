/**
 * Bundles as streams, through the library: what a pipe brings that a file
 * does not — Ctrl-C before the first byte or inside an entry, and a session
 * that shrinks under a pack writing to a stream.
 */
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packArchive } from '../../src/batch/pack-archive.js';
import { unpackArchive } from '../../src/batch/unpack-archive.js';
import { verifyArchive } from '../../src/batch/verify-archive.js';
import { ZotpackError } from '../../src/errors.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir, type SampleArchive } from '../helpers/zot-archive.js';
import { listTree, tempFiles } from '../helpers/fs-snapshot.js';

afterAll(cleanupTempDirs);

/** A whole bundle as a stream, in 64 KiB chunks. */
function fromBuffer(b: Buffer): PassThrough {
  const s = new PassThrough();
  for (let i = 0; i < b.length; i += 65536) s.write(b.subarray(i, i + 65536));
  s.end();
  return s;
}

/** A stream that never yields, until it is destroyed (stdin with nobody writing). */
function quiet(): { stream: AsyncIterable<Buffer> & { destroy: () => void }; name: string } {
  let wake: () => void = () => {};
  const over = new Promise<void>((resolve) => (wake = resolve));
  const stream = {
    async *[Symbol.asyncIterator]() {
      await over;
    },
    destroy: () => wake(),
  };
  return { stream, name: '<quiet>' };
}

describe('bundles as streams', () => {
  let sample: SampleArchive;
  let bundle: Buffer;

  beforeAll(async () => {
    sample = buildSampleArchive(makeTempDir(), { bigRowBytes: 3_000_000 });
    for (const b of sample.bad) if (b.code.startsWith('E_')) rmSync(b.path);
    const out = join(makeTempDir(), 'b.tar');
    await packArchive({ sources: [sample.home], out, jobs: 2, gzip: false, durable: false });
    bundle = readFileSync(out);
  });

  it("an exception from the caller's own callback is the caller's: verify and unpack reject with it, not E_BAD_BUNDLE", async () => {
    const path = join(makeTempDir(), 'b.tar');
    writeFileSync(path, bundle);
    const boom = new Error('the caller gives up');
    const thrower = () => {
      throw boom;
    };
    await expect(verifyArchive({ path, jobs: 1, onProgress: thrower })).rejects.toBe(boom);
    await expect(verifyArchive({ path: { stream: fromBuffer(bundle), name: '<b>' }, jobs: 1, onProgress: thrower })).rejects.toBe(boom);
    const home = makeTempDir();
    await expect(unpackArchive({ bundle: path, home, jobs: 1, onSession: thrower })).rejects.toBe(boom);
    await expect(unpackArchive({ bundle: path, home: makeTempDir(), jobs: 1, onProgress: thrower })).rejects.toBe(boom);
    expect(listTree(home).filter((p) => p.includes('.zotpack-tmp'))).toEqual([]);
  });

  it('pack to a stream destroyed with no error (its reader gone) fails with E_WRITE, not a wait forever', async () => {
    let writes = 0;
    const gone = new Writable({
      write(_chunk, _enc, done) {
        if (++writes === 2) return void this.destroy();
        done();
      },
    });
    await expect(packArchive({ sources: [sample.home], out: { stream: gone, name: '<gone>' }, jobs: 2, gzip: false })).rejects.toMatchObject({
      code: 'E_WRITE',
      message: '<gone>: cannot write the bundle: the stream was closed',
    });
  });

  it('pack to a stream that fails while the sessions are still hashed fails with E_WRITE, not the process', async () => {
    const failing = new PassThrough();
    failing.resume();
    const first = { done: false };
    const r = packArchive({
      sources: [sample.home],
      out: { stream: failing, name: '<failing>' },
      jobs: 1,
      // Before a byte is written: as the first session is hashed.
      onProgress: () => {
        if (first.done) return;
        first.done = true;
        failing.destroy(new Error('reader gone'));
      },
    });
    await expect(r).rejects.toMatchObject({ code: 'E_WRITE', message: expect.stringContaining('reader gone') });
  });

  it('Ctrl-C before the first byte (while the home was read) ends an unpack and a verify of a quiet stream', async () => {
    const stop = new AbortController();
    stop.abort();
    const home = makeTempDir();
    const r = await unpackArchive({ bundle: quiet(), home, jobs: 1, signal: stop.signal });
    expect([r.report.interrupted, r.report.errors]).toEqual([true, []]);
    expect(listTree(home)).toEqual([]);
    const v = await verifyArchive({ path: quiet(), jobs: 1, signal: stop.signal });
    expect(v.report.interrupted).toBe(true);
  });

  it('Ctrl-C inside an entry is an interrupt, not a bundle that breaks inside the session', async () => {
    const stop = new AbortController();
    // The big image row's session is cut in the middle of its row: the stream stops there and Ctrl-C comes.
    const at = bundle.indexOf('"data":"') + 1_000_000;
    const stream = new PassThrough();
    for (let i = 0; i < at; i += 65536) stream.write(bundle.subarray(i, Math.min(at, i + 65536)));
    // Then quiet, never ended, as a pipe whose writer stalled; Ctrl-C comes once the session is being read.
    setTimeout(() => stop.abort(), 300);
    const home = makeTempDir();
    const r = await unpackArchive({ bundle: { stream, name: '<cut>' }, home, jobs: 1, signal: stop.signal, durable: false });
    expect(r.report.interrupted).toBe(true);
    expect(r.report.errors).toEqual([]);
    expect(r.sessions.filter((s) => s.status === 'failed')).toEqual([]);
    expect(r.sessions.filter((s) => s.status === 'new').length).toBeGreaterThan(0);
    expect(tempFiles(home)).toEqual([]);
  });

  it('a run that fails while the stream has not ended fails then, without reading the rest', { timeout: 15_000 }, async () => {
    // The whole bundle, never ended: the writer of a pipe still there. Reading the rest would wait for good.
    const stream = new PassThrough();
    stream.write(bundle);
    const failure = new Error('the consumer of the sessions failed');
    const err = await unpackArchive({
      bundle: { stream, name: '<open>' },
      home: makeTempDir(),
      jobs: 1,
      durable: false,
      onSession: () => {
        throw failure;
      },
    }).catch((e: unknown) => e);
    expect(err).toBe(failure);
    expect(stream.destroyed).toBe(true);
  });

  it('a stream plainly no bundle, or a Ctrl-C before its first bytes, ends the stream (a caller\'s stdin would keep its process alive)', async () => {
    const json = new PassThrough();
    json.end('{"type":"meta"}\n');
    await expect(unpackArchive({ bundle: { stream: json, name: '<json>' }, home: makeTempDir(), jobs: 1 })).rejects.toMatchObject({ code: 'E_BAD_BUNDLE' });
    expect(json.destroyed).toBe(true);
    const empty = new PassThrough();
    empty.end();
    await expect(verifyArchive({ path: { stream: empty, name: '<empty>' }, jobs: 1 })).rejects.toMatchObject({ code: 'E_BAD_BUNDLE' });
    expect(empty.destroyed).toBe(true);
    const stop = new AbortController();
    stop.abort();
    const whole = new PassThrough();
    whole.write(bundle.subarray(0, 4096)); // a bundle's head, the rest still to come
    const r = await unpackArchive({ bundle: { stream: whole, name: '<head>' }, home: makeTempDir(), jobs: 1, signal: stop.signal });
    expect([r.report.interrupted, whole.destroyed]).toEqual([true, true]);
  });

  it('a dry run of a stream reports progress up to the whole, the sessions it skips too', async () => {
    const home = makeTempDir();
    await unpackArchive({ bundle: { stream: fromBuffer(bundle), name: '<b>' }, home, jobs: 1, durable: false });
    // One session there and the rest not: the dry run compares that one and skips the others' bytes.
    const files = listTree(home).filter((p) => p.endsWith('.jsonl'));
    for (const f of files.slice(1)) rmSync(join(home, f));
    let last = { done: -1, total: -1 };
    const r = await unpackArchive({
      bundle: { stream: fromBuffer(bundle), name: '<b>' },
      home,
      jobs: 1,
      dryRun: true,
      onProgress: (p) => (last = { done: p.bytesDone, total: p.bytesTotal }),
    });
    expect(r.sessions.filter((s) => s.status === 'new').length).toBe(files.length - 1);
    expect(last.total).toBeGreaterThan(0);
    expect(last.done).toBe(last.total);
  });

  it('a reader gone while Ctrl-C is on its way (a pipeline stopped as one): interrupted, with the report, within the grace', async () => {
    const stop = new AbortController();
    const stream = new Writable({
      write(_chunk, _enc, done) {
        setTimeout(() => stop.abort(), 20); // the signal comes just after the pipe broke
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const r = await packArchive({ sources: [sample.home], out: { stream, name: '<out>' }, jobs: 1, gzip: false, signal: stop.signal, signalGraceMs: 500 });
    expect(r.report.interrupted).toBe(true);
    // Without the grace it is the broken pipe.
    const again = new Writable({ write: (_c, _e, done) => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) });
    await expect(packArchive({ sources: [sample.home], out: { stream: again, name: '<out>' }, jobs: 1, gzip: false })).rejects.toMatchObject({ code: 'E_WRITE', path: '<out>' });
  });

  it('a session that shrinks before its entry is written to a stream: E_CHANGED naming it, not an internal error', async () => {
    const order: string[] = [];
    await packArchive({ sources: [sample.home], out: join(makeTempDir(), 'order.tar'), jobs: 1, gzip: false, durable: false, onPacked: (s) => order.push(s.path) });
    const last = join(sample.home, order.at(-1)!);
    let truncated = false;
    const stream = new Writable({
      write(_chunk, _enc, done) {
        if (!truncated) truncateSync(last, 10);
        truncated = true;
        done();
      },
    });
    const err = await packArchive({ sources: [sample.home], out: { stream, name: '<out>' }, jobs: 1, gzip: false, durable: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZotpackError);
    expect(err).toMatchObject({ code: 'E_CHANGED', path: last });
  });
});

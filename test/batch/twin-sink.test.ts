import { appendFileSync, closeSync, openSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NewSink, type SessionSink } from '../../src/batch/session-sink.js';
import { TwinSink, type TwinOptions } from '../../src/batch/twin-sink.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';
import { listTree, tempFiles } from '../helpers/fs-snapshot.js';
import { expectCode } from '../helpers/expect-code.js';

afterAll(cleanupTempDirs);

const LOCAL = 'row one\nrow two\n';
const opts = (o: Partial<TwinOptions> = {}): TwinOptions => ({ dryRun: false, durable: false, onConflict: 'skip', ...o });

function local(content = LOCAL): string {
  const path = join(makeTempDir(), 'session.jsonl');
  writeFileSync(path, content);
  return path;
}

/** Feeds `bundled` in small pieces, then finishes. */
function feed(sink: SessionSink, bundled: string) {
  const b = Buffer.from(bundled);
  for (let i = 0; i < b.length; i += 3) sink.write(b.subarray(i, i + 3));
  return sink.finish();
}

describe('TwinSink', () => {
  it('finds the same bytes present, and a bundled prefix present with the local one ahead', () => {
    const path = local();
    const mtime = statSync(path).mtimeMs;
    expect(feed(new TwinSink(path, opts()), LOCAL)).toEqual({ status: 'present', path, localAhead: false });
    expect(feed(new TwinSink(path, opts()), 'row one\n')).toEqual({ status: 'present', path, localAhead: true });
    expect(statSync(path).mtimeMs).toBe(mtime);
  });

  it('appends what the bundle has beyond the local file to that file where it is: a zot holding it open keeps writing to it', () => {
    const path = local();
    const ino = statSync(path).ino;
    // zot has the session open, as it has while a session runs.
    const zot = openSync(path, 'a');
    try {
      const out = feed(new TwinSink(path, opts()), `${LOCAL}row three\n`);
      expect(out).toEqual({ status: 'appended', path, bytes: 'row three\n'.length });
      writeSync(zot, 'typed after the unpack\n');
    } finally {
      closeSync(zot);
    }
    // After a rename over it, that row went to the old file, unlinked: lost.
    expect(readFileSync(path, 'utf8')).toBe(`${LOCAL}row three\ntyped after the unpack\n`);
    expect(statSync(path).ino).toBe(ino);
    expect(tempFiles(join(path, '..'))).toEqual([]);
  });

  it('does not append when the local file changed meanwhile: a conflict, the file as it is', () => {
    const path = local();
    const sink = new TwinSink(path, opts());
    sink.write(Buffer.from(`${LOCAL}row three\n`));
    appendFileSync(path, 'zot wrote this\n');
    expect(sink.finish()).toMatchObject({ status: 'conflict', reason: expect.stringMatching(/changed during/) });
    expect(readFileSync(path, 'utf8')).toBe(`${LOCAL}zot wrote this\n`);
    expect(tempFiles(join(path, '..'))).toEqual([]);
  });

  it('does not append when the local file was removed or replaced by a link meanwhile: a conflict, nothing written', () => {
    for (const replace of ['removed', 'link'] as const) {
      const path = local();
      const sink = new TwinSink(path, opts());
      sink.write(Buffer.from(`${LOCAL}row three\n`));
      const aside = `${path}.aside`;
      renameSync(path, aside);
      if (replace === 'link') symlinkSync(aside, path);
      expect(sink.finish()).toMatchObject({ status: 'conflict', reason: expect.stringMatching(/changed during/) });
      expect(readFileSync(aside, 'utf8')).toBe(LOCAL);
      expect(tempFiles(join(path, '..'))).toEqual([]);
    }
  });

  it('on bytes that differ: skip reports where, fail throws E_CONFLICT, copy replays the shared start into the copy', () => {
    const path = local();
    const bundled = 'row one\nrow TWO\n';
    expect(feed(new TwinSink(path, opts()), bundled)).toMatchObject({ status: 'conflict', at: 'row one\nrow '.length });
    expectCode(() => feed(new TwinSink(path, opts({ onConflict: 'fail' })), bundled), 'E_CONFLICT');
    const copyPath = join(path, '..', 'copy.jsonl');
    const out = feed(new TwinSink(path, opts({ onConflict: 'copy', copy: () => new NewSink(copyPath, opts()) })), bundled);
    expect(out).toMatchObject({ status: 'copied', copy: { status: 'new', path: copyPath } });
    expect(readFileSync(copyPath, 'utf8')).toBe(bundled);
    expect(readFileSync(path, 'utf8')).toBe(LOCAL);
  });

  it('writes nothing in a dry run, and nothing when aborted', () => {
    const path = local();
    const dir = join(path, '..');
    const before = listTree(dir);
    expect(feed(new TwinSink(path, opts({ dryRun: true })), `${LOCAL}more\n`)).toMatchObject({ status: 'appended', bytes: 5 });
    const sink = new TwinSink(path, opts());
    sink.write(Buffer.from(`${LOCAL}more\n`));
    expect(tempFiles(dir)).toHaveLength(1);
    sink.abort();
    expect(listTree(dir)).toEqual(before);
    expect(readFileSync(path, 'utf8')).toBe(LOCAL);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchPublisher, syncRoots } from '../../src/batch/publish-durably.js';
import type { ZotpackError } from '../../src/errors.js';
import { AtomicFile, type PendingFile } from '../../src/session/atomic-file.js';
import { tempFiles } from '../helpers/fs-snapshot.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

/** A finished, unpublished output holding `text`, as a worker leaves it with `defer`. */
function finished(dir: string, name: string, text: string): PendingFile {
  const f = AtomicFile.create(join(dir, name), { durable: false });
  f.write(Buffer.from(text));
  return f.finish();
}

describe('BatchPublisher', () => {
  it('publishes every output in the order added, a batch at a time, leaving no temp file', async () => {
    const dir = makeTempDir();
    const heard: Array<[string, ZotpackError | undefined]> = [];
    const p = new BatchPublisher<string>((name, err) => heard.push([name, err]), { bytes: 1 << 30, files: 2 });
    // Until `n` are heard: a file-system sync can take seconds on a busy disk (the test's timeout bounds it).
    const settle = async (n: number) => {
      while (heard.length < n) await new Promise((r) => setTimeout(r, 10));
    };
    p.add('a', finished(dir, 'a.jsonl', 'row of a\n'), 9);
    await new Promise((r) => setTimeout(r, 50));
    expect(heard).toEqual([]); // one file waits for its batch
    expect(existsSync(join(dir, 'a.jsonl'))).toBe(false);
    p.add('b', finished(dir, 'b.jsonl', 'row of b\n'), 9); // the batch is full: published while the run goes on
    await settle(2);
    expect(heard.map(([n]) => n)).toEqual(['a', 'b']);
    for (const name of ['c', 'd', 'e']) p.add(name, finished(dir, `${name}.jsonl`, `row of ${name}\n`), 9);
    await p.finish();
    expect(heard).toEqual(['a', 'b', 'c', 'd', 'e'].map((n) => [n, undefined]));
    for (const n of ['a', 'b', 'c', 'd', 'e']) expect(readFileSync(join(dir, `${n}.jsonl`), 'utf8')).toBe(`row of ${n}\n`);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('reports a target that appeared before its batch was published, removes its temp file and publishes the rest', async () => {
    const dir = makeTempDir();
    const heard = new Map<string, string | undefined>();
    const p = new BatchPublisher<string>((name, err) => heard.set(name, err?.code));
    p.add('x', finished(dir, 'x.jsonl', 'ours\n'), 5);
    p.add('y', finished(dir, 'y.jsonl', 'ours\n'), 5);
    writeFileSync(join(dir, 'x.jsonl'), 'theirs\n'); // zot, say, wrote it meanwhile
    await p.finish();
    expect(heard).toEqual(new Map([['x', 'E_EXISTS'], ['y', undefined]]));
    expect(readFileSync(join(dir, 'x.jsonl'), 'utf8')).toBe('theirs\n');
    expect(readFileSync(join(dir, 'y.jsonl'), 'utf8')).toBe('ours\n');
    expect(tempFiles(dir)).toEqual([]);
  });

  it('stops the run at the next check when a whole batch could not be published', async () => {
    const dir = makeTempDir();
    const p = new BatchPublisher<string>(
      () => {
        throw new Error('the caller failed');
      },
      { bytes: 1 << 30, files: 1 },
    );
    p.add('a', finished(dir, 'a.jsonl', 'a\n'), 2);
    await expect(p.finish()).rejects.toThrow('the caller failed');
    expect(() => p.check()).toThrow('the caller failed');
    expect(existsSync(join(dir, 'a.jsonl'))).toBe(true);
  });
});

describe('syncRoots', () => {
  it('names one folder per file system the files are on, so each is synced', () => {
    const a = makeTempDir();
    const b = makeTempDir();
    const files = [finished(a, 'x.jsonl', 'x\n'), finished(b, 'y.jsonl', 'y\n'), finished(a, 'z.jsonl', 'z\n')];
    // Two folders of one file system: one sync.
    expect(syncRoots(files)).toEqual([a]);
    // A folder on another file system (a RAM disk here) needs a sync of its own.
    const shm = '/dev/shm';
    if (existsSync(shm) && statSync(shm).dev !== statSync(a).dev) {
      const c = mkdtempSync(join(shm, 'zotpack-test-'));
      try {
        expect(syncRoots([...files, finished(c, 'w.jsonl', 'w\n')])).toEqual([a, c]);
      } finally {
        rmSync(c, { recursive: true, force: true });
      }
    }
  });
});

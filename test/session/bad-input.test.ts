/**
 * Every one-file operation meets the same bad inputs the same way: a
 * ZotpackError with a stable code, the path in the message, and nothing
 * written.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { ZotpackError } from '../../src/errors.js';
import { branchSession } from '../../src/session/branch-session.js';
import { describeSession } from '../../src/session/describe-session.js';
import { exportSession } from '../../src/session/export-session.js';
import { readFirstMeta } from '../../src/session/first-meta.js';
import { importSession } from '../../src/session/import-session.js';
import { listTree, snapshot } from '../helpers/fs-snapshot.js';
import { cleanupTempDirs, makeTempDir, renderSession } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const GOOD = renderSession({ cwd: '/bad', rows: [{ user: 'hello' }, { assistant: 'hi' }] }).text;

/** Each operation, writing (if it writes) only under `out`. */
const OPERATIONS: Record<string, (source: string, out: string) => unknown> = {
  export: (source, out) => exportSession({ source, destination: join(out, 'bundle') + '/', durable: false }),
  'export to a file': (source, out) => exportSession({ source, destination: join(out, 'deep', 'name'), durable: false }),
  import: (source, out) => importSession({ source, home: out, fallbackCwd: '/fallback', durable: false }),
  branch: (source, out) => branchSession({ source, at: 0, home: out, fallbackCwd: '/fallback', durable: false }),
  describe: (source) => describeSession(source),
  'first meta': (source) => readFirstMeta(source),
};

/** Bad inputs: how to make one, and the code every operation must give. */
const CASES: Array<{ name: string; code: string; make: (dir: string) => string }> = [
  { name: 'a missing file', code: 'E_NOT_FOUND', make: (dir) => join(dir, 'missing.jsonl') },
  { name: 'a missing folder on the way', code: 'E_NOT_FOUND', make: (dir) => join(dir, 'no', 'such', 'x.jsonl') },
  {
    name: 'an empty file',
    code: 'E_EMPTY',
    make: (dir) => write(join(dir, 'empty.jsonl'), ''),
  },
  {
    name: 'a file of blank lines (zot skips empty rows)',
    code: 'E_EMPTY',
    make: (dir) => write(join(dir, 'blank.jsonl'), '\n\r\n\n'),
  },
  {
    name: 'a first row that is a message',
    code: 'E_NOT_META',
    make: (dir) => write(join(dir, 'msg.jsonl'), GOOD.slice(GOOD.indexOf('\n') + 1)),
  },
  {
    name: 'a first row that is not JSON',
    code: 'E_NOT_META',
    make: (dir) => write(join(dir, 'cut.jsonl'), `{"type":"meta","meta":{"id":"x"\n${GOOD}`),
  },
  {
    name: 'a first row of type meta without a meta object',
    code: 'E_NOT_META',
    make: (dir) => write(join(dir, 'nometa.jsonl'), `{"type":"meta"}\n${GOOD}`),
  },
  {
    name: 'a first row without a type',
    code: 'E_NOT_META',
    make: (dir) => write(join(dir, 'untyped.jsonl'), `{"meta":{"id":"x"}}\n${GOOD}`),
  },
  {
    name: 'a first row that is an array',
    code: 'E_NOT_META',
    make: (dir) => write(join(dir, 'array.jsonl'), `[1,2]\n${GOOD}`),
  },
  {
    name: 'a meta field of the wrong type',
    code: 'E_BAD_META',
    make: (dir) => write(join(dir, 'badmeta.jsonl'), GOOD.replace('"version":"0.9.1"', '"version":"0.9.1","fork_point":"3"')),
  },
  {
    name: 'a folder where a file is expected',
    code: 'E_IS_DIR',
    make: (dir) => {
      const p = join(dir, 'folder.jsonl');
      mkdirSync(p);
      return p;
    },
  },
  {
    name: 'a FIFO (opened without waiting for a writer)',
    code: 'E_UNREADABLE',
    make: (dir) => {
      const p = join(dir, 'fifo.jsonl');
      execFileSync('mkfifo', [p]);
      return p;
    },
  },
  {
    name: 'a bundle (gzip), pointed to unpack',
    code: 'E_NOT_META',
    make: (dir) => write(join(dir, 'all.zotpack'), gzipSync(Buffer.from(GOOD))),
  },
  {
    name: 'a UTF-8 byte-order mark',
    code: 'E_BOM',
    make: (dir) => write(join(dir, 'bom.jsonl'), `\ufeff${GOOD}`),
  },
];

function write(path: string, text: string | Buffer): string {
  writeFileSync(path, text);
  return path;
}

function expectFailure(fn: () => unknown, code: string, path: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(ZotpackError);
  const err = thrown as ZotpackError;
  expect(err.code).toBe(code);
  expect(err.path).toBe(path);
  expect(err.message).toContain(path);
}

describe.each(Object.entries(OPERATIONS))('%s', (_name, operation) => {
  test.each(CASES)('$name: $code, nothing written', ({ code, make }) => {
    const src = makeTempDir();
    const source = make(src);
    const out = makeTempDir();
    const before = snapshot(src);
    expectFailure(() => operation(source, out), code, source);
    expect(listTree(out)).toEqual([]);
    expect(snapshot(src)).toEqual(before);
  });

  test('an unreadable file (chmod 000): E_UNREADABLE, nothing written', (ctx) => {
    const src = makeTempDir();
    const source = write(join(src, 'locked.jsonl'), GOOD);
    chmodSync(source, 0o000);
    let readable = false;
    try {
      readFileSync(source);
      readable = true;
    } catch {
      // the expected case for a normal user
    }
    if (readable) {
      chmodSync(source, 0o644);
      console.log(`skipped: running as uid ${process.getuid?.()}, where chmod 000 does not stop reads`);
      ctx.skip();
      return;
    }
    const out = makeTempDir();
    try {
      expectFailure(() => operation(source, out), 'E_UNREADABLE', source);
      expect(listTree(out)).toEqual([]);
    } finally {
      chmodSync(source, 0o644);
    }
  });

  test('a meta row without an id is accepted with W_NO_ID', () => {
    const src = makeTempDir();
    const source = write(join(src, 'noid.jsonl'), GOOD.replace(/"id":"[^"]*",/, ''));
    const r = operation(source, makeTempDir()) as Record<string, unknown>;
    if ('warnings' in r) expect((r.warnings as Array<{ code: string }>).map((w) => w.code)).toEqual(['W_NO_ID']);
    else if ('meta' in r) expect((r.meta as { id: string }).id).toBe('');
    // A branch result carries no warnings: it names no parent, as zot's branch would.
    else expect(r).toMatchObject({ parent: '', forkPoint: 0 });
  });
});

describe('a destination that exists', () => {
  test('branch: the same id and time twice is E_EXISTS; the first branch is untouched, no temp file left', () => {
    const src = makeTempDir();
    const source = write(join(src, 's.jsonl'), GOOD);
    const home = makeTempDir();
    const opts = { source, at: 1, home, newId: () => '12345678-0000-4000-8000-000000000000', now: () => new Date(0), durable: false };
    const first = branchSession(opts);
    const before = snapshot(home);
    let err: unknown;
    try {
      branchSession({ ...opts, at: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZotpackError);
    expect((err as ZotpackError).code).toBe('E_EXISTS');
    expect((err as ZotpackError).message).toContain(first.output);
    expect(snapshot(home)).toEqual(before);
  });
});

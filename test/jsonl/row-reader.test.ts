import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZotpackError } from '../../src/errors.js';
import { DEFAULT_CHUNK_SIZE, readRows, splitRows, type Row, type RowSkim } from '../../src/jsonl/row-reader.js';
import { scanRowInPlace, wasmBuffer } from '../../src/jsonl/wasm-scanner.js';
import { ALL_FIXTURE_SESSIONS, FX } from '../helpers/zot-fixtures.js';
import { seededRandom } from '../helpers/seeded-random.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A row with its bytes copied, so it outlives the reader's buffer. */
interface Kept {
  text: string;
  line: number;
  start: number;
  end: number;
  terminated: boolean;
}

function keep(row: Row): Kept {
  return { text: row.bytes.toString('latin1'), line: row.line, start: row.start, end: row.end, terminated: row.terminated };
}

/**
 * zot's framing, written the obvious way as the reference: split on \n, trim a
 * trailing run of \r/\n, skip empty rows, a last row without \n still counts.
 */
function reference(content: Buffer): Kept[] {
  const parts = content.toString('latin1').split('\n');
  const out: Kept[] = [];
  let start = 0;
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    const terminated = k < parts.length - 1;
    if (!terminated && part === '') break; // the file ended with \n: no last row
    const end = start + part.length + (terminated ? 1 : 0);
    const text = part.replace(/[\r\n]+$/, '');
    if (text !== '') out.push({ text, line: k + 1, start, end, terminated });
    start = end;
  }
  return out;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zotpack-row-reader-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileNo = 0;
function fileWith(content: Buffer | string): string {
  const path = join(dir, `f${fileNo++}.jsonl`);
  writeFileSync(path, content);
  return path;
}

/** Every row, copied as it is yielded (a row's bytes are valid only until the reader moves on). */
function readAll(path: string, chunkSize?: number): Kept[] {
  const out: Kept[] = [];
  for (const row of readRows(path, chunkSize === undefined ? {} : { chunkSize })) out.push(keep(row));
  return out;
}

function splitAll(content: Buffer): Kept[] {
  return [...splitRows(content)].map(keep);
}

/** What the whole-row scanner says of `text`. */
function wholeScan(text: string): RowSkim['scan'] | undefined {
  const region = wasmBuffer(text.length)!;
  region.buf.write(text, 'latin1');
  const got = scanRowInPlace(region.buf.subarray(0, text.length));
  region.release();
  return got;
}

const SKIM_HEAD = 64 << 10;

/**
 * Reads `path` skimming every row it may, and checks the rows against `want`:
 * a skimmed row has the row's place, its first 64 KiB, its length and what
 * the whole-row scanner says of it; any other row is whole. A reader told
 * that every row is needed whole yields exactly `want`. Returns how many
 * rows were skimmed.
 */
function expectSkimming(path: string, chunkSize: number, want: Kept[]): number {
  const got: Array<Kept & { skim?: RowSkim }> = [];
  for (const row of readRows(path, { chunkSize, needsWholeRow: () => false })) got.push({ ...keep(row), ...(row.skim && { skim: row.skim }) });
  expect(got.map(({ line, start, end, terminated }) => ({ line, start, end, terminated })), `chunkSize ${chunkSize}`).toEqual(
    want.map(({ line, start, end, terminated }) => ({ line, start, end, terminated })),
  );
  let skimmed = 0;
  got.forEach(({ text, skim }, k) => {
    const whole = want[k]!.text;
    if (!skim) return expect(text).toBe(whole);
    skimmed++;
    expect(text).toBe(whole.slice(0, SKIM_HEAD));
    expect(skim.length).toBe(whole.length);
    expect(skim.scan).toEqual(wholeScan(whole));
  });
  const asked: number[] = [];
  const wholeRows: Kept[] = [];
  for (const row of readRows(path, { chunkSize, needsWholeRow: (r) => asked.push(r.line) > 0 })) wholeRows.push(keep(row));
  expect(wholeRows).toEqual(want);
  expect(asked.length).toBeGreaterThanOrEqual(skimmed);
  return skimmed;
}

/** Checks both readers against the reference, the file reader at several read sizes, skimming and not. */
function expectFraming(content: Buffer, chunkSizes: number[], expected?: Kept[]): void {
  const want = expected ?? reference(content);
  expect(splitAll(content)).toEqual(want);
  const path = fileWith(content);
  for (const chunkSize of chunkSizes) {
    expect(readAll(path, chunkSize), `chunkSize ${chunkSize}`).toEqual(want);
    expectSkimming(path, chunkSize, want);
  }
}

describe('framing', () => {
  it('splits on \\n and reports 1-based lines and byte offsets', () => {
    const content = Buffer.from('{"a":1}\n{"b":22}\n{"c":333}\n');
    const want: Kept[] = [
      { text: '{"a":1}', line: 1, start: 0, end: 8, terminated: true },
      { text: '{"b":22}', line: 2, start: 8, end: 17, terminated: true },
      { text: '{"c":333}', line: 3, start: 17, end: 27, terminated: true },
    ];
    expectFraming(content, [1, 2, 3, 5, 8, 9, 16, 64], want);
  });

  it('trims CRLF and any trailing run of \\r and \\n, but keeps a \\r inside a row', () => {
    const content = Buffer.from('one\r\ntwo\r\r\n\r\nthree\rx\r\n');
    const want: Kept[] = [
      { text: 'one', line: 1, start: 0, end: 5, terminated: true },
      { text: 'two', line: 2, start: 5, end: 11, terminated: true },
      { text: 'three\rx', line: 4, start: 13, end: 22, terminated: true },
    ];
    expectFraming(content, [1, 2, 4, 7, 1024], want);
  });

  it('skips blank rows but counts their lines', () => {
    const content = Buffer.from('\n\na\n\r\n\r\r\n\nb\n\n');
    const want: Kept[] = [
      { text: 'a', line: 3, start: 2, end: 4, terminated: true },
      { text: 'b', line: 7, start: 10, end: 12, terminated: true },
    ];
    expectFraming(content, [1, 2, 3, 100], want);
  });

  it('counts a last row without a newline, marked not terminated', () => {
    const content = Buffer.from('{"a":1}\n{"b":2}');
    const want: Kept[] = [
      { text: '{"a":1}', line: 1, start: 0, end: 8, terminated: true },
      { text: '{"b":2}', line: 2, start: 8, end: 15, terminated: false },
    ];
    expectFraming(content, [1, 3, 7, 8, 15, 16, 1 << 20], want);
  });

  it('yields a truncated last row as it is (terminated=false), even when it is not JSON', () => {
    const content = Buffer.from('{"type":"meta"}\n{"type":"message","mess');
    const rows = splitAll(content);
    expect(rows.at(-1)).toEqual({ text: '{"type":"message","mess', line: 2, start: 16, end: content.length, terminated: false });
    expectFraming(content, [1, 4, 16, 17, 4096]);
  });

  it('a last row of only \\r is empty: no row', () => {
    expectFraming(Buffer.from('a\n\r'), [1, 2, 64], [{ text: 'a', line: 1, start: 0, end: 2, terminated: true }]);
    expectFraming(Buffer.from('a\n\r\r'), [1, 2, 64], [{ text: 'a', line: 1, start: 0, end: 2, terminated: true }]);
  });

  it('a trailing \\r on an unterminated last row is trimmed, and end is the file size', () => {
    expectFraming(Buffer.from('a\nb\r'), [1, 2, 3, 64], [
      { text: 'a', line: 1, start: 0, end: 2, terminated: true },
      { text: 'b', line: 2, start: 2, end: 4, terminated: false },
    ]);
  });

  it('yields nothing for an empty file or a file of newlines', () => {
    expectFraming(Buffer.alloc(0), [1, 16], []);
    expectFraming(Buffer.from('\n'), [1, 16], []);
    expectFraming(Buffer.from('\r\n\n\r\n'), [1, 2, 16], []);
  });

  it('yields a UTF-8 byte-order mark as part of the first row', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const content = Buffer.concat([bom, Buffer.from('{"type":"meta"}\n{"a":1}\n')]);
    const rows = [...splitRows(content)];
    expect(rows[0]!.bytes.subarray(0, 3)).toEqual(bom);
    expect(rows[0]!.bytes.length).toBe(18);
    expect(rows[0]!.start).toBe(0);
    expect(rows[1]!.start).toBe(19);
    const read = readAll(fileWith(content), 2);
    expect(Buffer.from(read[0]!.text, 'latin1').subarray(0, 3)).toEqual(bom);
    expectFraming(content, [1, 2, 3, 4, 64]);
  });

  it('passes every byte value through untouched', () => {
    const all = Buffer.alloc(256);
    for (let c = 0; c < 256; c++) all[c] = c;
    const content = Buffer.concat([all, Buffer.from('\n'), all]);
    const rows = [...splitRows(content)].map((r) => Buffer.from(r.bytes));
    // Each copy of the 256 bytes splits at its own 0x0a: 0x00..0x09, then 0x0b..0xff (a \r inside stays).
    expect(rows).toEqual([all.subarray(0, 10), all.subarray(11), all.subarray(0, 10), all.subarray(11)]);
    expectFraming(content, [1, 7, 64, 256, 257]);
  });
});

describe('rows around the read-buffer size', () => {
  const C = 16;
  const sizes = [0, 1, 2, C - 1, C, C + 1, 2 * C - 1, 2 * C, 2 * C + 1, 5 * C + 3];

  it.each(sizes)('a row of %i bytes, at every position in the buffer, with and without a final newline', (size) => {
    for (let lead = 0; lead <= C + 1; lead++) {
      const before = lead === 0 ? '' : 'p'.repeat(lead - 1) + '\n';
      const row = 'r'.repeat(size);
      for (const after of ['\n', '\nq\n', '\r\n', '', '\nq']) {
        const content = Buffer.from(before + row + after);
        const want = reference(content);
        // The row itself, when it is not empty, is there whole.
        if (size > 0) expect(want.some((k) => k.text === row)).toBe(true);
        expect(splitAll(content)).toEqual(want);
        const path = fileWith(content);
        for (const chunkSize of [C - 1, C, C + 1]) {
          expect(readAll(path, chunkSize), `lead ${lead}, after ${JSON.stringify(after)}, chunk ${chunkSize}`).toEqual(want);
          expectSkimming(path, chunkSize, want);
        }
      }
    }
  });

  it('a row exactly the buffer size with no newline is the whole file', () => {
    const content = Buffer.from('x'.repeat(C));
    expect(readAll(fileWith(content), C)).toEqual([{ text: 'x'.repeat(C), line: 1, start: 0, end: C, terminated: false }]);
  });

  it('a row spanning many reads, between small rows', () => {
    const big = '{"data":"' + 'A'.repeat(100 * C + 7) + '"}';
    const content = Buffer.from(`{"a":1}\n${big}\n{"b":2}\n`);
    const want: Kept[] = [
      { text: '{"a":1}', line: 1, start: 0, end: 8, terminated: true },
      { text: big, line: 2, start: 8, end: 8 + big.length + 1, terminated: true },
      { text: '{"b":2}', line: 3, start: 9 + big.length, end: 17 + big.length, terminated: true },
    ];
    expectFraming(content, [1, 3, C, 1000], want);
  });

  it('several rows each larger than the last, so the buffer grows again and again', () => {
    const rows = [10, 40, 41, 200, 3000, 5, 20000].map((n, k) => String(k).repeat(n));
    const content = Buffer.from(rows.join('\n') + '\n');
    expectFraming(content, [1, 2, 8, 64]);
  });

  it('agrees with the reference on random files at random read sizes', () => {
    const r = seededRandom(0x5eed);
    const pieces = ['{"a":1}', 'x', '', '\r', '\r\n', '\n', 'long'.repeat(20), '\u00e9', 'yy\rzz'];
    for (let n = 0; n < 300; n++) {
      let s = '';
      for (let k = r.int(30); k > 0; k--) s += r.pick(pieces) + (r.chance(0.6) ? '\n' : '');
      const content = Buffer.from(s);
      expectFraming(content, [r.between(1, 4), r.between(5, 40), r.between(41, 300)]);
    }
  });
});

describe('skimming rows bigger than the buffer', () => {
  it('skims a JSON row of many reads: its start, length, members and validity, and reads on after it', () => {
    const image = 'A'.repeat(200_000);
    const rows = [
      '{"type":"meta","meta":{"id":"m"}}',
      `{"type":"message","id":"a","message":{"content":[{"type":"image","data":"${image}"}]}}`,
      '{"type":"message","id":"b"}',
      `{"type":"message","message":{"content":"${image}\u0001"}}`, // not valid: a raw control byte at the end
      `[${'1,'.repeat(40_000)}2]`,
      `{"type":"message","x":"${image}"}\r\r`,
    ];
    const content = Buffer.from(rows.join('\n') + '\n{"type":"usage"}', 'latin1');
    const want = reference(content);
    const path = fileWith(content);
    for (const chunkSize of [7, 4096, 65_536, 1 << 20]) {
      const skimmed = expectSkimming(path, chunkSize, want);
      expect(skimmed, `chunkSize ${chunkSize}`).toBe(chunkSize === 1 << 20 ? 0 : chunkSize === 7 ? want.length : 4);
    }
  });

  it('a skimmed last row without a newline, and one of only \r, are framed as the plain reader frames them', () => {
    for (const tail of ['{"k":"' + 'v'.repeat(5000) + '"}', '{"k":"' + 'v'.repeat(5000), '\r'.repeat(5000), 'x'.repeat(4096)]) {
      const content = Buffer.from(`{"a":1}\n${tail}`, 'latin1');
      const want = reference(content);
      expectSkimming(fileWith(content), 4096, want);
    }
  });

  it('shows each skimmed row to skimTap as it goes by: exactly its bytes, without the line ending or the \r before it', () => {
    const rows = [`{"a":"${'x'.repeat(9000)}"}`, `{"b":"${'y'.repeat(5000)}\r\rz"}\r\r\r`, `${'\r'.repeat(3)}q${'w'.repeat(6000)}`, `{"c":"${'v'.repeat(7000)}"}\r`];
    const content = Buffer.from(`{"first":1}\n${rows.join('\n')}`, 'latin1');
    const path = fileWith(content);
    const want = reference(content);
    for (const chunkSize of [1, 13, 4096]) {
      const seen: string[] = [];
      const got: Kept[] = [];
      for (const row of readRows(path, {
        chunkSize,
        needsWholeRow: (r) => r.line === 3, // the third is read again whole: what the tap saw of it is void
        skimTap: { start: () => seen.push(''), bytes: (piece) => (seen[seen.length - 1] += piece.toString('latin1')) },
      })) {
        got.push(keep(row));
      }
      const skimmed = want.filter((w) => w.text.length >= chunkSize || chunkSize === 1).map((w) => w.text);
      expect(seen, `chunkSize ${chunkSize}`).toEqual(chunkSize === 4096 ? want.slice(1).map((w) => w.text) : skimmed);
      expect(got.map((k) => k.line)).toEqual(want.map((w) => w.line));
      expect(got[2]).toEqual(want[2]);
    }
  });

  it("keeps a skimmed row's head for the thread's next file, and gives a reader nested in another a head of its own", () => {
    const a = fileWith(Buffer.from(`{"a":"${'x'.repeat(9000)}"}\n{"after":1}\n`, 'latin1'));
    const b = fileWith(Buffer.from(`{"b":"${'y'.repeat(9000)}"}\n`, 'latin1'));
    const skimmedHeads = (path: string, inside?: () => void): Buffer[] => {
      const heads: Buffer[] = [];
      for (const row of readRows(path, { chunkSize: 4096, needsWholeRow: () => false })) {
        if (!row.skim) continue;
        heads.push(row.bytes);
        const before = row.bytes.toString('latin1');
        inside?.();
        // What a nested reader skimmed did not overwrite this row's head.
        expect(row.bytes.toString('latin1')).toBe(before);
      }
      return heads;
    };
    const [first] = skimmedHeads(a);
    const [next] = skimmedHeads(b);
    expect(next!.buffer).toBe(first!.buffer);
    expect(next!.subarray(0, 6).toString('latin1')).toBe('{"b":"');
    let nested: Buffer | undefined;
    const [outer] = skimmedHeads(a, () => ([nested] = skimmedHeads(b)));
    expect(outer!.subarray(0, 6).toString('latin1')).toBe('{"a":"');
    expect(nested!.buffer).not.toBe(outer!.buffer);
  });

  it('hands every byte to onRead once, in order, while skimming', () => {
    const content = Buffer.from(`{"a":1}\n{"b":"${'x'.repeat(300_000)}"}\n{"c":3}\n`);
    const path = fileWith(content);
    const seen: Buffer[] = [];
    let rows = 0;
    for (const _ of readRows(path, { chunkSize: 10_000, needsWholeRow: () => false, onRead: (b) => seen.push(Buffer.from(b)) })) rows++;
    expect(rows).toBe(3);
    expect(Buffer.concat(seen).equals(content)).toBe(true);
  });

  it('a file that shrinks before a skimmed row is read again whole is E_CHANGED, naming the file', () => {
    const content = Buffer.from(`{"a":1}\n{"b":"${'x'.repeat(50_000)}"}\n`);
    const path = fileWith(content);
    let error: unknown;
    try {
      for (const _ of readRows(path, { chunkSize: 4096, needsWholeRow: (r) => (truncateSync(path, r.start + 10), true) }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ZotpackError);
    expect(error).toMatchObject({ code: 'E_CHANGED', path });
  });
});

describe('readRows', () => {
  it('reads the zot-written fixtures exactly as splitRows splits them, at any read size', () => {
    for (const path of ALL_FIXTURE_SESSIONS) {
      const want = splitAll(readFileSync(path));
      expect(want.length).toBeGreaterThan(1);
      for (const chunkSize of [64, 4096, 65536, undefined]) {
        expect(readAll(path, chunkSize), `${path} at ${chunkSize}`).toEqual(want);
      }
    }
  });

  it('rows of the long fixture are its lines, and the last row ends at the file size', () => {
    const content = readFileSync(FX.long);
    const rows = readAll(FX.long, 4096);
    expect(rows.map((r) => r.text)).toEqual(content.toString('latin1').split('\n').slice(0, -1));
    expect(rows.at(-1)!.end).toBe(content.length);
    expect(rows.every((r) => r.terminated)).toBe(true);
  });

  describe('with the size the file was listed at', () => {
    /** This thread's read system calls so far (Linux): other test files run on other threads. */
    const readCalls = (): number => Number(/^syscr: (\d+)$/m.exec(readFileSync('/proc/thread-self/io', 'latin1'))![1]);

    /** Rows and read(2) calls of one read of `path` (the counter's own reads of /proc taken off). */
    function readCounted(path: string, options: { chunkSize?: number; listedSize?: number }): { rows: Kept[]; calls: number } {
      const own = -readCalls() + readCalls();
      const before = readCalls();
      const rows: Kept[] = [];
      for (const row of readRows(path, options)) rows.push(keep(row));
      return { rows, calls: readCalls() - before - own };
    }

    it('ends a file on the short read that reaches that size, with no read to see nothing come back', () => {
      const content = '{"type":"meta"}\n{"a":1}\n{"b":2}';
      const path = fileWith(content);
      const want = reference(Buffer.from(content));
      expect(readCounted(path, {})).toEqual({ rows: want, calls: 2 });
      expect(readCounted(path, { listedSize: content.length })).toEqual({ rows: want, calls: 1 });
    });

    it('reads a file of many reads to its end the same way, at every read size', () => {
      const content = Buffer.from(Array.from({ length: 300 }, (_, k) => `{"n":${k},"pad":"${'p'.repeat(k % 41)}"}`).join('\n') + '\n');
      const path = fileWith(content);
      for (const chunkSize of [7, 64, 1000, content.length - 1, content.length, content.length + 1]) {
        const plain = readCounted(path, { chunkSize });
        const listed = readCounted(path, { chunkSize, listedSize: content.length });
        expect(listed.rows, `reads of ${chunkSize}`).toEqual(reference(content));
        expect(plain.rows).toEqual(listed.rows);
        // One read fewer, unless the last read filled the buffer exactly (it is not short: one more read finds the end).
        expect(plain.calls - listed.calls, `reads of ${chunkSize}`).toBe(content.length % Math.min(chunkSize, content.length) === 0 && chunkSize <= content.length ? 0 : 1);
      }
    });

    it('reads what was appended since the file was listed, and a file cut short since, whole', () => {
      const content = '{"a":1}\n{"b":2}\n{"c":3}\n';
      const path = fileWith(content);
      const want = reference(Buffer.from(content));
      // Listed at 8 bytes, now 24: the first read brings all of it, short, past 8.
      expect(readCounted(path, { listedSize: 8 }).rows).toEqual(want);
      // Listed at 100 bytes, now 24: a read short of the listed size is not taken as the end (some file
      // systems return one before it); the next read finds the end.
      expect(readCounted(path, { listedSize: 100 })).toEqual({ rows: want, calls: 2 });
    });
  });

  it('uses a 1 MiB read size by default', () => {
    expect(DEFAULT_CHUNK_SIZE).toBe(1 << 20);
  });

  it('calls onRefill before the buffer is reused, while the rows yielded before it are intact', () => {
    const lines = Array.from({ length: 200 }, (_, k) => `{"n":${k},"pad":"${'p'.repeat(k % 37)}"}`);
    const path = fileWith(lines.join('\n') + '\n');
    const pending: Array<{ view: Buffer; copy: Buffer }> = [];
    const all: Array<{ view: Buffer; copy: Buffer }> = [];
    let refills = 0;
    let checkedInHook = 0;
    const onRefill = (): void => {
      refills++;
      for (const p of pending) {
        expect(p.view.equals(p.copy)).toBe(true);
        checkedInHook++;
      }
      pending.length = 0;
    };
    let n = 0;
    for (const row of readRows(path, { chunkSize: 64, onRefill })) {
      const entry = { view: row.bytes, copy: Buffer.from(row.bytes) };
      pending.push(entry);
      all.push(entry);
      expect(entry.copy.toString()).toBe(lines[n++]);
    }
    expect(n).toBe(200);
    expect(refills).toBeGreaterThan(10);
    // Every row but those of the last fill was checked in the hook.
    expect(checkedInHook).toBe(200 - pending.length);
    // And the hook matters: the buffer really is reused, so older views now show other bytes.
    expect(all.some((p) => !p.view.equals(p.copy))).toBe(true);
  });

  it('keeps rows intact until onRefill when a later row outgrows the buffer', () => {
    const big = 'B'.repeat(1000);
    const path = fileWith(`small\n${big}\nafter\n`);
    const pending: Array<{ view: Buffer; text: string }> = [];
    const checked: string[] = [];
    const texts: string[] = [];
    const onRefill = (): void => {
      for (const p of pending) {
        expect(p.view.toString()).toBe(p.text);
        checked.push(p.text);
      }
      pending.length = 0;
    };
    for (const row of readRows(path, { chunkSize: 16, onRefill })) {
      const text = Buffer.from(row.bytes).toString();
      pending.push({ view: row.bytes, text });
      texts.push(text);
    }
    expect(texts).toEqual(['small', big, 'after']);
    // "small" shared the 16-byte buffer with the start of the big row, and was checked in the hook.
    expect(checked).toContain('small');
  });

  /** The error that `f` throws. */
  function errorOf(f: () => unknown): ZotpackError {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(ZotpackError);
      return err as ZotpackError;
    }
    throw new Error('expected an error');
  }

  it('a missing file is E_NOT_FOUND with the path', () => {
    const path = join(dir, 'missing.jsonl');
    const err = errorOf(() => [...readRows(path)]);
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.path).toBe(path);
  });

  it('names options.path, not the path opened, in an open error', () => {
    const err = errorOf(() => [...readRows(join(dir, 'absent.jsonl'), { path: 'shown/name.jsonl' })]);
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.path).toBe('shown/name.jsonl');
  });

  it('a folder is E_IS_DIR, named by options.path', () => {
    const sub = join(dir, 'a-folder.jsonl');
    mkdirSync(sub);
    const err = errorOf(() => [...readRows(sub, { path: 'named.jsonl' })]);
    expect(err.code).toBe('E_IS_DIR');
    expect(err.path).toBe('named.jsonl');
  });

  it.skipIf(!existsSync('/proc/self/fd'))('closes the file when the consumer stops early', () => {
    const path = fileWith('a\nb\nc\n');
    const before = readdirSync('/proc/self/fd').length;
    for (const row of readRows(path, { chunkSize: 1 })) {
      expect(readdirSync('/proc/self/fd').length).toBe(before + 1);
      if (row.line === 2) break;
    }
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });
});

describe('one row of 600 MB', () => {
  const ROW_BYTES = 600 * 1024 * 1024;
  const NEED_MEMORY = 3 * 1024 ** 3;
  const free = freemem();
  let freeDisk = Infinity;
  try {
    const s = statfsSync(tmpdir());
    freeDisk = s.bavail * s.bsize;
  } catch {
    // statfs unsupported: let the write fail loudly if the disk is full.
  }
  const distReader = join(ROOT, 'dist', 'src', 'jsonl', 'row-reader.js');
  const distScan = join(ROOT, 'dist', 'src', 'jsonl', 'json-scan.js');
  const skipReason =
    free < NEED_MEMORY
      ? `only ${(free / 1024 ** 3).toFixed(1)} GB of memory free, the test needs 3 GB`
      : freeDisk < 2 * ROW_BYTES
        ? `only ${(freeDisk / 1024 ** 3).toFixed(1)} GB free in ${tmpdir()}, the test needs 1.2 GB`
        : '';
  if (skipReason) console.warn(`skipping the 600 MB row test: ${skipReason}`);

  let bigDir = '';
  afterAll(() => {
    if (bigDir) rmSync(bigDir, { recursive: true, force: true });
  });

  it.skipIf(skipReason !== '')(
    'streams through the reader in bounded memory: found whole, valid, peak RSS under 1.5x the row',
    () => {
      expect(existsSync(distReader), `${distReader} is missing: build first (npx tsc -p .)`).toBe(true);
      expect(existsSync(distScan)).toBe(true);
      bigDir = mkdtempSync(join(tmpdir(), 'zotpack-big-row-'));
      const path = join(bigDir, 'big.jsonl');

      const head = Buffer.from('{"type":"message","message":{"role":"user","content":[{"mime_type":"image/png","data":"');
      const tail = Buffer.from('"}]}}');
      const dataBytes = ROW_BYTES - head.length - tail.length;
      const block = Buffer.from(randomBytes(3 * 1024 * 1024).toString('base64')); // 4 MiB of base64
      const small = Buffer.from('{"type":"usage","usage":{"input_tokens":1},"cumulative":{"cost_usd":0.5}}');
      const hash = createHash('sha256');
      const fd = openSync(path, 'w');
      try {
        const put = (b: Buffer): void => {
          writeSync(fd, b);
          hash.update(b);
        };
        put(head);
        for (let left = dataBytes; left > 0; left -= block.length) put(left >= block.length ? block : block.subarray(0, left));
        put(tail);
        writeSync(fd, '\n');
        writeSync(fd, small);
        writeSync(fd, '\n');
      } finally {
        closeSync(fd);
      }
      const bigSha = hash.digest('hex');

      const script = `
        import { createHash } from 'node:crypto';
        import { readRows } from ${JSON.stringify(pathToFileURL(distReader).href)};
        import { isValidJson } from ${JSON.stringify(pathToFileURL(distScan).href)};
        const rows = [];
        for (const row of readRows(process.env.ZOTPACK_BIG_ROW_FILE)) {
          rows.push({
            line: row.line, start: row.start, end: row.end, terminated: row.terminated,
            length: row.bytes.length, valid: isValidJson(row.bytes),
            sha256: createHash('sha256').update(row.bytes).digest('hex'),
          });
        }
        process.stdout.write(JSON.stringify({ rows, maxRSS: process.resourceUsage().maxRSS }));
      `;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, ZOTPACK_BIG_ROW_FILE: path },
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      expect(child.status, child.stderr).toBe(0);
      const out = JSON.parse(child.stdout) as {
        rows: Array<{ line: number; start: number; end: number; terminated: boolean; length: number; valid: boolean; sha256: string }>;
        maxRSS: number;
      };
      expect(out.rows).toEqual([
        { line: 1, start: 0, end: ROW_BYTES + 1, terminated: true, length: ROW_BYTES, valid: true, sha256: bigSha },
        {
          line: 2,
          start: ROW_BYTES + 1,
          end: ROW_BYTES + 2 + small.length,
          terminated: true,
          length: small.length,
          valid: true,
          sha256: createHash('sha256').update(small).digest('hex'),
        },
      ]);
      const peak = out.maxRSS * 1024; // maxRSS is in KiB
      expect(peak).toBeLessThan(1.5 * ROW_BYTES);
    },
  );
});

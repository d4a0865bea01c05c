import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/batch/protocol.js';
import { runPool } from '../../src/batch/run-pool.js';
import { isValidJson, skipWs } from '../../src/jsonl/json-scan.js';
import { scanObject } from '../../src/jsonl/object-members.js';
import { readRows } from '../../src/jsonl/row-reader.js';
import { readRowHead } from '../../src/jsonl/row-type.js';
import { beginRowStream, scannerBytesForPool, scannerMemoryBytes, scanObjectInPlace, scanRowInPlace, scanRowThrough, wasmBuffer } from '../../src/jsonl/wasm-scanner.js';
import { mutate, randomJson } from '../helpers/random-json.js';
import { seededRandom, type Random } from '../helpers/seeded-random.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const here = dirname(fileURLToPath(import.meta.url));

/** `text` copied into the scanner's memory at `offset` bytes past a fresh region's start. */
function inWasm(text: Buffer, offset = 0): { row: Buffer; release: () => void } {
  const region = wasmBuffer(text.length + offset + 1)!;
  text.copy(region.buf, offset);
  return { row: region.buf.subarray(offset, offset + text.length), release: region.release };
}

/** What the TypeScript scanner says of a row: validity and top-level member spans. */
function reference(b: Buffer) {
  const start = skipWs(b, 0);
  if (!isValidJson(b)) return 'invalid';
  if (b[start] !== 0x7b) return 'not-object';
  return scanObject(b, start)!.members;
}

/** Scans `text` in place at `offset` and checks that the WebAssembly scanner says what the TypeScript one does. */
function expectAgrees(text: Buffer, offset: number): void {
  const { row, release } = inWasm(text, offset);
  const got = scanRowInPlace(row);
  const want = reference(Buffer.from(text));
  if (want === 'invalid' || want === 'not-object') expect(got, text.toString('latin1')).toBe(want);
  else expect((got as { members: unknown }).members, text.toString('latin1')).toEqual(want);
  release();
}

// Mostly the bytes escapes are made of, so runs and escapes straddle every block boundary.
const ESCAPE_ALPHABET = ['\\', '\\', '\\', '"', 'u', 'a', 'F', '0', '9', 'n', 't', '/', 'x', 'g', ' ', '\x01', '\x1f', 'é', '\xff'];

/**
 * A row holding one string of `len` bytes drawn from ESCAPE_ALPHABET, made
 * valid (every escape one JSON allows, no control bytes) with chance
 * `validChance`, so that long strings get past their first bytes; left
 * unterminated one time in five.
 */
function escapeDenseRow(r: Random, len: number, validChance: number): Buffer {
  let body = '';
  for (let k = 0; k < len; k++) body += r.pick(ESCAPE_ALPHABET);
  if (r.chance(validChance)) body = body.replace(/\\(?=[^"\\/bfnrtu]|$)/g, '\\\\').replace(/"/g, '\\"').replace(/[\x00-\x1f]/g, ' ');
  const pad = 'p'.repeat(r.int(64));
  return Buffer.concat([Buffer.from(`{"${pad}":"`), Buffer.from(body, 'latin1'), Buffer.from(r.chance(0.8) ? '"}' : '')]);
}

describe('the WebAssembly row scanner', () => {
  it('loads here (Node 20 has WebAssembly SIMD)', () => {
    expect(wasmBuffer(16)).toBeDefined();
  });

  it('agrees with the TypeScript scanner on random rows and their mutations, at every alignment', () => {
    const r = seededRandom(20261125);
    let checked = 0;
    for (let n = 0; n < 3000; n++) {
      const doc = Buffer.from(r.chance(0.7) ? `{"type":"message","x":${randomJson(r, 4)},"y":${randomJson(r, 3)}}` : randomJson(r, 5));
      for (const text of [doc, mutate(r, doc)]) {
        expectAgrees(text, n % 16);
        checked++;
      }
    }
    expect(checked).toBe(6000);
  });

  it('rejects a control byte or a bad escape hidden anywhere in a long string', () => {
    const body = 'a'.repeat(300);
    for (let at = 0; at < 40; at++) {
      for (const bad of ['\u0001', '\\x', '\\u12g4', '\t']) {
        const text = Buffer.from(`{"t":"${body.slice(0, at)}${bad}${body.slice(at)}"}`);
        const { row, release } = inWasm(text, at % 7);
        expect(scanRowInPlace(row)).toBe('invalid');
        release();
      }
    }
  });

  it('agrees with the TypeScript scanner on escape-dense strings: backslash runs, \\u and quotes across 64-byte blocks', () => {
    const r = seededRandom(64);
    let checked = 0;
    for (let n = 0; n < 4000; n++) {
      const text = escapeDenseRow(r, r.int(n % 3 === 0 ? 200 : 70), 0.5);
      expectAgrees(text, n % 16);
      checked++;
    }
    expect(checked).toBe(4000);
  });

  it('agrees with the TypeScript scanner wherever the plain run of a string ends: in each lane of a 16-byte step, near the end of the row', () => {
    // A plain run of every length from 0 to 80, then what ends it: the
    // string's end, a control byte, an escape (valid or not) handed to the
    // block loop, and plain text or a row cut short after it.
    // ('': the row ends inside the plain run, on a 16-byte step or between two.)
    const ends = ['"', '\x01', '\x1f', '\\n', '\\u00e9', '\\"', '\\q', '\\u12', '\\', ''];
    const tails = ['"}', 'abc"}', `${'z'.repeat(70)}"}`, '', 'abc'];
    let checked = 0;
    for (let run = 0; run <= 80; run++) {
      for (const end of ends) {
        for (const tail of tails) {
          const text = Buffer.from(`{"k":"${'a'.repeat(run)}${end}${end === '"' ? '}' : end === '' ? '' : tail}`, 'latin1');
          expectAgrees(text, run % 16);
          checked++;
        }
      }
    }
    expect(checked).toBe(81 * 10 * 5);
  });

  it('accepts nesting 10,000 deep and rejects 10,001, like Go', () => {
    for (const [depth, want] of [
      [9_999, 1],
      [10_000, 'invalid'],
    ] as const) {
      const text = Buffer.from(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      const { row, release } = inWasm(text);
      const got = scanRowInPlace(row);
      expect(typeof got === 'object' ? got.members.length : got).toBe(want);
      expect(isValidJson(text)).toBe(want !== 'invalid');
      release();
    }
  });

  it('leaves a row with more than 256 top-level members to the TypeScript scanner', () => {
    const text = Buffer.from(`{${Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`).join(',')},"type":"usage"}`);
    const { row, release } = inWasm(text);
    expect(scanRowInPlace(row)).toBeUndefined();
    expect(readRowHead(row)).toMatchObject({ kind: 'row', type: 'usage' });
    release();
  });

  it('does not scan Buffers outside its memory', () => {
    expect(scanRowInPlace(Buffer.from('{"type":"meta"}'))).toBeUndefined();
    expect(scanObjectInPlace(Buffer.from('{"a":{"b":1}}'), 5, 12)).toBeUndefined();
  });

  it('scans an object inside a row in place, with spans into the row, as the TypeScript scanner does', () => {
    const r = seededRandom(11);
    let nested = 0;
    for (let n = 0; n < 300; n++) {
      // Objects of random values (escapes, nesting, white space) inside a row, as a message sits in its row.
      const text = Buffer.from(`{"x":${randomJson(r, 3)}, "message" : {"role":"user","content":${randomJson(r, 4)},"n":${randomJson(r, 3)}},"o":{}}`);
      const top = reference(text);
      if (typeof top === 'string') throw new Error(`not an object: ${text.toString()}`);
      const { row, release } = inWasm(text, r.int(64));
      for (const m of top.filter((m) => text[m.valueStart] === 0x7b)) {
        expect(scanObjectInPlace(row, m.valueStart, m.valueEnd), text.toString()).toEqual(scanObject(text, m.valueStart));
        nested++;
      }
      release();
    }
    expect(nested).toBeGreaterThanOrEqual(600);
    // Past the members the scanner keeps, the caller scans it.
    const wide = Buffer.from(`{"message":{${Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`).join(',')}}}`);
    const { row, release } = inWasm(wide);
    expect(scanObjectInPlace(row, 11, wide.length - 1)).toBeUndefined();
    release();
    // Nor past the end of the view it is given (a row's start only), though the memory goes on.
    const text = Buffer.from('{"type":"message","message":{"role":"user"}}');
    const m = inWasm(text);
    const [, message] = (scanRowInPlace(m.row) as { members: Array<{ valueStart: number; valueEnd: number }> }).members;
    expect(scanObjectInPlace(m.row, message!.valueStart, message!.valueEnd)?.members).toHaveLength(1);
    expect(scanObjectInPlace(m.row.subarray(0, 30), message!.valueStart, message!.valueEnd)).toBeUndefined();
    m.release();
  });

  it('hands out regions in stack order and reuses them once released', () => {
    const a = wasmBuffer(1000)!;
    const b = wasmBuffer(1000)!;
    a.release(); // waits for b
    const c = wasmBuffer(10)!;
    expect(c.buf.byteOffset).toBeGreaterThan(b.buf.byteOffset);
    c.release();
    b.release();
    const d = wasmBuffer(10)!;
    expect(d.buf.byteOffset).toBe(a.buf.byteOffset);
    expect(d.grow(5000)!.byteOffset).toBe(d.buf.byteOffset);
    // Rows of 2 GiB and more, whose sizes overflow 32-bit sums: no room, never a wrapped bound.
    for (const huge of [2 ** 31, 2 ** 32 - 1]) expect(d.grow(huge)).toBeUndefined();
    d.release();
    for (const huge of [1 << 30, 2 ** 31 + 5, 2 ** 32 - 1]) expect(wasmBuffer(huge)).toBeUndefined();
  });
});

/** What a row stream says of `text` fed in pieces cut at `cuts`, each piece copied to the start of one region as a reader's buffer is reused. */
function streamed(text: Buffer, cuts: number[]) {
  const region = wasmBuffer(text.length + 16)!;
  const stream = beginRowStream()!;
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    const shift = cut % 16; // pieces land at every alignment
    text.copy(region.buf, shift, at, cut);
    stream.feed(region.buf.subarray(shift, shift + cut - at));
    at = cut;
  }
  region.release();
  return stream.end(text.length);
}

/** Checks that the stream says of `text`, cut at `cuts`, what the whole-row scanner says. */
function expectStreamAgrees(text: Buffer, cuts: number[]): void {
  const { row, release } = inWasm(text);
  const whole = scanRowInPlace(row);
  release();
  expect(streamed(text, cuts), `${text.toString('latin1')} cut at ${cuts.join(',')}`).toEqual(whole);
}

function randomCuts(r: Random, length: number): number[] {
  const cuts: number[] = [];
  for (let at = 0; ; ) {
    at += r.chance(0.2) ? r.between(64, 200) : r.between(1, 20);
    if (at >= length) return cuts;
    cuts.push(at);
  }
}

describe('a row scanned in pieces', () => {
  it('gives what the whole-row scanner gives, for random rows and their mutations cut at random places', () => {
    const r = seededRandom(20261126);
    let checked = 0;
    for (let n = 0; n < 3000; n++) {
      const doc = Buffer.from(r.chance(0.7) ? `{"type":"message","x":${randomJson(r, 4)},"y":${randomJson(r, 3)}}` : randomJson(r, 5));
      for (const text of [doc, mutate(r, doc)]) {
        expectStreamAgrees(text, randomCuts(r, text.length));
        checked++;
      }
    }
    expect(checked).toBe(6000);
  });

  it('gives the same answer for every single cut of escape-dense strings, numbers and literals', () => {
    const texts = [
      String.raw`{"a":"x\\\"\u00e9\n\/yz\u12AB","b":-12.5e+3,"c":[true,false,null,0,{"d":"\\"}],"e":{}}`,
      `{"k":"${'q'.repeat(70)}\\u0041${'w'.repeat(70)}\\\\\\"${'e'.repeat(40)}"}`,
      `{"k":"${'\\\\'.repeat(40)}\\u12"}`,
      `{"k":"${'a'.repeat(100)}\\x"}`,
      `{"k":"${'a'.repeat(100)}\x01"}`,
      '{"n":01}',
      '{"n":1.}',
      '{"n":-}',
      '{"n":1e}',
      '{"n":1e+}',
      '[1,2,3]',
      '123',
      '12 3',
      '"s"',
      'null',
      'nul',
      '{"a":1}}',
      '{"a":1,}',
      '{"a" : 1 , "b" : [ ] , "c" : { } }  \r\r',
      '   ',
      '{"a":[1,2}',
    ];
    let checked = 0;
    for (const t of texts) {
      const text = Buffer.from(t, 'latin1');
      for (let cut = 1; cut < text.length; cut++) {
        expectStreamAgrees(text, [cut]);
        checked++;
      }
      expectStreamAgrees(text, []);
    }
    expect(checked).toBeGreaterThan(600);
  });

  it('agrees on escape-dense strings cut anywhere, across 64-byte blocks', () => {
    const r = seededRandom(65);
    for (let n = 0; n < 3000; n++) {
      const text = escapeDenseRow(r, r.int(n % 3 === 0 ? 400 : 90), 0.6);
      expectStreamAgrees(text, randomCuts(r, text.length));
    }
  });

  it('accepts nesting 10,000 deep and rejects 10,001, like the whole-row scanner', () => {
    for (const depth of [9_999, 10_000]) {
      const text = Buffer.from(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expectStreamAgrees(text, [1, 5, 7_000, 10_003]);
    }
  });

  it('leaves a row of more than 256 top-level members to the caller, as the whole-row scanner does', () => {
    const text = Buffer.from(`{${Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`).join(',')}}`);
    expect(streamed(text, [100, 2_000])).toBeUndefined();
  });

  it('gives member spans from the row start, for a row many pieces long', () => {
    const image = 'A'.repeat(3 << 20);
    const text = Buffer.from(`{"type":"message","id":"x1","message":{"content":[{"type":"image","data":"${image}"}]},"z":7}`);
    const cuts = Array.from({ length: 47 }, (_, k) => (k + 1) * 65_537);
    const got = streamed(text, cuts);
    const { row, release } = inWasm(text);
    expect(got).toEqual(scanRowInPlace(row));
    release();
    expect(typeof got === 'object' && got.members.map((m) => text.toString('latin1', m.keyStart, m.keyEnd))).toEqual(['"type"', '"id"', '"message"', '"z"']);
  });
});

describe('a row outside the scanner memory, scanned through it', () => {
  /** A row of about `size` bytes whose strings hold escapes around every 1 MiB piece boundary. */
  function bigRow(size: number, tail: string): Buffer {
    const piece = 1 << 20;
    let body = '';
    while (body.length < size) body += 'A'.repeat(piece - 7 - (body.length % piece)) + '\\u00e9\\n\\"';
    return Buffer.from(`{"type":"message","id":"a","message":{"content":[{"type":"image","data":"${body}"}]}${tail}`, 'latin1');
  }

  it('gives what the TypeScript scanner gives, for rows of several pieces, valid or not', () => {
    for (const tail of ['}', ',"z":[1,2,{"q":null}]}', '', '}}', ',"n":01}', '} ']) {
      const row = bigRow(3 << 20, tail);
      expect(inScannerMemoryOf(row)).toBe(false);
      const want = reference(row);
      const got = scanRowThrough(row);
      if (want === 'invalid' || want === 'not-object') expect(got, tail).toBe(want);
      else expect((got as { members: unknown }).members, tail).toEqual(want);
    }
  });

  it('is what readRowHead uses for a big row outside the scanner memory: the same head as in place', () => {
    const row = bigRow(2 << 20, ',"type":"usage"}');
    const { row: inPlace, release } = inWasm(row);
    const want = readRowHead(inPlace);
    release();
    expect(want).toMatchObject({ kind: 'row', type: 'usage' });
    expect(readRowHead(row)).toEqual(want);
  });
});

/** Whether `b` is a view of the scanner memory (a region of it is one). */
function inScannerMemoryOf(b: Buffer): boolean {
  const region = wasmBuffer(1)!;
  const same = region.buf.buffer === b.buffer;
  region.release();
  return same;
}

describe('the scanner memory of a pool', () => {
  it('is 64 MiB a thread for up to two threads, and 128 MiB in all beyond, never under 32 MiB', () => {
    expect(scannerBytesForPool(1)).toBe(64 << 20);
    expect(scannerBytesForPool(2)).toBe(64 << 20);
    const three = scannerBytesForPool(3);
    expect(three % (64 << 10)).toBe(0); // whole WebAssembly pages
    expect(three).toBeLessThanOrEqual((128 << 20) / 3);
    expect(three).toBeGreaterThan((128 << 20) / 3 - (64 << 10));
    expect(scannerBytesForPool(4)).toBe(32 << 20);
    expect(scannerBytesForPool(64)).toBe(32 << 20);
  });

  it('is what every worker of the pool scans in', async () => {
    const worker = join(here, '..', 'helpers', 'scanner-size-worker.cjs');
    const jobOf = (indexes: readonly number[]) => ({ op: 'meta', files: indexes.map(() => ({ path: 'x' })) }) as Job;
    for (const jobs of [2, 4]) {
      const units = Array.from({ length: 4 * jobs }, (_, i) => [i]);
      const outcomes = await runPool<number>(units, jobOf, units.length, { jobs, workerFile: worker });
      expect(new Set(outcomes.map((o) => (o.ok ? o.value : -1)))).toEqual(new Set([scannerBytesForPool(jobs)]));
    }
  });
});

/** Each row's type, and whether it was read into the scanner memory (scanned in place). */
function typesAndInPlace(path: string, chunkSize?: number): Array<[string, boolean]> {
  const seen: Array<[string, boolean]> = [];
  // Inside the loop: a row's bytes are valid only until the reader moves on.
  for (const r of readRows(path, { chunkSize })) {
    const head = readRowHead(r.bytes);
    seen.push([head.kind === 'row' ? head.type : head.kind, scanRowInPlace(r.bytes) !== undefined]);
  }
  return seen;
}

describe('the row reader and the scanner memory', () => {
  it.each([
    {
      what: 'a row bigger than the read size (64 KiB reads)',
      row: () => `{"type":"message","message":{"role":"tool","content":[{"text":"${'x\\n'.repeat(400_000)}"}]}}`,
      chunkSize: 64 << 10,
    },
    {
      what: 'an inline image of 60 MB (default reads)',
      row: () => `{"type":"message","message":{"role":"user","content":[{"mime_type":"image/png","data":"${'QUJD'.repeat(15_000_000)}"}]}}`,
      chunkSize: undefined,
    },
  ])('reads rows into the scanner memory, growing in place for $what', ({ row, chunkSize }) => {
    const path = join(makeTempDir(), 's.jsonl');
    writeFileSync(path, `{"type":"meta","meta":{"id":"a"}}\n${row()}\n{"type":"usage"}\n`);
    expect(typesAndInPlace(path, chunkSize)).toEqual([
      ['meta', true],
      ['message', true],
      ['usage', true],
    ]);
  });

  it('reads a row that outgrows the buffer once: the scanner memory grows under it, no look-ahead reads', () => {
    // This thread's own read(2) byte count (Linux): other test files run on other threads.
    const bytesRead = (): number => Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/thread-self/io', 'latin1'))![1]);
    const path = join(makeTempDir(), 's.jsonl');
    const image = `{"type":"message","message":{"role":"user","content":[{"mime_type":"image/png","data":"${'QUJD'.repeat(5_000_000)}"}]}}`;
    writeFileSync(path, `{"type":"meta","meta":{"id":"a"}}\n${image}\n{"type":"usage"}\n`);
    const size = statSync(path).size;
    const before = bytesRead();
    expect(typesAndInPlace(path, 64 << 10)).toEqual([
      ['meta', true],
      ['message', true],
      ['usage', true],
    ]);
    const read = bytesRead() - before;
    expect(read).toBeGreaterThanOrEqual(size);
    // (The slack is for reading /proc itself; reading the 20 MB row twice was 2x.)
    expect(read).toBeLessThan(size + (64 << 10));
  });

  it('after a row too big for the room left, gives that room back: a reader nested after it scans in place', () => {
    const dir = makeTempDir();
    const outer = join(dir, 'outer.jsonl');
    const inner = join(dir, 'inner.jsonl');
    writeFileSync(outer, `{"big":"${'x'.repeat(300_000)}"}\n{"small":1}\n`);
    writeFileSync(inner, '{"a":1}\n{"b":2}\n');
    const probe = wasmBuffer(64)!;
    const used = probe.buf.byteOffset;
    probe.release();
    // Leave 200 KB of the scanner memory: the 300 KB row fills it, then goes to the big-row buffer.
    const filler = wasmBuffer(scannerMemoryBytes() - used - 200_000)!;
    const nested: boolean[] = [];
    try {
      for (const r of readRows(outer, { chunkSize: 64 << 10 })) {
        if (r.bytes.length > 100) continue;
        for (const n of readRows(inner, { chunkSize: 64 << 10 })) nested.push(scanRowInPlace(n.bytes) !== undefined);
      }
    } finally {
      filler.release();
    }
    expect(nested).toEqual([true, true]);
  });

  it('falls back to its own Buffer when the scanner memory is full, with the same rows', () => {
    const dir = makeTempDir();
    const path = join(dir, 's.jsonl');
    writeFileSync(path, '{"type":"meta","meta":{"id":"a"}}\n{"type":"x"}\nnot json\n');
    const hog = wasmBuffer(1)!;
    const rest = wasmBuffer(scannerMemoryBytes() - (1 << 20)); // most of the memory
    const rows = [...readRows(path)].map((r) => readRowHead(r.bytes).kind);
    rest?.release();
    hog.release();
    expect(rows).toEqual(['row', 'row', 'invalid']);
  });

  it('comes back to the scanner memory after a row too big for it, and scans the rows after it in place', () => {
    const dir = makeTempDir();
    const path = join(dir, 's.jsonl');
    // Bigger than the whole scanner memory: it needs a Buffer of its own.
    const big = `{"type":"message","message":{"role":"user","content":[{"text":"${'y'.repeat(scannerMemoryBytes() + (1 << 20))}"}]}}`;
    writeFileSync(path, `{"type":"meta","meta":{"id":"a"}}\n${big}\n{"type":"usage"}\n{"type":"message"}\n`);
    expect(typesAndInPlace(path)).toEqual([
      ['meta', true],
      ['message', false],
      ['usage', true],
      ['message', true],
    ]);
  });
});

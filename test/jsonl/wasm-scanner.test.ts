import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isValidJson, skipWs } from '../../src/jsonl/json-scan.js';
import { scanObject } from '../../src/jsonl/object-members.js';
import { readRows } from '../../src/jsonl/row-reader.js';
import { readRowHead } from '../../src/jsonl/row-type.js';
import { scanRowInPlace, wasmBuffer } from '../../src/jsonl/wasm-scanner.js';
import { mutate, randomJson } from '../helpers/random-json.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

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
        const { row, release } = inWasm(text, n % 16);
        const got = scanRowInPlace(row);
        const want = reference(Buffer.from(text));
        if (want === 'invalid' || want === 'not-object') expect(got).toBe(want);
        else expect((got as { members: unknown }).members).toEqual(want);
        release();
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
    d.release();
    expect(wasmBuffer(1 << 30)).toBeUndefined();
  });
});

describe('the row reader and the scanner memory', () => {
  it('reads rows into the scanner memory, growing in place for a row bigger than the read size', () => {
    const dir = makeTempDir();
    const path = join(dir, 's.jsonl');
    const big = `{"type":"message","message":{"role":"tool","content":[{"text":"${'x\\n'.repeat(400_000)}"}]}}`;
    writeFileSync(path, `{"type":"meta","meta":{"id":"a"}}\n${big}\n{"type":"usage"}\n`);
    const seen: Array<[string, boolean]> = [];
    for (const r of readRows(path, { chunkSize: 64 << 10 })) {
      const head = readRowHead(r.bytes);
      seen.push([head.kind === 'row' ? head.type : head.kind, scanRowInPlace(r.bytes) !== undefined]);
    }
    expect(seen).toEqual([
      ['meta', true],
      ['message', true],
      ['usage', true],
    ]);
  });

  it('falls back to its own Buffer when the scanner memory is full, with the same rows', () => {
    const dir = makeTempDir();
    const path = join(dir, 's.jsonl');
    writeFileSync(path, '{"type":"meta","meta":{"id":"a"}}\n{"type":"x"}\nnot json\n');
    const hog = wasmBuffer(1)!;
    const rest = wasmBuffer(31 << 20); // most of the memory
    const rows = [...readRows(path)].map((r) => readRowHead(r.bytes).kind);
    rest?.release();
    hog.release();
    expect(rows).toEqual(['row', 'row', 'invalid']);
  });
});

import { describe, expect, it } from 'vitest';
import { ManifestScan, MAX_VALUE_BYTES, MAX_VALUE_DEPTH, NotAnObject } from '../../src/batch/manifest-scan.js';
import { mutate, randomJson, randomJsonString } from '../helpers/random-json.js';
import { seededRandom, type Random } from '../helpers/seeded-random.js';

interface Scanned {
  /** The document as the handlers rebuild it: what JSON.parse gives. */
  doc: Record<string, unknown>;
  /** Each element's bytes, as its offset and length name them. */
  spans: Buffer[];
}

/** Scans `bytes` in pieces of the sizes `sizes` gives, and rebuilds the document from what the handlers get. */
function scan(bytes: Buffer, sizes: () => number): Scanned {
  const doc: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => Object.defineProperty(doc, key, { value, enumerable: true, writable: true, configurable: true });
  const spans: Buffer[] = [];
  let list: unknown[] = [];
  const s = new ManifestScan({
    member: set,
    sessionsStart: () => {
      list = [];
      spans.length = 0;
      set('sessions', list);
    },
    element: (value, offset, length) => {
      list.push(value);
      spans.push(bytes.subarray(offset, offset + length));
    },
  });
  for (let at = 0; at < bytes.length; ) {
    const n = Math.max(1, sizes());
    s.push(bytes.subarray(at, at + n));
    at += n;
  }
  s.end();
  return { doc, spans };
}

function ws(r: Random): string {
  return r.pick(['', '', ' ', '\n ', '\t', '\r\n  ']);
}

/** A manifest-like document: the usual keys and others in any order, with random sessions. */
function randomDocument(r: Random): string {
  const members = [
    `"format"${ws(r)}:${ws(r)}"zotpack-bundle"`,
    `"version":${ws(r)}1`,
    `"created":${randomJsonString(r)}`,
    `"sessions"${ws(r)}:${ws(r)}[${Array.from({ length: r.int(6) }, () => randomJson(r, 3)).join(',')}${ws(r)}]`,
  ];
  for (let n = r.int(3); n > 0; n--) members.push(`${randomJsonString(r, 6)}:${randomJson(r, 3)}`);
  for (let i = members.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [members[i], members[j]] = [members[j]!, members[i]!];
  }
  return `${ws(r)}{${ws(r)}${members.join(`${ws(r)},${ws(r)}`)}${ws(r)}}${ws(r)}`;
}

describe('ManifestScan', () => {
  it('hands over each top-level member and each session, in any key order and any cut into pieces, as JSON.parse reads them', () => {
    const r = seededRandom(20261125);
    for (let k = 0; k < 400; k++) {
      const text = randomDocument(r);
      const bytes = Buffer.from(text);
      const expected = JSON.parse(text) as Record<string, unknown>;
      for (const sizes of [() => bytes.length, () => 1, () => r.between(1, 17)]) {
        const { doc, spans } = scan(bytes, sizes);
        expect(doc, text).toEqual(expected);
        // Each element's offset and length name exactly its bytes.
        if (Array.isArray(expected.sessions)) expect(spans.map((b) => JSON.parse(b.toString()))).toEqual(expected.sessions);
      }
    }
  });

  it('takes the last of a key named twice, as JSON.parse does', () => {
    const text = '{"sessions":[1,2],"format":"a","sessions":[3],"format":"b"}';
    expect(scan(Buffer.from(text), () => 5).doc).toEqual({ sessions: [3], format: 'b' });
    expect(scan(Buffer.from('{"sessions":[1],"sessions":{"a":1}}'), () => 3).doc).toEqual({ sessions: { a: 1 } });
    // An escaped key is the same key.
    expect(scan(Buffer.from('{"sess\\u0069ons":[{"a":"]"}]}'), () => 2).doc).toEqual({ sessions: [{ a: ']' }] });
  });

  it('accepts exactly what JSON.parse accepts as an object: cut, damaged or not an object, it throws', () => {
    const r = seededRandom(7);
    let refused = 0;
    for (let k = 0; k < 3000; k++) {
      const bytes = mutate(r, Buffer.from(randomDocument(r)));
      let expected: unknown;
      try {
        expected = JSON.parse(bytes.toString('utf8'));
      } catch {
        expected = undefined;
      }
      const isObject = typeof expected === 'object' && expected !== null && !Array.isArray(expected);
      let got: Scanned | Error;
      try {
        got = scan(bytes, () => r.between(1, 40));
      } catch (err) {
        got = err as Error;
      }
      if (isObject) {
        expect(got, bytes.toString()).not.toBeInstanceOf(Error);
        expect((got as Scanned).doc).toEqual(expected);
      } else {
        refused++;
        expect(got, bytes.toString()).toBeInstanceOf(expected === undefined ? SyntaxError : NotAnObject);
      }
    }
    expect(refused).toBeGreaterThan(1000);
  });

  it('throws at the first byte a manifest cut short or broken in the middle cannot have', () => {
    const text = Buffer.from('{"format":"zotpack-bundle","sessions":[{"path":"a"},{"path":"b"}],"version":1}');
    for (let cut = 0; cut < text.length; cut++) expect(() => scan(text.subarray(0, cut), () => 4)).toThrow(SyntaxError);
    expect(() => scan(Buffer.from('{"sessions":[{"path":"a"} {"path":"b"}]}'), () => 64)).toThrow(/'\{' at byte 26, expected ',' or '\]'/);
    expect(() => scan(Buffer.from('{"sessions":[{"path":"a"},]}'), () => 64)).toThrow(/expected a value/);
    expect(() => scan(Buffer.from('{"sessions":[{"path":"a",}]}'), () => 64)).toThrow(/in the value at byte 13/);
    expect(() => scan(Buffer.from('{"a":1} {}'), () => 64)).toThrow(/expected the end/);
    expect(() => scan(Buffer.from('[{"a":1}]'), () => 3)).toThrow(NotAnObject);
  });
});

describe('a manifest from a stranger', () => {
  it('is refused, not parsed, where a value nests too deep or grows too long, or a document that is no object is long', () => {
    const deep = Buffer.from(`{"sessions":[${'['.repeat(MAX_VALUE_DEPTH + 1)}`);
    expect(() => scan(deep, () => 4096)).toThrow(new RegExp(`nested deeper than ${MAX_VALUE_DEPTH} levels`));
    const fine = Buffer.from(`{"x":${'['.repeat(MAX_VALUE_DEPTH)}${']'.repeat(MAX_VALUE_DEPTH)}}`);
    expect(scan(fine, () => 4096).doc).toHaveProperty('x');
    for (const chunk of [4096, 64 << 20]) {
      const long = Buffer.from(`{"created":"${'a'.repeat(MAX_VALUE_BYTES)}"}`);
      expect(() => scan(long, () => chunk)).toThrow(/a value of over 16 MiB \(at byte 11\)/);
    }
    // 40 MB of '[': refused at its first MiB, as no object (JSON.parse of it took 2.8 GB).
    expect(() => scan(Buffer.alloc(40 << 20, '['), () => 1 << 16)).toThrow(NotAnObject);
  });
});

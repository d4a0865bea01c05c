import { describe, expect, it } from 'vitest';
import { hasControlByte, isValidJson, MAX_DEPTH, scanNumber, scanString, scanValue, skipWs } from '../../src/jsonl/json-scan.js';
import { isUtf8, mutate, parsesAsJson, randomJson, randomJsonString } from '../helpers/random-json.js';
import { seededRandom } from '../helpers/seeded-random.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const valid = (s: string | Buffer): boolean => isValidJson(typeof s === 'string' ? b(s) : s);

/** `bytes` placed at byte offset `shift` of a larger allocation, so word alignment differs. */
function atOffset(bytes: Buffer, shift: number): Buffer {
  const backing = Buffer.alloc(bytes.length + 16);
  const aligned = (8 - (backing.byteOffset & 7)) & 7; // first 8-aligned index
  bytes.copy(backing, aligned + shift);
  return backing.subarray(aligned + shift, aligned + shift + bytes.length);
}

/** Base64-looking text of `n` bytes. */
function base64Text(n: number, seed = 7): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const r = seededRandom(seed);
  let s = '';
  for (let k = 0; k < n; k++) s += alphabet[r.int(64)];
  return s;
}

describe('isValidJson: the language Go accepts', () => {
  it.each([
    ['null'],
    ['true'],
    ['false'],
    ['0'],
    ['-0'],
    ['1.5e-3'],
    ['-12.25E+10'],
    ['1e5'],
    ['123456789012345678901234567890'],
    ['1e999'],
    ['""'],
    ['"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"'],
    ['"\\u0041\\uabcd\\uABCD\\ud83d\\ude00"'],
    ['"\\ud800"'], // a lone surrogate escape: Go substitutes U+FFFD
    ['"é中😀"'],
    ['"\u2028\u2029\u007f"'],
    ['[]'],
    ['{}'],
    ['[1,"a",null,true,false,{},[]]'],
    ['{"a":1,"b":[1,2,{"c":null}],"a":2}'],
    [' \t\r\n{ "a" : [ 1 , 2 ] }\n\r\t '],
    ['{"":""}'],
  ])('accepts %j', (text) => {
    expect(valid(text)).toBe(true);
  });

  it.each([
    [''],
    [' '],
    ['01'],
    ['-01'],
    ['00'],
    ['1.'],
    ['.5'],
    ['-'],
    ['+1'],
    ['1e'],
    ['1e+'],
    ['1.e5'],
    ['0x10'],
    ['NaN'],
    ['Infinity'],
    ['-Infinity'],
    ['nul'],
    ['tru'],
    ['nulll'],
    ['True'],
    ['undefined'],
    ['hello'],
    ["'a'"],
    ["{'a':1}"],
    ['{a:1}'],
    ['[1,]'],
    ['[,1]'],
    ['[1,,2]'],
    ['{"a":1,}'],
    ['{,}'],
    ['{"a"}'],
    ['{"a":}'],
    ['{"a" 1}'],
    ['{"a":1 "b":2}'],
    ['[1 2]'],
    ['{"a":1]'],
    ['[1}'],
    ['['],
    [']'],
    ['{'],
    ['}'],
    ['"abc'],
    ['"\\"'],
    ['"\\x41"'],
    ['"\\\'"'],
    ['"\\U0041"'],
    ['1 2'],
    ['{} {}'],
    ['{}x'],
    ['[]]'],
    ['null,'],
    ['"a"\u00a0'], // NBSP is not JSON whitespace
    ['\u000b1'], // nor is a vertical tab
    ['\u000c1'], // nor a form feed
    ['\ufeff{}'], // a byte-order mark is not whitespace either
  ])('rejects %j', (text) => {
    expect(valid(text)).toBe(false);
  });

  it('rejects each raw control byte inside a string, and accepts it escaped', () => {
    for (let c = 0; c < 0x20; c++) {
      expect(valid(Buffer.from([0x22, 0x61, c, 0x62, 0x22])), `byte ${c}`).toBe(false);
      expect(valid(`"a\\u${c.toString(16).padStart(4, '0')}b"`)).toBe(true);
    }
    expect(valid(Buffer.from([0x22, 0x7f, 0x22]))).toBe(true);
  });

  it('accepts invalid UTF-8 inside strings, as Go does', () => {
    for (const bad of [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xc0, 0xaf]]) {
      const text = Buffer.concat([b('{"text":"a'), Buffer.from(bad), b('b"}')]);
      expect(valid(text), JSON.stringify(bad)).toBe(true);
    }
  });

  it('rejects invalid UTF-8 outside strings', () => {
    expect(valid(Buffer.from([0x5b, 0xff, 0x5d]))).toBe(false);
    expect(valid(Buffer.concat([b('{"a":1}'), Buffer.from([0xc3])]))).toBe(false);
  });

  it('rejects a UTF-8 byte-order mark before a document', () => {
    expect(valid(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b('{"type":"meta"}')]))).toBe(false);
  });

  it('accepts nesting 10,000 deep and rejects 10,001, for arrays, objects and a mix', () => {
    expect(MAX_DEPTH).toBe(10_000);
    const arrays = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    const objects = (n: number): string => '{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1);
    const mixed = (n: number): string => {
      let open = '';
      let close = '';
      for (let k = 0; k < n; k++) {
        if (k % 2 === 0) {
          open += '[1,';
          close = ']' + close;
        } else {
          open += '{"k":';
          close = '}' + close;
        }
      }
      return open + 'null' + close;
    };
    for (const make of [arrays, objects, mixed]) {
      expect(valid(make(10_000))).toBe(true);
      expect(valid(make(10_001))).toBe(false);
    }
    // Depth counts open containers, not how many were opened in total.
    expect(valid('[' + '[],'.repeat(20_000) + '[]]')).toBe(true);
  });

  it('can be called again after rejecting a deep document (the scan stack is reset)', () => {
    expect(valid('['.repeat(10_001) + ']'.repeat(10_001))).toBe(false);
    expect(valid('[{"a":[1]},{"b":{"c":[]}}]')).toBe(true);
    expect(valid('[{"a":[1]},{"b":{"c":[]]}]')).toBe(false);
  });
});

describe('isValidJson against JSON.parse on random documents', () => {
  it('agrees on random valid documents and every mutation of them that is valid UTF-8', () => {
    const r = seededRandom(20261125);
    let checked = 0;
    let rejected = 0;
    for (let n = 0; n < 3000; n++) {
      const doc = b(randomJson(r, 5));
      expect(isValidJson(doc), doc.toString()).toBe(true);
      expect(parsesAsJson(doc)).toBe(true);
      let current = doc;
      for (let m = 0; m < 8; m++) {
        current = mutate(r, m % 3 === 0 ? doc : current);
        if (!isUtf8(current)) continue;
        const want = parsesAsJson(current);
        expect(isValidJson(current), JSON.stringify(current.toString('utf8'))).toBe(want);
        checked++;
        if (!want) rejected++;
      }
    }
    // The mutations must exercise both answers.
    expect(checked).toBeGreaterThan(10_000);
    expect(rejected).toBeGreaterThan(checked / 4);
    expect(checked - rejected).toBeGreaterThan(checked / 20);
  });

  it('agrees on mutations that break UTF-8 too, decoding them as Go does (each bad sequence becomes U+FFFD)', () => {
    // Outside strings a bad byte is an error for both; inside strings both
    // accept it. Buffer's decoder replaces bad sequences without eating the
    // ASCII byte after them, so the structure JSON.parse sees is the same.
    const r = seededRandom(42);
    let invalidUtf8 = 0;
    for (let n = 0; n < 2000; n++) {
      let current = b(randomJson(r, 4));
      for (let m = 0; m < 6; m++) {
        current = mutate(r, current);
        if (isUtf8(current)) continue;
        invalidUtf8++;
        expect(isValidJson(current), current.toString('hex')).toBe(parsesAsJson(current));
      }
    }
    expect(invalidUtf8).toBeGreaterThan(1000);
  });

  it('agrees on documents placed at every byte alignment', () => {
    const r = seededRandom(99);
    for (let n = 0; n < 300; n++) {
      const doc = b(`{"s":${randomJsonString(r, 400)},"t":"${base64Text(r.between(60, 300), n)}"}`);
      const want = parsesAsJson(doc);
      for (let shift = 0; shift < 8; shift++) expect(isValidJson(atOffset(doc, shift))).toBe(want);
    }
  });
});

describe('long strings', () => {
  const escapes = ['\\n', '\\"', '\\\\', '\\u00e9', '\\/', '\\t'];

  it('accepts an escape at any position of strings longer than 64 and 256 bytes', () => {
    for (const length of [63, 64, 65, 255, 256, 257, 258, 300, 513, 1000]) {
      const body = base64Text(length);
      for (let at = 0; at <= length; at += at < 8 || length - at < 8 ? 1 : 37) {
        for (const e of escapes) {
          const text = b(`"${body.slice(0, at)}${e}${body.slice(at)}"`);
          expect(valid(text), `length ${length}, ${e} at ${at}`).toBe(true);
          expect(scanString(text, 0)).toBe(text.length);
        }
      }
    }
  });

  it('rejects a bad escape or a raw control byte at any position of a long string', () => {
    for (const length of [64, 256, 257, 600]) {
      const body = base64Text(length);
      for (let at = 0; at <= length; at += at < 8 || length - at < 8 ? 1 : 29) {
        for (const bad of ['\\x', '\\u12G4', '\\ ', '\\a', '\u0000', '\u001f', '\n']) {
          const text = b(`["${body.slice(0, at)}${bad}${body.slice(at)}"]`);
          expect(valid(text), `length ${length}, ${JSON.stringify(bad)} at ${at}`).toBe(false);
        }
      }
    }
  });

  it('finds a control byte deep inside a long base64 string at every alignment 0..7', () => {
    const body = base64Text(100_000);
    for (let align = 0; align < 8; align++) {
      for (const control of [0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f]) {
        const at = 50_000 + align;
        const text = Buffer.from(`{"data":"${body}"}`);
        text[9 + at] = control;
        for (let shift = 0; shift < 8; shift++) {
          const placed = atOffset(text, shift);
          expect(isValidJson(placed), `control ${control} at ${at}, buffer shifted ${shift}`).toBe(false);
        }
        text[9 + at] = 0x41;
        expect(isValidJson(atOffset(text, align))).toBe(true);
      }
    }
  });

  it('finds a control byte in the last few bytes of a long run, after the last whole word', () => {
    const body = base64Text(1000);
    for (let fromEnd = 1; fromEnd <= 20; fromEnd++) {
      const text = Buffer.from(`"${body}"`);
      text[text.length - 1 - fromEnd] = 0x1f;
      for (let shift = 0; shift < 4; shift++) expect(isValidJson(atOffset(text, shift))).toBe(false);
    }
  });

  it('does not take bytes 0x20, 0x7f or 0x80..0xff in a long run for control bytes', () => {
    for (const c of [0x20, 0x21, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xff]) {
      const text = Buffer.from(`"${base64Text(700)}"`);
      for (let k = 100; k < 600; k += 3) text[k] = c;
      expect(isValidJson(text), `byte ${c}`).toBe(true);
    }
  });

  it('checks \\u escapes for four hex digits', () => {
    for (const ok of ['\\u0000', '\\uffff', '\\uFFFF', '\\uAbC9', '\\u0123\\u4567\\u89ab\\ucdef']) expect(valid(`"${ok}"`), ok).toBe(true);
    for (const bad of ['\\u', '\\u1', '\\u12', '\\u123', '\\u123G', '\\ug123', '\\u 123', '\\u-123', '\\u12\\n', '\\u{41}', '\\uzzzz']) {
      expect(valid(`"${bad}"`), bad).toBe(false);
      expect(valid(`"${'x'.repeat(300)}${bad}"`), bad).toBe(false);
    }
    expect(valid(b('"\\u12'))).toBe(false); // cut off at the end of the buffer
  });

  it('accepts an escape-heavy 5 MB string, and rejects it with one bad escape or control byte near the end', () => {
    const unit = '\\n\\"\\\\\\u00e9ab\\/\\t<&>x';
    const body = unit.repeat(Math.ceil((5 << 20) / unit.length));
    const good = b(`{"output":"${body}","is_error":false}`);
    expect(good.length).toBeGreaterThan(5 << 20);
    expect(isValidJson(good)).toBe(true);
    expect(JSON.parse(good.toString()).output.length).toBeGreaterThan(0);

    const badEscape = b(`{"output":"${body}\\q","is_error":false}`);
    expect(isValidJson(badEscape)).toBe(false);
    const control = Buffer.from(good);
    control[control.length - 40] = 0x01;
    expect(isValidJson(control)).toBe(false);
    // Many escaped quotes: each one moves past the closing-quote candidate.
    const quotes = b(`"${'\\"'.repeat(1 << 20)}"`);
    expect(isValidJson(quotes)).toBe(true);
  });
});

describe('hasControlByte', () => {
  const naive = (buf: Buffer, from: number, to: number): boolean => {
    for (let k = from; k < to; k++) if (buf[k]! < 0x20) return true;
    return false;
  };

  it('matches a byte-by-byte check for every byte value at every position of short and long ranges', () => {
    for (const length of [0, 1, 3, 4, 5, 63, 64, 65, 67, 80, 131]) {
      for (let shift = 0; shift < 4; shift++) {
        const clean = atOffset(Buffer.alloc(length + 4, 0x41), shift);
        for (let at = 0; at < length; at++) {
          for (let c = 0; c < 256; c += at % 7 === 0 ? 1 : 17) {
            clean[at + 2] = c;
            expect(hasControlByte(clean, 2, 2 + length), `length ${length}, shift ${shift}, byte ${c} at ${at}`).toBe(c < 0x20);
            clean[at + 2] = 0x41;
          }
        }
        expect(hasControlByte(clean, 2, 2 + length)).toBe(false);
      }
    }
  });

  it('ignores control bytes outside [from, to)', () => {
    const buf = Buffer.alloc(200, 0x61);
    buf[9] = 0;
    buf[150] = 0;
    expect(hasControlByte(buf, 10, 150)).toBe(false);
    expect(hasControlByte(buf, 10, 151)).toBe(true);
    expect(hasControlByte(buf, 9, 100)).toBe(true);
    expect(hasControlByte(buf, 10, 10)).toBe(false);
  });

  it('matches the byte-by-byte check on random buffers and ranges', () => {
    const r = seededRandom(3);
    for (let n = 0; n < 2000; n++) {
      const buf = Buffer.alloc(r.between(0, 400));
      for (let k = 0; k < buf.length; k++) buf[k] = r.chance(0.995) ? r.between(0x20, 0xff) : r.int(0x20);
      const from = r.int(buf.length + 1);
      const to = from + r.int(buf.length - from + 1);
      const placed = atOffset(buf, r.int(8));
      expect(hasControlByte(placed, from, to)).toBe(naive(buf, from, to));
    }
  });
});

describe('scanString, scanNumber, scanValue, skipWs', () => {
  it('scanString returns the index just past the closing quote, or -1', () => {
    expect(scanString(b('"abc" tail'), 0)).toBe(5);
    expect(scanString(b('xx"a\\"b"yy'), 2)).toBe(8);
    expect(scanString(b('"\\\\"'), 0)).toBe(4);
    expect(scanString(b('""'), 0)).toBe(2);
    expect(scanString(b('"abc'), 0)).toBe(-1);
    expect(scanString(b('"a\\"'), 0)).toBe(-1);
    expect(scanString(b('"a\\'), 0)).toBe(-1);
  });

  it('scanNumber follows -?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)? and stops at the first byte after', () => {
    const cases: Array<[string, number]> = [
      ['0', 1],
      ['-0', 2],
      ['01', 1], // the number is "0"; what follows is the caller's problem
      ['123,', 3],
      ['1.25]', 4],
      ['1e10}', 4],
      ['1E-2 ', 4],
      ['-1.5e+3x', 7],
      ['-', -1],
      ['-a', -1],
      ['1.', -1],
      ['1.e3', -1],
      ['1e', -1],
      ['1e+', -1],
      ['.1', -1],
      ['x', -1],
      ['', -1],
    ];
    for (const [text, end] of cases) expect(scanNumber(b(text), 0), text).toBe(end);
  });

  it('scanValue returns the end of one value starting at i', () => {
    expect(scanValue(b('[1, 2] x'), 0)).toBe(6);
    expect(scanValue(b('  {"a": {"b": [true]}} ,'), 2)).toBe(22);
    expect(scanValue(b('"s":1'), 0)).toBe(3);
    expect(scanValue(b('null'), 0)).toBe(4);
    expect(scanValue(b(' 1'), 0)).toBe(-1); // no leading whitespace
    expect(scanValue(b('[1,2'), 0)).toBe(-1);
  });

  it('scanValue counts depth0 toward the nesting limit', () => {
    const deep = b('['.repeat(10) + ']'.repeat(10));
    expect(scanValue(deep, 0, MAX_DEPTH - 10)).toBe(20);
    expect(scanValue(deep, 0, MAX_DEPTH - 9)).toBe(-1);
    expect(scanValue(b('1'), 0, MAX_DEPTH)).toBe(1); // a scalar opens nothing
  });

  it('skipWs skips only space, tab, CR and LF', () => {
    expect(skipWs(b(' \t\r\nx'), 0)).toBe(4);
    expect(skipWs(b('   '), 1)).toBe(3);
    expect(skipWs(b('\u000bx'), 0)).toBe(0);
    expect(skipWs(b('\u000cx'), 0)).toBe(0);
    expect(skipWs(b('\u00a0x'), 0)).toBe(0);
  });
});

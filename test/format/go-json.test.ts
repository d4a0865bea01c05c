import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compactUtc, goJson, goString, goTime } from '../../src/format/go-json.js';
import { ALL_FIXTURE_SESSIONS, FX } from '../helpers/zot-fixtures.js';

/** Every JSON string literal in a row of JSON text, raw (quotes and escapes as written). */
function stringLiterals(row: string): string[] {
  return row.match(/"(?:[^"\\]|\\.)*"/g) ?? [];
}

const fixtureRows = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((r) => r !== '');

describe('goString', () => {
  it('reproduces the strings of the zot-written long session byte for byte, escapes of < > & U+2028 included', () => {
    const literals = fixtureRows(FX.long).flatMap(stringLiterals);
    const special = literals.filter((l) => /\\u(003c|003e|0026|2028)/.test(l));
    // The fixture has "\u003cENOENT\u003e \u0026 exit 1?" and a tool output with "\u2028".
    expect(special.some((l) => l.includes('\\u003c') && l.includes('\\u003e') && l.includes('\\u0026'))).toBe(true);
    expect(special.some((l) => l.includes('\\u2028'))).toBe(true);
    for (const raw of literals) expect(goString(JSON.parse(raw) as string)).toBe(raw);
  });

  it('reproduces every string of every zot-written session', () => {
    let n = 0;
    for (const path of ALL_FIXTURE_SESSIONS) {
      for (const raw of fixtureRows(path).flatMap(stringLiterals)) {
        expect(goString(JSON.parse(raw) as string)).toBe(raw);
        n++;
      }
    }
    expect(n).toBeGreaterThan(200);
  });

  it('escapes as Go does', () => {
    expect(goString('<a href="x">&</a>')).toBe('"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
    expect(goString('line\u2028sep\u2029')).toBe('"line\\u2028sep\\u2029"');
    expect(goString('\n\r\t\\"')).toBe('"\\n\\r\\t\\\\\\""');
    expect(goString('\b\f')).toBe('"\\b\\f"');
    expect(goString('\u0000\u001f')).toBe('"\\u0000\\u001f"');
    expect(goString('/ é 中 😀 \u007f')).toBe('"/ é 中 😀 \u007f"');
    expect(goString('')).toBe('""');
  });
});

describe('goJson', () => {
  it('re-encodes every row of the zot-written sessions byte for byte', () => {
    for (const path of ALL_FIXTURE_SESSIONS) {
      for (const row of fixtureRows(path)) expect(goJson(JSON.parse(row))).toBe(row);
    }
  });

  it('escapes strings in keys and nested values', () => {
    expect(goJson({ '<k>': ['a&b', { c: '\u2029' }], n: 1.5, t: true, z: null })).toBe(
      '{"\\u003ck\\u003e":["a\\u0026b",{"c":"\\u2029"}],"n":1.5,"t":true,"z":null}',
    );
  });
});

describe('goTime', () => {
  it('writes RFC 3339 in UTC with nanoseconds, trailing zeros trimmed', () => {
    const d = new Date('2026-05-06T18:46:29.123Z');
    expect(goTime(d, 456789)).toBe('2026-05-06T18:46:29.123456789Z');
    expect(goTime(d)).toBe('2026-05-06T18:46:29.123Z');
    expect(goTime(new Date('2026-05-06T18:46:29.120Z'))).toBe('2026-05-06T18:46:29.12Z');
    expect(goTime(new Date('2026-05-06T18:46:29.100Z'), 500)).toBe('2026-05-06T18:46:29.1000005Z');
    expect(goTime(new Date('2026-05-06T18:46:29.000Z'), 100)).toBe('2026-05-06T18:46:29.0000001Z');
  });

  it('omits the fraction when it is zero', () => {
    expect(goTime(new Date('2026-05-06T18:46:29.000Z'))).toBe('2026-05-06T18:46:29Z');
    expect(goTime(new Date('2026-05-06T18:46:29Z'), 0)).toBe('2026-05-06T18:46:29Z');
  });

  it('writes in UTC whatever the local zone', () => {
    expect(goTime(new Date('2026-05-06T23:30:00.5+05:00'))).toBe('2026-05-06T18:30:00.5Z');
  });
});

describe('compactUtc', () => {
  it("formats Go's 20060102-150405 layout in UTC", () => {
    expect(compactUtc('2026-11-25T00:33:05.746894346Z')).toBe('20261125-003305');
    expect(compactUtc('2026-11-25T00:33:05-05:00')).toBe('20261125-053305');
    expect(compactUtc('2026-01-01T01:00:00+02:00')).toBe('20251231-230000');
  });

  it('truncates the fraction, never rounding up into the next second', () => {
    expect(compactUtc('2026-11-25T23:59:59.9999999Z')).toBe('20261125-235959');
  });

  it("gives Go's zero time for an absent or unparseable time", () => {
    expect(compactUtc(undefined)).toBe('00010101-000000');
    expect(compactUtc('')).toBe('00010101-000000');
    expect(compactUtc('not a time')).toBe('00010101-000000');
    expect(compactUtc('0001-01-01T00:00:00Z')).toBe('00010101-000000');
  });

  it('pads years before 1000', () => {
    expect(compactUtc('0099-03-04T05:06:07Z')).toBe('00990304-050607');
  });
});

import { describe, expect, it } from 'vitest';
import {
  arrayField,
  boolField,
  field,
  GoTypeError,
  intField,
  isGoTime,
  numberField,
  objectField,
  stringField,
  timeField,
} from '../../src/jsonl/go-fields.js';
import { scanObject, type ScannedObject } from '../../src/jsonl/object-members.js';
import { seededRandom } from '../helpers/seeded-random.js';

interface Parsed {
  b: Buffer;
  obj: ScannedObject;
}

function parse(s: string): Parsed {
  const b = Buffer.from(s);
  const obj = scanObject(b, 0);
  if (!obj) throw new Error(`not an object: ${s}`);
  return { b, obj };
}

const str = (s: string, name: string) => {
  const { b, obj } = parse(s);
  return stringField(b, obj, name);
};
const int = (s: string, name = 'n') => {
  const { b, obj } = parse(s);
  return intField(b, obj, name);
};
const num = (s: string, name = 'n') => {
  const { b, obj } = parse(s);
  return numberField(b, obj, name);
};
const time = (s: string, name = 't') => {
  const { b, obj } = parse(s);
  return timeField(b, obj, name);
};

/** Calls `f` and returns the GoTypeError it throws (failing when it throws nothing or something else). */
function goTypeError(f: () => unknown): GoTypeError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(GoTypeError);
    return err as GoTypeError;
  }
  throw new Error('expected a GoTypeError');
}

describe('field', () => {
  it('returns the member Go would decode, matching keys in any case, the last one winning', () => {
    const { b, obj } = parse('{"Name":"a","NAME":"b","other":1}');
    expect(field(b, obj, 'name', 'string')).toBe(obj.members[1]);
    expect(field(b, obj, 'absent', 'string')).toBeUndefined();
  });

  it('matches U+017F and U+212A as Go folds them', () => {
    expect(str('{"\u017fummary":"x"}', 'summary')).toBe('x');
    expect(str('{"\u212aind":"y"}', 'kind')).toBe('y');
    expect(str('{"\\u017Fummary":"x"}', 'summary')).toBe('x');
  });

  it('null leaves a scalar as it was: unset, or the earlier value', () => {
    expect(str('{"s":null}', 's')).toBeUndefined();
    expect(str('{"s":"a","s":null}', 's')).toBe('a');
    expect(str('{"s":null,"s":"b"}', 's')).toBe('b');
    expect(int('{"n":5,"N":null}')).toBe(5);
    const { b, obj } = parse('{"f":true,"f":null}');
    expect(boolField(b, obj, 'f')).toBe(true);
  });

  it('null resets objects, arrays, maps, byte slices and raw values', () => {
    const values = { object: '{"a":1}', array: '[1]', bytes: '"QQ=="', strings: '["a"]', 'string-map': '{"a":"b"}', any: '{"a":1}' };
    for (const [kind, value] of Object.entries(values) as Array<[keyof typeof values, string]>) {
      const { b, obj } = parse(`{"v":${value},"v":null}`);
      expect(field(b, obj, 'v', kind), kind).toBeUndefined();
    }
    const { b, obj } = parse('{"v":null,"v":[2]}');
    expect(arrayField(b, obj, 'v')).toEqual([[15, 16]]);
  });

  it.each([
    ['string', '1'],
    ['string', 'true'],
    ['string', '{}'],
    ['string', '[]'],
    ['number', '"1"'],
    ['number', 'false'],
    ['number', '[]'],
    ['int', '"1"'],
    ['int', '1.5'],
    ['int', '{}'],
    ['bool', '"true"'],
    ['bool', '0'],
    ['bool', '[]'],
    ['object', '[]'],
    ['object', '"x"'],
    ['object', '1'],
    ['array', '{}'],
    ['array', '"x"'],
    ['array', 'true'],
    ['bytes', '5'],
    ['bytes', '{}'],
    ['bytes', '"QQ"'],
    ['bytes', '[256]'],
    ['strings', '"a"'],
    ['strings', '[5]'],
    ['strings', '["a",{}]'],
    ['string-map', '[]'],
    ['string-map', '{"k":1}'],
    ['string-map', '{"k":"v","j":["x"]}'],
  ] as const)('a %s field holding %s throws GoTypeError', (kind, value) => {
    const { b, obj } = parse(`{"f":${value}}`);
    const err = goTypeError(() => field(b, obj, 'f', kind));
    expect(err.field).toBe('f');
    expect(err.message).toContain('"f"');
  });

  it('a wrong type anywhere fails, even before a later good value', () => {
    expect(() => str('{"s":1,"s":"ok"}', 's')).toThrow(GoTypeError);
    expect(() => str('{"s":"ok","S":1}', 's')).toThrow(GoTypeError);
  });

  it('an any field takes every JSON type', () => {
    for (const value of ['1', '"s"', 'true', '{}', '[]']) {
      const { b, obj } = parse(`{"f":${value}}`);
      expect(field(b, obj, 'f', 'any')).toBe(obj.members[0]);
    }
  });
});

describe("Go's []byte, []string and map[string]string", () => {
  const accepts = (kind: 'bytes' | 'strings' | 'string-map', value: string): boolean => {
    const { b, obj } = parse(`{"f":${value}}`);
    try {
      field(b, obj, 'f', kind);
      return true;
    } catch (err) {
      if (err instanceof GoTypeError) return false;
      throw err;
    }
  };

  it('bytes: padded standard base64 (line breaks skipped, escapes decoded first), or an array of integers 0..255', () => {
    for (const ok of ['""', '"QQ=="', '"QUI="', '"QUJD"', '"QR=="', '"Q\\nQ\\r=="', '"QQ\\u003d\\u003d"', '"AB=\\n="', '[]', '[0,255,null]']) {
      expect(accepts('bytes', ok), ok).toBe(true);
    }
    for (const bad of ['"Q"', '"QQ"', '"QQ="', '"Q==="', '"===="', '"AB=A"', '"QQ==QQ=="', '"QQ== "', '"Q-_Q"', '"QUJ\\u00e9"', '[-1]', '[1.0]', '[1e2]', '[256]', '[true]', '["QQ=="]', '[[1]]']) {
      expect(accepts('bytes', bad), bad).toBe(false);
    }
  });

  it('bytes: a long run of base64 is checked in place, and one bad byte anywhere fails it, wherever the run starts', () => {
    const data = Buffer.alloc(96 << 10, 7).toString('base64');
    for (const ws of ['', ' ', '  ', '   ']) {
      const bytes = (value: string) => accepts('bytes', `${ws}${value}`);
      expect(bytes(`"${data}"`), `${ws.length}`).toBe(true);
      expect(bytes(`"${data.slice(0, 1 << 16)}*${data.slice((1 << 16) + 1)}"`)).toBe(false);
      for (const at of [0, 1, 2, 3, data.length - 6, data.length - 5]) {
        for (const bad of ['=', '-', '\u00e9', '\x7f', ':', '@', '[', '`', '{']) {
          expect(bytes(`"${data.slice(0, at)}${bad}${data.slice(at + 1)}"`), `${bad} at ${at}`).toBe(false);
        }
      }
      expect(bytes(`"${data.slice(0, -1)}"`)).toBe(false);
      expect(bytes(`"${data.slice(0, -4)}QUI="`)).toBe(true);
    }
  });

  it('strings: a list of strings and nulls', () => {
    expect(accepts('strings', '[]')).toBe(true);
    expect(accepts('strings', '["bash",null,"\\u003c"]')).toBe(true);
    expect(accepts('strings', '[true]')).toBe(false);
  });

  it('string-map: an object whose values are strings or nulls; any key', () => {
    expect(accepts('string-map', '{}')).toBe(true);
    expect(accepts('string-map', '{"k":"v","K":null,"":"e"}')).toBe(true);
    expect(accepts('string-map', '{"k":false}')).toBe(false);
  });
});

describe('typed fields', () => {
  it('stringField decodes escapes', () => {
    expect(str('{"s":"a\\u003cb\\n\\u2028"}', 's')).toBe('a<b\n\u2028');
    expect(str('{"s":""}', 's')).toBe('');
  });

  it('numberField reads floats and rejects numbers out of float64 range', () => {
    expect(num('{"n":0.07490000000000001}')).toBe(0.07490000000000001);
    expect(num('{"n":-1.5e3}')).toBe(-1500);
    expect(num('{"n":1e-400}')).toBe(0); // underflow is not an error in Go
    expect(() => num('{"n":1e400}')).toThrow(GoTypeError);
    expect(() => num('{"n":-1e400}')).toThrow(GoTypeError);
  });

  it('intField reads integers and rejects a fraction or an exponent, as Go\'s ParseInt does', () => {
    expect(int('{"n":3}')).toBe(3);
    expect(int('{"n":-42}')).toBe(-42);
    expect(int('{"n":0}')).toBe(0);
    expect(int('{"n":9007199254740991}')).toBe(9007199254740991);
    for (const bad of ['3.0', '1e2', '1E2', '-0.5', '3.5']) {
      expect(() => int(`{"n":${bad}}`), bad).toThrow(GoTypeError);
    }
  });

  it('intField rejects integers it cannot hold exactly', () => {
    expect(() => int('{"n":9007199254740993}')).toThrow(GoTypeError);
  });

  it('boolField reads true and false', () => {
    const { b, obj } = parse('{"t":true,"f":false}');
    expect(boolField(b, obj, 't')).toBe(true);
    expect(boolField(b, obj, 'f')).toBe(false);
    expect(boolField(b, obj, 'x')).toBeUndefined();
  });

  it('objectField and arrayField scan the value', () => {
    const { b, obj } = parse('{"o":{"k":"v"},"a":[1,{"x":2}]}');
    const o = objectField(b, obj, 'o')!;
    expect(o.members).toHaveLength(1);
    expect(stringField(b, o, 'k')).toBe('v');
    expect(arrayField(b, obj, 'a')!.map(([s, e]) => b.toString('utf8', s, e))).toEqual(['1', '{"x":2}']);
    expect(objectField(b, obj, 'absent')).toBeUndefined();
  });
});

describe('timeField', () => {
  it('accepts RFC 3339 with nanoseconds, as zot writes it', () => {
    expect(time('{"t":"2026-05-06T18:46:29.123456789Z"}')).toBe('2026-05-06T18:46:29.123456789Z');
    expect(time('{"t":"2026-11-25T00:33:05Z"}')).toBe('2026-11-25T00:33:05Z');
    expect(time('{"t":"2026-11-25T00:33:05.5+05:30"}')).toBe('2026-11-25T00:33:05.5+05:30');
    expect(time('{"t":"0001-01-01T00:00:00Z"}')).toBe('0001-01-01T00:00:00Z');
  });

  it('rejects an empty string, as Go does', () => {
    expect(goTypeError(() => time('{"t":""}')).field).toBe('t');
  });

  it('absent or null is undefined (Go leaves the zero time)', () => {
    expect(time('{}')).toBeUndefined();
    expect(time('{"t":null}')).toBeUndefined();
  });

  it('a time that is not a string throws', () => {
    expect(() => time('{"t":1700000000}')).toThrow(GoTypeError);
    expect(() => time('{"t":{}}')).toThrow(GoTypeError);
  });

  it('rejects a time written with an escape: Go parses the raw bytes between the quotes', () => {
    expect(() => time('{"t":"2026-05-06T18:46:29\\u002e5Z"}')).toThrow(GoTypeError);
    expect(() => time('{"t":"\\u0032026-05-06T18:46:29Z"}')).toThrow(GoTypeError);
  });

  it.each([
    ['2026-05-06T18:46:29Z'],
    ['2026-05-06T18:46:29.1Z'],
    ['2026-05-06T18:46:29.123456789Z'],
    ['2026-05-06T18:46:29.1234567891Z'], // Go reads more than nine digits and keeps nine
    ['2026-05-06T18:46:29-07:00'],
    ['2028-02-29T00:00:00Z'],
    ['2000-02-29T00:00:00Z'],
    ['2026-04-30T23:59:59Z'],
    ['9999-12-31T23:59:59.999999999+23:59'],
  ])('isGoTime accepts %s', (s) => {
    expect(isGoTime(s)).toBe(true);
  });

  it.each([
    [''],
    ['2026-05-06'],
    ['2026-05-06 18:46:29Z'],
    ['2026-05-06t18:46:29Z'],
    ['2026-05-06T18:46:29z'],
    ['2026-05-06T18:46:29'],
    ['2026-05-06T18:46:29.Z'],
    ['2026-05-06T18:46Z'],
    ['2026-13-06T18:46:29Z'],
    ['2026-00-06T18:46:29Z'],
    ['2026-05-00T18:46:29Z'],
    ['2026-05-32T18:46:29Z'],
    ['2026-02-29T00:00:00Z'],
    ['1900-02-29T00:00:00Z'],
    ['2026-02-30T00:00:00Z'],
    ['2026-04-31T00:00:00Z'],
    ['2026-05-06T24:00:00Z'],
    ['2026-05-06T18:60:00Z'],
    ['2026-05-06T18:46:60Z'],
    ['2026-05-06T18:46:29+0700'],
    ['2026-05-06T18:46:29+07'],
    ['2026-05-06T18:46:29Z\n'],
    ['2026-05-06T18:46:29+07:00x'],
    ['2026-05-06T18:46:29.\u0660Z'],
    ['+2026-05-06T18:46:29Z'],
    ['20260-05-06T18:46:29Z'],
    [' 2026-05-06T18:46:29Z'],
  ])('isGoTime rejects %j', (s) => {
    expect(isGoTime(s)).toBe(false);
  });

  it('isGoTime decides as the pattern of RFC 3339 and a calendar check do, on 50,000 near misses', () => {
    // The definition isGoTime reads by hand, kept here as the oracle.
    const pattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
    const oracle = (s: string): boolean => {
      const m = pattern.exec(s);
      if (!m) return false;
      const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
      const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
      const days = mo === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(mo) ? 30 : 31;
      return mo >= 1 && mo <= 12 && d >= 1 && d <= days && h < 24 && mi < 60 && se < 60;
    };
    const r = seededRandom(42);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const alphabet = [...'0123456789-:.TZtz+ \n\u0660'];
    const zones = ['Z', '+05:30', '-07:00', '.5Z', '.123456789Z', '.1234567891+23:59', ''];
    let accepted = 0;
    for (let n = 0; n < 50_000; n++) {
      const year = r.chance(0.3) ? r.pick([1900, 2000, 2024, 2026]) : r.int(10_000);
      const base = `${pad(year, 4)}-${pad(r.int(14))}-${pad(r.int(33))}T${pad(r.int(26))}:${pad(r.int(62))}:${pad(r.int(62))}${r.pick(zones)}`;
      const chars = [...base];
      // Up to two edits: a character replaced, inserted or removed.
      for (let e = r.int(3); e > 0; e--) {
        const at = r.int(chars.length + 1);
        const c = r.pick(alphabet);
        const op = r.int(3);
        if (op === 0) chars[at] = c;
        else if (op === 1) chars.splice(at, 0, c);
        else chars.splice(at, 1);
      }
      const s = chars.join('');
      expect(isGoTime(s), s).toBe(oracle(s));
      if (oracle(s)) accepted++;
    }
    // Both answers came up often enough to mean something.
    expect(accepted).toBeGreaterThan(5_000);
    expect(accepted).toBeLessThan(45_000);
  });
});

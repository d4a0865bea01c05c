import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitRows } from '../../src/jsonl/row-reader.js';
import { decodeString, decodeStringStart, readRowHead, type RowHead } from '../../src/jsonl/row-type.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { ALL_FIXTURE_SESSIONS, FX } from '../helpers/zot-fixtures.js';

const head = (s: string | Buffer): RowHead => readRowHead(typeof s === 'string' ? Buffer.from(s) : s);
const typeOf = (s: string | Buffer): string | undefined => {
  const h = head(s);
  return h.kind === 'row' ? h.type : undefined;
};

describe('readRowHead: the type Go decodes into struct{ Type string `json:"type"` }', () => {
  it('reads type when it is the first key, as zot writes meta, message, usage and compaction rows', () => {
    expect(typeOf('{"type":"meta","meta":{"id":"x"}}')).toBe('meta');
    expect(typeOf('{"type":"message","message":{"role":"user","content":[]}}')).toBe('message');
  });

  it('reads type when it is the last key, as zot writes rename rows (sorted keys)', () => {
    expect(typeOf('{"title":"x","type":"rename"}')).toBe('rename');
  });

  it('reads every row of the zot-written fixtures', () => {
    const seen = new Set<string>();
    for (const path of ALL_FIXTURE_SESSIONS) {
      for (const row of splitRows(readFileSync(path))) {
        const h = readRowHead(row.bytes);
        expect(h.kind).toBe('row');
        const want = (JSON.parse(row.bytes.toString()) as { type: string }).type;
        expect(h.kind === 'row' && h.type).toBe(want);
        seen.add(want);
      }
    }
    expect([...seen].sort()).toEqual(['compaction', 'message', 'meta', 'rename', 'usage']);
  });

  it('returns the scanned top-level object with its members', () => {
    const row = Buffer.from('{"title":"x","type":"rename"}');
    const h = readRowHead(row);
    if (h.kind !== 'row' || h.object === null) throw new Error('expected an object row');
    expect(h.object.end).toBe(row.length);
    expect(h.object.members.map((m) => row.toString('utf8', m.keyStart, m.keyEnd))).toEqual(['"title"', '"type"']);
    expect(h.object.members.map((m) => row.toString('utf8', m.valueStart, m.valueEnd))).toEqual(['"x"', '"rename"']);
  });

  it('allows whitespace anywhere JSON does', () => {
    expect(typeOf(' \t{ "type" :\r\n "usage" , "usage" : { } }\t ')).toBe('usage');
  });

  it('decodes escaped keys and values', () => {
    expect(typeOf('{"\\u0074ype":"meta"}')).toBe('meta');
    expect(typeOf('{"t\\u0079pe":"m\\u0065ta"}')).toBe('meta');
    expect(typeOf('{"type":"re\\/name\\n"}')).toBe('re/name\n');
  });

  it('reads a type as written when it only looks like one of zot\'s (same length, a byte off; values compare by case)', () => {
    for (const t of ['messagE', 'Meta', 'usagf', 'compactioN', 'renamé', 'mess\\u0061ge', 'metas', 'u']) {
      expect(typeOf(`{"type":"${t}"}`)).toBe(JSON.parse(`"${t}"`));
    }
    for (const t of ['message', 'meta', 'usage', 'compaction', 'rename', '']) expect(typeOf(`{"type":"${t}"}`)).toBe(t);
  });

  it('matches keys in another case, as Go does', () => {
    expect(typeOf('{"TYPE":"meta"}')).toBe('meta');
    expect(typeOf('{"Type":"usage"}')).toBe('usage');
    expect(typeOf('{"tYpE":"rename"}')).toBe('rename');
    expect(typeOf('{"\\u0054YPE":"meta"}')).toBe('meta');
  });

  it('does not match keys that only look alike', () => {
    expect(typeOf('{"typ":"meta"}')).toBe('');
    expect(typeOf('{"types":"meta"}')).toBe('');
    expect(typeOf('{" type":"meta"}')).toBe('');
    expect(typeOf('{"type\\u0000":"meta"}')).toBe('');
    expect(typeOf('{"ty\u0131pe":"meta"}')).toBe(''); // dotless i is not in the fold set of i
  });

  it('takes the last of repeated keys', () => {
    expect(typeOf('{"type":"meta","type":"message"}')).toBe('message');
    expect(typeOf('{"type":"meta","TYPE":"usage"}')).toBe('usage');
    expect(typeOf('{"Type":"usage","type":"meta","x":1}')).toBe('meta');
  });

  it('a later null leaves the earlier value, as Go leaves a string field alone for null', () => {
    expect(typeOf('{"type":"meta","type":null}')).toBe('meta');
    expect(typeOf('{"type":null,"type":"usage","type":null}')).toBe('usage');
    expect(typeOf('{"type":null}')).toBe('');
  });

  it('ignores "type" inside nested objects and arrays', () => {
    expect(typeOf('{"meta":{"type":"message"},"x":[{"type":"usage"}]}')).toBe('');
    expect(typeOf('{"message":{"type":"x"},"type":"message"}')).toBe('message');
  });

  it('a row without a type is a row with type ""', () => {
    expect(head('{}')).toEqual({ kind: 'row', type: '', object: { members: [], end: 2 } });
    expect(typeOf('{"title":"x"}')).toBe('');
  });

  it('a top-level null is a valid row with type "" and no object', () => {
    expect(head('null')).toEqual({ kind: 'row', type: '', object: null });
    expect(head('  null \r')).toEqual({ kind: 'row', type: '', object: null });
  });

  it.each([['[]'], ['[{"type":"meta"}]'], ['"meta"'], ['12'], ['-1.5e3'], ['true'], ['false']])(
    'a top-level %s is undecodable',
    (text) => {
      expect(head(text)).toEqual({ kind: 'undecodable' });
    },
  );

  it.each([['1'], ['1.5'], ['{}'], ['[]'], ['["meta"]'], ['true'], ['false']])('a type of %s is undecodable', (value) => {
    expect(head(`{"type":${value}}`)).toEqual({ kind: 'undecodable' });
    // A wrong type anywhere fails the decode, even when a later key is a string.
    expect(head(`{"type":${value},"type":"meta"}`)).toEqual({ kind: 'undecodable' });
    expect(head(`{"type":"meta","TYPE":${value}}`)).toEqual({ kind: 'undecodable' });
  });

  it.each([
    [''],
    ['   '],
    ['{'],
    ['{"type":"meta"'],
    ['{"type":"meta"}}'],
    ['{"type":"meta"} x'],
    ['{"type":"meta",}'],
    ["{'type':'meta'}"],
    ['{"type":meta}'],
    ['nul'],
    ['[1,]'],
    ['{"type":"meta","meta":{"id":"x"}'],
    ['{"type":"message","message":{"content":["\u0001"]}}'],
    ['\ufeff{"type":"meta"}'],
  ])('%j is invalid', (text) => {
    expect(head(text)).toEqual({ kind: 'invalid' });
  });

  it('a truncated copy of every fixture row is invalid', () => {
    for (const row of splitRows(readFileSync(FX.long))) {
      if (row.bytes.length > 4096) continue; // the image row: one cut below is enough
      for (let cut = 0; cut < row.bytes.length; cut++) {
        expect(readRowHead(row.bytes.subarray(0, cut)), `cut at ${cut}`).toEqual({ kind: 'invalid' });
      }
    }
    const image = [...splitRows(readFileSync(FX.long))].find((r) => r.bytes.length > 1 << 20)!;
    expect(readRowHead(image.bytes).kind).toBe('row');
    expect(readRowHead(image.bytes.subarray(0, image.bytes.length - 1)).kind).toBe('invalid');
  });

  it('rejects nesting deeper than 10,000 inside a row', () => {
    const nested = (n: number): string => `{"type":"message","x":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    expect(typeOf(nested(10_000))).toBe('message');
    expect(head(nested(10_001))).toEqual({ kind: 'invalid' });
  });
});

describe('decodeString', () => {
  it('decodes a string span, with or without escapes', () => {
    const b = Buffer.from('x"plain"y"a\\u003cb\\u0026\\u2028\\"c"');
    expect(decodeString(b, 1, 8)).toBe('plain');
    expect(decodeString(b, 9, b.length)).toBe('a<b&\u2028"c');
  });

  it('keeps non-ASCII text', () => {
    const b = Buffer.from('"é中😀"');
    expect(decodeString(b, 0, b.length)).toBe('é中😀');
  });
});

describe('decodeStringStart', () => {
  const start = (text: string, max: number) => {
    const b = Buffer.from(JSON.stringify(text));
    return decodeStringStart(b, 0, b.length, max);
  };

  it('is decodeString when the text is within the bytes asked', () => {
    for (const text of ['', 'plain', 'esc\n"aped"\\', 'é😀\u2028']) expect(start(text, 1000)).toBe(text);
  });

  it('cuts before an escape or a UTF-8 character it would split, and decodes what it keeps', () => {
    expect(start('hello world', 5)).toBe('hello');
    expect(start('x\ny', 2)).toBe('x');
    expect(start('x\ny', 3)).toBe('x\n');
    expect(start('a\u0001b', 6)).toBe('a'); // \u0001 is six bytes
    expect(start('a\u0001b', 7)).toBe('a\u0001');
    expect(start('ééé', 3)).toBe('é');
    expect(start('😀abc', 3)).toBe('');
    // Random texts: always a prefix of the whole, never longer than asked.
    const r = seededRandom(7);
    for (let k = 0; k < 2000; k++) {
      const text = Array.from({ length: r.between(0, 20) }, () => ['a', 'é', '😀', '\n', '"', '\\', '\u0001', '<'][r.between(0, 7)]).join('');
      const max = r.between(0, 40);
      const got = start(text, max);
      expect(text.startsWith(got), JSON.stringify([text, max, got])).toBe(true);
      expect(JSON.stringify(got).length - 2).toBeLessThanOrEqual(Math.max(max, 0) + 0);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { findMember, goFoldKey, keyMatches, scanArray, scanObject, type Member } from '../../src/jsonl/object-members.js';

const text = (b: Buffer, from: number, to: number): string => b.toString('utf8', from, to);

/** The object at the start of `s`, with its members as text. */
function members(s: string): Array<[string, string]> {
  const b = Buffer.from(s);
  const obj = scanObject(b, 0);
  if (!obj) throw new Error(`not an object: ${s}`);
  return obj.members.map((m) => [text(b, m.keyStart, m.keyEnd), text(b, m.valueStart, m.valueEnd)]);
}

/** Whether the only key of `{<key>:1}` selects the field `name`. */
function matches(key: string, name: string): boolean {
  const b = Buffer.from(`{${key}:1}`);
  const obj = scanObject(b, 0)!;
  return keyMatches(b, obj.members[0]!, name);
}

describe('scanObject', () => {
  it('gives each member as key and value spans, in document order', () => {
    expect(members('{"a":1,"bb":"x","c":{"d":[1,2]},"e":null}')).toEqual([
      ['"a"', '1'],
      ['"bb"', '"x"'],
      ['"c"', '{"d":[1,2]}'],
      ['"e"', 'null'],
    ]);
  });

  it('spans exclude the whitespace around keys and values', () => {
    expect(members('{ "a" : 1 ,\n\t"b"\r:\r"x" }')).toEqual([
      ['"a"', '1'],
      ['"b"', '"x"'],
    ]);
  });

  it('keeps repeated keys, all of them', () => {
    expect(members('{"a":1,"a":2,"A":3}').map(([k]) => k)).toEqual(['"a"', '"a"', '"A"']);
  });

  it('gives the index just past the closing brace', () => {
    const b = Buffer.from('xx{ "a" : [1] } yy');
    expect(scanObject(b, 2)!.end).toBe(15);
    expect(scanObject(Buffer.from('{}'), 0)).toEqual({ members: [], end: 2 });
    expect(scanObject(Buffer.from('{ \n }'), 0)).toEqual({ members: [], end: 5 });
  });

  it.each([['[]'], ['{'], ['{"a"}'], ['{"a":}'], ['{"a":1,}'], ['{a:1}'], ['{"a":1 "b":2}'], ['{"a":01}'], ['{"a":"\u0001"}'], [' {}']])(
    'returns null for %j',
    (s) => {
      expect(scanObject(Buffer.from(s), 0)).toBeNull();
    },
  );

  it('counts its own depth toward the 10,000 limit', () => {
    const inner = (n: number): Buffer => Buffer.from(`{"a":${'['.repeat(n)}${']'.repeat(n)}}`);
    expect(scanObject(inner(9_999), 0)).not.toBeNull();
    expect(scanObject(inner(10_000), 0)).toBeNull();
    expect(scanObject(inner(9_998), 0, 2)).not.toBeNull();
    expect(scanObject(inner(9_999), 0, 2)).toBeNull();
    expect(scanObject(Buffer.from('{}'), 0, 10_001)).toBeNull();
  });
});

describe('scanArray', () => {
  it('gives the spans of the elements', () => {
    const b = Buffer.from('[ 1 , "two" ,{"three":3},[4] ]');
    expect(scanArray(b, 0)!.map(([s, e]) => text(b, s, e))).toEqual(['1', '"two"', '{"three":3}', '[4]']);
    expect(scanArray(Buffer.from('[]'), 0)).toEqual([]);
    expect(scanArray(Buffer.from('[ ]'), 0)).toEqual([]);
  });

  it.each([['{}'], ['['], ['[1,]'], ['[,]'], ['[1 2]'], ['[1}']])('returns null for %j', (s) => {
    expect(scanArray(Buffer.from(s), 0)).toBeNull();
  });
});

describe('goFoldKey', () => {
  it('folds ASCII letters to upper case and leaves everything else', () => {
    expect(goFoldKey('mime_Type-9')).toBe('MIME_TYPE-9');
    expect(goFoldKey('é')).toBe('é');
  });

  it('folds U+017F (long s) to S and U+212A (Kelvin sign) to K, as Go does', () => {
    expect(goFoldKey('\u017fummary')).toBe('SUMMARY');
    expect(goFoldKey('\u212aey')).toBe('KEY');
  });
});

describe('keyMatches: Go matches a JSON key to a field name case-insensitively', () => {
  it('matches the exact name', () => {
    expect(matches('"type"', 'type')).toBe(true);
    expect(matches('"mime_type"', 'mime_type')).toBe(true);
  });

  it('matches ASCII letters in any case', () => {
    for (const key of ['"TYPE"', '"Type"', '"tYPe"']) expect(matches(key, 'type'), key).toBe(true);
    expect(matches('"MIME_TYPE"', 'mime_type')).toBe(true);
  });

  it('matches escaped keys after decoding them', () => {
    expect(matches('"\\u0074ype"', 'type')).toBe(true);
    expect(matches('"\\u0054YPE"', 'type')).toBe(true);
    expect(matches('"call\\u005fid"', 'call_id')).toBe(true);
  });

  it('matches U+017F (long s) for s and U+212A (Kelvin sign) for k, raw or escaped', () => {
    expect(matches('"\u017fummary"', 'summary')).toBe(true);
    expect(matches('"\\u017fummary"', 'summary')).toBe(true);
    expect(matches('"i\u017f_error"', 'is_error')).toBe(true);
    expect(matches('"\u212aind"', 'kind')).toBe(true);
    expect(matches('"\\u212Aind"', 'kind')).toBe(true);
    expect(matches('"cache_read_to\u212aen\u017f"', 'cache_read_tokens')).toBe(true);
  });

  it('does not match other look-alikes', () => {
    expect(matches('"typ"', 'type')).toBe(false);
    expect(matches('"types"', 'type')).toBe(false);
    expect(matches('"type "', 'type')).toBe(false);
    expect(matches('"\u0131d"', 'id')).toBe(false); // dotless i
    expect(matches('"\u0130d"', 'id')).toBe(false); // dotted capital I
    expect(matches('"tÿpe"', 'type')).toBe(false);
    expect(matches('"\u017f"', 'k')).toBe(false);
    expect(matches('"mime-type"', 'mime_type')).toBe(false);
    // Case folding is for letters only: '_' (0x5f) and DEL (0x7f) differ by 0x20 from '?' and '_'.
    expect(matches('"mime\u007ftype"', 'mime_type')).toBe(false);
    expect(matches('"?"', '_')).toBe(false);
    expect(matches('"@"', '`')).toBe(false);
  });

  it('reads a byte that is not UTF-8 as a character no name has, at any length', () => {
    // {"<bytes>":1}, the key's bytes as given: a string cannot carry a byte that is not UTF-8.
    const rawMatches = (key: number[], name: string) => {
      const b = Buffer.from([0x7b, 0x22, ...key, 0x22, 0x3a, 0x31, 0x7d]);
      return keyMatches(b, scanObject(b, 0)!.members[0]!, name);
    };
    const type = [...Buffer.from('type')];
    expect(rawMatches(type, 'type')).toBe(true);
    expect(rawMatches([0xff, ...type.slice(1)], 'type')).toBe(false);
    expect(rawMatches([...type.slice(0, 3), 0xff], 'type')).toBe(false);
    expect(rawMatches([...type, 0xff], 'type')).toBe(false);
    expect(rawMatches([0xff, ...type], 'type')).toBe(false);
    // A Kelvin sign cut short (two of its three bytes) is not UTF-8, and not a K.
    expect(rawMatches([0xe2, 0x84, ...Buffer.from('ind')], 'kind')).toBe(false);
    expect(rawMatches([0xe2, 0x84, 0xaa, ...Buffer.from('ind')], 'kind')).toBe(true);
  });
});

describe('findMember', () => {
  it('finds the last member whose key Go would match', () => {
    const b = Buffer.from('{"id":"a","ID":"b","x":1,"Id":"c","idx":2}');
    const obj = scanObject(b, 0)!;
    const m = findMember(b, obj.members, 'id') as Member;
    expect(text(b, m.valueStart, m.valueEnd)).toBe('"c"');
    expect(findMember(b, obj.members, 'x')).toBe(obj.members[2]);
    expect(findMember(b, obj.members, 'absent')).toBeUndefined();
  });
});

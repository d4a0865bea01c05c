import { describe, expect, test } from 'vitest';
import { firstLine, printable } from '../../src/cli/printable.js';

describe('printable', () => {
  test('escapes what a terminal acts on: C0, DEL, C1, bidi overrides and isolates, lone surrogates', () => {
    expect(printable('a\x1b]52;c;aGk=\x07b')).toBe('a\\x1b]52;c;aGk=\\x07b');
    expect(printable('x\ny\rz\tw')).toBe('x\\ny\\rz\\tw');
    expect(printable('\x00\x7f\x9b[2J')).toBe('\\x00\\x7f\\x9b[2J');
    expect(printable('abc\u202edef\u2066g')).toBe('abc\\u202edef\\u2066g');
    expect(printable('\ud83dx\ude00')).toBe('\\ud83dx\\ude00');
  });

  test('leaves the rest as it is: accents, CJK, emoji (a surrogate pair), zero-width joiners, RLM', () => {
    const text = 'café 漢字 😀 👩‍💻 \u200f plain \\x1b';
    expect(printable(text)).toBe(text);
  });
});

describe('firstLine', () => {
  test('the first line, trimmed, cut with an ellipsis at max characters', () => {
    expect(firstLine('abcdefghij', 5)).toBe('abcd…');
    expect(firstLine('abcde', 5)).toBe('abcde');
    expect(firstLine('  hello  \n \n\t', 50)).toBe('hello');
  });

  test('an ellipsis when more lines follow, so the first is not taken for the whole text', () => {
    expect(firstLine('  hello\nworld', 50)).toBe('hello…');
    expect(firstLine('abcde\nmore', 5)).toBe('abcd…');
    expect(firstLine('abcd\nmore', 5)).toBe('abcd…');
    // Blank lines before the text are passed over.
    expect(firstLine('\n \nsecond\n', 50)).toBe('second');
    expect(firstLine('\n\nsecond\nthird', 50)).toBe('second…');
  });

  test('never cuts a surrogate pair in half', () => {
    const cut = firstLine('abc😀def', 5);
    expect(cut).toBe('abc…');
    expect(printable(cut)).toBe(cut);
    expect(firstLine('abcd😀ef', 6)).toBe('abcd…');
    expect(firstLine('abc😀def', 6)).toBe('abc😀…');
  });
});

import { describe, expect, it } from 'vitest';
import { slugify } from '../../src/format/slugify.js';

describe('slugify: zot slugify for export names', () => {
  it('turns the fixture prompt into the name zot would give it', () => {
    expect(slugify('Why does `npm test` fail with <ENOENT> & exit 1?')).toBe('why-does-npm-test-fail-with-enoent-exit');
  });

  it('lower-cases and keeps only a-z and 0-9', () => {
    expect(slugify('Hello World 42')).toBe('hello-world-42');
    expect(slugify('ABCxyz0189')).toBe('abcxyz0189');
  });

  it('folds every run of other characters into one dash', () => {
    expect(slugify('a   b\t\n---c__d!!!e')).toBe('a-b-c-d-e');
    expect(slugify('a.b/c\\d:e')).toBe('a-b-c-d-e');
  });

  it('never starts or ends with a dash', () => {
    expect(slugify('  ...hello...  ')).toBe('hello');
    expect(slugify('!?hello world?!')).toBe('hello-world');
  });

  it('cuts at 40 characters, then trims a trailing dash', () => {
    const long = 'abcdefghij'.repeat(6);
    expect(slugify(long)).toBe(long.slice(0, 40));
    // 39 letters then a space: the dash makes 40, the cut happens, the dash goes.
    expect(slugify('a'.repeat(39) + ' bcd')).toBe('a'.repeat(39));
    expect(slugify('a'.repeat(38) + ' bcd')).toBe('a'.repeat(38) + '-b');
    expect(slugify('word '.repeat(20))).toHaveLength(39);
  });

  it('takes the length limit as a parameter', () => {
    expect(slugify('abcdef', 3)).toBe('abc');
    expect(slugify('ab cd', 3)).toBe('ab');
  });

  it('is empty for empty, blank or symbol-only text', () => {
    expect(slugify('')).toBe('');
    expect(slugify(' \t\n ')).toBe('');
    expect(slugify('?!*&')).toBe('');
  });

  it('treats non-ASCII letters as separators, as zot does', () => {
    expect(slugify('Ünïcödé')).toBe('n-c-d');
    expect(slugify('中文 title')).toBe('title');
    expect(slugify('café au lait')).toBe('caf-au-lait');
  });

  it('lower-cases the way Go does, rune by rune', () => {
    // Go: unicode.ToLower(U+212A KELVIN SIGN) = 'k'; ToLower(U+0130) = 'i'.
    expect(slugify('\u212aelvin')).toBe('kelvin');
    expect(slugify('\u0130stanbul')).toBe('istanbul');
  });
});

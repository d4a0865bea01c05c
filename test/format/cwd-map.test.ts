import { describe, expect, it } from 'vitest';
import { CwdMap, parseCwdRule } from '../../src/format/cwd-map.js';
import { expectCode } from '../helpers/expect-code.js';

const map = (...specs: string[]) => new CwdMap(specs.map((s) => parseCwdRule(s)));

describe('cwd mapping', () => {
  it('maps a folder and everything below it, never a sibling with the same start', () => {
    const m = map('/Users/ann/src=/home/ann/code');
    expect(m.map('/Users/ann/src')).toBe('/home/ann/code');
    expect(m.map('/Users/ann/src/api')).toBe('/home/ann/code/api');
    expect(m.map('/Users/ann/src/api/deep/er')).toBe('/home/ann/code/api/deep/er');
    expect(m.map('/Users/ann/src2/api')).toBeUndefined();
    expect(m.map('/Users/ann')).toBeUndefined();
  });

  it('lets the longest OLD win, whatever the order given', () => {
    const m = map('/a=/x', '/a/b/c=/z', '/a/b=/y');
    expect(m.map('/a/b/c/d')).toBe('/z/d');
    expect(m.map('/a/b/e')).toBe('/y/e');
    expect(m.map('/a/f')).toBe('/x/f');
  });

  it('ignores trailing separators and handles a root', () => {
    expect(map('/Users/ann/=/home/ann/').map('/Users/ann/x')).toBe('/home/ann/x');
    expect(map('/=/mnt/old').map('/srv/app')).toBe('/mnt/old/srv/app');
  });

  it('converts separators between Windows and POSIX paths', () => {
    expect(map('C:\\Users\\ann\\src=/home/ann/code').map('C:\\Users\\ann\\src\\api\\web')).toBe('/home/ann/code/api/web');
    expect(map('/home/ann=D:\\ann').map('/home/ann/src/api')).toBe('D:\\ann\\src\\api');
  });

  it('matches a Windows OLD as Windows compares paths: in any case, with either separator; a POSIX one byte for byte', () => {
    for (const old of ['c:\\users\\ann', 'C:/Users/ann', 'C:\\USERS/ann\\']) {
      expect(map(`${old}=/home/ann`).map('C:\\Users\\ann\\src\\web'), old).toBe('/home/ann/src/web');
    }
    expect(map('c:\\users\\ann=/home/ann').map('C:\\Users\\anna\\src')).toBeUndefined();
    expect(map('/users/ann=/home/ann').map('/Users/ann/src')).toBeUndefined();
    // One Windows folder mapped twice, typed two ways: refused as any rule mapped twice.
    expect(() => new CwdMap([parseCwdRule('c:\\users\\ann=/a'), parseCwdRule('C:/Users/Ann=/b')])).toThrow(/mapped twice/);
  });

  it('refuses rules it cannot read, naming the option', () => {
    expect(expectCode(() => parseCwdRule('/just/a/path'), 'E_USAGE').message).toMatch(/--map-cwd takes OLD=NEW/);
    expectCode(() => parseCwdRule('=/x'), 'E_USAGE');
    expectCode(() => parseCwdRule('/x='), 'E_USAGE');
    expectCode(() => map('/a=/x', '/a=/y'), 'E_USAGE');
  });

  it('splits at the first =', () => {
    expect(parseCwdRule('/a=/b=c')).toEqual({ from: '/a', to: '/b=c' });
  });
});

import { describe, expect, it } from 'vitest';
import { CwdMap } from '../../src/format/cwd-map.js';
import { isIdentity, rewriteMetaRow } from '../../src/session/meta-rewrite.js';

const cwd = new CwdMap([{ from: '/Users/ann/src', to: '/home/ann/code' }]);
const row = (s: string) => Buffer.from(s);

describe('rewriteMetaRow', () => {
  it('changes only the cwd of a meta row, every other byte as written', () => {
    const before =
      '{"type":"meta","meta":{"id":"a1","cwd":"/Users/ann/src/api","model":"m","provider":"p","started":"2026-01-01T00:00:00Z","version":"1","title":"x \\u003c y","future_field":{"n":12345678901234567890}}}';
    const after = rewriteMetaRow(row(before), { cwd })!.toString();
    expect(after).toBe(before.replace('/Users/ann/src/api', '/home/ann/code/api'));
  });

  it('rewrites id and parent through the id map, and leaves what it does not map', () => {
    const ids = new Map([
      ['a1', 'b1'],
      ['p0', 'q0'],
    ]);
    const meta = '{"type":"meta","meta":{"id":"a1","cwd":"/elsewhere","parent":"p0","fork_point":3}}';
    expect(rewriteMetaRow(row(meta), { cwd, ids })!.toString()).toBe('{"type":"meta","meta":{"id":"b1","cwd":"/elsewhere","parent":"q0","fork_point":3}}');
    expect(rewriteMetaRow(row('{"type":"meta","meta":{"id":"zz","cwd":"/elsewhere"}}'), { cwd, ids })).toBeUndefined();
  });

  it('keeps the bytes around the meta object (other members, spacing)', () => {
    const before = '{ "meta" : {"cwd":"/Users/ann/src"} , "type" : "meta", "extra":1 }';
    expect(rewriteMetaRow(row(before), { cwd })!.toString()).toBe('{ "meta" : {"cwd":"/home/ann/code"} , "type" : "meta", "extra":1 }');
  });

  it('reads rows as Go does: the last duplicate key wins, escapes decode, keys fold case', () => {
    const dup = '{"type":"meta","meta":{"cwd":"/x"},"meta":{"cwd":"/Users/ann/src/b"}}';
    expect(rewriteMetaRow(row(dup), { cwd })!.toString()).toBe('{"type":"meta","meta":{"cwd":"/x"},"meta":{"cwd":"/home/ann/code/b"}}');
    const escaped = '{"type":"\\u006deta","META":{"CWD":"/Users/ann/src"}}';
    expect(rewriteMetaRow(row(escaped), { cwd })!.toString()).toBe('{"type":"\\u006deta","META":{"CWD":"/home/ann/code"}}');
    for (const type of ['m\\u0065ta', 'me\\u0074a', 'met\\u0061', '\\u006D\\u0065\\u0074\\u0061']) {
      const r = `{"type":"${type}","meta":{"cwd":"/Users/ann/src"}}`;
      expect(rewriteMetaRow(row(r), { cwd })!.toString()).toBe(r.replace('/Users/ann/src', '/home/ann/code'));
    }
  });

  it('leaves rows that are not meta rows zot reads', () => {
    for (const s of [
      '{"type":"message","message":{"role":"user","content":[{"text":"cwd /Users/ann/src"}]}}',
      '{"type":"meta","meta":{"cwd":"/Users/ann/src"', // cut off: not JSON
      '{"type":"meta","meta":{"cwd":42}}', // a type zot cannot decode: it skips the row
      '{"type":"meta","meta":null}',
      '[1,2]',
    ]) {
      expect(rewriteMetaRow(row(s), { cwd })).toBeUndefined();
    }
  });

  it('knows an identity rewrite', () => {
    expect(isIdentity({})).toBe(true);
    expect(isIdentity({ cwd: new CwdMap([]), ids: new Map() })).toBe(true);
    expect(isIdentity({ cwd })).toBe(false);
  });
});

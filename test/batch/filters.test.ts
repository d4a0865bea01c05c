import { describe, expect, it } from 'vitest';
import { matchesMeta, needsMeta, parseWhen, projectKeys } from '../../src/batch/filters.js';
import { ZotpackError } from '../../src/errors.js';

describe('filters', () => {
  it('maps a cwd to its project key, keeps keys, ignores a trailing slash', () => {
    const keys = projectKeys({ projects: ['/home/dev/src/api/', '9d9de448cb935a51'] })!;
    expect([...keys].sort()).toEqual(['9d9de448cb935a51', 'ea93126eefee3546']);
    expect(projectKeys({})).toBeUndefined();
  });

  it('selects by start time (since inclusive, until exclusive) and id prefix', () => {
    const f = { since: parseWhen('2026-05-06', '--since'), until: parseWhen('2026-05-07T00:00:00Z', '--until'), idPrefix: 'ab' };
    expect(needsMeta(f)).toBe(true);
    expect(matchesMeta(f, { id: 'abc', started: '2026-05-06T00:00:00Z' })).toBe(true);
    expect(matchesMeta(f, { id: 'abc', started: '2026-05-06T23:59:59.999999999Z' })).toBe(true);
    expect(matchesMeta(f, { id: 'abc', started: '2026-05-07T00:00:00Z' })).toBe(false);
    expect(matchesMeta(f, { id: 'abc', started: '2026-05-05T23:59:59Z' })).toBe(false);
    expect(matchesMeta(f, { id: 'xbc', started: '2026-05-06T12:00:00Z' })).toBe(false);
    expect(matchesMeta(f, { id: 'abc', started: undefined })).toBe(false);
  });

  it('rejects a time it cannot read, naming the option', () => {
    expect(() => parseWhen('last tuesday', '--since')).toThrow(ZotpackError);
    expect(() => parseWhen('last tuesday', '--since')).toThrow(/--since/);
    // What Date.parse alone would take, each as some other day than meant.
    for (const loose of ['May 6', '1', '2026', '2026-05', '2026-05-06T18:46', '2026/05/06', ' 2026-05-06', '2026-05-06T25:00:00Z']) {
      expect(() => parseWhen(loose, '--since'), loose).toThrow(/--since takes a date/);
    }
    expect(parseWhen('2026-05-06 18:46:29.5+02:00', '--since').toISOString()).toBe('2026-05-06T16:46:29.500Z');
    // Days the calendar has not: JavaScript's parser would roll them over into the next month.
    for (const bad of ['2026-02-30', '2026-02-29', '2026-04-31T00:00:00Z', '2026-13-01']) expect(() => parseWhen(bad, '--until'), bad).toThrow(/--until/);
    // A date is local midnight: in Los Angeles, 08:00 UTC.
    const tz = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles';
    try {
      expect(parseWhen('2028-02-29', '--since').toISOString()).toBe('2028-02-29T08:00:00.000Z');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect(parseWhen('2026-01-31T23:30:00-02:00', '--since').toISOString()).toBe('2026-02-01T01:30:00.000Z');
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportFileName, isPlainSessionName, isSessionFileName, PORTABLE_EXT, SESSION_EXT, sessionFileName } from '../../src/format/session-names.js';
import { FX, FIXTURE_EXPORTS, IDS } from '../helpers/zot-fixtures.js';

function metaOf(path: string): { id: string; started: string } {
  const first = readFileSync(path, 'utf8').split('\n')[0]!;
  return (JSON.parse(first) as { meta: { id: string; started: string } }).meta;
}

describe('sessionFileName', () => {
  it('is <YYYYMMDD-HHMMSS>-<first 8 of the id>.jsonl in UTC', () => {
    expect(sessionFileName('2026-11-25T00:33:05.746894346Z', IDS.long)).toBe('20261125-003305-d907c305.jsonl');
    expect(sessionFileName('2026-11-25T00:33:05+01:00', 'abcdefghijkl')).toBe('20261124-233305-abcdefgh.jsonl');
  });

  it('names the zot-written branches as zot named them', () => {
    for (const path of [FX.branch3, FX.branch1, FX.branch3at2]) {
      const { id, started } = metaOf(path);
      expect(sessionFileName(started, id)).toBe(path.split('/').at(-1));
    }
  });
});

describe('exportFileName', () => {
  it('matches the name zot gave its export of the long session (no prompt found)', () => {
    const { id, started } = metaOf(FX.long);
    const expected = readdirSync(FIXTURE_EXPORTS).filter((f) => f !== 'branch.zotsession');
    expect(expected).toEqual(['20261125-003305-d907c305.zotsession']);
    expect(exportFileName(started, id, '')).toBe(expected[0]);
  });

  it('adds the slug of the first prompt', () => {
    expect(exportFileName('2026-11-25T00:33:05.746894346Z', IDS.long, 'Why does `npm test` fail with <ENOENT> & exit 1?')).toBe(
      '20261125-003305-d907c305-why-does-npm-test-fail-with-enoent-exit.zotsession',
    );
    expect(exportFileName('2026-11-25T00:33:05Z', IDS.long, '?!')).toBe('20261125-003305-d907c305.zotsession');
  });

  it('leaves out an id shorter than 8 characters', () => {
    expect(exportFileName('2026-11-25T00:33:05Z', 'abc', 'hi')).toBe('20261125-003305-hi.zotsession');
    expect(exportFileName('2026-11-25T00:33:05Z', '', '')).toBe('20261125-003305.zotsession');
    expect(exportFileName('2026-11-25T00:33:05Z', '12345678', '')).toBe('20261125-003305-12345678.zotsession');
  });

  it("uses Go's zero time when the start is absent", () => {
    expect(exportFileName(undefined, IDS.long, '')).toBe('00010101-000000-d907c305.zotsession');
  });
});

describe('isSessionFileName', () => {
  it('is true only for names ending in .jsonl', () => {
    expect(SESSION_EXT).toBe('.jsonl');
    expect(PORTABLE_EXT).toBe('.zotsession');
    expect(isSessionFileName('20261125-003305-e5aacad9.jsonl')).toBe(true);
    expect(isSessionFileName('.jsonl')).toBe(true);
    expect(isSessionFileName('x.jsonl.tmp')).toBe(false);
    expect(isSessionFileName('x.JSONL')).toBe(false);
    expect(isSessionFileName('x.zotsession')).toBe(false);
    expect(isSessionFileName('xjsonl')).toBe(false);
  });
});

describe('names from what a session says (an export from a stranger)', () => {
  it('an id that is no UUID cannot make a name a path: what is not a letter, digit, - or _ is _', () => {
    expect(sessionFileName('2026-11-25T00:33:09Z', '/../../x')).toBe('20261125-003309-_______x.jsonl');
    expect(exportFileName('2026-11-25T00:33:09Z', 'ab/cd\\e\nf', '')).toBe('20261125-003309-ab_cd_e_.zotsession');
  });

  it('a recorded file name is kept only when plain: no folder, control character, \\ or :, not hidden, within 255 bytes', () => {
    expect(isPlainSessionName('20261125-003309-e0199e0b.jsonl')).toBe(true);
    for (const bad of ['.a.jsonl', '.jsonl', 'a/b.jsonl', 'a\\b.jsonl', 'a:b.jsonl', 'a\nb\x1b[31m.jsonl', `${'x'.repeat(250)}.jsonl`, 'a.txt']) {
      expect(isPlainSessionName(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

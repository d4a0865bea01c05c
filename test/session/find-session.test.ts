import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sessionsDir } from '../../src/format/project-key.js';
import { findSessions, listSessionFiles } from '../../src/session/find-session.js';
import { API_DIR, FX, IDS } from '../helpers/zot-fixtures.js';
import { cleanupTempDirs, makeTempDir, writeSession } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('findSessions', () => {
  test('an exact id', () => {
    expect(findSessions(API_DIR, IDS.branch3).matches).toEqual([{ path: FX.branch3, id: IDS.branch3 }]);
  });

  test('a unique prefix (of the meta id, not of the file name)', () => {
    expect(findSessions(API_DIR, 'd907').matches).toEqual([{ path: FX.long, id: IDS.long }]);
    // The long session's file ends in e5aacad9, but no meta id starts with it.
    expect(findSessions(API_DIR, 'e5aacad9').matches).toEqual([]);
  });

  test('an ambiguous prefix lists every candidate in file-name order', () => {
    expect(findSessions(API_DIR, 'd9').matches).toEqual([
      { path: FX.long, id: IDS.long },
      { path: FX.branch3, id: IDS.branch3 },
    ]);
  });

  test('no match', () => {
    expect(findSessions(API_DIR, 'ffff').matches).toEqual([]);
    expect(findSessions(join(makeTempDir(), 'missing'), 'd9').matches).toEqual([]);
  });

  test('an exact id wins over longer ids it prefixes', () => {
    const home = makeTempDir();
    const short = writeSession(home, { cwd: '/f', id: 'abcd', fileName: 'b.jsonl' });
    writeSession(home, { cwd: '/f', id: 'abcd-and-more', fileName: 'a.jsonl' });
    expect(findSessions(sessionsDir(home, '/f'), 'abcd').matches).toEqual([{ path: short, id: 'abcd' }]);
    expect(findSessions(sessionsDir(home, '/f'), 'abc').matches.map((m) => m.id)).toEqual(['abcd-and-more', 'abcd']);
  });

  test('files that are not sessions are reported, not matched; an id-less meta never matches', () => {
    const home = makeTempDir();
    const dir = sessionsDir(home, '/f');
    const good = writeSession(home, { cwd: '/f', id: 'aaaa-1' });
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, 'garbage\n');
    writeFileSync(join(dir, 'noid.jsonl'), '{"type":"meta","meta":{"cwd":"/f"}}\n');
    const r = findSessions(dir, '');
    expect(r.matches).toEqual([{ path: good, id: 'aaaa-1' }]);
    expect(r.warnings.map((w) => [w.code, w.path])).toEqual([['W_UNREADABLE', bad]]);
  });
});

describe('listSessionFiles', () => {
  test('regular *.jsonl entries sorted by name bytes', () => {
    const dir = makeTempDir();
    for (const n of ['b.jsonl', 'B.jsonl', 'a.jsonl', 'é.jsonl', 'z.txt', 'c.jsonl.tmp']) writeFileSync(join(dir, n), '');
    mkdirSync(join(dir, 'd.jsonl'));
    expect(listSessionFiles(dir)).toEqual(['B.jsonl', 'a.jsonl', 'b.jsonl', 'é.jsonl'].map((n) => join(dir, n)));
  });
});

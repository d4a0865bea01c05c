import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readFirstMeta } from '../../src/session/first-meta.js';
import { FX, IDS } from '../helpers/zot-fixtures.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('readFirstMeta', () => {
  test("reads the first row only: the long session's first meta, not its model switch", () => {
    const m = readFirstMeta(FX.long).meta;
    expect(m).toMatchObject({ id: IDS.long, model: 'claude-sonnet-4-5', provider: 'anthropic', cwd: '/home/dev/src/api', parent: '', forkPoint: 0 });
  });

  test('whatever follows the first row is not read', () => {
    const dir = makeTempDir();
    const p = join(dir, 's.jsonl');
    writeFileSync(p, `{"type":"meta","meta":{"id":"i","parent":"p","fork_point":4,"hide_from_sessions":true}}\n\ufeff garbage {{{\n`);
    expect(readFirstMeta(p).meta).toMatchObject({ id: 'i', parent: 'p', forkPoint: 4, hideFromSessions: true });
  });

  test('a first row larger than the first read', () => {
    const dir = makeTempDir();
    const p = join(dir, 's.jsonl');
    const pad = 'y'.repeat(300_000);
    writeFileSync(p, `{"type":"meta","meta":{"pad":"${pad}","id":"after-the-pad"}}\n`);
    expect(readFirstMeta(p).meta.id).toBe('after-the-pad');
  });

  test('the origin a zotpack export records is read back', () => {
    const dir = makeTempDir();
    const p = join(dir, 's.zotsession');
    writeFileSync(p, '{"type":"meta","meta":{"id":"i","cwd":"","zotpack":{"cwd":"/a \\u0026 b","id":"i","file":"f.jsonl"}}}\n');
    expect(readFirstMeta(p).meta.origin).toEqual({ cwd: '/a & b', id: 'i', file: 'f.jsonl' });
  });
});

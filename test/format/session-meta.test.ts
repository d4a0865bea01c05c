import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  editMetaObject,
  metaRow,
  newMetaObject,
  ORIGIN_FIELD,
  originJson,
  readMetaObject,
  type MetaObject,
} from '../../src/format/session-meta.js';
import { GoTypeError } from '../../src/jsonl/go-fields.js';
import { readRowHead } from '../../src/jsonl/row-type.js';
import { ALL_FIXTURE_SESSIONS, FX, IDS } from '../helpers/zot-fixtures.js';

function readMeta(row: string | Buffer): MetaObject | undefined {
  const b = typeof row === 'string' ? Buffer.from(row) : row;
  const h = readRowHead(b);
  if (h.kind !== 'row' || h.object === null) throw new Error('not an object row');
  return readMetaObject(b, h.object);
}

const firstRow = (path: string): string => readFileSync(path, 'utf8').split('\n')[0]!;

/** The meta object's bytes as they appear in the row `{"type":"meta","meta":{...}}`. */
const metaBytesOf = (row: string): string => row.slice('{"type":"meta","meta":'.length, -1);

describe('readMetaObject', () => {
  it('reads the meta of a zot-written branch', () => {
    const row = firstRow(FX.branch3);
    const m = readMeta(row)!;
    expect(m.meta).toEqual({
      id: IDS.branch3,
      cwd: '/home/dev/src/api',
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      started: '2026-11-25T00:33:06.856155289Z',
      version: '0.9.1',
      title: '',
      parent: IDS.long,
      forkPoint: 3,
      hideFromSessions: false,
      origin: undefined,
    });
    expect(m.bytes.toString()).toBe(metaBytesOf(row));
    expect(m.members.map((x) => m.bytes.toString('utf8', x.keyStart + 1, x.keyEnd - 1))).toEqual([
      'id',
      'cwd',
      'model',
      'provider',
      'started',
      'version',
      'parent',
      'fork_point',
    ]);
  });

  it('reads the first row of every fixture session', () => {
    for (const path of ALL_FIXTURE_SESSIONS) {
      const row = firstRow(path);
      const want = (JSON.parse(row) as { meta: Record<string, unknown> }).meta;
      const m = readMeta(row)!.meta;
      expect(m.id).toBe(want.id);
      expect(m.cwd).toBe(want.cwd);
      expect(m.started).toBe(want.started);
      expect(m.forkPoint).toBe(want.fork_point ?? 0);
    }
  });

  it('copies the meta bytes, so they survive the row buffer being reused', () => {
    const row = Buffer.from(firstRow(FX.long));
    const m = readMeta(row)!;
    row.fill(0x20);
    expect(m.meta.id).toBe(IDS.long);
    expect(m.bytes.toString()).toContain(IDS.long);
  });

  it('is undefined when the row has no meta object, or a null one', () => {
    expect(readMeta('{"type":"meta"}')).toBeUndefined();
    expect(readMeta('{"type":"meta","meta":null}')).toBeUndefined();
    expect(readMeta('{"type":"meta","meta":{"id":"a"},"meta":null}')).toBeUndefined();
  });

  it('reads fields the way Go does: any key case, the last key winning, null ignored', () => {
    const m = readMeta('{"type":"meta","meta":{"ID":"first","id":"second","Model":"m","title":"t","TITLE":null,"Fork_Point":7}}')!;
    expect(m.meta.id).toBe('second');
    expect(m.meta.model).toBe('m');
    expect(m.meta.title).toBe('t');
    expect(m.meta.forkPoint).toBe(7);
    expect(m.meta.started).toBeUndefined();
  });

  it('reads hide_from_sessions and a zotpack origin', () => {
    const m = readMeta(
      '{"type":"meta","meta":{"id":"x","hide_from_sessions":true,"zotpack":{"cwd":"/a & b","id":"old","file":"f.jsonl"}}}',
    )!;
    expect(m.meta.hideFromSessions).toBe(true);
    expect(m.meta.origin).toEqual({ cwd: '/a & b', id: 'old', file: 'f.jsonl' });
  });

  it('ignores a zotpack field it cannot read, as zot ignores it', () => {
    expect(readMeta('{"type":"meta","meta":{"id":"x","zotpack":"nope"}}')!.meta.origin).toBeUndefined();
    expect(readMeta('{"type":"meta","meta":{"id":"x","zotpack":{"cwd":5}}}')!.meta.origin).toBeUndefined();
  });

  it.each([
    ['{"id":5}'],
    ['{"cwd":["/a"]}'],
    ['{"started":"yesterday"}'],
    ['{"started":""}'],
    ['{"fork_point":3.0}'],
    ['{"fork_point":1e2}'],
    ['{"fork_point":"3"}'],
    ['{"hide_from_sessions":"yes"}'],
    ['{"title":{}}'],
  ])('throws GoTypeError for a meta of %s', (meta) => {
    expect(() => readMeta(`{"type":"meta","meta":${meta}}`)).toThrow(GoTypeError);
  });

  it('throws GoTypeError when meta is not an object', () => {
    expect(() => readMeta('{"type":"meta","meta":"x"}')).toThrow(GoTypeError);
    expect(() => readMeta('{"type":"meta","meta":[]}')).toThrow(GoTypeError);
  });
});

describe('editMetaObject', () => {
  const withUnknowns =
    '{"type":"meta","meta":{"id":"d907c305-0696-460b-b2c6-d0c3ee4cbca6","cwd":"/home/dev/src/api","model":"m","provider":"p",' +
    '"started":"2026-11-25T00:33:05.746894346Z","version":"0.9.1","title":"a \\u003c b","big":123456789012345678901234567890,' +
    '"ratio":1.50E+10,"nested":{"x":[1,{"y":"\\u2028"}],"type":"keep"},"hide_from_sessions":true , "Future" : "\\u0041" }}';

  it('keeps unknown fields, big integers and Go escaping byte for byte', () => {
    const src = readMeta(withUnknowns)!;
    const out = editMetaObject(src, [['title', '"new"']]).toString();
    expect(out).toBe(
      '{"id":"d907c305-0696-460b-b2c6-d0c3ee4cbca6","cwd":"/home/dev/src/api","model":"m","provider":"p",' +
        '"started":"2026-11-25T00:33:05.746894346Z","version":"0.9.1","title":"new","big":123456789012345678901234567890,' +
        '"ratio":1.50E+10,"nested":{"x":[1,{"y":"\\u2028"}],"type":"keep"},"hide_from_sessions":true,"Future" : "\\u0041"}',
    );
  });

  it('with no changes gives back the members as they were', () => {
    const row = firstRow(FX.branch3);
    const src = readMeta(row)!;
    expect(editMetaObject(src, []).toString()).toBe(metaBytesOf(row));
  });

  it('removes a field given null, and adds new ones at the end in the order given', () => {
    const src = readMeta(firstRow(FX.branch3))!;
    const out = editMetaObject(src, [
      ['parent', null],
      ['fork_point', null],
      [ORIGIN_FIELD, originJson({ cwd: '/home/dev/src/api', id: IDS.branch3, file: '20261125-003306-d98930a4.jsonl' })],
      ['title', '"a <b>"'],
    ]).toString();
    expect(out).toBe(
      `{"id":"${IDS.branch3}","cwd":"/home/dev/src/api","model":"claude-sonnet-4-5","provider":"anthropic",` +
        '"started":"2026-11-25T00:33:06.856155289Z","version":"0.9.1",' +
        `"zotpack":{"cwd":"/home/dev/src/api","id":"${IDS.branch3}","file":"20261125-003306-d98930a4.jsonl"},"title":"a <b>"}`,
    );
    // And reads back.
    const again = readMeta(metaRow(Buffer.from(out)))!;
    expect(again.meta.origin).toEqual({ cwd: '/home/dev/src/api', id: IDS.branch3, file: '20261125-003306-d98930a4.jsonl' });
    expect(again.meta.parent).toBe('');
    expect(again.meta.title).toBe('a <b>');
  });

  it('replaces every key Go would match, keeping each key as written, so no stale duplicate wins', () => {
    const src = readMeta('{"type":"meta","meta":{"id":"a","ID":"b","x":1,"Id":"c"}}')!;
    expect(editMetaObject(src, [['id', '"z"']]).toString()).toBe('{"id":"z","ID":"z","x":1,"Id":"z"}');
    expect(editMetaObject(src, [['id', null]]).toString()).toBe('{"x":1}');
  });

  it('escapes the name of a new field as Go would', () => {
    const src = readMeta('{"type":"meta","meta":{}}')!;
    expect(editMetaObject(src, [['a<b', '1']]).toString()).toBe('{"a\\u003cb":1}');
  });

  it('does not change the source object', () => {
    const src = readMeta(withUnknowns)!;
    const before = Buffer.from(src.bytes);
    editMetaObject(src, [['id', '"other"'], ['cwd', null]]);
    expect(src.bytes.equals(before)).toBe(true);
  });
});

describe('newMetaObject and metaRow', () => {
  it('write a meta row exactly as zot wrote the fixture branches', () => {
    for (const path of [FX.branch3, FX.branch1, FX.branch3at2, FX.webShort]) {
      const row = firstRow(path);
      const { meta } = readMeta(row)!;
      const { origin: _o, hideFromSessions: _h, ...fields } = meta;
      expect(metaRow(newMetaObject(fields)).toString()).toBe(row);
    }
  });

  it('omits empty optional fields and writes Go escaping', () => {
    const out = newMetaObject({
      id: 'i',
      cwd: '/a & <b>',
      model: 'm',
      provider: 'p',
      started: undefined,
      version: 'v',
      title: 't\u2028',
      parent: '',
      forkPoint: 0,
    }).toString();
    expect(out).toBe(
      '{"id":"i","cwd":"/a \\u0026 \\u003cb\\u003e","model":"m","provider":"p","started":"0001-01-01T00:00:00Z","version":"v","title":"t\\u2028"}',
    );
  });
});

describe('originJson', () => {
  it('writes cwd, id and file with Go escaping', () => {
    expect(originJson({ cwd: '/srv/<x>', id: 'id', file: 'a&b.jsonl' })).toBe(
      '{"cwd":"/srv/\\u003cx\\u003e","id":"id","file":"a\\u0026b.jsonl"}',
    );
  });
});

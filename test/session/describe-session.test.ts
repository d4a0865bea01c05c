import { createHash } from 'node:crypto';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { describeScan, describeSession } from '../../src/session/describe-session.js';
import { readRows } from '../../src/jsonl/row-reader.js';
import { SessionScan } from '../../src/session/session-scan.js';
import { FIRST_TEXT_MAX_BYTES } from '../../src/format/message.js';
import { API_CWD, FX, IDS, WEB_CWD } from '../helpers/zot-fixtures.js';
import { buildSampleArchive, cleanupTempDirs, makeTempDir, testId, type RowSpec, writeSession } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const T = '2026-01-01T00:00:00Z';
const meta = (fields: string) => `{"type":"meta","meta":{"id":"aaaaaaaa-1111-4222-8333-444444444444","cwd":"/d",${fields}"started":"${T}","version":"1"}}`;
const mobj = (role: string, content: string) => `{"role":"${role}","content":${content},"time":"${T}"}`;
const msg = (role: string, content: string) => `{"type":"message","message":${mobj(role, content)}}`;

function describeRows(rows: RowSpec[], title?: string) {
  const home = makeTempDir();
  return describeSession(writeSession(home, { cwd: '/d', title, rows }));
}

describe("describe follows zot's summary rules", () => {
  test('every meta row overwrites started, model, provider and title: a later meta without a title clears it', () => {
    const d = describeRows(
      [
        { user: 'hi' },
        { raw: `{"type":"meta","meta":{"id":"x","cwd":"/d","model":"m2","provider":"p2","started":"2027-02-02T00:00:00Z","version":"1"}}` },
      ],
      'Set in the first meta',
    );
    expect(d.summary).toMatchObject({ title: '', model: 'm2', provider: 'p2', started: '2027-02-02T00:00:00Z' });
    // The identity stays the first meta's.
    expect(d.id).not.toBe('x');
    expect(d.extraMetas).toBe(1);
  });

  test('a rename with a non-empty title sets it; an empty one does not; a later meta still overwrites', () => {
    expect(describeRows([{ user: 'a' }, { rename: 'Named' }, { rename: '' }]).summary.title).toBe('Named');
    const d = describeRows([{ rename: 'Named' }, { modelSwitch: { model: 'gpt-5', provider: 'openai' } }], 'Meta title');
    // The model switch writes the full meta again, title included.
    expect(d.summary).toMatchObject({ title: 'Meta title', model: 'gpt-5', provider: 'openai' });
  });

  test('every message row counts, even one with empty content; first user text skips empty ones', () => {
    const d = describeRows([
      { raw: msg('user', '[]') },
      { raw: msg('user', '[{"text":""},{"mime_type":"image/png","data":"AAAA"}]') },
      { assistant: 'not a user' },
      { raw: msg('user', '[{"mime_type":"image/png","data":"AAAA"},{"text":"the first text"}]') },
      { user: 'later' },
    ]);
    expect(d.summary.messages).toBe(5);
    expect(d.summary.firstUserText).toBe('the first text');
  });

  test('a compaction sets the count to its messages with content and keeps an earlier first user text', () => {
    const d = describeRows([
      { user: 'original question' },
      { assistant: 'a' },
      { user: 'b' },
      {
        raw:
          `{"type":"compaction","messages":[${mobj('user', '[{"text":"S"}]')},` +
          `${mobj('assistant', '[]')},${mobj('assistant', '[{"text":"ok"}]')}]}`,
      },
      { user: 'after' },
    ]);
    expect(d.summary.messages).toBe(3);
    expect(d.summary.firstUserText).toBe('original question');
  });

  test("with no user text yet, a compaction gives the first text block of its first message, whatever its role", () => {
    const d = describeRows([
      { assistant: 'before' },
      {
        compaction: [
          { role: 'assistant', text: 'Summary from the assistant' },
          { role: 'user', text: 'user text' },
        ],
      },
    ]);
    expect(d.summary.firstUserText).toBe('Summary from the assistant');
    expect(d.summary.messages).toBe(2);
  });

  test('message rows the transcript drops still count: describeSession counts every message row', () => {
    const d = describeRows([
      { raw: msg('user', '[{"mime_type":"image/png","data":"QQ"}]') }, // unpadded base64: the block is skipped
      { raw: msg('user', '[{"text":"t","thought_signature":5}]') },
      { raw: `{"type":"message","message":{"role":"user","content":[{"text":"m"}],"time":"${T}","meta":{"k":1}}}` },
      { raw: `{"type":"message","message":{"role":"user","content":[{"text":"a"}],"time":"${T}","added_tool_names":[5]}}` },
    ]);
    expect(d.summary.messages).toBe(4);
  });

  test("first user text is read as zot's firstUserText reads it: any block's text, the time and other fields unread", () => {
    const row = (content: string, extra = '') => `{"type":"message","message":{"role":"user","content":${content},"time":"${T}"${extra}}}`;
    // A wrong type in role, content or any text: zot takes no text from the row, and the next row is read.
    const d = describeRows([
      { raw: row('[{"text":5},{"text":"after a bad text"}]') },
      { raw: row('[{"text":"before a bad block"},"s"]') },
      { raw: row('[{"summary":"a reasoning block","text":"its text counts"}]', ',"time":"yesterday","meta":{"k":1}') },
      { user: 'later' },
    ]);
    expect(d.summary.firstUserText).toBe('its text counts');
    expect(d.warnings.map((w) => [w.code, w.row])).toEqual([
      ['W_UNDECODABLE_ROW', 2],
      ['W_UNDECODABLE_ROW', 3],
    ]);
  });

  test('a compaction counts the messages zot keeps and takes the first non-empty text of the first of them', () => {
    const d = describeRows([
      {
        raw:
          `{"type":"compaction","messages":["not a message",${mobj('assistant', '[]')},${mobj('user', '[{"text":"bad","data":"QQ"}]')},` +
          `${mobj('assistant', '[{"text":""},null,{"text":"kept first"}]')},${mobj('tool', '[{"call_id":"c","content":"out","is_error":"yes"}]')}]}`,
      },
    ]);
    expect(d.summary.messages).toBe(2);
    expect(d.summary.firstUserText).toBe('kept first');
  });

  test('usage rows set the cost from cumulative.cost_usd; the last one wins', () => {
    const d = describeRows([{ usage: { cost: 0.5, cumulative: 2.5 } }, { usage: { cost: 0.1, cumulative: 0.75 } }]);
    expect(d.summary.cost).toBe(0.75);
  });

  test('rows that are not valid JSON are skipped and counted', () => {
    const d = describeRows([
      { user: 'one' },
      { raw: '{"type":"message","message":{"role":"user"' },
      { raw: '{"type":"usage","cumulative":{"cost_usd":9}' },
      { raw: 'not json' },
      { assistant: 'two' },
    ]);
    expect(d.summary.messages).toBe(2);
    expect(d.summary.cost).toBe(0);
    expect(d.counts.invalid).toBe(3);
    expect(d.warnings.map((w) => [w.code, w.row])).toEqual([
      ['W_INVALID_ROW', 3],
      ['W_INVALID_ROW', 4],
      ['W_INVALID_ROW', 5],
    ]);
  });

  test('a meta row without an id is accepted with a W_NO_ID warning', () => {
    const home = makeTempDir();
    const p = join(home, 'noid.jsonl');
    writeFileSync(p, `{"type":"meta","meta":{"cwd":"/d","model":"m","provider":"p","started":"${T}","version":"1"}}\n${msg('user', '[{"text":"q"}]')}\n`);
    const d = describeSession(p);
    expect(d.id).toBe('');
    expect(d.summary.messages).toBe(1);
    expect(d.warnings.map((w) => [w.code, w.path])).toEqual([['W_NO_ID', p]]);
  });

  test('hidden comes from hide_from_sessions', () => {
    expect(describeRows([{ user: 'x' }]).hidden).toBe(false);
    const home = makeTempDir();
    expect(describeSession(writeSession(home, { cwd: '/d', hidden: true, rows: [{ user: 'x' }] })).hidden).toBe(true);
  });

  test('the meta fields are read as Go reads them: keys in any case, the last duplicate wins', () => {
    const home = makeTempDir();
    const p = join(home, 'keys.jsonl');
    writeFileSync(p, `${meta('"MODEL":"first","model":"second","Provider":"P",')}\n`);
    const d = describeSession(p);
    expect(d.summary.model).toBe('second');
    expect(d.summary.provider).toBe('P');
  });
});

describe('describe on the sessions zot wrote', () => {
  test('the long session', () => {
    const d = describeSession(FX.long);
    expect(d.summary).toEqual({
      started: '2026-11-25T00:33:05.746894346Z',
      model: 'gpt-5',
      provider: 'openai',
      title: 'Fix failing npm test',
      messages: 4,
      firstUserText: 'Why does `npm test` fail with <ENOENT> & exit 1?',
      cost: 0.07490000000000001,
    });
    expect(d).toMatchObject({ id: IDS.long, parent: '', forkPoint: 0, cwd: API_CWD, hidden: false, extraMetas: 1 });
    expect(d.counts).toMatchObject({ rows: 19, invalid: 0, undecodable: 0 });
    expect(d.counts.byType).toEqual({ meta: 2, message: 11, usage: 4, compaction: 1, rename: 1 });
    expect(d.counts.largestRow).toBeGreaterThan(1024 * 1024);
    expect(d.warnings).toEqual([]);
  });

  test('the branches', () => {
    expect(describeSession(FX.branch3)).toMatchObject({
      id: IDS.branch3,
      parent: IDS.long,
      forkPoint: 3,
      summary: { model: 'claude-sonnet-4-5', title: '', messages: 3, cost: 0, firstUserText: 'Summary: fixtures were missing; created them; tests pass.' },
    });
    expect(describeSession(FX.branch1)).toMatchObject({ id: IDS.branch1, parent: IDS.long, forkPoint: 1, summary: { messages: 1 } });
    expect(describeSession(FX.branch3at2)).toMatchObject({ id: IDS.branch3at2, parent: IDS.branch3, forkPoint: 2, summary: { messages: 2 } });
  });

  test('the web project', () => {
    expect(describeSession(FX.webShort)).toMatchObject({
      id: IDS.webShort,
      cwd: WEB_CWD,
      summary: { messages: 2, cost: 0.07590000000000001, firstUserText: 'Center the header.', model: 'claude-haiku-4-5' },
    });
    expect(describeSession(FX.webImage)).toMatchObject({ id: IDS.webImage, summary: { messages: 2, firstUserText: 'What is wrong here?' } });
  });

  test("zot's export: the cwd is empty and recorded nowhere", () => {
    expect(describeSession(FX.exportLong)).toMatchObject({ id: IDS.long, cwd: '', summary: { model: 'claude-sonnet-4-5', messages: 4 } });
  });

  test('a session read in tiny chunks describes the same', () => {
    expect(describeSession(FX.long, { chunkSize: 5 })).toEqual(describeSession(FX.long));
  });

  test('the sample archive: compaction, rename, hidden, model switch, damaged rows', () => {
    const s = buildSampleArchive(makeTempDir(), { bigRowBytes: 100_000 });
    expect(describeSession(s.named.compacted).summary).toMatchObject({ messages: 4, cost: 0.004, firstUserText: 'Center the header.' });
    expect(describeSession(s.named.renamed).summary).toMatchObject({ title: 'Renamed <by> user & co', cost: 1.25 });
    expect(describeSession(s.named.hidden).hidden).toBe(true);
    expect(describeSession(s.named.switched)).toMatchObject({ extraMetas: 1, summary: { model: 'gpt-5', provider: 'openai', messages: 4, cost: 0.03 } });
    expect(describeSession(s.named.big).counts.largestRow).toBeGreaterThan(100_000);
    const damaged = describeSession(s.named.damaged);
    expect(damaged.summary.messages).toBe(2);
    expect(damaged.counts.invalid).toBe(2);
    expect(damaged.warnings.map((w) => w.code)).toEqual(['W_INVALID_ROW', 'W_TRUNCATED']);
  });
});

describe('describe with hashBytes: the sha256 of the file, taken in the same read', () => {
  test('of the whole file, of its first bytes, across reads and rows bigger than a read; none when the file is shorter', async () => {
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const home = makeTempDir();
    const path = writeSession(home, {
      cwd: '/p',
      id: testId('hash-in-describe'),
      rows: [{ user: 'Look.' }, { image: { bytes: 200_000 } }, { assistant: 'Seen.' }, { image: { bytes: 50_000 } }, { usage: { cost: 1, cumulative: 1 } }],
    });
    const bytes = readFileSync(path);
    const plain = describeSession(path);
    expect(plain.sha256).toBeUndefined();
    // Reads of 4 KB: rows span many reads, and the image rows outgrow the buffer.
    for (const chunkSize of [4096, 1 << 20]) {
      const whole = describeSession(path, { chunkSize, hashBytes: bytes.length });
      expect(whole.sha256).toBe(sha(bytes));
      const { sha256: _, ...rest } = whole;
      expect(rest).toEqual(plain);
      expect(describeSession(path, { chunkSize, hashBytes: 100_001 }).sha256).toBe(sha(bytes.subarray(0, 100_001)));
      expect(describeSession(path, { chunkSize, hashBytes: bytes.length + 1 }).sha256).toBeUndefined();
    }
  });
});

describe('a first user text of many MB', () => {
  test('past 64 MiB of its JSON only its start is decoded (one past V8 string length ended the worker); below, all of it', () => {
    const home = makeTempDir();
    const huge = 'x'.repeat(FIRST_TEXT_MAX_BYTES + 1000);
    const path = writeSession(home, { cwd: '/big', rows: [{ user: huge }, { assistant: 'ok' }] });
    const d = describeSession(path);
    expect(d.summary.firstUserText.length).toBe(FIRST_TEXT_MAX_BYTES);
    expect(d.summary.messages).toBe(2);
    const small = writeSession(home, { cwd: '/big', rows: [{ user: 'y'.repeat(1 << 20) }] });
    expect(describeSession(small).summary.firstUserText).toBe('y'.repeat(1 << 20));
  });
});

describe('big rows are skimmed, with the same description as reading them whole', () => {
  const big = 'x'.repeat(300_000);
  const image = { image: { bytes: 300_000 } } as const;
  /** A description with every row held whole, as describe worked before it skimmed, and how many rows describe skims. */
  function reference(path: string, chunkSize: number) {
    const whole = new SessionScan(path);
    whole.addAll(readRows(path, { chunkSize }));
    const scan = new SessionScan(path);
    let skimmed = 0;
    scan.addAll(readRows(path, { chunkSize, needsWholeRow: (row) => scan.needsWholeRow(row) || (skimmed++, false) }));
    expect(describeScan(scan.finish())).toEqual(describeScan(whole.finish()));
    return { want: describeScan(whole), skimmed };
  }
  const cases: Array<[string, RowSpec[], number]> = [
    ['image rows after the first prompt: skimmed', [{ user: 'first' }, image, { assistant: 'ok' }, image], 2],
    ['the first prompt in a big row (an image, then text): read whole', [{ raw: msg('user', `[{"type":"image","data":"${big}"},{"type":"text","text":"caption"}]`) }, image], 1],
    ['a big compaction, rename and usage: read whole', [{ user: 'a' }, { compaction: [{ role: 'user', text: big }] }, { rename: big }, { raw: `{"type":"usage","pad":"${big}","cumulative":{"cost_usd":2.5}}` }], 0],
    ['a type after a big member, and a second type: read whole', [{ user: 'a' }, { raw: `{"message":{"content":"${big}"},"type":"usage"}` }, { raw: `{"type":"message","message":${mobj('assistant', `"${big}"`)},"type":"rename","title":"T"}` }], 0],
    ['a big row that is not valid JSON, one not an object, one cut short at the end: skimmed', [{ user: 'a' }, { raw: `{"type":"message","message":"${big}` }, { raw: `[${'1,'.repeat(100_000)}1]` }, { raw: `{"type":"message","message":{"content":"${big}` }], 3],
    ['no user text anywhere: every big message read whole', [{ assistant: 'a' }, image, image], 0],
    ['a null row after 64 KiB of whitespace (a row with no type, to zot): read whole', [{ user: 'a' }, { raw: `${' '.repeat(70_000)}null` }], 0],
  ];
  test.each(cases)('%s', (_name, rows, skims) => {
    const home = makeTempDir();
    const path = writeSession(home, { cwd: '/d', rows });
    if (rows.at(-1) && 'raw' in rows.at(-1)! && !(rows.at(-1) as { raw: string }).raw.endsWith('}')) truncateSync(path, statSync(path).size - 1); // no newline after the last row
    const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    for (const chunkSize of [4096, 65_536]) {
      const { want, skimmed } = reference(path, chunkSize);
      expect(skimmed).toBe(skims);
      const got = describeSession(path, { chunkSize, hashBytes: statSync(path).size });
      expect(got).toEqual({ ...want, sha256 });
    }
  });

  test('a big first row (a meta with a long title) is read whole', () => {
    const home = makeTempDir();
    const path = writeSession(home, { cwd: '/d', title: big, rows: [{ user: 'a' }, image] });
    const { want, skimmed } = reference(path, 4096);
    expect(skimmed).toBe(1);
    expect(want.summary.title).toBe(big);
    expect(describeSession(path, { chunkSize: 4096 })).toEqual(want);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  blockKind,
  compactionMessages,
  firstNonEmptyText,
  hasContent,
  readMessage,
  rowFirstUserText,
  type BlockKind,
  type MessageView,
} from '../../src/format/message.js';
import { GoTypeError, objectField } from '../../src/jsonl/go-fields.js';
import { scanObject, type ScannedObject } from '../../src/jsonl/object-members.js';
import { splitRows } from '../../src/jsonl/row-reader.js';
import { readRowHead } from '../../src/jsonl/row-type.js';
import { FX } from '../helpers/zot-fixtures.js';

const kind = (block: string): BlockKind | null => blockKind(Buffer.from(block), 0);

/** The message of a `message` row, read. */
function message(row: string | Buffer): { b: Buffer; msg: MessageView } {
  const b = Buffer.from(row); // a copy: rows from splitRows are views
  const h = readRowHead(b);
  if (h.kind !== 'row' || h.object === null) throw new Error('not a row');
  const obj = objectField(b, h.object, 'message');
  if (!obj) throw new Error('no message');
  return { b, msg: readMessage(b, obj) };
}

const msgRow = (content: string, role = 'user'): string =>
  `{"type":"message","message":{"role":"${role}","content":${content},"time":"2026-05-06T18:46:36.373456789Z"}}`;

describe('blockKind: the order zot tells blocks apart', () => {
  it('reasoning: a non-empty reasoning_id, summary or encrypted_content', () => {
    expect(kind('{"reasoning_id":"rs_01","summary":"s","encrypted_content":"gAAAAB"}')).toBe('reasoning');
    expect(kind('{"reasoning_id":"rs_01"}')).toBe('reasoning');
    expect(kind('{"encrypted_content":"e"}')).toBe('reasoning');
    // zot's hydrateMessageObject: `head.ReasoningID != "" || head.Summary != "" || head.Encrypted != ""`.
    expect(kind('{"summary":"s"}')).toBe('reasoning');
    expect(kind('{"summary":"s","text":"t"}')).toBe('reasoning');
  });

  it('reasoning wins over every other kind', () => {
    expect(kind('{"reasoning_id":"r","id":"t","name":"bash","call_id":"c","mime_type":"image/png","text":"x"}')).toBe('reasoning');
    expect(kind('{"encrypted_content":"e","id":"t","name":"bash"}')).toBe('reasoning');
  });

  it('tool call: a non-empty id and name; it wins over result, image and text', () => {
    expect(kind('{"id":"toolu_01","name":"bash","arguments":{"command":"npm test"}}')).toBe('tool_call');
    expect(kind('{"id":"t","name":"n","call_id":"c","mime_type":"image/png","text":"x"}')).toBe('tool_call');
  });

  it('tool result: a non-empty call_id; it wins over image and text', () => {
    expect(kind('{"call_id":"toolu_01","content":[{"text":"out"}],"is_error":true}')).toBe('tool_result');
    expect(kind('{"call_id":"c","mime_type":"image/png","text":"x"}')).toBe('tool_result');
    expect(kind('{"id":"t","call_id":"c"}')).toBe('tool_result'); // an id without a name is no tool call
  });

  it('image: a non-empty mime_type; it wins over text', () => {
    expect(kind('{"mime_type":"image/png","data":"iVBORw0KGgo="}')).toBe('image');
    expect(kind('{"mime_type":"image/png","text":"x"}')).toBe('image');
  });

  it('text: anything else', () => {
    expect(kind('{"text":"hello"}')).toBe('text');
    expect(kind('{}')).toBe('text');
    expect(kind('{"thought_signature":"sig","format":"x"}')).toBe('text');
    expect(kind('{"name":"bash"}')).toBe('text');
    expect(kind('{"id":"t"}')).toBe('text');
  });

  it('empty strings and nulls do not count as set', () => {
    expect(kind('{"reasoning_id":"","summary":"","encrypted_content":"","text":"x"}')).toBe('text');
    expect(kind('{"id":"","name":"bash"}')).toBe('text');
    expect(kind('{"id":"t","name":""}')).toBe('text');
    expect(kind('{"call_id":"","mime_type":""}')).toBe('text');
    expect(kind('{"reasoning_id":null,"id":null,"name":null,"call_id":null,"mime_type":null,"text":null}')).toBe('text');
  });

  it('matches field names as Go does: any case, the last key winning', () => {
    expect(kind('{"MIME_TYPE":"image/png","DATA":"eA=="}')).toBe('image');
    expect(kind('{"Call_Id":"c"}')).toBe('tool_result');
    expect(kind('{"call_id":"c","CALL_ID":""}')).toBe('text');
    expect(kind('{"\u017fummary":"s","reasoning_id":"r"}')).toBe('reasoning');
  });

  it.each([
    ['{"reasoning_id":1}'],
    ['{"encrypted_content":{}}'],
    ['{"summary":["a"]}'],
    ['{"reasoning_id":"r","summary":["a"]}'],
    ['{"id":1,"name":"bash"}'],
    ['{"id":"t","name":true}'],
    ['{"call_id":5}'],
    ['{"mime_type":"image/png","data":5}'],
    ['{"mime_type":["image/png"]}'],
    ['{"text":5}'],
    ['{"text":["a"]}'],
    ['{"TEXT":false}'],
    ['{"text":"ok","Summary":[]}'],
    ['{"text":"ok","thought_signature":5}'],
    ['{"text":"ok","Thought_Signature":{}}'],
  ])('skips %s: a known field with the wrong JSON type', (block) => {
    expect(kind(block)).toBeNull();
  });

  it('keeps a tool result whatever its content and is_error hold: zot decodes them in a second pass whose error it ignores', () => {
    expect(kind('{"call_id":"c","content":"out"}')).toBe('tool_result');
    expect(kind('{"call_id":"c","content":{}}')).toBe('tool_result');
    expect(kind('{"call_id":"c","content":[5,"x"]}')).toBe('tool_result');
    expect(kind('{"call_id":"c","is_error":"yes"}')).toBe('tool_result');
    expect(kind('{"call_id":"c","content":null,"is_error":null}')).toBe('tool_result');
  });

  it('keeps a tool call whatever its server flag holds (the same second pass), and ignores fields zot does not know', () => {
    expect(kind('{"id":"t","name":"n","server":"yes"}')).toBe('tool_call');
    expect(kind('{"text":"x","format":5,"other":[]}')).toBe('text');
  });

  it.each([
    ['"QQ=="'],
    ['""'],
    ['"QUJD"'],
    ['"QUI="'],
    ['"QR=="'], // unused bits set: Go's StdEncoding is not strict
    ['"QQ\\u003d\\u003d"'], // escapes are decoded first
    ['"Q\\r\\nQ==\\n"'], // Go skips line breaks anywhere
    ['"AB=\\n="'],
    ['null'],
    ['[]'],
    ['[1,255,null]'], // Go also decodes a []byte from an array of bytes
  ])('keeps a block whose data is %s: Go decodes it into []byte', (data) => {
    expect(kind(`{"mime_type":"image/png","data":${data}}`)).toBe('image');
  });

  it.each([
    ['"QQ"'], // unpadded
    ['"A"'],
    ['"QQ==QQ=="'], // data after the padding
    ['"===="'],
    ['"A==="'],
    ['"AB=A"'],
    ['"AB="'],
    ['"!!!!"'],
    ['"AB =="'], // a space is no line break
    ['"QUJD\\u00e9"'],
    ['[256]'],
    ['[-1]'],
    ['[1.0]'],
    ['[1e0]'],
    ['["a"]'],
    ['[[1]]'],
    ['5'],
    ['{}'],
    ['true'],
  ])('skips a block whose data is %s: Go cannot decode it into []byte', (data) => {
    expect(kind(`{"mime_type":"image/png","data":${data}}`)).toBeNull();
    expect(kind(`{"text":"t","data":${data}}`)).toBeNull(); // whatever the block's kind
  });

  it('does not check arguments, which are raw JSON of any type', () => {
    for (const args of ['{}', '[]', '"s"', '1', 'true', 'null']) {
      expect(kind(`{"id":"t","name":"n","arguments":${args}}`), args).toBe('tool_call');
    }
  });

  it('skips a block that is not an object, but keeps null as an empty text block (Go decodes null into a zero struct)', () => {
    expect(kind('"text"')).toBeNull();
    expect(kind('[1]')).toBeNull();
    expect(kind('5')).toBeNull();
    expect(kind('true')).toBeNull();
    expect(kind('null')).toBe('text');
  });

  it('classifies every block of the zot-written long session', () => {
    const kinds: BlockKind[] = [];
    for (const row of splitRows(readFileSync(FX.long))) {
      const b = Buffer.from(row.bytes);
      const h = readRowHead(b);
      if (h.kind !== 'row' || h.type !== 'message' || !h.object) continue;
      const { msg } = message(b);
      for (const [s] of msg.blocks) kinds.push(blockKind(b, s)!);
    }
    expect(kinds).toEqual([
      'text',
      'reasoning',
      'text',
      'tool_call',
      'tool_result',
      'text',
      'text',
      'image',
      'text',
      'text',
      'text',
      'text',
      'text',
    ]);
  });
});

describe('readMessage', () => {
  it('reads the role and the content block spans', () => {
    const { b, msg } = message(msgRow('[{"text":"a"}, {"mime_type":"image/png","data":"AA=="}]', 'assistant'));
    expect(msg.role).toBe('assistant');
    expect(msg.blocks.map(([s, e]) => b.toString('utf8', s, e))).toEqual(['{"text":"a"}', '{"mime_type":"image/png","data":"AA=="}']);
  });

  it('absent role and content are empty', () => {
    const { msg } = message('{"type":"message","message":{}}');
    expect(msg).toEqual({ role: '', blocks: [] });
    expect(message('{"type":"message","message":{"content":null}}').msg.blocks).toEqual([]);
  });

  it.each([
    ['{"role":1}'],
    ['{"content":{}}'],
    ['{"content":"text"}'],
    ['{"time":"yesterday"}'],
    ['{"time":""}'],
    ['{"time":5}'],
    ['{"meta":{"k":1}}'],
    ['{"META":{"k":"v","j":[]}}'],
    ['{"meta":[]}'],
    ['{"meta":"x"}'],
    ['{"added_tool_names":[5]}'],
    ['{"added_tool_names":"bash"}'],
    ['{"added_tool_names":{}}'],
  ])('throws GoTypeError for the message %s, as zot\'s decode fails', (m) => {
    const b = Buffer.from(m);
    expect(() => readMessage(b, scanObject(b, 0)!)).toThrow(GoTypeError);
  });
});

describe('readMessage accepts what zot\'s message struct takes', () => {
  it.each([
    ['{"meta":{"k":"v","n":null}}'],
    ['{"meta":{}}'],
    ['{"meta":null}'],
    ['{"added_tool_names":["bash",null]}'],
    ['{"added_tool_names":null}'],
  ])('%s', (m) => {
    const b = Buffer.from(m);
    expect(readMessage(b, scanObject(b, 0)!)).toEqual({ role: '', blocks: [] });
  });
});

describe('hasContent, firstNonEmptyText, rowFirstUserText', () => {
  it('a message has content when at least one block survives decoding', () => {
    const has = (content: string): boolean => {
      const { b, msg } = message(msgRow(content));
      return hasContent(b, msg);
    };
    expect(has('[]')).toBe(false);
    expect(has('[{"text":5}]')).toBe(false);
    expect(has('[{"text":5},{"summary":[]}]')).toBe(false);
    expect(has('[{"text":5},{"text":""}]')).toBe(true); // an empty text block still is a block
    expect(has('[{"mime_type":"image/png","data":"AA=="}]')).toBe(true);
    expect(has('[null]')).toBe(true); // an empty text block
    expect(has('["text",5]')).toBe(false);
    expect(has('[{"mime_type":"image/png","data":"AA"}]')).toBe(false); // unpadded base64
    expect(has('[{"text":"t","thought_signature":1}]')).toBe(false);
    expect(has('[{"call_id":"c","content":"out","is_error":"yes"}]')).toBe(true);
  });

  it('firstNonEmptyText is the first non-empty text of a text block, or "" (zot\'s firstTextFromMessage)', () => {
    const text = (content: string): string => {
      const { b, msg } = message(msgRow(content));
      return firstNonEmptyText(b, msg);
    };
    expect(text('[{"text":""},{"reasoning_id":"r","text":"no"},{"text":"yes"}]')).toBe('yes');
    expect(text('[{"summary":"s","text":"no"},{"text":"yes"}]')).toBe('yes');
    expect(text('[null,{"mime_type":"image/png"},{"text":5},{"text":"a \\u003c b"},{"text":"later"}]')).toBe('a < b');
    expect(text('[{"call_id":"c","content":[{"text":"inner"}]}]')).toBe('');
    expect(text('[{"text":""}]')).toBe('');
    expect(text('[null]')).toBe('');
    expect(text('[]')).toBe('');
  });

  describe("rowFirstUserText reads a row as zot's firstUserText does: message.role and content[].text only", () => {
    const first = (row: string): string => {
      const b = Buffer.from(row);
      const h = readRowHead(b);
      if (h.kind !== 'row' || h.object === null) throw new Error('not a row');
      return rowFirstUserText(b, h.object);
    };

    it('the first non-empty text of any block of a user message, whatever the kind of block', () => {
      expect(first(msgRow('[{"text":""},{"reasoning_id":"r","text":"from reasoning"},{"text":"later"}]'))).toBe('from reasoning');
      expect(first(msgRow('[null,{"mime_type":"image/png","data":"AA","text":"bad data is not read"}]'))).toBe('bad data is not read');
      expect(first(msgRow('[{"text":"t"}]', 'assistant'))).toBe('');
      expect(first(msgRow('[]'))).toBe('');
    });

    it('the time, meta and block fields other than text are not read', () => {
      expect(first('{"type":"message","message":{"role":"user","content":[{"text":"q","thought_signature":1}],"time":"yesterday","meta":{"k":1}}}')).toBe('q');
      expect(first('{"type":"message","message":null}')).toBe('');
      expect(first('{"type":"message"}')).toBe('');
    });

    it.each([
      [msgRow('[{"text":5},{"text":"later"}]')],
      [msgRow('[{"text":"first"},{"text":5}]')], // a later wrong type fails the whole decode
      [msgRow('["s",{"text":"later"}]')],
      [msgRow('{}')],
      ['{"type":"message","message":"m"}'],
      ['{"type":"message","message":{"role":5,"content":[{"text":"t"}]}}'],
    ])('%s: zot\'s decode fails, so the row gives no text (GoTypeError)', (row) => {
      expect(() => first(row)).toThrow(GoTypeError);
    });
  });

  it('reads the first prompt of the zot-written long session', () => {
    const rows = readFileSync(FX.long, 'utf8').split('\n');
    const { b, msg } = message(rows[1]!);
    expect(msg.role).toBe('user');
    expect(firstNonEmptyText(b, msg)).toBe('Why does `npm test` fail with <ENOENT> & exit 1?');
  });
});

describe('compactionMessages', () => {
  function top(row: string): { b: Buffer; obj: ScannedObject } {
    const b = Buffer.from(row);
    const h = readRowHead(b);
    if (h.kind !== 'row' || !h.object) throw new Error('not a row');
    return { b, obj: h.object };
  }

  it('reads each message of the zot-written compaction row', () => {
    const row = readFileSync(FX.long, 'utf8')
      .split('\n')
      .find((r) => r.startsWith('{"type":"compaction"'))!;
    const { b, obj } = top(row);
    const out = compactionMessages(b, obj);
    expect(out.map((m) => m.msg.role)).toEqual(['user', 'assistant']);
    expect(out.map((m) => firstNonEmptyText(b, m.msg))).toEqual(['Summary: fixtures were missing; created them; tests pass.', 'Understood.']);
    expect(b.toString('utf8', out[1]!.span[0], out[1]!.span[1])).toBe(
      '{"role":"assistant","content":[{"text":"Understood."}],"time":"2026-05-06T18:47:48.873456789Z"}',
    );
  });

  it('keeps only messages with content: null messages and empty ones are dropped; none when messages is absent or null', () => {
    const { b, obj } = top(
      '{"type":"compaction","messages":[null,{"role":"assistant","content":[]},{"role":"user","content":[{"text":"a"}]},{"role":"tool","content":[5]},null]}',
    );
    expect(compactionMessages(b, obj).map((m) => m.msg.role)).toEqual(['user']);
    for (const row of ['{"type":"compaction"}', '{"type":"compaction","messages":null}']) {
      const t = top(row);
      expect(compactionMessages(t.b, t.obj)).toEqual([]);
    }
  });

  it.each([['{"type":"compaction","messages":{}}'], ['{"type":"compaction","messages":"x"}'], ['{"type":"compaction","messages":1}']])(
    'throws GoTypeError for %s: messages is not a list',
    (row) => {
      const { b, obj } = top(row);
      expect(() => compactionMessages(b, obj)).toThrow(GoTypeError);
    },
  );

  it('drops a checkpoint message zot cannot decode, even one that is not an object, and keeps the others', () => {
    const { b, obj } = top(
      '{"type":"compaction","messages":["x",1,[],{"role":5},{"role":"user","content":[{"text":"kept"}]},{"content":{}},' +
        '{"role":"user","content":[{"text":"m"}],"meta":{"k":1}},{"role":"user","content":[{"text":"a"}],"added_tool_names":[5]}]}',
    );
    expect(compactionMessages(b, obj).map((m) => m.msg.role)).toEqual(['user']);
    const { b: b2, obj: o2 } = top('{"type":"compaction","messages":["x",1]}');
    expect(compactionMessages(b2, o2)).toEqual([]); // the checkpoint still applies: it empties the transcript
  });
});

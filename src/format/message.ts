/**
 * Messages and their content blocks, read as zot reads them back from a
 * session file (patriceckhart/zot packages/core/session.go:
 * hydrateMessageObject, hydrateCompaction, firstUserText). Blocks carry no
 * type tag: zot decodes each into one flat "head" struct, skips the block
 * when that decode fails, and tells the kind by which fields are set, in a
 * fixed order. A message "has content" when at least one block survives.
 */
import { arrayField, field, GoTypeError, objectField, stringField, stringFieldStart, timeField } from '../jsonl/go-fields.js';
import { scanObject, type ScannedObject } from '../jsonl/object-members.js';

export type BlockKind = 'reasoning' | 'tool_call' | 'tool_result' | 'image' | 'text';

// The fields of zot's head struct, with their Go types. Only these can make
// zot skip a block: arguments, content, is_error and server are decoded in a
// second pass whose errors zot ignores, and other fields are unknown to it.
const HEAD_FIELDS = [
  ['text', 'string'],
  ['mime_type', 'string'],
  ['data', 'bytes'],
  ['id', 'string'],
  ['name', 'string'],
  ['call_id', 'string'],
  ['reasoning_id', 'string'],
  ['summary', 'string'],
  ['encrypted_content', 'string'],
  ['thought_signature', 'string'],
] as const;

const NULL = 0x6e;

/** The kind of the block at `start` of `b`, or null when zot would skip it. */
export function blockKind(b: Buffer, start: number): BlockKind | null {
  // A null block decodes into a zero head: zot keeps it as an empty text block.
  if (b[start] === NULL) return 'text';
  const obj = scanObject(b, start);
  if (!obj) return null; // a string, number, bool or array: the decode fails
  try {
    for (const [name, kind] of HEAD_FIELDS) field(b, obj, name, kind);
    if (stringField(b, obj, 'reasoning_id') || stringField(b, obj, 'summary') || stringField(b, obj, 'encrypted_content')) return 'reasoning';
    if (stringField(b, obj, 'id') && stringField(b, obj, 'name')) return 'tool_call';
    if (stringField(b, obj, 'call_id')) return 'tool_result';
    if (stringField(b, obj, 'mime_type')) return 'image';
    return 'text';
  } catch (err) {
    if (err instanceof GoTypeError) return null;
    throw err;
  }
}

/** A decoded message: its role and the spans of its content blocks. */
export interface MessageView {
  role: string;
  blocks: Array<[number, number]>;
}

/**
 * Reads the message object `obj`. Throws GoTypeError when zot's message
 * struct (role, content, time, meta, added_tool_names) cannot decode it:
 * zot then drops the whole message.
 */
export function readMessage(b: Buffer, obj: ScannedObject): MessageView {
  const role = stringField(b, obj, 'role') ?? '';
  timeField(b, obj, 'time');
  field(b, obj, 'meta', 'string-map');
  field(b, obj, 'added_tool_names', 'strings');
  return { role, blocks: arrayField(b, obj, 'content') ?? [] };
}

/** True when at least one content block survives zot's decoding. */
export function hasContent(b: Buffer, msg: MessageView): boolean {
  return msg.blocks.some(([s]) => blockKind(b, s) !== null);
}

/**
 * How much of a first user text is decoded: whole up to 64 MiB of its JSON
 * (any prompt typed or pasted), its start beyond: one past V8's longest
 * string could not be decoded at all, and only its start is ever shown.
 */
export const FIRST_TEXT_MAX_BYTES = 64 << 20;

/** The text of a block blockKind calls 'text' ('' for a null block), as a first user text. */
function textOf(b: Buffer, start: number): string {
  return b[start] === NULL ? '' : (stringFieldStart(b, scanObject(b, start)!, 'text', FIRST_TEXT_MAX_BYTES) ?? '');
}

/** The first non-empty text of a text block, or '' (zot's firstTextFromMessage). */
export function firstNonEmptyText(b: Buffer, msg: MessageView): string {
  for (const [s] of msg.blocks) {
    if (blockKind(b, s) !== 'text') continue;
    const text = textOf(b, s);
    if (text !== '') return text;
  }
  return '';
}

/**
 * The first user text of a message row as zot's describeSession reads it
 * (firstUserText): through a struct that knows only message.role and
 * message.content[].text, so block kinds, skipped blocks and the time do not
 * matter, but a wrong JSON type in any of those fields, in any block, makes
 * the row give no text. Throws GoTypeError in that case.
 */
export function rowFirstUserText(b: Buffer, top: ScannedObject): string {
  const msg = objectField(b, top, 'message');
  if (!msg) return '';
  // A row that is not a user message gives '' whether or not it decodes.
  if (stringField(b, msg, 'role') !== 'user') return '';
  let text = '';
  for (const [s] of arrayField(b, msg, 'content') ?? []) {
    if (b[s] === NULL) continue;
    const block = scanObject(b, s);
    if (!block) throw new GoTypeError('content');
    const t = stringFieldStart(b, block, 'text', FIRST_TEXT_MAX_BYTES) ?? '';
    if (text === '') text = t; // every block is still checked: a later wrong type fails the decode
  }
  return text;
}

/** A message of a compaction row that zot keeps: its span and its reading. */
export interface CheckpointMessage {
  span: [number, number];
  msg: MessageView;
}

/**
 * The messages zot keeps from a compaction row: those it can decode that
 * have content. A message zot cannot decode (a string, a wrong field type)
 * is dropped, not the checkpoint. Throws GoTypeError when `messages` is not
 * a list: zot then ignores the whole row.
 */
export function compactionMessages(b: Buffer, top: ScannedObject): CheckpointMessage[] {
  const out: CheckpointMessage[] = [];
  for (const span of arrayField(b, top, 'messages') ?? []) {
    const obj = scanObject(b, span[0]);
    if (!obj) continue; // null is a zero message (no content); anything else fails to decode
    try {
      const msg = readMessage(b, obj);
      if (hasContent(b, msg)) out.push({ span, msg });
    } catch (err) {
      if (!(err instanceof GoTypeError)) throw err;
    }
  }
  return out;
}

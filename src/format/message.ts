/**
 * Messages and their content blocks, read as zot's provider package reads
 * them. Blocks carry no type tag: zot tells them apart by which fields are
 * set, in a fixed order, and skips a block whose known fields have the wrong
 * JSON type. A message "has content" when at least one block survives.
 */
import { arrayField, field, GoTypeError, stringField, timeField } from '../jsonl/go-fields.js';
import { scanObject, type ScannedObject } from '../jsonl/object-members.js';

export type BlockKind = 'reasoning' | 'tool_call' | 'tool_result' | 'image' | 'text';

// Every field zot's block decoder knows, with the JSON type it requires.
const BLOCK_FIELDS = [
  ['reasoning_id', 'string'],
  ['encrypted_content', 'string'],
  ['summary', 'string'],
  ['id', 'string'],
  ['name', 'string'],
  ['arguments', 'any'],
  ['call_id', 'string'],
  ['content', 'array'],
  ['is_error', 'bool'],
  ['mime_type', 'string'],
  ['data', 'string'],
  ['text', 'string'],
] as const;

/** The kind of the block at `[start, end)` of `b`, or null when zot would skip it. */
export function blockKind(b: Buffer, start: number): BlockKind | null {
  const obj = scanObject(b, start);
  if (!obj) return null;
  try {
    for (const [name, kind] of BLOCK_FIELDS) field(b, obj, name, kind);
    if (stringField(b, obj, 'reasoning_id') || stringField(b, obj, 'encrypted_content')) return 'reasoning';
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
 * Reads the message object at `start`. Throws GoTypeError when zot's struct
 * cannot decode it (zot then skips the whole row).
 */
export function readMessage(b: Buffer, obj: ScannedObject): MessageView {
  const role = stringField(b, obj, 'role') ?? '';
  timeField(b, obj, 'time');
  return { role, blocks: arrayField(b, obj, 'content') ?? [] };
}

/** True when at least one content block survives zot's decoding. */
export function hasContent(b: Buffer, msg: MessageView): boolean {
  return msg.blocks.some(([s]) => blockKind(b, s) !== null);
}

/** The text of the first text block, or undefined when there is none. */
export function firstTextBlock(b: Buffer, msg: MessageView): string | undefined {
  for (const [s] of msg.blocks) {
    if (blockKind(b, s) !== 'text') continue;
    return stringField(b, scanObject(b, s)!, 'text') ?? '';
  }
  return undefined;
}

/** The first non-empty text of a text block, or ''. */
export function firstNonEmptyText(b: Buffer, msg: MessageView): string {
  for (const [s] of msg.blocks) {
    if (blockKind(b, s) !== 'text') continue;
    const text = stringField(b, scanObject(b, s)!, 'text') ?? '';
    if (text !== '') return text;
  }
  return '';
}

/** The message objects of a compaction row that zot can decode. Throws GoTypeError when `messages` holds a non-object. */
export function compactionMessages(b: Buffer, top: ScannedObject): Array<{ span: [number, number]; msg: MessageView }> {
  const items = arrayField(b, top, 'messages') ?? [];
  const out: Array<{ span: [number, number]; msg: MessageView }> = [];
  for (const span of items) {
    if (b[span[0]] === 0x6e) continue; // null: a zero message, never content
    const obj = scanObject(b, span[0]);
    if (!obj) throw new GoTypeError('messages');
    // zot's reader skips a checkpoint message it cannot decode, not the checkpoint.
    try {
      out.push({ span, msg: readMessage(b, obj) });
    } catch (err) {
      if (!(err instanceof GoTypeError)) throw err;
    }
  }
  return out;
}

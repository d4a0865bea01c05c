/**
 * A bundle manifest read as it streams in, one value at a time: the members
 * of its top-level object, and each element of its `sessions` array on its
 * own, so that a manifest of 300,000 sessions is never one string (it was
 * about 100 MB, twice that while decoded, and its parse as many objects).
 *
 * Only the structure around those values is walked here, byte by byte
 * (outside strings: braces, brackets, commas, colons); each value is handed
 * to JSON.parse whole, which checks it. Keys may come in any order and any
 * spelling JSON allows; a key given twice counts the last time, as in
 * JSON.parse. A document that is not an object is parsed whole, to tell
 * "not JSON" from "not an object", if it is small.
 *
 * A manifest can come from a stranger: a value may not nest deeper than
 * 64 levels nor take more than 16 MiB (a manifest of 400 MB of `[` took
 * 22 GB to parse), and a document that is no object is refused unread
 * past its first MiB.
 */

/** Deeper than a manifest's values ever nest (an entry is a flat object). */
export const MAX_VALUE_DEPTH = 64;
/** More than any one value of a manifest holds (an entry is a few hundred bytes, its title included). */
export const MAX_VALUE_BYTES = 16 << 20;
/** Past this, a document that is not an object is not parsed to say whether it is JSON. */
const MAX_DOCUMENT_PARSED = 1 << 20;

export interface ManifestScanHandlers {
  /** A top-level member, other than a `sessions` array. */
  member(key: string, value: unknown): void;
  /** A `sessions` array begins (again, when the document names it twice). */
  sessionsStart(): void;
  /** An element of `sessions`, parsed; `offset` and `length` give its bytes in the document. */
  element(value: unknown, offset: number, length: number): void;
}

/** Where the scan is between values. */
const enum At {
  /** Before the document. */
  Start,
  /** After `{`: a key or `}`. */
  FirstKey,
  /** After `,`: a key. */
  Key,
  /** After a key: `:`. */
  Colon,
  /** After `:`: a value. */
  Value,
  /** After a member: `,` or `}`. */
  MemberEnd,
  /** After `[` of `sessions`: an element or `]`. */
  FirstElement,
  /** After `,` in `sessions`: an element. */
  Element,
  /** After an element: `,` or `]`. */
  ElementEnd,
  /** After the document's `}`: only whitespace. */
  End,
}

/** What the value being collected is. */
const enum Target {
  Key,
  Member,
  Element,
  /** The whole document, which does not start with `{`. */
  Document,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Ends a number or literal: whitespace or a structural character. */
function endsPrimitive(c: number): boolean {
  return isWs(c) || c === 0x2c || c === 0x5d || c === 0x7d || c === 0x3a;
}

export class ManifestScan {
  private at = At.Start;
  /** Bytes of the document before the current chunk. */
  private offset = 0;
  private key = '';
  // The value being collected, if any.
  private target: Target | undefined;
  /** A number or literal, which ends at the byte after it; else a string or container, which end at their own last byte. */
  private primitive = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private valueOffset = 0;
  /** Earlier chunks' pieces of the value (copies: a chunk's memory may be reused). */
  private pieces: Buffer[] = [];

  constructor(private readonly handlers: ManifestScanHandlers) {}

  /** The next bytes of the document. Throws (a SyntaxError) at the first byte that cannot be JSON. */
  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.target !== undefined) {
        i = this.collect(chunk, i);
        continue;
      }
      const c = chunk[i]!;
      if (isWs(c)) {
        i++;
        continue;
      }
      switch (this.at) {
        case At.Start:
          if (c === 0x7b) this.at = At.FirstKey;
          else this.begin(Target.Document, chunk, i);
          break;
        case At.FirstKey:
        case At.Key:
          if (c === 0x7d && this.at === At.FirstKey) this.at = At.End;
          else if (c === QUOTE) this.begin(Target.Key, chunk, i);
          else this.unexpected(chunk, i, 'a key');
          break;
        case At.Colon:
          if (c !== 0x3a) this.unexpected(chunk, i, "':'");
          this.at = At.Value;
          break;
        case At.Value:
          if (this.key === 'sessions' && c === 0x5b) {
            this.handlers.sessionsStart();
            this.at = At.FirstElement;
          } else {
            this.begin(Target.Member, chunk, i);
          }
          break;
        case At.MemberEnd:
          if (c === 0x2c) this.at = At.Key;
          else if (c === 0x7d) this.at = At.End;
          else this.unexpected(chunk, i, "',' or '}'");
          break;
        case At.FirstElement:
        case At.Element:
          if (c === 0x5d && this.at === At.FirstElement) this.at = At.MemberEnd;
          else this.begin(Target.Element, chunk, i);
          break;
        case At.ElementEnd:
          if (c === 0x2c) this.at = At.Element;
          else if (c === 0x5d) this.at = At.MemberEnd;
          else this.unexpected(chunk, i, "',' or ']'");
          break;
        case At.End:
          this.unexpected(chunk, i, 'the end');
      }
      // begin() leaves the value's first byte to collect(), which starts there.
      if (this.target === undefined) i++;
    }
    this.offset += n;
  }

  /** The document has ended: throws when it was not whole. */
  end(): void {
    if (this.target === Target.Document) {
      const bytes = Buffer.concat(this.pieces);
      this.pieces = [];
      JSON.parse(bytes.toString('utf8')); // a SyntaxError when it is not JSON
      throw new NotAnObject();
    }
    if (this.target !== undefined || this.at !== At.End) throw new SyntaxError('Unexpected end of JSON input');
  }

  private unexpected(chunk: Buffer, i: number, wanted: string): never {
    const c = chunk[i]!;
    const shown = c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
    throw new SyntaxError(`${shown} at byte ${this.offset + i}, expected ${wanted}`);
  }

  /** Starts collecting a value whose first byte is chunk[i]. */
  private begin(target: Target, chunk: Buffer, i: number): void {
    const c = chunk[i]!;
    if (target !== Target.Document && (c === 0x2c || c === 0x5d || c === 0x7d || c === 0x3a)) this.unexpected(chunk, i, 'a value');
    this.target = target;
    this.valueOffset = this.offset + i;
    this.primitive = c !== QUOTE && c !== 0x7b && c !== 0x5b;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }

  /**
   * Walks the value being collected from chunk[i]; returns where the scan
   * goes on. Only strings and nesting are tracked: JSON.parse checks the rest.
   */
  private collect(chunk: Buffer, i: number): number {
    const start = this.pieces.length === 0 && this.valueOffset >= this.offset ? this.valueOffset - this.offset : 0;
    const n = chunk.length;
    let j = i;
    let end = -1;
    if (this.target === Target.Document) {
      j = n; // the whole rest, parsed at the end
      if (this.offset + n - this.valueOffset > MAX_DOCUMENT_PARSED) throw new NotAnObject();
    } else if (this.primitive) {
      while (j < n && !endsPrimitive(chunk[j]!)) j++;
      if (j < n) end = j;
    } else {
      let { depth, inString, escaped } = this;
      for (; j < n; j++) {
        const c = chunk[j]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) {
            inString = false;
            if (depth === 0) {
              end = j + 1;
              break;
            }
          }
        } else if (c === QUOTE) {
          inString = true;
        } else if (c === 0x7b || c === 0x5b) {
          if (++depth > MAX_VALUE_DEPTH) throw new SyntaxError(`nested deeper than ${MAX_VALUE_DEPTH} levels (in the value at byte ${this.valueOffset})`);
        } else if (c === 0x7d || c === 0x5d) {
          if (--depth === 0) {
            end = j + 1;
            break;
          }
        }
      }
      this.depth = depth;
      this.inString = inString;
      this.escaped = escaped;
    }
    if (this.target !== Target.Document && this.offset + (end < 0 ? n : end) - this.valueOffset > MAX_VALUE_BYTES) {
      throw new SyntaxError(`a value of over ${MAX_VALUE_BYTES >> 20} MiB (at byte ${this.valueOffset})`);
    }
    if (end < 0) {
      this.pieces.push(Buffer.from(chunk.subarray(start, n)));
      return n;
    }
    const last = chunk.subarray(start, end);
    const bytes = this.pieces.length === 0 ? last : Buffer.concat([...this.pieces, last]);
    this.pieces = [];
    this.finish(bytes);
    return end;
  }

  /** A whole value: parsed and handed on. */
  private finish(bytes: Buffer): void {
    const target = this.target;
    this.target = undefined;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new SyntaxError(`${(err as Error).message} (in the value at byte ${this.valueOffset})`);
    }
    switch (target) {
      case Target.Key:
        this.key = value as string;
        this.at = At.Colon;
        break;
      case Target.Member:
        this.handlers.member(this.key, value);
        this.at = At.MemberEnd;
        break;
      case Target.Element:
        this.handlers.element(value, this.valueOffset, bytes.length);
        this.at = At.ElementEnd;
        break;
    }
  }
}

/** The document is JSON, but not an object. */
export class NotAnObject extends Error {
  constructor() {
    super('not a JSON object');
  }
}

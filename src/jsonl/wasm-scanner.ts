/**
 * The WebAssembly build of the row scanner (wasm/row-scan.c), and the memory
 * it scans in place.
 *
 * Rows are read straight into buffers that live in the module's memory
 * (`wasmBuffer`), so scanning them costs no copy; the module checks a row's
 * validity and records its top-level members 16 bytes per step with SIMD,
 * 2.5-3x faster than the TypeScript scanner. The memory has a fixed size
 * and never grows (growing would detach every Buffer over it): a reader's
 * buffer grows inside it for a big row, and rows too big for what is left,
 * Buffers from elsewhere, or a runtime without WebAssembly SIMD take the
 * TypeScript path (json-scan.ts), which accepts exactly the same rows.
 *
 * The size is the largest row a thread scans in place: 64 MiB takes inline
 * images of up to about 60 MB, and its pages are taken only when such a row
 * comes. Bigger rows go to the pool's one big-row buffer (big-row-buffer.ts).
 * Every thread of a pool may fill its own memory at once, so a pool of more
 * than two workers gives each less (scannerBytesForPool): 128 MiB in all,
 * never under 32 MiB a thread.
 */
import { ROW_SCAN_WASM } from './wasm/row-scan-wasm.js';
import type { Member, ScannedObject } from './object-members.js';

// The few WebAssembly APIs used here (the ES lib has no WebAssembly types; the DOM lib does not belong in a Node tool).
interface WasmMemory {
  buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const FAIL = 0xffffffff;
const NOT_OBJECT = FAIL - 1;
const TOO_MANY = FAIL - 2;

interface Scanner {
  memory: WasmMemory;
  scanRow: (ptr: number, len: number) => number;
  streamBegin: () => void;
  streamFeed: (ptr: number, len: number) => number;
  streamEnd: () => number;
  members: Uint32Array;
  /** Start of the free region and the stack of live allocations in it. */
  heapBase: number;
  top: number;
  live: Array<{ start: number; end: number; free: boolean }>;
}

let scanner: Scanner | null | undefined;

const PAGE = 64 << 10;
/** The sizes the module accepts (build.sh: --initial-memory, --max-memory). */
const MIN_BYTES = 32 << 20;
const MAX_BYTES = 64 << 20;
/** What all the scanner memories of one pool may hold at once. */
const POOL_BYTES = 128 << 20;

let memoryBytes = MAX_BYTES;

/** The scanner memory for each thread of a pool of `threads`. */
export function scannerBytesForPool(threads: number): number {
  const share = Math.floor(POOL_BYTES / Math.max(1, threads) / PAGE) * PAGE;
  return Math.min(MAX_BYTES, Math.max(MIN_BYTES, share));
}

/**
 * Sets this thread's scanner memory size (clamped to what the module
 * accepts). Effective only before the first row is read: a worker calls it
 * as it starts.
 */
export function setScannerMemoryBytes(bytes: number): void {
  if (!Number.isFinite(bytes)) return; // no size in the pool data (a test pool, say): keep the default
  if (scanner === undefined) memoryBytes = Math.min(MAX_BYTES, Math.max(MIN_BYTES, Math.floor(bytes / PAGE) * PAGE));
}

function load(): Scanner | null {
  try {
    const module = new WebAssembly.Module(Buffer.from(ROW_SCAN_WASM, 'base64'));
    const pages = memoryBytes / PAGE;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as {
      scan_row: (ptr: number, len: number) => number;
      stream_begin: () => void;
      stream_feed: (ptr: number, len: number) => number;
      stream_end: () => number;
      members_ptr: () => number;
      __heap_base: { value: number };
    };
    const heapBase = (Number(exports.__heap_base.value) + 63) & ~63;
    return {
      memory,
      scanRow: exports.scan_row,
      streamBegin: exports.stream_begin,
      streamFeed: exports.stream_feed,
      streamEnd: exports.stream_end,
      members: new Uint32Array(memory.buffer, exports.members_ptr(), 256 * 4),
      heapBase,
      top: heapBase,
      live: [],
    };
  } catch {
    return null; // no WebAssembly SIMD here: the TypeScript scanner does the work
  }
}

function get(): Scanner | null {
  if (scanner === undefined) scanner = load();
  return scanner;
}

/** The size of the scanner's memory: the most any row scanned in place can take (0 without WebAssembly SIMD). */
export function scannerMemoryBytes(): number {
  return get()?.memory.buffer.byteLength ?? 0;
}

/** A region of the scanner's memory, handed out in stack order. */
export interface WasmRegion {
  buf: Buffer;
  /** The same region at `size` bytes (more or fewer), its content kept, when it is the newest region and there is room. */
  grow(size: number): Buffer | undefined;
  release(): void;
}

/**
 * Where a region of `size` bytes from `start` ends, 64-byte aligned, or
 * undefined past the memory's end. Plain arithmetic, not `& ~63`: a row of
 * 2 GiB or more would wrap a 32-bit sum and pass the bounds check.
 */
function regionEnd(s: Scanner, start: number, size: number): number | undefined {
  const end = Math.ceil((start + size) / 64) * 64;
  return end <= s.memory.buffer.byteLength ? end : undefined;
}

/** A Buffer of `size` bytes inside the scanner's memory, or undefined when there is no room. */
export function wasmBuffer(size: number): WasmRegion | undefined {
  const s = get();
  if (!s) return undefined;
  const start = s.top;
  const end = regionEnd(s, start, size);
  if (end === undefined) return undefined;
  const slot = { start, end, free: false };
  s.live.push(slot);
  s.top = end;
  return {
    buf: Buffer.from(s.memory.buffer, start, size),
    grow(bigger) {
      const newEnd = regionEnd(s, start, bigger);
      if (s.live[s.live.length - 1] !== slot || newEnd === undefined) return undefined;
      slot.end = newEnd;
      s.top = newEnd;
      return Buffer.from(s.memory.buffer, start, bigger);
    },
    release() {
      // Readers nest (a check inside a copy reads another file), so regions
      // are released in stack order; an early release waits for the ones above.
      slot.free = true;
      while (s.live.length > 0 && s.live[s.live.length - 1]!.free) s.top = s.live.pop()!.start;
    },
  };
}

/** Whether `b` lives in the scanner's memory. */
export function inScannerMemory(b: Buffer): boolean {
  return scanner !== undefined && scanner !== null && b.buffer === scanner.memory.buffer;
}

/**
 * Scans `row` in place when it lives in the scanner's memory. Returns
 * undefined when it does not (the caller scans it in TypeScript), 'invalid',
 * 'not-object' for a valid non-object document, or the top-level object.
 */
export function scanRowInPlace(row: Buffer): ScannedObject | 'invalid' | 'not-object' | undefined {
  const s = scanner;
  if (!s || row.buffer !== s.memory.buffer) return undefined;
  return scanned(s, s.scanRow(row.byteOffset, row.length), row.length);
}

/**
 * The object at `[start, end)` of `b`, a value inside a row already
 * scanned (a message inside its row), scanned in place as if it were a row
 * of its own: its member spans are offsets into `b`, as scanObject gives
 * them; null when it is no valid object. Undefined when `b` is not in the
 * scanner's memory or ends before `end`, or the object has more members than
 * the scanner keeps: the caller scans it in TypeScript.
 */
export function scanObjectInPlace(b: Buffer, start: number, end: number): ScannedObject | null | undefined {
  const s = scanner;
  // (Not past `b`'s end: the spans may be a whole row's, `b` only its start.)
  if (!s || b.buffer !== s.memory.buffer || end > b.length) return undefined;
  const r = scanned(s, s.scanRow(b.byteOffset + start, end - start), end - start, start);
  return typeof r === 'string' ? null : r;
}

/** The scanner's result as a ScannedObject, its spans moved `by` bytes on. */
function scanned(s: Scanner, result: number, length: number, by = 0): ScannedObject | 'invalid' | 'not-object' | undefined {
  const r = result >>> 0;
  if (r === FAIL) return 'invalid';
  if (r === NOT_OBJECT) return 'not-object';
  if (r === TOO_MANY) return undefined;
  const m = s.members;
  const members: Member[] = new Array(r);
  for (let k = 0; k < r; k++) {
    members[k] = { keyStart: m[4 * k]! + by, keyEnd: m[4 * k + 1]! + by, valueStart: m[4 * k + 2]! + by, valueEnd: m[4 * k + 3]! + by };
  }
  return { members, end: length + by };
}

/**
 * One row scanned a piece at a time as it is read (row-scan.c, stream_*):
 * what `scanRowInPlace` says of the whole row, without the row ever being
 * whole in memory. Member spans are offsets from the row's first byte.
 */
export interface RowStream {
  /** Feeds the row's next bytes, which must lie in the scanner's memory. */
  feed(piece: Buffer): void;
  /**
   * The row has ended, `length` bytes long without its line ending (what
   * was fed after that is `\r`). Undefined for an object of more than 256
   * members.
   */
  end(length: number): ScannedObject | 'invalid' | 'not-object' | undefined;
}

/**
 * A scan of one row in pieces, or undefined without the WebAssembly scanner.
 * One at a time per thread: a stream ends before the next begins (a reader
 * streams a row between two of its reads, with no caller code in between).
 */
export function beginRowStream(): RowStream | undefined {
  const s = get();
  if (!s) return undefined;
  s.streamBegin();
  return {
    feed(piece) {
      if (piece.buffer !== s.memory.buffer) throw new Error('a row stream is fed from the scanner memory only');
      s.streamFeed(piece.byteOffset, piece.length);
    },
    end: (length) => scanned(s, s.streamEnd(), length),
  };
}

/** The size of the pieces scanRowThrough copies a row in. */
const THROUGH_PIECE = 1 << 20;

/**
 * Scans a row that is not in the scanner's memory (one too big for it,
 * held in the pool's big-row buffer; a row read from a bundle) by copying
 * it through that memory a piece at a time: what scanRowInPlace would say
 * of it there. A copy within the cache costs far less than the TypeScript
 * scanner: a 600 MB image row took that scanner some 4 s. Undefined without
 * the WebAssembly scanner or room for a piece in its memory, for a row of
 * 4 GiB or more, and for an object of more than 256 members (the caller
 * scans it in TypeScript).
 */
export function scanRowThrough(row: Buffer): ScannedObject | 'invalid' | 'not-object' | undefined {
  if (row.length > 2 ** 32 - 1) return undefined; // past the scanner's 32-bit offsets
  const region = wasmBuffer(Math.min(THROUGH_PIECE, row.length));
  if (!region) return undefined;
  try {
    const stream = beginRowStream()!;
    for (let at = 0; at < row.length; at += THROUGH_PIECE) {
      const n = row.copy(region.buf, 0, at, Math.min(row.length, at + THROUGH_PIECE));
      stream.feed(region.buf.subarray(0, n));
    }
    return stream.end(row.length);
  } finally {
    region.release();
  }
}

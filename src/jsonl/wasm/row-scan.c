// Byte-level JSON validation of one JSONL row, with the spans of its
// top-level members: the hot loop of zotpack, compiled to WebAssembly with
// SIMD128 (see build.sh). Same language as src/jsonl/json-scan.ts: Go's
// encoding/json (RFC 8259; invalid UTF-8 inside strings accepted; raw control
// bytes rejected; nesting deeper than 10000 rejected). The TypeScript scanner
// is the reference and the fallback; tests check that both agree.
//
// String bodies are scanned 16 bytes at a time up to the first byte that
// ends a plain run (quote, backslash, control byte), then, past a backslash,
// 64 bytes at a time as bit masks; everything else is scalar.

#include <wasm_simd128.h>

typedef unsigned char u8;
typedef unsigned int u32;

#define FAIL 0xffffffffu
#define MAX_DEPTH 10000
#define MAX_MEMBERS 256

// Outputs, read by JS through the exported memory.
u32 members_out[MAX_MEMBERS * 4];
static u8 stack[MAX_DEPTH + 2];

static inline int is_ws(u8 c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

static inline u32 skip_ws(const u8 *b, u32 i, u32 n) {
  while (i < n && is_ws(b[i])) i++;
  return i;
}

static inline int is_digit(u32 i, u32 n, const u8 *b) { return i < n && b[i] >= '0' && b[i] <= '9'; }

typedef unsigned long long u64;

// The masks of one 64-byte block, bit k for byte k.
typedef struct {
  u64 quote, backslash, control;
} Block;

static inline u64 bits4(v128_t a, v128_t b, v128_t c, v128_t d) {
  return (u64)(u32)wasm_i8x16_bitmask(a) | (u64)(u32)wasm_i8x16_bitmask(b) << 16 | (u64)(u32)wasm_i8x16_bitmask(c) << 32 |
         (u64)(u32)wasm_i8x16_bitmask(d) << 48;
}

#define EQ(v, ch) wasm_i8x16_eq(v, wasm_i8x16_splat(ch))
// min(v, 0x1f) == v: two instructions in V8's x64 code, where lt_u takes four.
#define CTL(v) wasm_i8x16_eq(wasm_u8x16_min(v, wasm_i8x16_splat(0x1f)), v)

// Byte classes by nibble: a byte is in a class when its low-nibble entry and
// its high-nibble entry share a bit. Bits: 1 `"` `/`; 2 `0-9`; 4 `A-F` `a-f`;
// 8 `\`; 16 `b` `f` `n`; 32 `r` `t` `u`.
#define C_ESC (1 | 8 | 16 | 32) // may follow a backslash
#define C_HEX (2 | 4)
static inline v128_t classes(v128_t v) {
  const v128_t lo_table = wasm_i8x16_make(2, 2 | 4, 1 | 2 | 4 | 16 | 32, 2 | 4, 2 | 4 | 32, 2 | 4 | 32, 2 | 4 | 16, 2, 2, 2, 0, 0, 8,
                                          0, 16, 1);
  const v128_t hi_table = wasm_i8x16_make(0, 0, 1, 2, 4, 8, 4 | 16, 32, 0, 0, 0, 0, 0, 0, 0, 0);
  const v128_t lo = wasm_v128_and(v, wasm_i8x16_splat(0x0f));
  const v128_t hi = wasm_u8x16_shr(v, 4);
  return wasm_v128_and(wasm_i8x16_swizzle(lo_table, lo), wasm_i8x16_swizzle(hi_table, hi));
}

// Bytes in none of the classes `bits`: eq against zero, which is one
// instruction where ne is three.
static inline v128_t lacks(v128_t cls, int bits) {
  return wasm_i8x16_eq(wasm_v128_and(cls, wasm_i8x16_splat(bits)), wasm_i8x16_splat(0));
}

// How strings are scanned (scan_string, and feed_string for a row in pieces):
//
// First 16 bytes a step, one compare per byte class and one bitmask, up to
// the first quote, backslash or control byte: most strings (keys, ids,
// times, prose, base64 images) end without a backslash. Measured on rows
// of the bench corpora against the block loop alone: 4 KB sessions 1.4 ->
// 2.1 GB/s, image rows 11 -> 20 GB/s, escape-dense tool output 3.3 -> 3.6.
//
// From the first backslash on (or from the last 16 bytes of the row), 64
// bytes a step, all as bit masks, in the manner of simdjson: which bytes
// a backslash escapes (runs of backslashes and runs crossing blocks
// included), where the closing quote is, and whether every escape before it is
// one of \" \\ \/ \b \f \n \r \t \uXXXX and no raw control byte comes before
// it. No branch per escape: escape-dense text (code, tool output with \n
// and \u003c every few bytes) runs as fast as plain text.
//
// In that loop, masks that are nearly always empty are made only when a
// whole-block test says they are not: raw control bytes, and hex digits
// (needed only after \u). With eq-to-zero for class tests and min/eq for
// control bytes (fewer x64 instructions in V8 than ne and lt_u), the bench
// corpus's escape-dense rows went from 3.4-3.5 to 4.2 GB/s on one core.
//
// The last, partial block is copied into a buffer padded with NUL bytes: a
// string or escape still open at the row's end then meets a control byte and
// fails, exactly as a string cut short must.

// From i, 16 bytes a step: the index of the first quote, backslash or
// control byte, or the first i with fewer than 16 bytes left.
static inline u32 plain_run(const u8 *b, u32 i, u32 n) {
  while (i + 16 <= n) {
    const v128_t v = wasm_v128_load(b + i);
    const u32 m = (u32)wasm_i8x16_bitmask(wasm_v128_or(wasm_v128_or(EQ(v, '"'), EQ(v, '\\')), CTL(v)));
    if (m) return i + (u32)__builtin_ctz(m);
    i += 16;
  }
  return i;
}

#define BLOCK_ON 0 // the string goes on past the block

// One 64-byte block of a string body at p, with what the last block carried
// in (*escaped: its first byte is escaped by a backslash ending the last
// block; *hex: its first bytes must be hex digits, of a \u in the last block)
// and out. Returns the index in the block just past the closing quote (1 to
// 64), FAIL, or BLOCK_ON.
static inline u32 string_block(const u8 *p, u64 *carry_escaped, u64 *carry_hex) {
  const v128_t v0 = wasm_v128_load(p), v1 = wasm_v128_load(p + 16), v2 = wasm_v128_load(p + 32), v3 = wasm_v128_load(p + 48);
  const u64 quote = bits4(EQ(v0, '"'), EQ(v1, '"'), EQ(v2, '"'), EQ(v3, '"'));
  // Raw control bytes are rare inside strings (zot escapes them): test the
  // block as a whole and make the mask only when one is there.
  const v128_t ctl0 = CTL(v0), ctl1 = CTL(v1), ctl2 = CTL(v2), ctl3 = CTL(v3);
  const u64 control =
      wasm_v128_any_true(wasm_v128_or(wasm_v128_or(ctl0, ctl1), wasm_v128_or(ctl2, ctl3))) ? bits4(ctl0, ctl1, ctl2, ctl3) : 0;
  u64 backslash = bits4(EQ(v0, '\\'), EQ(v1, '\\'), EQ(v2, '\\'), EQ(v3, '\\'));
  if (!(backslash | *carry_escaped | *carry_hex)) {
    // Plain text: only the end and control bytes matter.
    const u64 before = quote ? (quote & -quote) - 1 : ~0ull;
    if (control & before) return FAIL;
    return quote ? (u32)__builtin_ctzll(quote) + 1 : BLOCK_ON;
  }
  // Escaped bytes: the byte after each backslash that starts an escape
  // (the odd ones of a run). From simdjson's find_escaped_branchless.
  backslash &= ~*carry_escaped;
  const u64 follows = backslash << 1 | *carry_escaped;
  const u64 even = 0x5555555555555555ull;
  const u64 odd_starts = backslash & ~even & ~follows;
  const u64 sum = odd_starts + backslash;
  const u64 next_carry = sum < odd_starts; // the run reaches past the block: its next byte is escaped
  const u64 escaped = (even ^ (sum << 1)) & follows;

  const u64 real_quote = quote & ~escaped;
  const u64 before = real_quote ? (real_quote & -real_quote) - 1 : ~0ull;
  const v128_t c0 = classes(v0), c1 = classes(v1), c2 = classes(v2), c3 = classes(v3);
  const u64 not_esc = bits4(lacks(c0, C_ESC), lacks(c1, C_ESC), lacks(c2, C_ESC), lacks(c3, C_ESC));
  const u64 u = escaped & bits4(EQ(v0, 'u'), EQ(v1, 'u'), EQ(v2, 'u'), EQ(v3, 'u')) & before;
  const u64 need_hex = *carry_hex | u << 1 | u << 2 | u << 3 | u << 4;
  if ((control & before) | (escaped & before & not_esc)) return FAIL;
  // Hex digits matter only after a \u, which most blocks lack.
  if (need_hex && (need_hex & bits4(lacks(c0, C_HEX), lacks(c1, C_HEX), lacks(c2, C_HEX), lacks(c3, C_HEX)))) return FAIL;
  if (real_quote) return (u32)__builtin_ctzll(real_quote) + 1;
  *carry_escaped = next_carry;
  *carry_hex = u >> 63 | u >> 62 | u >> 61 | u >> 60;
  return BLOCK_ON;
}

// Index just past the string whose quote is at i, or FAIL.
static u32 scan_string(const u8 *b, u32 i, u32 n) {
  i = plain_run(b, i + 1, n);
  if (i + 16 <= n) {
    if (b[i] == '"') return i + 1;
    if (b[i] < 0x20) return FAIL;
    // A backslash: the block loop takes the string from here, with nothing carried in.
  }
  u64 carry_escaped = 0, carry_hex = 0;
  u8 tail[64];
  for (;;) {
    const u8 *p = b + i;
    if (i + 64 > n) {
      u32 k = 0;
      for (; i + k < n; k++) tail[k] = b[i + k];
      for (; k < 64; k++) tail[k] = 0;
      p = tail;
    }
    const u32 r = string_block(p, &carry_escaped, &carry_hex);
    if (r == FAIL) return FAIL;
    if (r != BLOCK_ON) return i + r;
    if (p == tail) return FAIL; // not reached: the padding is control bytes
    i += 64;
  }
}

static u32 scan_number(const u8 *b, u32 i, u32 n) {
  if (i < n && b[i] == '-') i++;
  if (i < n && b[i] == '0') i++;
  else if (is_digit(i, n, b)) while (is_digit(i, n, b)) i++;
  else return FAIL;
  if (i < n && b[i] == '.') {
    i++;
    if (!is_digit(i, n, b)) return FAIL;
    while (is_digit(i, n, b)) i++;
  }
  if (i < n && (b[i] == 'e' || b[i] == 'E')) {
    i++;
    if (i < n && (b[i] == '+' || b[i] == '-')) i++;
    if (!is_digit(i, n, b)) return FAIL;
    while (is_digit(i, n, b)) i++;
  }
  return i;
}

static u32 scan_literal(const u8 *b, u32 i, u32 n, const char *w, u32 len) {
  if (i + len > n) return FAIL;
  for (u32 k = 0; k < len; k++) if (b[i + k] != (u8)w[k]) return FAIL;
  return i + len;
}

// ":" and the whitespace around it, after a key; returns the value's start or FAIL.
static u32 scan_key(const u8 *b, u32 i, u32 n) {
  if (i >= n || b[i] != '"') return FAIL;
  i = scan_string(b, i, n);
  if (i == FAIL) return FAIL;
  i = skip_ws(b, i, n);
  if (i >= n || b[i] != ':') return FAIL;
  return skip_ws(b, i + 1, n);
}

// Index just past the value at i (no leading whitespace), or FAIL. depth0 is
// the nesting depth of the value's container.
static u32 scan_value(const u8 *b, u32 i, u32 n, u32 depth0) {
  u32 depth = 0;
  for (;;) {
    if (i >= n) return FAIL;
    u8 c = b[i];
    if (c == '"') {
      i = scan_string(b, i, n);
    } else if (c == '{' || c == '[') {
      if (depth0 + depth >= MAX_DEPTH) return FAIL;
      u8 close = c == '{' ? '}' : ']';
      i = skip_ws(b, i + 1, n);
      if (i < n && b[i] == close) {
        i++;
      } else {
        stack[++depth] = c;
        if (c == '{') {
          i = scan_key(b, i, n);
          if (i == FAIL) return FAIL;
        }
        continue;
      }
    } else if (c == 't') {
      i = scan_literal(b, i, n, "true", 4);
    } else if (c == 'f') {
      i = scan_literal(b, i, n, "false", 5);
    } else if (c == 'n') {
      i = scan_literal(b, i, n, "null", 4);
    } else {
      i = scan_number(b, i, n);
    }
    if (i == FAIL) return FAIL;
    // A value ended: close what ends here, or move to the next element.
    for (;;) {
      if (depth == 0) return i;
      i = skip_ws(b, i, n);
      if (i >= n) return FAIL;
      u8 d = b[i];
      if (d == ',') {
        i = skip_ws(b, i + 1, n);
        if (stack[depth] == '{') {
          i = scan_key(b, i, n);
          if (i == FAIL) return FAIL;
        }
        break;
      }
      if (d != (stack[depth] == '{' ? '}' : ']')) return FAIL;
      i++;
      depth--;
    }
  }
}

// Validates the row at [ptr, ptr+n). Returns:
//   FAIL        not valid JSON
//   FAIL - 1    valid, but the top level is not an object
//   FAIL - 2    a valid object with more than MAX_MEMBERS members (spans not recorded)
//   k           a valid object with k members; members_out holds, per member,
//               key start, key end, value start, value end (relative to ptr).
__attribute__((export_name("scan_row"))) u32 scan_row(const u8 *b, u32 n) {
  u32 i = skip_ws(b, 0, n);
  if (i >= n) return FAIL;
  if (b[i] != '{') {
    i = scan_value(b, i, n, 0);
    if (i == FAIL || skip_ws(b, i, n) != n) return FAIL;
    return FAIL - 1;
  }
  u32 count = 0;
  i = skip_ws(b, i + 1, n);
  if (i < n && b[i] == '}') {
    return skip_ws(b, i + 1, n) == n ? 0 : FAIL;
  }
  for (;;) {
    if (i >= n || b[i] != '"') return FAIL;
    u32 ks = i;
    u32 ke = scan_string(b, i, n);
    if (ke == FAIL) return FAIL;
    i = skip_ws(b, ke, n);
    if (i >= n || b[i] != ':') return FAIL;
    u32 vs = skip_ws(b, i + 1, n);
    u32 ve = scan_value(b, vs, n, 1);
    if (ve == FAIL) return FAIL;
    if (count < MAX_MEMBERS) {
      members_out[count * 4] = ks;
      members_out[count * 4 + 1] = ke;
      members_out[count * 4 + 2] = vs;
      members_out[count * 4 + 3] = ve;
    }
    count++;
    i = skip_ws(b, ve, n);
    if (i < n && b[i] == ',') {
      i = skip_ws(b, i + 1, n);
      continue;
    }
    if (i < n && b[i] == '}') {
      if (skip_ws(b, i + 1, n) != n) return FAIL;
      return count > MAX_MEMBERS ? FAIL - 2 : count;
    }
    return FAIL;
  }
}

__attribute__((export_name("members_ptr"))) u32 *members_ptr(void) { return members_out; }

// ---- One row fed in pieces ------------------------------------------------
//
// A row bigger than the reader's buffer (an inline image, a long tool output)
// is scanned a piece at a time as it is read, so the reader never holds it
// whole: its bytes are scanned while the read has just left them in the
// cache, in a buffer whose pages are already there. Holding a 50 MB row whole
// costs some 12,000 first touches of fresh pages and a second trip through
// memory for every byte. Same language and same answers as scan_row; tests
// feed rows split at every offset and compare.
//
// Outside strings the scan is a state machine a byte at a time (big rows are
// nearly all string); string bodies take the 16-byte and 64-byte loops of
// scan_string, with the escape state carried from one piece to the next.

enum { P_VALUE, P_OPEN_OBJECT, P_OPEN_ARRAY, P_KEY, P_COLON, P_AFTER, P_STRING, P_NUMBER, P_LITERAL, P_FAILED };
enum { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_E_SIGN, N_EXP };
#define NEED (FAIL - 3)

static struct {
  u32 state;
  u32 depth;     // open containers
  u32 off;       // bytes fed before the current piece
  u32 started;   // the top-level value has begun
  u32 top_object;
  u32 count;     // top-level members
  u32 ks, ke, vs; // the top-level member in progress
  u32 in_key;
  u32 esc;       // the next string byte is escaped
  u32 hex;       // string bytes still to be hex digits (after \u)
  u32 num;
  const char *lit;
  u32 lit_len, lit_at;
} st;

static inline int is_hex(u8 c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The string body from i, with st.esc and st.hex carried in and out. Returns
// the index just past the closing quote, FAIL, or NEED (the piece ended first).
static u32 feed_string(const u8 *b, u32 i, u32 n) {
  if (!st.esc && !st.hex) {
    i = plain_run(b, i, n);
    if (i + 16 <= n) {
      if (b[i] == '"') return i + 1;
      if (b[i] < 0x20) return FAIL;
    }
  }
  u64 carry_escaped = st.esc, carry_hex = st.hex ? (1ull << st.hex) - 1 : 0;
  for (; i + 64 <= n; i += 64) {
    const u32 r = string_block(b + i, &carry_escaped, &carry_hex);
    if (r == FAIL) return FAIL;
    if (r != BLOCK_ON) return i + r;
  }
  st.esc = (u32)carry_escaped;
  st.hex = (u32)__builtin_popcountll(carry_hex);
  // The last bytes of the piece, one at a time.
  for (; i < n; i++) {
    const u8 c = b[i];
    if (st.hex) {
      if (!is_hex(c)) return FAIL;
      st.hex--;
    } else if (st.esc) {
      if (c == 'u') st.hex = 4;
      else if (!(c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't')) return FAIL;
      st.esc = 0;
    } else if (c == '"') {
      return i + 1;
    } else if (c == '\\') {
      st.esc = 1;
    } else if (c < 0x20) {
      return FAIL;
    }
  }
  return NEED;
}

// A value ended at absolute offset `end`.
static void value_done(u32 end) {
  if (st.depth == 1 && st.top_object) {
    if (st.count < MAX_MEMBERS) {
      members_out[st.count * 4] = st.ks;
      members_out[st.count * 4 + 1] = st.ke;
      members_out[st.count * 4 + 2] = st.vs;
      members_out[st.count * 4 + 3] = end;
    }
    st.count++;
  }
  st.state = P_AFTER;
}

// The number in progress takes c, or ends before it (returns 0: c is the next token's).
static int number_takes(u8 c) {
  const int digit = c >= '0' && c <= '9';
  switch (st.num) {
    case N_MINUS: if (!digit) return -1; st.num = c == '0' ? N_ZERO : N_INT; return 1;
    case N_ZERO: break;
    case N_INT: if (digit) return 1; break;
    case N_DOT: if (!digit) return -1; st.num = N_FRAC; return 1;
    case N_FRAC: if (digit) return 1; if (c == 'e' || c == 'E') { st.num = N_E; return 1; } return 0;
    case N_E: if (c == '+' || c == '-') { st.num = N_E_SIGN; return 1; } if (!digit) return -1; st.num = N_EXP; return 1;
    case N_E_SIGN: if (!digit) return -1; st.num = N_EXP; return 1;
    case N_EXP: return digit ? 1 : 0;
  }
  // After the integer part (N_ZERO or N_INT).
  if (c == '.') { st.num = N_DOT; return 1; }
  if (c == 'e' || c == 'E') { st.num = N_E; return 1; }
  return 0;
}

static int number_complete(void) { return st.num == N_ZERO || st.num == N_INT || st.num == N_FRAC || st.num == N_EXP; }

__attribute__((export_name("stream_begin"))) void stream_begin(void) {
  st.state = P_VALUE;
  st.depth = st.off = st.started = st.top_object = st.count = 0;
  st.esc = st.hex = 0;
}

// Feeds the next piece of the row. Returns 0, or FAIL once the row cannot be
// valid (later pieces are then ignored).
__attribute__((export_name("stream_feed"))) u32 stream_feed(const u8 *b, u32 n) {
  if (st.state == P_FAILED) return FAIL;
  u32 i = 0;
  while (i < n) {
    const u8 c = b[i];
    switch (st.state) {
      case P_STRING: {
        const u32 r = feed_string(b, i, n);
        if (r == FAIL) goto fail;
        if (r == NEED) {
          i = n;
          break;
        }
        i = r;
        st.esc = st.hex = 0;
        if (st.in_key) {
          if (st.depth == 1 && st.top_object) st.ke = st.off + i;
          st.state = P_COLON;
        } else {
          value_done(st.off + i);
        }
        break;
      }
      case P_NUMBER: {
        const int t = number_takes(c);
        if (t < 0) goto fail;
        if (t) i++;
        else value_done(st.off + i);
        break;
      }
      case P_LITERAL:
        if (c != (u8)st.lit[st.lit_at]) goto fail;
        i++;
        if (++st.lit_at == st.lit_len) value_done(st.off + i);
        break;
      case P_OPEN_ARRAY:
        if (is_ws(c)) {
          i++;
          break;
        }
        if (c == ']') {
          i++;
          st.depth--;
          value_done(st.off + i);
          break;
        }
        st.state = P_VALUE;
        break; // c starts the first element
      case P_VALUE:
        if (is_ws(c)) {
          i++;
          break;
        }
        if (!st.started) {
          st.started = 1;
          st.top_object = c == '{';
        }
        if (st.depth == 1 && st.top_object) st.vs = st.off + i;
        i++;
        if (c == '"') {
          st.state = P_STRING;
          st.in_key = 0;
        } else if (c == '{' || c == '[') {
          if (st.depth >= MAX_DEPTH) goto fail;
          stack[++st.depth] = c;
          st.state = c == '{' ? P_OPEN_OBJECT : P_OPEN_ARRAY;
        } else if (c == 't' || c == 'f' || c == 'n') {
          st.lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
          st.lit_len = c == 'f' ? 5 : 4;
          st.lit_at = 1;
          st.state = P_LITERAL;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
          st.num = c == '-' ? N_MINUS : c == '0' ? N_ZERO : N_INT;
          st.state = P_NUMBER;
        } else {
          goto fail;
        }
        break;
      case P_OPEN_OBJECT:
      case P_KEY:
        if (is_ws(c)) {
          i++;
          break;
        }
        if (c == '}' && st.state == P_OPEN_OBJECT) {
          i++;
          st.depth--;
          value_done(st.off + i);
          break;
        }
        if (c != '"') goto fail;
        if (st.depth == 1 && st.top_object) st.ks = st.off + i;
        i++;
        st.state = P_STRING;
        st.in_key = 1;
        break;
      case P_COLON:
        if (is_ws(c)) {
          i++;
          break;
        }
        if (c != ':') goto fail;
        i++;
        st.state = P_VALUE;
        break;
      case P_AFTER:
        if (is_ws(c)) {
          i++;
          break;
        }
        if (st.depth == 0) goto fail; // something after the row's value
        if (c == ',') {
          i++;
          st.state = stack[st.depth] == '{' ? P_KEY : P_VALUE;
          break;
        }
        if (c != (stack[st.depth] == '{' ? '}' : ']')) goto fail;
        i++;
        st.depth--;
        value_done(st.off + i);
        break;
      default:
        goto fail;
    }
  }
  st.off += n;
  return 0;
fail:
  st.state = P_FAILED;
  return FAIL;
}

// The row has ended. Returns what scan_row would have for the whole row.
__attribute__((export_name("stream_end"))) u32 stream_end(void) {
  if (st.state == P_NUMBER) {
    if (!number_complete()) return FAIL;
    value_done(st.off);
  }
  if (st.state != P_AFTER || st.depth != 0) return FAIL;
  if (!st.top_object) return FAIL - 1;
  return st.count > MAX_MEMBERS ? FAIL - 2 : st.count;
}

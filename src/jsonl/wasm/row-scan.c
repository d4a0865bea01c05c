// Byte-level JSON validation of one JSONL row, with the spans of its
// top-level members: the hot loop of zotpack, compiled to WebAssembly with
// SIMD128 (see build.sh). Same language as src/jsonl/json-scan.ts: Go's
// encoding/json (RFC 8259; invalid UTF-8 inside strings accepted; raw control
// bytes rejected; nesting deeper than 10000 rejected). The TypeScript scanner
// is the reference and the fallback; tests check that both agree.
//
// String bodies are scanned 16 bytes at a time for the three bytes that end
// a plain run (quote, backslash, control byte); everything else is scalar.

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

static inline int is_hex(u8 c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline int is_digit(u32 i, u32 n, const u8 *b) { return i < n && b[i] >= '0' && b[i] <= '9'; }

static inline u32 specials(const u8 *p) {
  const v128_t v = wasm_v128_load(p);
  const v128_t hit = wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(v, wasm_i8x16_splat('"')), wasm_i8x16_eq(v, wasm_i8x16_splat('\\'))),
                                  wasm_u8x16_lt(v, wasm_i8x16_splat(0x20)));
  return wasm_i8x16_bitmask(hit);
}

// Index just past the string whose quote is at i, or FAIL. A block's mask
// of special bytes (quote, backslash, control) is kept across the escapes
// inside it: escape-dense text (tool output) is handled without reloading.
static u32 scan_string(const u8 *b, u32 i, u32 n) {
  i++;
  u32 block = i; // start of the 16 bytes `mask` describes
  u32 mask = 0;
  int have = 0;
  for (;;) {
    if (!have || i >= block + 16) {
      // Find the next block holding a special byte.
      for (;;) {
        if (i + 16 > n) {
          while (i < n && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20) i++;
          if (i >= n) return FAIL;
          have = 0;
          goto special;
        }
        mask = specials(b + i);
        if (mask) break;
        i += 16;
      }
      block = i;
      have = 1;
    } else {
      mask &= ~0u << (i - block);
      if (!mask) {
        i = block + 16;
        have = 0;
        continue;
      }
    }
    i = block + __builtin_ctz(mask);
  special:;
    u8 c = b[i];
    if (c == '"') return i + 1;
    if (c < 0x20) return FAIL;
    if (i + 1 >= n) return FAIL;
    switch (b[i + 1]) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        i += 2;
        break;
      case 'u':
        if (i + 5 >= n || !is_hex(b[i + 2]) || !is_hex(b[i + 3]) || !is_hex(b[i + 4]) || !is_hex(b[i + 5])) return FAIL;
        i += 6;
        break;
      default:
        return FAIL;
    }
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

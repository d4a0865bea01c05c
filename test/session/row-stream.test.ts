import { describe, expect, it } from 'vitest';
import { splitRows, type Row } from '../../src/jsonl/row-reader.js';
import { RowStream } from '../../src/session/row-stream.js';
import { seededRandom, type Random } from '../helpers/seeded-random.js';

/** Feeds `input` in random chunks; returns the rows seen (copied) and the bytes emitted. */
function run(input: Buffer, r: Random, onRow: (row: Row) => Buffer | undefined = () => undefined) {
  const rows: Array<Omit<Row, 'bytes'> & { text: string }> = [];
  const out: Buffer[] = [];
  const stream = new RowStream(
    (row) => {
      rows.push({ text: row.bytes.toString('latin1'), line: row.line, start: row.start, end: row.end, terminated: row.terminated });
      return onRow(row);
    },
    (b) => out.push(Buffer.from(b)),
  );
  for (let pos = 0; pos < input.length; ) {
    const n = r.between(1, r.chance(0.2) ? input.length : 7);
    stream.push(input.subarray(pos, pos + n));
    pos += n;
  }
  stream.end();
  return { rows, out: Buffer.concat(out) };
}

function randomLines(r: Random): Buffer {
  const parts: string[] = [];
  const pieces = ['{"type":"message"}', 'x', '', '\r', '\r\r', '{"a":"\u00e9\u2028"}', 'long'.repeat(r.int(50))];
  for (let k = r.int(12); k >= 0; k--) parts.push(r.pick(pieces) + r.pick(['\n', '\r\n', '\n\n', '\r\r\n']));
  if (r.chance(0.5)) parts.push(r.pick(pieces)); // a last row without a newline
  return Buffer.from(parts.join(''), 'utf8');
}

describe('RowStream', () => {
  it('frames a stream in any chunking exactly as splitRows frames the whole, and passes every byte on', () => {
    const r = seededRandom(7);
    for (let k = 0; k < 500; k++) {
      const input = randomLines(r);
      const expected = [...splitRows(input)].map((row) => ({
        text: row.bytes.toString('latin1'),
        line: row.line,
        start: row.start,
        end: row.end,
        terminated: row.terminated,
      }));
      const { rows, out } = run(input, r);
      expect(rows).toEqual(expected);
      expect(out.equals(input)).toBe(true);
    }
  });

  it('puts replacement bytes in place of a row, keeping its line ending and every other byte', () => {
    const input = Buffer.from('a\r\n\nbb\nccc');
    const { out } = run(input, seededRandom(1), (row) => (row.bytes.toString() === 'bb' ? Buffer.from('BBBB') : undefined));
    expect(out.toString()).toBe('a\r\n\nBBBB\nccc');
    const last = run(input, seededRandom(2), (row) => (row.terminated ? undefined : Buffer.from('C')));
    expect(last.out.toString()).toBe('a\r\n\nbb\nC');
  });

  it('holds a row that spans many chunks only until its newline', () => {
    const big = Buffer.alloc(200_000, 0x61);
    const input = Buffer.concat([big, Buffer.from('\nnext\n')]);
    const { rows, out } = run(input, seededRandom(3));
    expect(rows.map((x) => x.text.length)).toEqual([200_000, 4]);
    expect(out.equals(input)).toBe(true);
  });

  it('gathers a long row (past 8 MB) into one growing buffer: the same rows and bytes, with or without a newline at the end', () => {
    const r = seededRandom(4);
    const row = (n: number, c: number) => Buffer.alloc(n, c);
    for (const tail of ['\n', '']) {
      const input = Buffer.concat([Buffer.from('head\n'), row(12_000_000, 0x61), Buffer.from('\r\n'), row(9_000_000, 0x62), Buffer.from(`\nend${tail}`)]);
      const rows: string[] = [];
      const out: Buffer[] = [];
      const stream = new RowStream(
        (x) => {
          rows.push(`${x.line}:${x.start}-${x.end}:${x.bytes.length}:${x.bytes[0]}:${x.bytes[x.bytes.length - 1]}`);
          return x.bytes.length === 9_000_000 ? Buffer.from('replaced') : undefined;
        },
        (b) => out.push(Buffer.from(b)),
      );
      for (let pos = 0; pos < input.length; ) {
        const n = r.between(1, 70_000);
        stream.push(input.subarray(pos, pos + n));
        pos += n;
      }
      stream.end();
      expect(rows).toEqual([
        '1:0-5:4:104:100',
        `2:5-12000007:12000000:97:97`,
        `3:12000007-21000008:9000000:98:98`,
        `4:21000008-${input.length}:3:101:100`,
      ]);
      expect(Buffer.concat(out).toString('latin1')).toBe(input.toString('latin1').replace('b'.repeat(9_000_000), 'replaced'));
    }
  });
});

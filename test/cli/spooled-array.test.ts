import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { printJsonWithArrays, SpooledArray } from '../../src/cli/spooled-array.js';

/** What printJsonWithArrays writes, as one string. */
function printed(doc: Record<string, unknown>, arrays: Record<string, unknown[]>, memoryBytes?: number): string {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const io = { stdout, stderr: new PassThrough(), env: {}, cwd: '/' } as unknown as CliIo;
  const spooled = Object.fromEntries(
    Object.entries(arrays).map(([name, items]) => {
      const a = new SpooledArray(memoryBytes, name.split('.').length);
      for (const item of items) a.push(item);
      return [name, a];
    }),
  );
  printJsonWithArrays(io, doc, spooled);
  return Buffer.concat(chunks).toString('utf8');
}

const item = (i: number) => ({ source: `/a/ü-${i}.zotsession`, id: `id-${i}`, nested: { list: [i, { deep: 'x' }], none: undefined } });

describe('printJsonWithArrays', () => {
  it('writes what JSON.stringify(doc, null, 2) writes, with each spooled array in its member', () => {
    const many = Array.from({ length: 2500 }, (_, i) => item(i));
    const cases: Array<[Record<string, unknown>, Record<string, unknown[]>]> = [
      // In the document's key order, wherever they are; empty, one, and over a spool piece (1024 items).
      [{ planned: [], imported: [], present: [], report: { files: 3, errors: [{ code: 'E_X' }] } }, { planned: [item(1)], imported: many, present: [] }],
      [{ out: '/x', plan: [], deleted: ['/gone'], report: { plan: [] } }, { plan: many.slice(0, 3) }],
      [{ report: { ok: true } }, { present: [], imported: [item(7)] }],
      [{}, { only: [] }],
    ];
    for (const [doc, arrays] of cases) {
      const whole = { ...doc, ...Object.fromEntries(Object.keys(arrays).filter((k) => !(k in doc)).map((k) => [k, []])) };
      for (const k of Object.keys(arrays)) whole[k] = arrays[k];
      const expected = `${JSON.stringify(whole, null, 2)}\n`;
      expect(printed(doc, arrays)).toBe(expected);
      // The same when the items went to the temp file.
      expect(printed(doc, arrays, 100)).toBe(expected);
    }
  });

  it('puts an array in a member of a top-level object where JSON.stringify would', () => {
    const many = Array.from({ length: 1500 }, (_, i) => item(i));
    // "sessions" also sits deeper (in report) and at the top: only manifest's is the one.
    const doc = { out: '/b', manifest: { format: 'f', sessions: [], version: 1 }, report: { x: { sessions: [] } }, sessions: [] };
    for (const items of [[], [item(1)], many]) {
      const expected = `${JSON.stringify({ ...doc, manifest: { ...doc.manifest, sessions: items } }, null, 2)}\n`;
      expect(printed(doc, { 'manifest.sessions': items })).toBe(expected);
      expect(printed(doc, { 'manifest.sessions': items }, 100)).toBe(expected);
    }
  });

  it('keeps spilled items in a zotpack-json temp folder, removed once written or closed', () => {
    const dirs = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('zotpack-json-')));
    const before = dirs();
    const written = new SpooledArray(100);
    const closed = new SpooledArray(100);
    // Past one spool piece (1,024 items) and its 100 bytes of memory.
    for (let i = 0; i < 1500; i++) [written, closed].forEach((a) => a.push(item(i)));
    expect([...dirs()].filter((d) => !before.has(d))).toHaveLength(2);
    written.writeTo(new PassThrough());
    closed.close();
    expect([...dirs()].filter((d) => !before.has(d))).toEqual([]);
    expect(written.length).toBe(1500);
  });
});

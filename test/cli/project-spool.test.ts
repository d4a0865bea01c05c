import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ProjectSpool } from '../../src/cli/project-spool.js';

/** The spool's temp folders now in the system temp folder. */
const spoolDirs = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('zotpack-tree-')));

function fill(spool: ProjectSpool): void {
  // Added in key order, as projects finish; read back by cwd.
  spool.add('/srv/b', '1111111111111111', 'b — ünïcode\n'.repeat(50));
  spool.add('/srv/a', '2222222222222222', 'a\n');
  spool.add('', '0000000000000000', 'unknown\n');
  spool.add('/srv/a', '0aaaaaaaaaaaaaaa', 'a, other key\n'.repeat(3000));
}

function written(spool: ProjectSpool): string {
  const chunks: Buffer[] = [];
  spool.writeTo({ write: (c) => chunks.push(Buffer.from(c)) }, (i) => (i > 0 ? '|' : ''));
  return Buffer.concat(chunks).toString('utf8');
}

describe('ProjectSpool', () => {
  it('hands projects back by cwd then key, the same from memory and from its temp file', () => {
    const before = spoolDirs();
    const inMemory = new ProjectSpool();
    fill(inMemory);
    const spilled = new ProjectSpool(100);
    fill(spilled);
    // Past its bound the spool holds its text in a temp file.
    expect([...spoolDirs()].filter((d) => !before.has(d))).toHaveLength(1);
    const expected = ['unknown\n', 'a, other key\n'.repeat(3000), 'a\n', 'b — ünïcode\n'.repeat(50)].join('|');
    expect(written(inMemory)).toBe(expected);
    expect(written(spilled)).toBe(expected);
    // And removes it once written.
    expect([...spoolDirs()].filter((d) => !before.has(d))).toEqual([]);
  });

  it('takes a project as its lines, joined by newlines as UTF-8, and bounds them by their bytes', () => {
    const lines = ['/srv/a  (2222222222222222, 2 sessions)', '├─ ünïcode · ab12cd34', '└─ 😀 \\u202e · ef56ab78', '', ''];
    const before = spoolDirs();
    // The lines are 100 bytes as UTF-8 but 86 UTF-16 units: past a bound of 90 by their bytes, they spill.
    const spool = new ProjectSpool(90);
    spool.addLines('/srv/b', '1111111111111111', []);
    spool.addLines('/srv/a', '2222222222222222', lines);
    expect([...spoolDirs()].filter((d) => !before.has(d))).toHaveLength(1);
    spool.addLines('/srv/c', '3333333333333333', ['one line']);
    expect(written(spool)).toBe([lines.join('\n'), '', 'one line'].join('|'));
  });

  it('removes its temp file when closed without writing', () => {
    const before = spoolDirs();
    const spool = new ProjectSpool(0);
    fill(spool);
    spool.close();
    expect([...spoolDirs()].filter((d) => !before.has(d))).toEqual([]);
  });
});

/**
 * Security regression: a session from a stranger (or a prompt pasted from
 * coloured output) holds escape sequences in its title, first prompt, model
 * and cwd, and a file name holds one too. Text output must not hand them to
 * the terminal (OSC 52 writes the clipboard, CSI 2J clears the screen), nor
 * let a newline split one tree line into two or a tab add a stats column.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jsonOf, linesOf, zotpack } from '../helpers/run-cli.js';
import { cleanupTempDirs, makeTempDir, testId, writeSession } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const CLIPBOARD = '\x1b]52;c;cm0gLXJmIH4=\x07';
const CLEAR = '\x1b[2J';
const CWD = `/home/dev/evil${CLEAR}\tdir`;
const TITLE = `Fix tests${CLIPBOARD}\nsecond line\u202e`;
const PROMPT = `\x9b31mred prompt${CLEAR}`;
const MODEL = `gpt-5\x1b[8m`;

/** Any character a terminal acts on, other than the line ends (and, where columns are tabs, the tabs). */
function unsafe(text: string, tabs = false): string[] {
  return (text.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu) ?? []).filter((c) => !(tabs && c === '\t'));
}

describe('escape sequences from session data are escaped in text output', () => {
  const cwd = makeTempDir();
  const home = makeTempDir();
  const id = testId('terminal-injection');
  const path = writeSession(home, { cwd: CWD, id, title: TITLE, model: MODEL, rows: [{ user: PROMPT }, { assistant: 'ok' }] });
  const second = writeSession(home, { cwd: CWD, rows: [{ user: PROMPT }] });
  // A file of the project that is no session: its error line names the file.
  const badName = join(dirname(path), `bad${CLIPBOARD}.jsonl`);
  writeFileSync(badName, 'not json\n');

  test('tree: one line per session, every escape shown, nothing for the terminal', () => {
    const r = zotpack(['tree'], { cwd, home });
    expect(r.status).toBe(1);
    expect(unsafe(r.stdout)).toEqual([]);
    expect(unsafe(r.stderr)).toEqual([]);
    const lines = linesOf(r.stdout);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('/home/dev/evil\\x1b[2J\\tdir');
    expect(r.stdout).toContain('Fix tests\\x1b]52;c;cm0gLXJmIH4=\\x07\\nsecond line\\u202e');
    expect(r.stdout).toContain('\\x9b31mred prompt\\x1b[2J');
    expect(r.stdout).toContain('gpt-5\\x1b[8m');
    expect(r.stderr).toContain('bad\\x1b]52;c;cm0gLXJmIH4=\\x07.jsonl');
  });

  test('--json keeps every string exact', () => {
    const r = zotpack(['tree', '--json'], { cwd, home });
    const [project] = jsonOf(r).projects;
    expect(project.cwd).toBe(CWD);
    const titles = project.roots.map((n: { summary: { title: string; model: string } }) => n.summary);
    expect(titles).toContainEqual(expect.objectContaining({ title: TITLE, model: MODEL }));
  });

  test('stats: the cwd stays one column', () => {
    const r = zotpack(['stats'], { cwd, home });
    expect(unsafe(r.stdout, true)).toEqual([]);
    const rows = linesOf(r.stdout).map((l) => l.split('\t'));
    expect(rows.map((cols) => cols.length)).toEqual([9, 9, 9]);
    expect(rows[1]![0]).toBe('/home/dev/evil\\x1b[2J\\tdir');
  });

  test('describe and find', () => {
    const d = zotpack(['describe', path], { cwd });
    expect(d.status).toBe(0);
    expect(unsafe(d.stdout)).toEqual([]);
    expect(d.stdout).toContain('second line');
    const f = zotpack(['find', id.slice(0, 8)], { cwd, home });
    expect(f.stdout.trim()).toBe(path.replace(/\x1b/g, '\\x1b').replace(/\t/g, '\\t'));
    const both = zotpack(['describe', second], { cwd });
    expect(unsafe(both.stdout)).toEqual([]);
  });
});

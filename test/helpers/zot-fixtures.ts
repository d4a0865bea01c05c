/**
 * Paths into test/fixtures/zot-written: sessions and exports written by zot's
 * own Go code (see its README.md), and small readers for their rows.
 */
import { cpSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'zot-written');
export const FIXTURE_HOME = join(FIXTURES, 'home');
export const FIXTURE_EXPORTS = join(FIXTURES, 'exports');

export const API_CWD = '/home/dev/src/api';
export const WEB_CWD = '/home/dev/src/web';
export const API_DIR = join(FIXTURE_HOME, 'sessions', 'ea93126eefee3546');
export const WEB_DIR = join(FIXTURE_HOME, 'sessions', '9d9de448cb935a51');

/** The fixture sessions, by the id prefix of their meta (not of their file name). */
export const FX = {
  /** The long session: every block kind, a model switch, a compaction, a rename. File ends in e5aacad9. */
  long: join(API_DIR, '20261125-003305-e5aacad9.jsonl'),
  /** Branch of `long` at 3. */
  branch3: join(API_DIR, '20261125-003306-d98930a4.jsonl'),
  /** Branch of `long` at 1. */
  branch1: join(API_DIR, '20261125-003308-a8cf0992.jsonl'),
  /** Branch of `branch3` at 2. */
  branch3at2: join(API_DIR, '20261125-003309-31bcf161.jsonl'),
  webShort: join(WEB_DIR, '20261125-003309-e0199e0b.jsonl'),
  webImage: join(WEB_DIR, '20261125-003310-c68ca85a.jsonl'),
  /** zot's ExportSession of `long` into a folder. */
  exportLong: join(FIXTURE_EXPORTS, '20261125-003305-d907c305.zotsession'),
  /** zot's ExportSession of `branch3` to a named file. */
  exportBranch: join(FIXTURE_EXPORTS, 'branch.zotsession'),
} as const;

export const IDS = {
  long: 'd907c305-0696-460b-b2c6-d0c3ee4cbca6',
  branch3: 'd98930a4-007a-4298-bb78-c0a9ed4d372f',
  branch1: 'a8cf0992-d041-42bb-bbe2-aa17f398d202',
  branch3at2: '31bcf161-561d-4ba0-933a-512001352ebf',
  webShort: '9b2d9b69-8d08-40b5-b5f1-f6e899f87db8',
  webImage: 'f689feeb-772d-4e23-a118-74a3713829c1',
} as const;

export const ALL_FIXTURE_SESSIONS = [FX.long, FX.branch3, FX.branch1, FX.branch3at2, FX.webShort, FX.webImage];

/** The rows of a file as strings (split on \n, the empty tail dropped). */
export function rowsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const rows = text.split('\n');
  if (rows[rows.length - 1] === '') rows.pop();
  return rows;
}

/** Everything after the first row, as bytes. */
export function bodyOf(path: string): Buffer {
  const b = readFileSync(path);
  return b.subarray(b.indexOf(0x0a) + 1);
}

/** The first row, as a string. */
export function headerOf(path: string): string {
  const b = readFileSync(path);
  return b.subarray(0, b.indexOf(0x0a)).toString('utf8');
}

/** A writable copy of the fixture home (tests must never write into the fixtures). */
export function copyFixtureHome(to: string): string {
  cpSync(FIXTURE_HOME, to, { recursive: true });
  return to;
}

import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSourceTail, SOURCE_TAIL_BYTES, TailWindow } from '../../src/session/source-tail.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('the fingerprint of where a session ended', () => {
  const bytes = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 251));
  const file = join(makeTempDir(), 'session.jsonl');
  writeFileSync(file, bytes);

  it('is the sha256 of the last 4 KiB before the end, in whatever chunks the bytes come', () => {
    for (const end of [0, 1, 100, SOURCE_TAIL_BYTES, SOURCE_TAIL_BYTES + 1, 12_345, 20_000]) {
      const expected = sha(bytes.subarray(Math.max(0, end - SOURCE_TAIL_BYTES), end));
      for (const chunk of [1, 7, 4096, 5000, 65_536]) {
        const w = new TailWindow(end);
        for (let at = 0; at < bytes.length; at += chunk) w.update(bytes.subarray(at, at + chunk));
        expect(w.digest()).toBe(expected);
      }
      expect(readSourceTail(file, end)).toBe(expected);
    }
  });

  it('is undefined when fewer bytes than the end came, or the file is shorter now', () => {
    const w = new TailWindow(30_000);
    w.update(bytes);
    expect(w.digest()).toBeUndefined();
    expect(readSourceTail(file, 20_001)).toBeUndefined();
  });
});

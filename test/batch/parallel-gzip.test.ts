import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parallelGzip } from '../../src/batch/parallel-gzip.js';
import { cleanupTempDirs, imageData, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('parallelGzip', () => {
  it('writes members in order that gunzip and gzip -d read as one stream', async () => {
    const data = Buffer.from(`${imageData(300_000)}\n${'the same text again\n'.repeat(20_000)}`);
    const parts: Buffer[] = [];
    for await (const m of parallelGzip(chunks(data, 7_777), { level: 1, blockSize: 64 << 10, parallel: 3 })) parts.push(m);
    expect(parts.length).toBeGreaterThan(5);
    const gz = Buffer.concat(parts);
    expect(gunzipSync(gz).equals(data)).toBe(true);
    const file = join(makeTempDir(), 'x.gz');
    writeFileSync(file, gz);
    expect(execFileSync('gzip', ['-dc', file]).equals(data)).toBe(true);
  });

  it('passes an error of the source on', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(100_000, 1);
      throw new Error('source broke');
    }
    const drain = async () => {
      for await (const _ of parallelGzip(failing(), { level: 1, blockSize: 1000 })) void _;
    };
    await expect(drain()).rejects.toThrow('source broke');
  });
});

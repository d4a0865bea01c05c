import { existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ZotpackError } from '../../src/errors.js';
import { AtomicFile, TEMP_MARK } from '../../src/session/atomic-file.js';
import { removeTempFilesOf } from '../../src/batch/temp-files.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

describe('AtomicFile', () => {
  test('truncate cuts the file back, and writes go on from there with no gap', () => {
    const target = join(makeTempDir(), 'cut.jsonl');
    const f = AtomicFile.create(target, { durable: false });
    f.write(Buffer.from('keep\n'));
    f.writev([Buffer.from('drop '), Buffer.from('this\n')]);
    f.truncate(5);
    expect(f.bytesWritten).toBe(5);
    f.writev([Buffer.from('then'), Buffer.from(' this\n')]);
    f.write(Buffer.from('end\n'));
    f.commit();
    expect(readFileSync(target, 'utf8')).toBe('keep\nthen this\nend\n');
  });

  test('writes to a marked temp file beside the target and publishes it whole', () => {
    const dir = makeTempDir();
    const target = join(dir, 'out.jsonl');
    const f = AtomicFile.create(target, { durable: false });
    expect(dirname(f.tempPath)).toBe(dir);
    expect(basename(f.tempPath)).toContain(TEMP_MARK);
    expect(f.tempPath.endsWith('.jsonl')).toBe(false);
    f.write(Buffer.from('one\n'));
    f.writev([Buffer.from('two'), Buffer.from('\n'), Buffer.from('three\n')]);
    expect(existsSync(target)).toBe(false);
    f.commit();
    expect(readFileSync(target, 'utf8')).toBe('one\ntwo\nthree\n');
    expect(f.bytesWritten).toBe(14);
    expect(readdirSync(dir)).toEqual(['out.jsonl']);
    expect(statSync(target).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  test('a target name of up to 255 bytes (a file system allows them) gets a temp name that fits too, found as its own by removeTempFilesOf', () => {
    const dir = makeTempDir();
    for (const n of [200, 201, 240, 255]) {
      const name = `${'n'.repeat(n - 6)}.jsonl`;
      const f = AtomicFile.create(join(dir, name), { durable: false });
      expect(Buffer.byteLength(basename(f.tempPath))).toBeLessThanOrEqual(255);
      f.write(Buffer.from('x\n'));
      f.finish();
      expect(removeTempFilesOf(join(dir, name))).toBe(1);
      const g = AtomicFile.create(join(dir, name), { durable: false });
      g.write(Buffer.from('x\n'));
      g.commit();
      expect(readFileSync(join(dir, name), 'utf8')).toBe('x\n');
    }
  });

  test('writev of more slices than IOV_MAX', () => {
    const dir = makeTempDir();
    const f = AtomicFile.create(join(dir, 'many'), { durable: false });
    const parts = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i},`));
    f.writev(parts);
    f.commit();
    expect(readFileSync(join(dir, 'many'), 'utf8')).toBe(Buffer.concat(parts).toString());
  });

  test('creates missing folders', () => {
    const dir = makeTempDir();
    const target = join(dir, 'a', 'b', 'out');
    const f = AtomicFile.create(target, { durable: true });
    f.write(Buffer.from('x'));
    f.commit();
    expect(readFileSync(target, 'utf8')).toBe('x');
  });

  test('never overwrites: E_EXISTS at commit, the target untouched, the temp file gone', () => {
    const dir = makeTempDir();
    const target = join(dir, 'taken');
    writeFileSync(target, 'precious');
    const f = AtomicFile.create(target, { durable: false });
    f.write(Buffer.from('new'));
    let err: unknown;
    try {
      f.commit();
    } catch (e) {
      err = e;
    }
    expect((err as ZotpackError).code).toBe('E_EXISTS');
    expect((err as ZotpackError).path).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(readdirSync(dir)).toEqual(['taken']);
  });

  test('never writes through a symlink at the target', () => {
    const dir = makeTempDir();
    const outside = join(makeTempDir(), 'outside');
    writeFileSync(outside, 'outside');
    const target = join(dir, 'link');
    symlinkSync(outside, target);
    const f = AtomicFile.create(target, { durable: false });
    f.write(Buffer.from('new'));
    expect(() => f.commit()).toThrow(ZotpackError);
    expect(readFileSync(outside, 'utf8')).toBe('outside');
    expect(lstatSync(target).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir)).toEqual(['link']);
  });

  test('overwrite: true replaces the target', () => {
    const dir = makeTempDir();
    const target = join(dir, 'manifest.json');
    writeFileSync(target, 'old');
    const f = AtomicFile.create(target, { durable: false, overwrite: true });
    f.write(Buffer.from('new'));
    f.commit();
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['manifest.json']);
  });

  test('abort drops the temp file and can be called twice', () => {
    const dir = makeTempDir();
    const f = AtomicFile.create(join(dir, 'x'), { durable: false });
    f.write(Buffer.from('partial'));
    f.abort();
    f.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  test('retargeting stays in the same folder', () => {
    const dir = makeTempDir();
    const f = AtomicFile.create(join(dir, 'pending'), { durable: false });
    f.target = join(dir, 'final');
    expect(() => {
      f.target = join(dir, 'sub', 'final');
    }).toThrow();
    f.commit();
    expect(readdirSync(dir)).toEqual(['final']);
  });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HeldOutcomes } from '../../src/batch/held-outcomes.js';
import { Publisher } from '../../src/batch/publisher.js';
import type { UnpackedSession } from '../../src/batch/unpack-result.js';
import { AtomicFile } from '../../src/session/atomic-file.js';
import { cleanupTempDirs, makeTempDir } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

function outcome(entry: string, status: UnpackedSession['status'], path: string): UnpackedSession {
  return { entry, sourceId: entry, id: entry, fromCwd: '/a', cwd: '/a', key: 'k', status, path };
}

/** A new session file written and waiting in `publisher`, as a NewSink leaves it. */
function waiting(publisher: Publisher, target: string, text: string): void {
  const f = AtomicFile.create(target, { durable: false });
  f.write(Buffer.from(text));
  publisher.add(f.finish(), text.length);
}

describe('HeldOutcomes', () => {
  it('holds every outcome behind a file waiting to be published, then hands them on in order; a file that cannot be published fails its session', () => {
    const dir = makeTempDir();
    const publisher = new Publisher();
    const got: string[] = [];
    const held = new HeldOutcomes(publisher, (s, size) => got.push(`${s.entry} ${s.status} ${size}`));
    held.add(outcome('a', 'present', join(dir, 'a')), 1);
    expect(got).toEqual(['a present 1']);
    waiting(publisher, join(dir, 'b'), 'B\n');
    held.add(outcome('b', 'new', join(dir, 'b')), 2);
    held.add(outcome('c', 'present', join(dir, 'c')), 3);
    // A file appeared at d's name meanwhile: publishing d fails, as E_EXISTS.
    waiting(publisher, join(dir, 'd'), 'D\n');
    writeFileSync(join(dir, 'd'), 'someone else');
    held.add(outcome('d', 'new', join(dir, 'd')), 4);
    expect(got).toEqual(['a present 1']);
    held.settle();
    expect(got).toEqual(['a present 1', 'b new 2', 'c present 3', 'd failed 4']);
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('B\n');
    expect(readFileSync(join(dir, 'd'), 'utf8')).toBe('someone else');
  });

  it('publishes early rather than hold more than 8,192 outcomes', () => {
    const dir = makeTempDir();
    const publisher = new Publisher();
    let delivered = 0;
    const held = new HeldOutcomes(publisher, () => delivered++);
    waiting(publisher, join(dir, 'first'), 'x\n');
    held.add(outcome('first', 'new', join(dir, 'first')), 2);
    for (let i = 0; i < 8190; i++) held.add(outcome(`p${i}`, 'present', join(dir, `p${i}`)), 1);
    expect([delivered, existsSync(join(dir, 'first'))]).toEqual([0, false]);
    held.add(outcome('last', 'present', join(dir, 'last')), 1);
    expect([delivered, existsSync(join(dir, 'first'))]).toEqual([8192, true]);
  });

  it('without a publisher hands each on at once', () => {
    const got: string[] = [];
    const held = new HeldOutcomes(undefined, (s) => got.push(s.entry));
    held.add(outcome('a', 'new', '/nowhere/a'), 1);
    expect(got).toEqual(['a']);
  });
});

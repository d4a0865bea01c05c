import { describe, expect, it } from 'vitest';
import { classifyEntry, sessionEntryPath } from '../../src/batch/bundle-entry.js';
import { expectCode } from '../helpers/expect-code.js';

const KEY = 'ea93126eefee3546';

describe('bundle entries', () => {
  it('accept the manifest, session files and the layout folders', () => {
    expect(classifyEntry('manifest.json', 'file')).toBe('manifest');
    expect(classifyEntry(`sessions/${KEY}/20261125-003305-e5aacad9.jsonl`, 'file')).toBe('session');
    expect(classifyEntry('sessions/', 'directory')).toBe('folder');
    expect(classifyEntry(`sessions/${KEY}/`, 'directory')).toBe('folder');
    expect(sessionEntryPath(`sessions/${KEY}/a b ü.jsonl`)).toEqual({ key: KEY, file: 'a b ü.jsonl' });
  });

  it('refuse path traversal, absolute paths and names outside the layout', () => {
    for (const name of [
      `sessions/${KEY}/../../../etc/evil.jsonl`,
      '../evil.jsonl',
      `sessions/${KEY}/..`,
      '/etc/passwd',
      `/sessions/${KEY}/x.jsonl`,
      'C:\\Windows\\x.jsonl',
      `sessions/${KEY}/sub/x.jsonl`,
      'sessions/not-a-key/x.jsonl',
      `sessions/${KEY}/.hidden.jsonl`,
      `sessions/${KEY}/x.txt`,
      `sessions/${KEY}/a\\b.jsonl`,
      `sessions/${KEY}/a\u0000b.jsonl`,
      `sessions/${KEY}/${'n'.repeat(300)}.jsonl`,
      'other.json',
    ]) {
      expectCode(() => classifyEntry(name, 'file'), 'E_UNSAFE_PATH');
    }
  });

  it('refuse links, devices, FIFOs and folders outside the layout, naming what they are', () => {
    const name = `sessions/${KEY}/x.jsonl`;
    expect(expectCode(() => classifyEntry(name, 'symlink', '/etc/passwd'), 'E_UNSAFE_PATH').message).toMatch(/symbolic link \(to \/etc\/passwd\)/);
    expect(expectCode(() => classifyEntry(name, 'link', 'manifest.json'), 'E_UNSAFE_PATH').message).toMatch(/hard link/);
    expectCode(() => classifyEntry(name, 'character-device'), 'E_UNSAFE_PATH');
    expectCode(() => classifyEntry(name, 'block-device'), 'E_UNSAFE_PATH');
    expectCode(() => classifyEntry(name, 'fifo'), 'E_UNSAFE_PATH');
    expectCode(() => classifyEntry('etc/', 'directory'), 'E_UNSAFE_PATH');
    expectCode(() => classifyEntry(name, 'contiguous-file'), 'E_UNSAFE_PATH');
  });
});

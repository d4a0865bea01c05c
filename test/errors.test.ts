import { describe, expect, test } from 'vitest';
import { fromFsError } from '../src/errors.js';

const fsError = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

describe('fromFsError', () => {
  test('a permission error is E_UNREADABLE for what is read, E_WRITE for what is written (a read-only --out is not an unreadable source)', () => {
    for (const code of ['EACCES', 'EPERM']) {
      expect(fromFsError(fsError(code), '/src/a.jsonl', 'cannot open')).toMatchObject({ code: 'E_UNREADABLE', path: '/src/a.jsonl', reason: 'cannot open: permission denied' });
      expect(fromFsError(fsError(code), '/out/x', 'cannot write', true)).toMatchObject({ code: 'E_WRITE', path: '/out/x', reason: 'cannot write: permission denied' });
    }
    expect(fromFsError(fsError('EROFS'), '/out/x', 'cannot write', true)).toMatchObject({ code: 'E_WRITE', reason: 'cannot write: read-only file system' });
    expect(fromFsError(fsError('ENOSPC'), '/out/x', 'cannot write', true)).toMatchObject({ code: 'E_WRITE', reason: 'cannot write: ENOSPC: failed' });
    // A read that fails otherwise (an I/O error, a pipe) is the source's problem, never E_WRITE.
    expect(fromFsError(fsError('EIO'), '/src/a.jsonl', 'cannot read')).toMatchObject({ code: 'E_UNREADABLE', reason: 'cannot read: EIO: failed' });
    expect(fromFsError(fsError('ESPIPE'), '/src/fifo', 'cannot read')).toMatchObject({ code: 'E_UNREADABLE', reason: 'cannot read: not a regular file (a pipe or device)' });
  });
});

import { describe, expect, it } from 'vitest';
import { derivedId, renamedFor } from '../../src/format/derived-id.js';

describe('derived ids', () => {
  it('are UUID-v4-shaped, the same for the same input, different per purpose and id', () => {
    const a = derivedId('fresh', 'e5aacad9-0000-4000-8000-000000000000');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedId('fresh', 'e5aacad9-0000-4000-8000-000000000000')).toBe(a);
    expect(derivedId('copy', 'e5aacad9-0000-4000-8000-000000000000')).not.toBe(a);
    expect(derivedId('fresh', 'e5aacad9-0000-4000-8000-000000000001')).not.toBe(a);
  });

  it('rename a session file for a new id, keeping its time', () => {
    expect(renamedFor('20261125-003305-e5aacad9.jsonl', 'abcdef12-3456')).toBe('20261125-003305-abcdef12.jsonl');
    expect(renamedFor('odd name.jsonl', 'abcdef12-3456')).toBe('odd name-abcdef12.jsonl');
  });
});

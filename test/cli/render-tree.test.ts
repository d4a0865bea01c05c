/** One line per session: counts read as English, one message or many. */
import { describe, expect, it } from 'vitest';
import { renderTree } from '../../src/cli/render-tree.js';
import type { TreeNode } from '../../src/session/session-tree.js';

function node(id: string, messages: number, children: TreeNode[] = []): TreeNode {
  return {
    path: `/h/sessions/k/${id}.jsonl`,
    id,
    parent: '',
    forkPoint: 0,
    cwd: '/p',
    hidden: false,
    summary: { started: '2026-11-25T00:33:05Z', model: 'gpt-5', provider: 'openai', title: `title ${id}`, messages, firstUserText: '', cost: 0 },
    counts: { rows: 1, bytes: 1, byType: {}, invalid: 0, undecodable: 0, largestRow: 1 },
    warnings: [],
    orphan: false,
    duplicate: false,
    cycle: false,
    children,
  } as unknown as TreeNode;
}

describe('renderTree', () => {
  it('says 1 msg, and 2 msgs', () => {
    const lines = renderTree([node('aaaaaaaa1', 1, [node('bbbbbbbb2', 2)])]);
    expect(lines[0]).toContain(' · 1 msg · ');
    expect(lines[1]).toContain(' · 2 msgs · ');
  });

  it('marks an export a backup keeps for a session deleted at its source', () => {
    const kept = { ...node('aaaaaaaa1', 1), sourceDeleted: true } as TreeNode;
    expect(renderTree([kept, node('bbbbbbbb2', 2)]).map((l) => l.endsWith(' [deleted at the source]'))).toEqual([true, false]);
  });
});

/**
 * The bench's interleaved rounds: a variant limited to fewer rounds (a slow
 * naive baseline in quick mode) runs only those, the others every round.
 */
import { describe, expect, it } from 'vitest';
import { measureInterleaved, nextRoundSeconds, onceWhenQuick, type Variant } from '../../bench/measure.js';

describe('measureInterleaved', () => {
  it('runs a variant with `rounds` only that many times, the rest every round, each round in order', async () => {
    const order: string[] = [];
    const variant = (name: string, extra: Partial<Variant> = {}): Variant => ({
      name,
      kind: 'zotpack',
      argv: () => {
        order.push(name);
        return ['true'];
      },
      ...extra,
    });
    const variants = [variant('every'), variant('once', onceWhenQuick(true)), variant('twice', { rounds: 2 }), variant('full', onceWhenQuick(false))];
    const { measurements, rounds } = await measureInterleaved('test', variants, 3);
    expect(rounds).toBe(3);
    expect(order).toEqual(['every', 'once', 'twice', 'full', 'every', 'twice', 'full', 'every', 'full']);
    const runs = (name: string) => measurements.get(name)!.seconds.length;
    expect([runs('every'), runs('once'), runs('twice'), runs('full')]).toEqual([3, 1, 2, 3]);
    for (const m of measurements.values()) expect(m.best).not.toBeNull();
  });

  it("sizes the next round for the time box by the variants that run in it, not by the last round's whole time", () => {
    const v = (name: string, rounds?: number): Variant => ({ name, kind: 'zotpack', argv: ['true'], ...(rounds === undefined ? {} : { rounds }) });
    const naive = v('naive', 1);
    const tree = v('tree');
    const jobs1 = v('jobs1', 2);
    const took = new Map([
      [naive, 50],
      [tree, 1],
      [jobs1, 2],
    ]);
    expect(nextRoundSeconds([naive, tree, jobs1], took, 2)).toBe(3);
    expect(nextRoundSeconds([naive, tree, jobs1], took, 3)).toBe(1);
    // A variant not run yet counts nothing.
    expect(nextRoundSeconds([naive, tree, jobs1, v('new')], took, 2)).toBe(3);
  });
});

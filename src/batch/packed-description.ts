/**
 * A session's description as it crosses from a worker to the coordinator:
 * its values in a fixed order, without the keys.
 *
 * Structured cloning writes every key of every object with its value, and
 * reading them back looks each one up in V8's string table: a description
 * has 23. As a list of values, 512 small sessions' descriptions clone in
 * 1.2 µs each instead of 5.2, and are read back in 1.7 µs instead of 3.9
 * (a tree of 100,000 sessions: some 0.7 CPU-seconds of 9.4). The
 * coordinator rebuilds each as an object of its own anyway (unpackDescription).
 */
import type { Warning } from '../errors.js';
import type { SessionDescription } from '../session/describe-session.js';

export type PackedDescription = [
  id: string,
  parent: string,
  forkPoint: number,
  cwd: string,
  hidden: boolean,
  started: string | undefined,
  model: string,
  provider: string,
  title: string,
  messages: number,
  firstUserText: string,
  cost: number,
  rows: number,
  bytes: number,
  /** 0 for none (a tree's threads send none). */
  byType: Record<string, number> | 0,
  invalid: number,
  undecodable: number,
  largestRow: number,
  extraMetas: number,
  /** 0 for none: most sessions have nothing to say. */
  warnings: Warning[] | 0,
  sha256: string | undefined,
];

// Shared by every session with nothing to say; never written to.
export const NO_COUNTS: Record<string, number> = Object.freeze({}) as Record<string, number>;
export const NO_WARNINGS = Object.freeze([]) as unknown as Warning[];

export function packDescription(d: SessionDescription): PackedDescription {
  const { summary: m, counts: c } = d;
  return [
    d.id,
    d.parent,
    d.forkPoint,
    d.cwd,
    d.hidden,
    m.started,
    m.model,
    m.provider,
    m.title,
    m.messages,
    m.firstUserText,
    m.cost,
    c.rows,
    c.bytes,
    Object.keys(c.byType).length > 0 ? c.byType : 0,
    c.invalid,
    c.undecodable,
    c.largestRow,
    d.extraMetas,
    d.warnings.length > 0 ? d.warnings : 0,
    d.sha256,
  ];
}

/**
 * The description of the file at `path`, as object literals: kept (100,000
 * of them in a big tree) at about half the memory of cloned objects, which
 * keep their fields in a separate property array. `intern` shares the
 * strings many sessions repeat (cwd, model, provider).
 */
export function unpackDescription(p: PackedDescription, path: string, intern: (s: string) => string = (s) => s): SessionDescription {
  const d: SessionDescription = {
    path,
    id: p[0],
    parent: p[1],
    forkPoint: p[2],
    cwd: intern(p[3]),
    hidden: p[4],
    summary: {
      started: p[5],
      model: intern(p[6]),
      provider: intern(p[7]),
      title: p[8],
      messages: p[9],
      firstUserText: p[10],
      cost: p[11],
    },
    counts: {
      rows: p[12],
      bytes: p[13],
      byType: p[14] === 0 ? NO_COUNTS : p[14],
      invalid: p[15],
      undecodable: p[16],
      largestRow: p[17],
    },
    extraMetas: p[18],
    warnings: p[19] === 0 ? NO_WARNINGS : p[19],
  };
  if (p[20] !== undefined) d.sha256 = p[20];
  return d;
}

/**
 * `to.push(...items)` for lists of any length: a spread passes every item
 * as an argument, and past about 150,000 of them (a bundle cut short early
 * fails that many sessions; a project can hold that many orphans) V8 throws
 * "Maximum call stack size exceeded".
 */
export function appendAll<T>(to: T[], items: Iterable<T>): T[] {
  for (const x of items) to.push(x);
  return to;
}

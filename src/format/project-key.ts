/**
 * A project's folder under `<home>/sessions/`: the first 8 bytes of
 * sha256(cwd) as 16 lower-case hex characters. The cwd itself is recorded
 * only inside the session files.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export function projectKey(cwd: string): string {
  return createHash('sha256').update(cwd, 'utf8').digest('hex').slice(0, 16);
}

/** True for a string shaped like a project key. */
export function isProjectKey(s: string): boolean {
  return /^[0-9a-f]{16}$/.test(s);
}

/** `<home>/sessions` */
export function sessionsRoot(home: string): string {
  return join(home, 'sessions');
}

/** `<home>/sessions/<key of cwd>` */
export function sessionsDir(home: string, cwd: string): string {
  return join(home, 'sessions', projectKey(cwd));
}

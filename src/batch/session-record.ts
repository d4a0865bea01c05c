/**
 * What every zotpack manifest says of a session: which project it belongs
 * to and where it sits in its branch tree.
 */
export interface SessionRecord {
  /** The project's cwd on the machine the session came from. */
  cwd: string;
  /** The project folder it came from (16 hex). */
  key: string;
  id: string;
  parent: string;
  forkPoint: number;
  /** RFC 3339 as written; '' when absent. */
  started: string;
  /** The title zot shows (last meta row or rename). */
  title: string;
}

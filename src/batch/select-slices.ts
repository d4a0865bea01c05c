/**
 * The sessions of a run, a few whole projects at a time. A slice holds every
 * session of each of its projects (a tree needs all of them at once) and
 * stops growing at a bound, so the coordinator's memory follows the largest
 * project, not the archive: 300,000 sessions cost what 20,000 do.
 *
 * Sessions outside project folders (single files given as sources, folders
 * not named by a project key) come first, in a slice of their own: their
 * project is known only from their meta row, so a caller keeps what it
 * learned of them until their project's slice comes.
 */
import { resolve, sep } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import type { Warning } from '../errors.js';
import type { Progress, ResolvedBatchOptions } from './batch-options.js';
import type { ReportBuilder } from './batch-report.js';
import { byPath, countFolder, findFolders, folderEntries, holdsSessions, sourceRoot, type FolderDiscovery, type SessionEntry, type SessionExt, type SessionFolder } from './discover.js';
import { describeMetaFilter, needsMeta, projectKeyOf, projectKeys } from './filters.js';
import { isFolder } from '../session/stat-quietly.js';
import type { JobError } from './protocol.js';
import { filterByMeta, type Selected } from './select-sessions.js';

export interface Slice {
  /** Sorted by project key, then path; '' (outside project folders) only in the first slice. */
  sessions: Selected[];
  /** True for the slice of sessions outside project folders. */
  keyless: boolean;
  /** Folder problems found while listing this slice. */
  warnings: Warning[];
  /** Files whose meta row could not be read while filtering. */
  errors: JobError[];
  /** The files of this slice counted up front (see SliceSource.filesTotal), selected or not. */
  counted: number;
}

export interface SliceLimits {
  /** A slice takes no more projects once it holds this many sessions. Default 16,384. */
  maxFiles?: number;
  /**
   * The first slice's maxFiles (when lower): a caller that keeps its threads
   * at work on one slice while it lists the next has them start sooner.
   */
  firstMaxFiles?: number;
}

/** Files listed between two looks at the event loop: some 3 ms of lstat. */
const LIST_STEP = 256;

/** Sessions a slice holds before it is handed on: about 8 MB of coordinator memory for tree or export. */
const DEFAULT_SLICE_FILES = 16_384;

interface Group {
  key: string;
  folders: SessionFolder[];
  files: SessionEntry[];
  counted: number;
}

export class SliceSource {
  private readonly discovery: FolderDiscovery;
  private readonly groups: Group[];
  /** Session files found (before the time and id filters): a progress bar's total. */
  readonly filesTotal: number;
  private warned = 0;
  /** Sessions that passed the filters so far. */
  private selected = 0;

  constructor(
    private readonly options: ResolvedBatchOptions,
    ext: SessionExt = '.jsonl',
    private readonly limits: SliceLimits = {},
    /** Say so (W_NO_SESSIONS) when the folders given hold no session file: a wrong --home or --from, not an empty result. */
    warnEmpty = false,
  ) {
    const keys = projectKeys(options.filter);
    // A project filter is decided by folder name, before any folder is listed.
    const wanted = (key: string) => key === '' || !keys || keys.has(key);
    const d = (this.discovery = findFolders(options.sources, ext, wanted));
    const groups = new Map<string, Group>();
    const groupOf = (key: string) => {
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { key, folders: [], files: [], counted: 0 }));
      return g;
    };
    for (const f of d.folders) groupOf(f.key).folders.push(f);
    for (const f of d.files) groupOf(f.folderKey).files.push(f);
    this.groups = [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let total = 0;
    // Session files by the source (its real path) each folder was found in.
    const bySource = new Map<string, number>();
    for (const g of this.groups) {
      g.counted = g.files.length;
      for (const f of g.folders) {
        const n = countFolder(d, f);
        g.counted += n;
        bySource.set(f.root, (bySource.get(f.root) ?? 0) + n);
      }
      total += g.counted;
    }
    this.filesTotal = total;
    if (warnEmpty && !keys) {
      // (A folder given as .zotsession source is import's: a zot home there is the likely mistake.)
      const message = d.exts.includes('.jsonl')
        ? 'no session files here (zot keeps them in <zot home>/sessions/<project key>/)'
        : `no ${d.exts.join(' or ')} files here to import (zot keeps its sessions as .jsonl: move a whole home with pack and unpack)`;
      for (const source of options.sources) {
        const path = resolve(source);
        if (!isFolder(path) || (bySource.get(sourceRoot(source)) ?? 0) > 0 || holdsSessions(d, source)) continue;
        // A folder of it that could not be listed is reported (an error) and may hold some.
        if (d.errors.some((e) => e.path !== undefined && (e.path === path || e.path.startsWith(`${path}${sep}`)))) continue;
        d.warnings.push({ code: 'W_NO_SESSIONS', message, path });
      }
    }
    // A project named that no folder holds (and no session outside one could be): a typo, said, not an empty result.
    if (keys && (groups.get('')?.counted ?? 0) === 0) {
      for (const p of options.filter.projects ?? []) {
        const key = projectKeyOf(p);
        if (!groups.has(key)) d.warnings.push({ code: 'W_NO_SESSIONS', message: `--project ${p}: no project of the sources has its key (${key})` });
      }
    }
  }

  /** Warnings found since the last call. */
  private newWarnings(): Warning[] {
    const w = this.discovery.warnings.slice(this.warned);
    this.warned = this.discovery.warnings.length;
    return w;
  }

  private async list(g: Group): Promise<SessionEntry[]> {
    const entries = [...g.files];
    let n = 0;
    for (const f of g.folders) {
      for (const e of folderEntries(this.discovery, f)) {
        entries.push(e);
        // A caller may have the slice before this one at work on the threads
        // meanwhile (tree and stats do, see describe-archive.ts): their next
        // jobs wait for this thread to hand them out, so it does not stat a
        // whole folder at once.
        if (++n % LIST_STEP === 0) await setImmediate();
      }
    }
    // One project gathered from several sources: in path order, as a single listing would be.
    return g.folders.length + (g.files.length > 0 ? 1 : 0) > 1 ? entries.sort(byPath) : entries;
  }

  /** The time, id and (outside project folders) project filters, which need each file's meta row. */
  private async filter(entries: SessionEntry[], keyless: boolean, counted: number): Promise<Slice> {
    const { options } = this;
    const keys = projectKeys(options.filter);
    // Sources that are not there go with the first slice.
    const errors: JobError[] = this.discovery.errors.splice(0);
    let sessions: Selected[] = entries;
    if (needsMeta(options.filter) || (keys && keyless)) sessions = await filterByMeta(options, entries, errors);
    this.selected += sessions.length;
    return { sessions, keyless, warnings: this.newWarnings(), errors, counted };
  }

  /**
   * The slices until the run is stopped (after Ctrl-C the projects not
   * reached are not listed either), each one's folder warnings and
   * unreadable files put in `report` first.
   */
  async *reported(report: ReportBuilder): AsyncGenerator<Slice, void> {
    for await (const slice of this.slices()) {
      if (this.options.signal?.aborted) return;
      report.warn(slice.warnings);
      for (const e of slice.errors) report.fail(e);
      yield slice;
    }
  }

  async *slices(): AsyncGenerator<Slice, void> {
    const { maxFiles = DEFAULT_SLICE_FILES, firstMaxFiles = maxFiles } = this.limits;
    let max = Math.min(firstMaxFiles, maxFiles);
    let current: SessionEntry[] = [];
    let counted = 0;
    // The slice gathered so far, handed on; the next starts empty.
    const take = (): Promise<Slice> => {
      const slice = this.filter(current, false, counted);
      current = [];
      counted = 0;
      max = maxFiles;
      return slice;
    };
    for (const g of this.groups) {
      const entries = await this.list(g);
      if (g.key === '') {
        if (entries.length > 0 || g.counted > 0) yield await this.filter(entries, true, g.counted);
        continue;
      }
      // A project that would take the slice past its bound starts the next
      // slice: a slice is over the bound only when one project alone is.
      if (current.length > 0 && current.length + entries.length > max) yield await take();
      for (const e of entries) current.push(e);
      counted += g.counted;
      if (current.length >= max) yield await take();
    }
    // The last slice, possibly empty: it also carries the last warnings.
    const last = await take();
    if (this.selected === 0 && this.filesTotal > 0 && needsMeta(this.options.filter) && !this.options.signal?.aborted) {
      last.warnings.push({ code: 'W_NO_SESSIONS', message: `no session of the ${this.filesTotal} found matches ${describeMetaFilter(this.options.filter)}` });
    }
    yield last;
  }
}

/** The runs of one key in a list sorted by key (a slice's projects): key, first index, index past the last. */
export function* keyRuns<T>(sorted: readonly T[], keyOf: (item: T) => string): Generator<[key: string, start: number, end: number]> {
  for (let start = 0, i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && keyOf(sorted[i]!) === keyOf(sorted[start]!)) continue;
    yield [keyOf(sorted[start]!), start, i];
    start = i;
  }
}

/** Progress over every slice of a run, as one bar: files counted up front, bytes as slices are listed. */
export class SliceProgress {
  private readonly p: Progress;

  constructor(
    private readonly report: ((p: Progress) => void) | undefined,
    filesTotal: number,
  ) {
    this.p = { filesDone: 0, filesTotal, bytesDone: 0, bytesTotal: 0, errors: 0 };
    report?.({ ...this.p });
  }

  /**
   * The onProgress for a run over `files` (whose own progress starts from
   * zero); `notToDo` files counted up front leave the total (not selected,
   * unreadable, or with nothing to do).
   */
  forRun(files: ReadonlyArray<{ size: number }>, notToDo: number): ((p: Progress) => void) | undefined {
    const report = this.report;
    if (!report) return undefined;
    const p = this.p;
    p.filesTotal -= notToDo;
    for (const f of files) p.bytesTotal += f.size;
    report({ ...p });
    // By differences, so that two runs may overlap (the next slice starts before the last one ends).
    let last = { filesDone: 0, bytesDone: 0, errors: 0 };
    return (q) => {
      p.filesDone += q.filesDone - last.filesDone;
      p.bytesDone += q.bytesDone - last.bytesDone;
      p.errors += q.errors - last.errors;
      last = q;
      report({ ...p });
    };
  }
}

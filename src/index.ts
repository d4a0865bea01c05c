// zotpack's public API: re-exports only.
export { ZotpackError, type ZotpackErrorCode, type Warning, type WarningCode } from './errors.js';
export { zotHome, type ZotHomeEnv } from './format/zot-home.js';
export { projectKey, sessionsDir, sessionsRoot, isProjectKey } from './format/project-key.js';
export { sessionFileName, exportFileName, isSessionFileName, SESSION_EXT, PORTABLE_EXT } from './format/session-names.js';
export { slugify } from './format/slugify.js';
export { goString, goTime } from './format/go-json.js';
export type { SessionMeta, ExportOrigin, MetaObject } from './format/session-meta.js';
export { readRows, splitRows, type Row, type RowReaderOptions } from './jsonl/row-reader.js';
export { readRowHead, type RowHead } from './jsonl/row-type.js';
export { isValidJson } from './jsonl/json-scan.js';
export type { Member, ScannedObject } from './jsonl/object-members.js';
export { exportSession, type ExportOptions, type ExportResult } from './session/export-session.js';
export { importSession, type ImportOptions, type ImportResult } from './session/import-session.js';
export { branchSession, type BranchOptions, type BranchResult } from './session/branch-session.js';
export { describeSession, type DescribeOptions, type SessionDescription } from './session/describe-session.js';
export { projectTree, linkTree, type ProjectTree, type TreeNode } from './session/session-tree.js';
export { findSessions, listSessionFiles, type FindResult, type FoundSession } from './session/find-session.js';
export { readFirstMeta } from './session/first-meta.js';
export type { SessionSummary, RowCounts } from './session/session-scan.js';
export type { CopyOptions, DroppedRows } from './session/copy-session.js';
// With `defer`, an export's file is left finished under a temp name (`pending`): publishFile puts it in place.
export { publishFile, type PendingFile } from './session/atomic-file.js';
export { exportArchive, type ExportArchiveOptions, type ExportArchiveResult, type ExportPlanItem, type PlanStatus } from './batch/export-archive.js';
export {
  importArchive,
  type ImportArchiveOptions,
  type ImportArchiveResult,
  type ImportedSession,
  type PlannedImport,
  type PresentSession,
} from './batch/import-archive.js';
export { archiveTrees, type ArchiveTrees, type ArchiveProject } from './batch/archive-trees.js';
export { archiveStats, type ArchiveStats, type ProjectStats, type StatsFigures } from './batch/archive-stats.js';
export { findInArchive, type ArchiveFind, type ArchiveMatch } from './batch/find-in-archive.js';
export { readManifest, type ExportManifest, type ManifestEntry } from './batch/export-manifest.js';
export type { BatchOptions, Progress } from './batch/batch-options.js';
export type { BatchReport, RowsDropped } from './batch/batch-report.js';
export type { SessionRecord } from './batch/session-record.js';
export type { JobError } from './batch/protocol.js';
export type { SliceLimits } from './batch/select-slices.js';
export type { SessionFilter } from './batch/filters.js';
export { packArchive, type PackArchiveOptions, type PackArchiveResult } from './batch/pack-archive.js';
export { unpackArchive, type UnpackArchiveOptions, type UnpackArchiveResult } from './batch/unpack-archive.js';
export type { UnpackedSession, UnpackProject, UnpackStatus } from './batch/unpack-result.js';
export type { ProjectPlan } from './batch/unpack-plan.js';
export { verifyArchive, type VerifyArchiveOptions, type VerifyArchiveResult, type VerifiedProject } from './batch/verify-archive.js';
export type { BundleManifest, BundleSession } from './batch/bundle-manifest.js';
export type { BundleSource, BundleStream } from './batch/read-bundle.js';
export type { ConflictPolicy } from './batch/twin-sink.js';
export { CwdMap, parseCwdRule, type CwdRule } from './format/cwd-map.js';

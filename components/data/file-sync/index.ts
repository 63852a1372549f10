// The file sync engine's public surface.
export { DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE, DEFAULT_MULTIPART_THRESHOLD, MAX_CONCURRENCY, MIN_PART_SIZE, checkTransferOptions, type OptionProblem } from "./options";
export { syncFiles, type SyncOptions, type SyncProgress, type SyncSummary, type SyncPhase, type SourceKind, type PlannedUpload } from "./engine";
export { sourceFingerprint } from "./fingerprint";
export { isFileSyncError, type FileSyncError, type FileSyncErrorKind } from "./errors";
export { parseS3Url, formatS3Url, isS3Url, manifestKey, MANIFEST_SUFFIX, type S3Location } from "./keys";
export { createS3Client, type S3ConnectionOptions, type S3Credentials } from "./s3";
export { MD5_METADATA_KEY } from "./plan";

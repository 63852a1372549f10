// PostgreSQL → PostgreSQL copy engine: one engine behind `herokuenv copy-db` and the DatabaseCopy resource.
export { copy, sourceFingerprint, PROGRESS_NAMESPACE, type CopyReport } from "./engine";
export { MigrationError, type MigrationErrorKind } from "./errors";
export { COPY_DEFAULTS, CONCURRENCY, copyOptionProblems, type CopyOptions, type CopyEvent } from "./options";
export { ENVIRONMENT_KINDS, MARKER_TABLE, markEnvironment, markEnvironmentSql, readMarkers, targetRefusal, type EnvironmentKind } from "./guards";
export { HEROKU_TRANSFER_LIMITS, runHerokuTransfer, type HerokuTransferOptions, type HerokuDatabaseRef, type TransferRecord } from "./heroku-transfer";
export type { CatalogTable, ColumnInfo, CopyHooks, Query, Row, SourceCatalog, TableRef } from "./hooks";

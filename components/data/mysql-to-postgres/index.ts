// MySQL/MariaDB → PostgreSQL migration engine: one engine behind both the CLI (`herokuenv migrate-db`) and the
// Pulumi dynamic resource (`MySqlToPostgres`).
export { migrate, resolveOptions, verificationState, MigrationError, sourceFingerprint, type MigrateOptions, type MigrationReport, type MigrationEvent, type TableReport, type VerificationState, type MigrationErrorKind } from "./engine";
export { CHOICES, CONCURRENCY, DEFAULTS, TRANSFORMS, columnOverrideProblem, connectionProblem, isDumpSource, normalizeColumns, parseColumnSpec, optionProblem, optionProblems, type OptionProblem } from "./options";
export type { ColumnOverride } from "./plan";
export type { Coercion, MigrationWarning, SchemaMode } from "./types";
export { redact, secretsOf } from "./secrets";

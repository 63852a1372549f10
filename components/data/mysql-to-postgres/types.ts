// The shapes shared by the engine's pure parts (catalog, mapping, DDL, encoding) and its I/O parts.

/** One column as MySQL's information_schema describes it. */
export interface SourceColumn {
    name: string;
    ordinal: number;
    /** information_schema DATA_TYPE, lower case: int, varchar, datetime, enum, … */
    dataType: string;
    /** information_schema COLUMN_TYPE, lower case: "int(10) unsigned", "enum('a','b')", "tinyint(1)", … */
    columnType: string;
    nullable: boolean;
    /** COLUMN_DEFAULT as the server reports it (MariaDB quotes string literals, MySQL does not); null = none. */
    default: string | null;
    /** EXTRA, lower case: "auto_increment", "on update current_timestamp()", "virtual generated", … */
    extra: string;
    charset: string | null;
    charMaxLength: number | null;
    numericPrecision: number | null;
    numericScale: number | null;
    datetimePrecision: number | null;
    comment: string;
    /** True for MariaDB's JSON alias (LONGTEXT with a json_valid() check) and MySQL's native JSON. */
    isJson: boolean;
}

export interface SourceIndex {
    name: string;
    unique: boolean;
    primary: boolean;
    /** BTREE, HASH, FULLTEXT, SPATIAL */
    kind: string;
    columns: { name: string; subPart: number | null }[];
}

export interface SourceForeignKey {
    name: string;
    columns: string[];
    referencedTable: string;
    referencedColumns: string[];
    onUpdate: string;
    onDelete: string;
}

export interface SourceCheck {
    name: string;
    clause: string;
}

export interface SourceTable {
    name: string;
    engine: string | null;
    /** Estimated rows (InnoDB's estimate), for ordering and progress only. */
    estimatedRows: number;
    dataLength: number;
    /** The table's next AUTO_INCREMENT value, when it has one. */
    autoIncrement: number | null;
    columns: SourceColumn[];
    indexes: SourceIndex[];
    foreignKeys: SourceForeignKey[];
    checks: SourceCheck[];
}

export interface SourceCatalog {
    database: string;
    /** "MariaDB" or "MySQL" */
    flavor: "MariaDB" | "MySQL";
    version: string;
    tables: SourceTable[];
    /** Objects the step cannot carry over (views, triggers, routines, events): reported as warnings. */
    unsupported: { kind: "view" | "trigger" | "procedure" | "function" | "event"; name: string; table?: string }[];
}

/** A PostgreSQL column type as the target catalog (or our own DDL) describes it. */
export interface PgType {
    /** pg_type.typname of the base type: int4, varchar, timestamptz, _text, or a user enum's name. */
    udt: string;
    /** Readable SQL form, e.g. "character varying(20)". */
    sql: string;
    /** For enums: the labels. */
    enumLabels?: string[];
    /** Character length limit for varchar/bpchar. */
    length?: number;
    /** numeric precision / scale when declared. */
    precision?: number;
    scale?: number;
}

export interface TargetColumn {
    name: string;
    type: PgType;
    nullable: boolean;
    hasDefault: boolean;
    identity: boolean;
    /** Sequence behind the column (identity, serial or a nextval() default), schema-qualified and quoted. */
    sequence: string | null;
}

export interface TargetForeignKey {
    name: string;
    table: string;
    referencedTable: string;
    deferrable: boolean;
    definition: string;
}

export interface TargetTable {
    name: string;
    columns: TargetColumn[];
    foreignKeys: TargetForeignKey[];
}

/** Named value conversions; every one has an encoder (MySQL text → COPY text) and a checksum normalization. */
export type Coercion =
    | "number" // integers and decimals, verbatim
    | "float4" // FLOAT read as its exact double value
    | "float8"
    | "bool" // 0 → false, anything else → true
    | "text" // escaped, NUL bytes stripped and counted
    | "bytea" // hex
    | "date" // zero dates → NULL
    | "datetime" // DATETIME: wall-clock time in the source time zone, zero dates → NULL
    | "timestamp" // TIMESTAMP: read as UTC, sent with an explicit +00 offset
    | "time"
    | "interval-microseconds" // Django's DurationField on MySQL: bigint microseconds
    | "set-array" // 'a,b' → {a,b}
    | "json"
    | "point" // WKT POINT(x y) → (x,y)
    | "path" // WKT LINESTRING(…) → [(x,y),…]
    | "uuid-text" // 32 or 36 hex characters → uuid
    | "uuid-binary" // BINARY(16) → uuid
    | "inet-binary" // VARBINARY(4|16) → inet
    | "hex-to-bytea"; // text holding hex digits (with or without 0x) → bytea

/** How both sides normalize a value's text before hashing it. */
export type Canon = "identity" | "numeric" | "float4" | "float8" | "rtrim" | "timestamp" | "json" | "array" | "uuid" | "lower" | "geometry";

export interface ColumnPlan {
    source: SourceColumn;
    /** Target column name (unquoted). */
    target: string;
    targetType: PgType;
    /** MySQL select-list expression reading the column. */
    selectExpr: string;
    coercion: Coercion;
    canon: Canon;
    /** PostgreSQL expression (over the quoted target column) whose text the verification hashes. */
    verifyExpr: string;
    isPrimaryKey: boolean;
    /**
     * "Echo" columns: the COPY text we send is exactly the text PostgreSQL prints back for the verification
     * expression, so both sides hash the raw bytes of all echo columns of a row in one range (no per-value work).
     */
    echo: boolean;
}

export type WarningKind =
    | "zero-dates"
    | "nul-bytes"
    | "not-null-dropped"
    | "unsupported-object"
    | "unsupported-index"
    | "unsupported-default"
    | "check-constraint"
    | "foreign-key"
    | "generated-column"
    | "type-mapping"
    | "invalid-enum-values";

export interface MigrationWarning {
    kind: WarningKind;
    table?: string;
    column?: string;
    message: string;
    count?: number;
}

export type SchemaMode = "create" | "existing";

// ---------------------------------------------------------------------------------------------------------------
// What a migration reports

export type MigrationEvent =
    | { type: "plan"; tables: { source: string; target: string; estimatedRows: number; skipped: boolean }[] }
    | { type: "table-start"; table: string; estimatedRows: number }
    | { type: "table-progress"; table: string; rows: number; bytes: number }
    | { type: "table-done"; report: TableReport }
    | { type: "phase"; name: string }
    | { type: "warning"; warning: MigrationWarning };

export interface TableReport {
    source: string;
    target: string;
    status: "copied" | "skipped";
    rows: number;
    bytes: number;
    seconds: number;
    checksum: string;
    warnings: MigrationWarning[];
}

export interface MigrationReport {
    mode: SchemaMode;
    tables: TableReport[];
    warnings: MigrationWarning[];
    sequences: { table: string; column: string; next: number }[];
    rows: number;
    bytes: number;
    seconds: number;
}

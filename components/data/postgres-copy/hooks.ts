// The extension points of the PostgreSQL → PostgreSQL copy engine: scrubbing and sampling plug in here.

export interface TableRef {
    schema: string;
    /** Unqualified. */
    name: string;
}

export interface ColumnInfo {
    name: string;
    /** format_type() text, e.g. "character varying(255)", "integer[]". */
    type: string;
    notNull: boolean;
}

export interface CatalogTable extends TableRef {
    /** Copied columns (generated columns excluded), in attnum order. */
    columns: ColumnInfo[];
    primaryKey: string[];
    uniqueIndexes: string[][];
    foreignKeys: Array<{ name: string; columns: string[]; references: TableRef; referencedColumns: string[] }>;
    estimatedRows: number;
}

export interface SourceCatalog {
    tables: CatalogTable[];
}

export type Query = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** A row as PostgreSQL's COPY text format decodes it: one string or null per column, in `columns` order. */
export type Row = (string | null)[];

export interface CopyHooks {
    /** Before any DDL or row is written; may throw to refuse the copy (fail closed). `source` is read-only. */
    beforeCopy?(catalog: SourceCatalog, source: Query): Promise<void>;
    /** SQL boolean expression over the table's columns restricting the rows copied (sampling), or undefined for all. */
    rowFilter?(table: CatalogTable): string | undefined;
    /** Rewrites rows of this table before they are written, or undefined to stream the table verbatim (fast path). */
    rowTransform?(table: CatalogTable): ((row: Row) => Row) | undefined;
    /** After the data and constraints are in; may throw to fail verification (the post-run scan). */
    afterCopy?(catalog: SourceCatalog, target: Query): Promise<void>;
}

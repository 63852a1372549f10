// Where the rows come from: a live MySQL/MariaDB server (mysql:// URL) or a dump file (dump.sql, dump.sql.gz). Both
// give the engine the same things: the catalog (SourceCatalog, as information_schema describes it), the answers of
// the up-front value probes, and each table's rows as MySQL text-protocol values of the plan's select expressions,
// so the encoding, the checksums and the reports are the same code for both.
import { closeMySql, connectMySql, enumsWithEmptyValue, parseMySqlUrl, query as myQuery, readCatalog, runProbes, selectSql, streamRawRows, type MySqlConnection } from "./mysql-source";
import { onSide } from "./errors";
import { isDumpSource } from "./options";
export { isDumpSource } from "./options";
import { sourceFingerprint } from "./pg-target";
import type { TablePlan } from "./plan";
import type { ColumnPlan, MigrationWarning, SourceCatalog, SourceTable } from "./types";

/** Plans a table's probes as the engine will (create mode), from the table alone. */
export type ProbePlanner = (table: SourceTable, flavor: "MariaDB" | "MySQL") => TablePlan | undefined;

/** Rows of one table as byte ranges of one buffer (start -1 for NULL), valid during the call only. */
export type RawRowHandler = (buf: Buffer, starts: Int32Array, ends: Int32Array) => void;

export interface RowStream {
    done: Promise<void>;
    pause(): void;
    resume(): void;
}

/** One worker's reader: streams tables one at a time. */
export interface TableReader {
    /** Starts streaming a table's rows, values of `columns` (read through their select expressions) in that order. */
    stream(plan: TablePlan, columns: ColumnPlan[], onRow: RawRowHandler): Promise<RowStream>;
    /** After a stream ended: releases what it held (the live source's snapshot). */
    finish(): Promise<void>;
    /** Stops the stream in flight at once. */
    abort(): void;
    close(): Promise<void>;
}

export interface MigrationSource {
    readonly kind: "mysql" | "dump";
    /** Identifies the source in the progress table (no credentials). */
    readonly fingerprint: string;
    readCatalog(): Promise<SourceCatalog>;
    enumsWithEmptyValue(tables: SourceTable[]): Promise<Set<string>>;
    /** Warnings about the source itself (filled by readCatalog), reported like the plan's. */
    readonly warnings: MigrationWarning[];
    /**
     * Optional, before readCatalog(): how the engine plans a table's probes (create mode), so a source that reads
     * every row for its catalog anyway (a dump file) computes them in that same pass instead of reading once more.
     */
    planProbes?(planner: ProbePlanner): void;
    /** Each plan's probe values (aggregates), in probe order, by source table. */
    probe(plans: TablePlan[]): Promise<Map<string, (string | null)[]>>;
    /** Row count of one table (refresh). */
    countRows(table: string): Promise<number | null>;
    openReader(): Promise<TableReader>;
    close(): Promise<void>;
}


/** The source `from` names: a dump file or a live server. */
export async function openSource(from: string): Promise<MigrationSource> {
    if (isDumpSource(from)) {
        const { openDumpSource } = await import("./dump-source");
        return openDumpSource(from);
    }
    return openMySqlSource(from);
}

/** A live MySQL/MariaDB server. */
export async function openMySqlSource(url: string): Promise<MigrationSource> {
    const location = parseMySqlUrl(url);
    const my = await onSide("source", {}, () => connectMySql(location));
    return {
        kind: "mysql",
        fingerprint: sourceFingerprint(location),
        readCatalog: () => readCatalog(my, location.database),
        enumsWithEmptyValue: (tables) => enumsWithEmptyValue(my, tables),
        warnings: [],
        async probe(plans) {
            const out = new Map<string, (string | null)[]>();
            for (const p of plans) out.set(p.source.name, await onSide("source", { table: p.source.name }, () => runProbes(my, p.source.name, p.probes.map((x) => x.expr))));
            return out;
        },
        async countRows(table) {
            const [count] = await runProbes(my, table, ["COUNT(*)"]);
            return count === null ? null : Number(count);
        },
        async openReader() {
            return mySqlReader(await onSide("source", {}, () => connectMySql(location)));
        },
        close: () => closeMySql(my),
    };
}

function mySqlReader(my: MySqlConnection): TableReader {
    return {
        async stream(plan, columns, onRow) {
            await myQuery(my, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
            return streamRawRows(my, selectSql(plan.source.name, columns.map((c) => c.selectExpr)), onRow);
        },
        finish: async () => void (await myQuery(my, "COMMIT")),
        abort: () => my.destroy(),
        close: () => closeMySql(my).catch(() => undefined),
    };
}

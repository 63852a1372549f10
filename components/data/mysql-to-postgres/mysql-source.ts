// The MySQL/MariaDB side: connections, the catalog, probes and the row stream (mysql2, text protocol, raw bytes).
import * as mysql from "mysql2";
import { quoteMyIdent, quoteMyLiteral } from "./identifiers";
import type { SourceCatalog, SourceColumn, SourceTable } from "./types";

// The URL's parsing lives apart (mysql-url.ts), so modules that only need it do not load mysql2 (~70 ms).
export { parseMySqlUrl, type MySqlLocation } from "./mysql-url";
import type { MySqlLocation } from "./mysql-url";

export type MySqlConnection = mysql.Connection;

/** Opens a connection set up for copying: utf8mb4 results, UTC session, long write timeouts (we pause reads). */
export async function connectMySql(location: MySqlLocation): Promise<MySqlConnection> {
    const conn = mysql.createConnection({
        host: location.host,
        port: location.port,
        user: location.user,
        password: location.password,
        database: location.database,
        socketPath: location.socketPath,
        ssl: location.ssl ? { rejectUnauthorized: false } : undefined,
        charset: "utf8mb4_general_ci",
        supportBigNumbers: true,
        bigNumberStrings: true,
        dateStrings: true,
        multipleStatements: false,
    });
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    conn.on("error", () => undefined); // Errors surface through the query in flight.
    for (const sql of [
        "SET NAMES utf8mb4",
        "SET SESSION time_zone = '+00:00'",
        "SET SESSION net_write_timeout = 86400",
        "SET SESSION net_read_timeout = 86400",
        "SET SESSION group_concat_max_len = 1048576",
        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    ]) {
        await query(conn, sql);
    }
    return conn;
}

export function closeMySql(conn: MySqlConnection): Promise<void> {
    return new Promise((resolve) => conn.end(() => resolve()));
}

export function query<T = Record<string, unknown>>(conn: MySqlConnection, sql: string, values: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
        conn.query({ sql, values }, (err, rows) => (err ? reject(err) : resolve(rows as T[])));
    });
}

interface ColumnRow {
    table_name: string;
    column_name: string;
    ordinal: number | string;
    column_default: string | null;
    is_nullable: string;
    data_type: string;
    column_type: string;
    char_len: number | string | null;
    num_prec: number | string | null;
    num_scale: number | string | null;
    dt_prec: number | string | null;
    charset: string | null;
    extra: string;
    comment: string;
}

const num = (v: number | string | null): number | null => (v === null || v === undefined ? null : Number(v));

/** Reads the catalog of one database: tables, columns, indexes, foreign keys, checks, and what we cannot carry. */
export async function readCatalog(conn: MySqlConnection, database: string): Promise<SourceCatalog> {
    const [{ version }] = await query<{ version: string }>(conn, "SELECT VERSION() AS version");
    const flavor = /mariadb/i.test(version) ? "MariaDB" : "MySQL";
    const tableRows = await query<{ name: string; type: string; engine: string | null; table_rows: string | null; data_length: string | null; auto_increment: string | null }>(
        conn,
        `SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, TABLE_ROWS AS table_rows, DATA_LENGTH AS data_length, AUTO_INCREMENT AS auto_increment
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
        [database],
    );
    const columnRows = await query<ColumnRow>(
        conn,
        `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, ORDINAL_POSITION AS ordinal, COLUMN_DEFAULT AS column_default,
                IS_NULLABLE AS is_nullable, DATA_TYPE AS data_type, COLUMN_TYPE AS column_type, CHARACTER_MAXIMUM_LENGTH AS char_len,
                NUMERIC_PRECISION AS num_prec, NUMERIC_SCALE AS num_scale, DATETIME_PRECISION AS dt_prec,
                CHARACTER_SET_NAME AS charset, EXTRA AS extra, COLUMN_COMMENT AS comment
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
        [database],
    );
    const indexRows = await query<{ table_name: string; index_name: string; non_unique: number | string; seq: number | string; column_name: string | null; sub_part: number | string | null; index_type: string }>(
        conn,
        `SELECT TABLE_NAME AS table_name, INDEX_NAME AS index_name, NON_UNIQUE AS non_unique, SEQ_IN_INDEX AS seq, COLUMN_NAME AS column_name,
                SUB_PART AS sub_part, INDEX_TYPE AS index_type
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
        [database],
    );
    const fkRows = await query<{ name: string; table_name: string; column_name: string; ref_table: string; ref_column: string; ref_schema: string; update_rule: string; delete_rule: string }>(
        conn,
        `SELECT k.CONSTRAINT_NAME AS name, k.TABLE_NAME AS table_name, k.COLUMN_NAME AS column_name, k.REFERENCED_TABLE_NAME AS ref_table,
                k.REFERENCED_COLUMN_NAME AS ref_column, k.REFERENCED_TABLE_SCHEMA AS ref_schema, r.UPDATE_RULE AS update_rule, r.DELETE_RULE AS delete_rule
         FROM information_schema.KEY_COLUMN_USAGE k
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
         WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
        [database],
    );
    let checkRows: { table_name: string; name: string; clause: string }[] = [];
    try {
        checkRows =
            flavor === "MariaDB"
                ? await query(conn, `SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY TABLE_NAME, CONSTRAINT_NAME`, [database])
                : await query(
                      conn,
                      `SELECT t.TABLE_NAME AS table_name, c.CONSTRAINT_NAME AS name, c.CHECK_CLAUSE AS clause
                       FROM information_schema.CHECK_CONSTRAINTS c JOIN information_schema.TABLE_CONSTRAINTS t
                         ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND t.CONSTRAINT_TYPE = 'CHECK'
                       WHERE c.CONSTRAINT_SCHEMA = ? ORDER BY t.TABLE_NAME, c.CONSTRAINT_NAME`,
                      [database],
                  );
    } catch {
        checkRows = []; // Servers before CHECK support.
    }
    const unsupported: SourceCatalog["unsupported"] = [];
    for (const row of await query<{ name: string; table_name: string }>(conn, "SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS table_name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME", [database])) {
        unsupported.push({ kind: "trigger", name: row.name, table: row.table_name });
    }
    for (const row of await query<{ name: string; type: string }>(conn, "SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME", [database])) {
        unsupported.push({ kind: row.type.toLowerCase() === "function" ? "function" : "procedure", name: row.name });
    }
    try {
        for (const row of await query<{ name: string }>(conn, "SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME", [database])) {
            unsupported.push({ kind: "event", name: row.name });
        }
    } catch {
        // No event scheduler tables: nothing to report.
    }

    const tables = new Map<string, SourceTable>();
    for (const row of tableRows) {
        if (row.type !== "BASE TABLE") {
            if (/view/i.test(row.type)) unsupported.push({ kind: "view", name: row.name });
            continue;
        }
        tables.set(row.name, {
            name: row.name,
            engine: row.engine,
            estimatedRows: Number(row.table_rows ?? 0),
            dataLength: Number(row.data_length ?? 0),
            autoIncrement: row.auto_increment === null ? null : Number(row.auto_increment),
            columns: [],
            indexes: [],
            foreignKeys: [],
            checks: [],
        });
    }
    const jsonChecks = new Set(checkRows.filter((c) => /^json_valid\(`([^`]+)`\)$/i.test(c.clause.trim())).map((c) => `${c.table_name}.${/^json_valid\(`([^`]+)`\)$/i.exec(c.clause.trim())?.[1]}`));
    for (const row of columnRows) {
        const table = tables.get(row.table_name);
        if (!table) continue;
        const column: SourceColumn = {
            name: row.column_name,
            ordinal: Number(row.ordinal),
            dataType: row.data_type.toLowerCase(),
            columnType: row.column_type.toLowerCase(),
            nullable: row.is_nullable === "YES",
            default: row.column_default,
            extra: (row.extra ?? "").toLowerCase(),
            charset: row.charset,
            charMaxLength: num(row.char_len),
            numericPrecision: num(row.num_prec),
            numericScale: num(row.num_scale),
            datetimePrecision: num(row.dt_prec),
            comment: row.comment ?? "",
            isJson: row.data_type.toLowerCase() === "json" || jsonChecks.has(`${row.table_name}.${row.column_name}`),
        };
        // COLUMN_TYPE is lower-cased for matching, but ENUM/SET labels keep their case.
        if (column.dataType === "enum" || column.dataType === "set") column.columnType = row.column_type.replace(/^(enum|set)/i, (m) => m.toLowerCase());
        table.columns.push(column);
    }
    for (const row of indexRows) {
        const table = tables.get(row.table_name);
        if (!table || row.column_name === null) continue;
        let index = table.indexes.find((i) => i.name === row.index_name);
        if (!index) {
            index = { name: row.index_name, unique: Number(row.non_unique) === 0, primary: row.index_name === "PRIMARY", kind: row.index_type.toUpperCase(), columns: [] };
            table.indexes.push(index);
        }
        index.columns.push({ name: row.column_name, subPart: num(row.sub_part) });
    }
    for (const row of fkRows) {
        const table = tables.get(row.table_name);
        if (!table) continue;
        if (row.ref_schema !== database) continue;
        let fk = table.foreignKeys.find((f) => f.name === row.name);
        if (!fk) {
            fk = { name: row.name, columns: [], referencedTable: row.ref_table, referencedColumns: [], onUpdate: row.update_rule, onDelete: row.delete_rule };
            table.foreignKeys.push(fk);
        }
        fk.columns.push(row.column_name);
        fk.referencedColumns.push(row.ref_column);
    }
    for (const row of checkRows) {
        const table = tables.get(row.table_name);
        if (table && row.clause) table.checks.push({ name: row.name, clause: row.clause });
    }
    return { database, flavor, version, tables: [...tables.values()], unsupported };
}

/** Runs probe expressions (aggregates) over one table; returns their values as strings. */
export async function runProbes(conn: MySqlConnection, table: string, exprs: string[]): Promise<(string | null)[]> {
    if (exprs.length === 0) return [];
    const rows = await new Promise<unknown[][]>((resolve, reject) => {
        conn.query({ sql: `SELECT ${exprs.join(", ")} FROM ${quoteMyIdent(table)}`, rowsAsArray: true }, (err, r) => (err ? reject(err) : resolve(r as unknown[][])));
    });
    return (rows[0] ?? []).map((v) => (v === null || v === undefined ? null : String(v)));
}

/** ENUM columns that hold MySQL's '' error value (index 0), as "table.column". */
export async function enumsWithEmptyValue(conn: MySqlConnection, tables: SourceTable[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const table of tables) {
        const enums = table.columns.filter((c) => c.dataType === "enum");
        if (enums.length === 0) continue;
        const values = await runProbes(conn, table.name, enums.map((c) => `MAX(${quoteMyIdent(c.name)} = ${quoteMyLiteral("")})`));
        enums.forEach((c, i) => {
            if (values[i] === "1") found.add(`${table.name}.${c.name}`);
        });
    }
    return found;
}

/** Pause and resume of a connection's reads (backpressure), each idempotent. */
function flowControl(conn: MySqlConnection): { pause(): void; resume(): void } {
    let paused = false;
    return {
        pause: () => {
            if (!paused) {
                paused = true;
                conn.pause();
            }
        },
        resume: () => {
            if (paused) {
                paused = false;
                conn.resume();
            }
        },
    };
}

/**
 * Streams the rows of one SELECT with raw values; the caller pauses/resumes the connection for backpressure via
 * the returned controls. Resolves when the result set ends.
 */
export function streamRows(conn: MySqlConnection, sql: string, onRow: (row: (Buffer | null)[]) => void): { done: Promise<void>; pause(): void; resume(): void } {
    const done = new Promise<void>((resolve, reject) => {
        const q = conn.query({ sql, rowsAsArray: true, typeCast: false });
        q.on("result", (row) => onRow(row as unknown as (Buffer | null)[]));
        q.on("error", (err: Error) => reject(err));
        q.on("end", () => resolve());
    });
    return { done, ...flowControl(conn) };
}

/**
 * Streams the rows of one SELECT as byte ranges of the protocol packets themselves: no per-value Buffer. onRow gets
 * the packet buffer and each column's [start, end) (start -1 for NULL), valid only during the call. Relies on the
 * text-protocol row parser hook of mysql2 (pinned), which it replaces for this query only.
 */
export function streamRawRows(
    conn: MySqlConnection,
    sql: string,
    onRow: (buf: Buffer, starts: Int32Array, ends: Int32Array) => void,
): { done: Promise<void>; pause(): void; resume(): void } {
    let starts = new Int32Array(0);
    let ends = new Int32Array(0);
    const parser = {
        next(packet: { buffer: Buffer; offset: number }): null {
            const buf = packet.buffer;
            let off = packet.offset;
            const n = starts.length;
            for (let i = 0; i < n; i++) {
                let len = buf[off++];
                if (len === 0xfb) {
                    starts[i] = -1;
                    ends[i] = -1;
                    continue;
                }
                if (len === 0xfc) {
                    len = buf[off] | (buf[off + 1] << 8);
                    off += 2;
                } else if (len === 0xfd) {
                    len = buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16);
                    off += 3;
                } else if (len === 0xfe) {
                    len = buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 0x100000000;
                    off += 8;
                }
                starts[i] = off;
                ends[i] = off + len;
                off += len;
            }
            onRow(buf, starts, ends);
            return null;
        },
    };
    const done = new Promise<void>((resolve, reject) => {
        const q = conn.query({ sql, rowsAsArray: true, typeCast: false });
        Object.defineProperty(q, "_rowParser", { get: () => parser, set: () => undefined, configurable: true });
        q.on("fields", (fields: unknown[]) => {
            starts = new Int32Array(fields.length);
            ends = new Int32Array(fields.length);
        });
        q.on("error", (err: Error) => reject(err));
        q.on("end", () => resolve());
    });
    return { done, ...flowControl(conn) };
}

/** The SELECT that reads a table in plan order. */
export function selectSql(table: string, exprs: string[]): string {
    return `SELECT ${exprs.join(", ")} FROM ${quoteMyIdent(table)}`;
}

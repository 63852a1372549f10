// The PostgreSQL side: connections, the target catalog (existing mode), the progress table and sequences.
import { createHash } from "node:crypto";
import { Client } from "pg";
import { parseConnectionUrl } from "../shared/url";
import { qualify, quoteIdent, quoteLiteral } from "./identifiers";
import { parseMySqlUrl, type MySqlLocation } from "./mysql-url";
import { parsePgType } from "./type-mapping";
import type { MigrationWarning, TargetTable } from "./types";

/** The progress table lives in its own schema, out of the application's way (and out of its introspection). */
export const PROGRESS_SCHEMA = "herokuenv";
export const PROGRESS_TABLE = "herokuenv_migration";
const PROGRESS = qualify(PROGRESS_SCHEMA, PROGRESS_TABLE);

/** Validates a postgres:// URL without echoing it. */
export function checkPostgresUrl(url: string): void {
    parseConnectionUrl(url, "target", "postgres", ["postgres:", "postgresql:"]);
}

/** Opens a session with the output formats the verification relies on. */
export async function connectPostgres(url: string, sourceTimeZone: string): Promise<Client> {
    const client = new Client({ connectionString: url, application_name: "herokuenv migrate-db" });
    client.on("error", () => undefined); // Errors surface through the query in flight.
    await client.connect();
    await client.query(
        "SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; " +
            "SET bytea_output = 'hex'; SET standard_conforming_strings = on; SET maintenance_work_mem = '256MB'",
    );
    try {
        await client.query(`SET TimeZone = ${quoteLiteral(sourceTimeZone)}`);
    } catch {
        await client.end();
        throw new Error(`unknown source time zone ${JSON.stringify(sourceTimeZone)} (use an IANA name such as UTC or Europe/Paris)`);
    }
    return client;
}

export async function ensureProgressTable(client: Client): Promise<void> {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(PROGRESS_SCHEMA)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${PROGRESS} (
        source text NOT NULL,
        target_schema text NOT NULL,
        table_name text NOT NULL,
        source_table text NOT NULL,
        kind text NOT NULL DEFAULT 'table',
        mode text NOT NULL,
        rows bigint NOT NULL DEFAULT 0,
        bytes bigint NOT NULL DEFAULT 0,
        checksum text NOT NULL DEFAULT '',
        seconds double precision NOT NULL DEFAULT 0,
        warnings jsonb NOT NULL DEFAULT '[]',
        verified_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source, target_schema, table_name)
    )`);
}

/** Identifies a source database in the progress table without its credentials. */
export function sourceFingerprint(location: MySqlLocation): string {
    return createHash("sha256").update(`${location.host}:${location.port}/${location.database}`).digest("hex").slice(0, 16);
}

/** A stable id for a source/target pair, without credentials. */
export function fingerprintOfUrls(from: string, to: string): string {
    const dst = new URL(to);
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(from) && !/^file:/i.test(from);
    const src = isUrl ? parseMySqlUrl(from) : undefined;
    const origin = src ? `${src.host}:${src.port}/${src.database}` : `dump:${from}`;
    return createHash("sha256").update(`${origin}->${dst.hostname}:${dst.port}${dst.pathname}`).digest("hex").slice(0, 16);
}

export interface ProgressRecord {
    tableName: string;
    sourceTable: string;
    kind: string;
    mode: string;
    rows: number;
    bytes: number;
    checksum: string;
    seconds: number;
    warnings: MigrationWarning[];
    verifiedAt: string;
}

/** Forgets the recorded progress of a source in a target schema (overwrite starts over). */
export async function clearProgress(client: Client, schema: string, source: string): Promise<void> {
    await client.query(`DELETE FROM ${PROGRESS} WHERE source = $1 AND target_schema = $2`, [source, schema]);
}

export async function readProgress(client: Client, schema: string, source: string): Promise<Map<string, ProgressRecord>> {
    const exists = await client.query("SELECT to_regclass($1) IS NOT NULL AS ok", [PROGRESS]);
    const out = new Map<string, ProgressRecord>();
    if (!exists.rows[0].ok) return out;
    const res = await client.query(
        `SELECT table_name, source_table, kind, mode, rows::text AS rows, bytes::text AS bytes, checksum, seconds, warnings, verified_at::text AS verified_at
         FROM ${PROGRESS} WHERE source = $1 AND target_schema = $2`,
        [source, schema],
    );
    for (const r of res.rows) {
        out.set(r.table_name, {
            tableName: r.table_name,
            sourceTable: r.source_table,
            kind: r.kind,
            mode: r.mode,
            rows: Number(r.rows),
            bytes: Number(r.bytes),
            checksum: r.checksum,
            seconds: Number(r.seconds),
            warnings: r.warnings as MigrationWarning[],
            verifiedAt: r.verified_at,
        });
    }
    return out;
}

export async function recordProgress(client: Client, schema: string, source: string, record: Omit<ProgressRecord, "verifiedAt">): Promise<void> {
    await client.query(
        `INSERT INTO ${PROGRESS} (source, target_schema, table_name, source_table, kind, mode, rows, bytes, checksum, seconds, warnings, verified_at)
         VALUES ($1, $11, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
         ON CONFLICT (source, target_schema, table_name) DO UPDATE SET source_table = EXCLUDED.source_table, kind = EXCLUDED.kind, mode = EXCLUDED.mode,
           rows = EXCLUDED.rows, bytes = EXCLUDED.bytes, checksum = EXCLUDED.checksum, seconds = EXCLUDED.seconds,
           warnings = EXCLUDED.warnings, verified_at = now()`,
        [source, record.tableName, record.sourceTable, record.kind, record.mode, record.rows, record.bytes, record.checksum, record.seconds, JSON.stringify(record.warnings), schema],
    );
}

/** Existing tables (base and partitioned) of a schema. */
export async function listTables(client: Client, schema: string): Promise<Set<string>> {
    const res = await client.query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')", [schema]);
    return new Set(res.rows.map((r: { relname: string }) => r.relname));
}

export async function schemaExists(client: Client, schema: string): Promise<boolean> {
    const res = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    return res.rowCount === 1;
}

export async function isTableEmpty(client: Client, qualifiedTable: string): Promise<boolean> {
    const res = await client.query(`SELECT 1 FROM ${qualifiedTable} LIMIT 1`);
    return res.rowCount === 0;
}

/** The target catalog of a schema: columns with types, nullability, identity/sequences; foreign keys. */
export async function readTargetTables(client: Client, schema: string): Promise<Map<string, TargetTable>> {
    const cols = await client.query(
        `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS sql_type,
                t.typname AS udt, t.typtype AS typtype, bt.typname AS base_udt, a.attnotnull AS not_null, a.atthasdef AS has_default,
                a.attidentity <> '' AS is_identity, pg_get_expr(d.adbin, d.adrelid) AS default_expr,
                pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) AS owned_sequence,
                CASE WHEN t.typtype = 'e' THEN (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END AS labels
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_type bt ON bt.oid = t.typbasetype AND t.typtype = 'd'
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY c.relname, a.attnum`,
        [schema],
    );
    const tables = new Map<string, TargetTable>();
    for (const r of cols.rows) {
        let table = tables.get(r.table_name);
        if (!table) {
            table = { name: r.table_name, columns: [], foreignKeys: [] };
            tables.set(r.table_name, table);
        }
        const type = parsePgType(r.sql_type.replace(/^"?[^"]*"?\./, ""));
        type.udt = r.base_udt ?? r.udt;
        if (r.labels) type.enumLabels = r.labels as string[];
        if (r.typtype === "e") type.sql = r.sql_type;
        let sequence: string | null = r.owned_sequence;
        if (sequence === null && typeof r.default_expr === "string") {
            const m = /^nextval\('((?:[^']|'')+)'::regclass\)$/.exec(r.default_expr);
            if (m) sequence = m[1].replace(/''/g, "'");
        }
        table.columns.push({ name: r.column_name, type, nullable: !r.not_null, hasDefault: r.has_default, identity: r.is_identity, sequence });
    }
    const fks = await client.query(
        `SELECT con.conname, c.relname AS table_name, r.relname AS ref_table, con.condeferrable AS deferrable, pg_get_constraintdef(con.oid) AS definition
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_class r ON r.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_namespace rn ON rn.oid = r.relnamespace
         WHERE con.contype = 'f' AND n.nspname = $1 AND rn.nspname = $1`,
        [schema],
    );
    for (const r of fks.rows) {
        tables.get(r.table_name)?.foreignKeys.push({ name: r.conname, table: r.table_name, referencedTable: r.ref_table, deferrable: r.deferrable, definition: r.definition });
    }
    return tables;
}

/** Sets a sequence so its next value is past the column's maximum (and the MySQL AUTO_INCREMENT counter). */
export async function resetSequence(
    client: Client,
    qualifiedTable: string,
    column: string,
    sequence: string,
    autoIncrement: number | null,
): Promise<number> {
    const res = await client.query(
        `WITH m AS (SELECT max(${quoteIdent(column)})::numeric AS mx FROM ${qualifiedTable}),
              s AS (SELECT seqmin::numeric AS mn, seqmax::numeric AS mxs FROM pg_sequence WHERE seqrelid = $1::regclass)
         SELECT LEAST(GREATEST(COALESCE(m.mx + 1, 1), $2::numeric, s.mn), s.mxs)::text AS next FROM m, s`,
        [sequence, autoIncrement ?? 1],
    );
    const next = res.rows[0].next as string;
    await client.query("SELECT setval($1::regclass, $2::bigint, false)", [sequence, next]);
    return Number(next);
}

/** Restarts an identity column past the column's maximum (and the MySQL AUTO_INCREMENT counter). */
export async function restartIdentity(client: Client, qualifiedTable: string, column: string, autoIncrement: number | null): Promise<number> {
    const res = await client.query(`SELECT GREATEST(COALESCE(max(${quoteIdent(column)})::numeric + 1, 1), $1::numeric)::text AS next FROM ${qualifiedTable}`, [autoIncrement ?? 1]);
    const next = res.rows[0].next as string;
    if (!/^\d+$/.test(next)) throw new Error(`unexpected identity restart value for ${column}`);
    await client.query(`ALTER TABLE ${qualifiedTable} ALTER COLUMN ${quoteIdent(column)} RESTART WITH ${next}`);
    return Number(next);
}

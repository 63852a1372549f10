// The source catalog the data phase needs: every table that holds rows (plain tables and leaf partitions, not
// extension members), its copied columns (generated columns are recomputed by the target), keys, foreign keys, size,
// and the sequences. The DDL itself is replayed from pg_dump (schema.ts); this is only what drives the copy and what
// the hooks see.
import type { Client } from "pg";
import { qualify } from "../mysql-to-postgres/identifiers";
import type { CatalogTable, SourceCatalog, TableRef } from "./hooks";

/** Schemas never copied: the system's, and herokuenv's own (progress records, the environment marker). */
export const EXCLUDED_SCHEMAS = ["pg_catalog", "information_schema", "herokuenv"];
const SYSTEM_SCHEMA_SQL = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'herokuenv') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

export interface DataTable extends CatalogTable {
    /** Bytes of the heap (pg_relation_size): what the split decision looks at. */
    bytes: number;
    /** Heap pages, for ctid ranges. */
    pages: number;
    /** Set when the table is a partition: its parent. */
    partitionOf?: TableRef;
    /** The name as pg_dump prints it (quote_ident of schema and name), to match post-data steps to their table. */
    dumpName: string;
    /**
     * Every copied column has a built-in type with binary I/O (no enum, domain, composite or extension type, whose
     * binary form may carry OIDs that differ between the databases): its rows may move in COPY's binary format.
     */
    binary?: boolean;
    /**
     * Every copied column has a built-in type with an extended hash function (hash opclass) and no user collation:
     * the checksum hashes every stored value, none as text.
     */
    hashable?: boolean;
    /** Per copied column (same order as `columns`), how the checksum hashes its values (copy.ts, rowHash). */
    columnHashes?: ColumnHash[];
}

/**
 * How the checksum hashes a column (copy.ts, columnHashSql): the extended hash function of its built-in type's
 * default hash opclass, `hash_array_extended` for an array whose element type has one, or none (then its text).
 */
export interface ColumnHash {
    /** Schema-qualified, quoted function name; undefined: hash the text. */
    proc?: string;
    /**
     * same: the function takes the column's type; cast: the type `cast`, which the column reaches by a
     * binary-coercible cast (varchar → text); array: hash_array_extended; other: the function takes another type
     * (bool → "char", date → int4, timestamptz → timestamp, bytea → internal).
     */
    mode?: "same" | "cast" | "array" | "other";
    /** For mode cast: the qualified type name (typname, so no implicit modifier: bpchar, not character(1)). */
    cast?: string;
    /** pg_type.typname of the column's type. */
    type: string;
}

export interface SequenceInfo extends TableRef {
    lastValue: string;
    isCalled: boolean;
}

export interface Catalog extends SourceCatalog {
    tables: DataTable[];
    sequences: SequenceInfo[];
    serverVersion: number;
}

export function tableKey(t: TableRef): string {
    return `${t.schema}.${t.name}`;
}

/** Reads the catalog inside the caller's (snapshot) transaction. */
/**
 * Object-reference types (regclass, regtype, …, and arrays of them) hold OIDs, which differ between databases: only
 * their text (the object's name) means the same on both sides, so they are copied and hashed as text.
 */
const OBJECT_REFERENCE_SQL = `(COALESCE(NULLIF(ty.typelem, 0), ty.oid) IN ('regclass'::regtype, 'regtype'::regtype, 'regproc'::regtype,
    'regprocedure'::regtype, 'regoper'::regtype, 'regoperator'::regtype, 'regconfig'::regtype, 'regdictionary'::regtype,
    'regnamespace'::regtype, 'regrole'::regtype, 'regcollation'::regtype))`;

export async function readCatalog(client: Client): Promise<Catalog> {
    const version = Number((await client.query("SHOW server_version_num")).rows[0].server_version_num);
    const rels = await client.query(
        `SELECT c.oid::bigint AS oid, n.nspname, c.relname, GREATEST(c.reltuples, 0)::bigint::text AS est,
                pg_relation_size(c.oid)::text AS bytes, (pg_relation_size(c.oid) / current_setting('block_size')::int)::text AS pages,
                pn.nspname AS parent_schema, p.relname AS parent_name, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS dump_name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
         LEFT JOIN pg_class p ON p.oid = i.inhparent LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
         WHERE c.relkind = 'r' AND ${SYSTEM_SCHEMA_SQL}
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
         ORDER BY n.nspname, c.relname`,
    );
    const cols = await client.query(
        `SELECT a.attrelid::bigint AS oid, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
                (a.atttypid < 16384 AND ty.typsend <> 0 AND ty.typreceive <> 0 AND NOT ${OBJECT_REFERENCE_SQL}) AS binary,
                CASE WHEN a.atttypid < 16384 AND a.attcollation < 16384 AND NOT ${OBJECT_REFERENCE_SQL} THEN (
                    SELECT CASE WHEN ty.typcategory = 'A' THEN 'pg_catalog.hash_array_extended|array|'
                                ELSE quote_ident(pn.nspname) || '.' || quote_ident(p.proname) || '|' ||
                                     CASE WHEN p.proargtypes[0] <> oc.opcintype THEN 'other|'
                                          WHEN oc.opcintype = ty.oid THEN 'same|'
                                          ELSE 'cast|' || quote_ident(an.nspname) || '.' || quote_ident(at.typname) END END
                    FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod AND am.amname = 'hash'
                    JOIN pg_amproc ap ON ap.amprocfamily = oc.opcfamily AND ap.amprocnum = 2 AND ap.amproclefttype = oc.opcintype
                    JOIN pg_proc p ON p.oid = ap.amproc JOIN pg_namespace pn ON pn.oid = p.pronamespace
                    JOIN pg_type at ON at.oid = oc.opcintype JOIN pg_namespace an ON an.oid = at.typnamespace
                    WHERE oc.opcdefault AND (oc.opcintype = v.t OR EXISTS (SELECT 1 FROM pg_cast k WHERE k.castsource = v.t AND k.casttarget = oc.opcintype AND k.castmethod = 'b'))
                    ORDER BY oc.opcintype = v.t DESC LIMIT 1) END AS hash_proc,
                ty.typname AS base_type
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type ty ON ty.oid = a.atttypid
         CROSS JOIN LATERAL (SELECT CASE WHEN ty.typcategory = 'A' THEN ty.typelem ELSE ty.oid END AS t) v
         WHERE c.relkind = 'r' AND ${SYSTEM_SCHEMA_SQL} AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
         ORDER BY a.attrelid, a.attnum`,
    );
    const idx = await client.query(
        `SELECT i.indrelid::bigint AS oid, i.indisprimary AS primary,
                array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS cols,
                i.indexprs IS NULL AND i.indpred IS NULL AS plain
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE (i.indisunique OR i.indisprimary) AND c.relkind = 'r' AND ${SYSTEM_SCHEMA_SQL}
         ORDER BY i.indrelid, i.indexrelid`,
    );
    const fks = await client.query(
        `SELECT con.conrelid::bigint AS oid, con.conname, rn.nspname AS ref_schema, r.relname AS ref_name,
                array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS cols,
                array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS ref_cols
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
         WHERE con.contype = 'f' AND c.relkind = 'r' AND ${SYSTEM_SCHEMA_SQL}
         ORDER BY con.conrelid, con.conname`,
    );
    const byOid = new Map<string, DataTable>();
    const tables: DataTable[] = [];
    for (const r of rels.rows) {
        const t: DataTable = {
            schema: r.nspname,
            name: r.relname,
            columns: [],
            primaryKey: [],
            uniqueIndexes: [],
            foreignKeys: [],
            estimatedRows: Number(r.est),
            bytes: Number(r.bytes),
            pages: Number(r.pages),
            dumpName: r.dump_name,
            binary: true,
            hashable: true,
            columnHashes: [],
        };
        if (r.parent_name) t.partitionOf = { schema: r.parent_schema, name: r.parent_name };
        byOid.set(String(r.oid), t);
        tables.push(t);
    }
    for (const r of cols.rows) {
        const t = byOid.get(String(r.oid));
        if (!t) continue;
        t.columns.push({ name: r.attname, type: r.type, notNull: r.attnotnull });
        if (!r.binary) t.binary = false;
        const [proc, mode, cast] = typeof r.hash_proc === "string" ? (r.hash_proc as string).split("|") : [];
        if (proc === undefined) t.hashable = false;
        t.columnHashes!.push(proc === undefined ? { type: r.base_type } : { proc, mode: mode as ColumnHash["mode"], cast: cast || undefined, type: r.base_type });
    }
    for (const r of idx.rows) {
        const t = byOid.get(String(r.oid));
        if (!t || !r.plain) continue;
        if (r.primary) t.primaryKey = r.cols;
        else t.uniqueIndexes.push(r.cols);
    }
    for (const r of fks.rows) {
        byOid.get(String(r.oid))?.foreignKeys.push({ name: r.conname, columns: r.cols, references: { schema: r.ref_schema, name: r.ref_name }, referencedColumns: r.ref_cols });
    }
    const seqRows = await client.query(
        `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'S' AND ${SYSTEM_SCHEMA_SQL}
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
         ORDER BY 1, 2`,
    );
    const sequences: SequenceInfo[] = [];
    for (const r of seqRows.rows) {
        const q = qualify(r.nspname, r.relname);
        const s = (await client.query(`SELECT last_value::text AS v, is_called FROM ${q}`)).rows[0];
        sequences.push({ schema: r.nspname, name: r.relname, lastValue: s.v, isCalled: s.is_called });
    }
    return { tables, sequences, serverVersion: version };
}

/** The key columns a table's checksum buckets rows by: the primary key, else the first all-NOT NULL unique index. */
export function bucketKey(t: CatalogTable): string[] {
    if (t.primaryKey.length > 0) return t.primaryKey;
    const notNull = new Set(t.columns.filter((c) => c.notNull).map((c) => c.name));
    return t.uniqueIndexes.find((u) => u.every((c) => notNull.has(c))) ?? [];
}

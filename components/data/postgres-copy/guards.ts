// Guards the engine applies whatever its caller checked before: the target database itself says which environment
// it belongs to (a marker the stack writes into it), and a copy is refused when that is production, when an
// unscrubbed copy aims at a sandbox, when source and target are one database, and when the target holds anything
// (outside herokuenv's own schema) that is not an unfinished copy of the same source, unless `overwrite`.
import type { Client } from "pg";

export type EnvironmentKind = "production" | "staging" | "sandbox";
export const ENVIRONMENT_KINDS: readonly EnvironmentKind[] = ["production", "staging", "sandbox"];

/**
 * The marker: one row in `herokuenv.environment`. A production stack writes it into its database
 * (`markEnvironmentSql("production", stack)`); copies never carry it (the herokuenv schema is not copied). A
 * database-level setting `herokuenv.environment` (ALTER DATABASE … SET herokuenv.environment = 'production') is
 * honoured too, for databases where the stack cannot create a schema.
 */
export const MARKER_TABLE = "herokuenv.environment";

/** SQL that marks a database as belonging to an environment of this kind (idempotent; replaces an earlier mark). */
export function markEnvironmentSql(kind: EnvironmentKind, stack: string): string {
    if (!ENVIRONMENT_KINDS.includes(kind)) throw new Error(`unknown environment kind ${JSON.stringify(kind)}`);
    const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
    return [
        "CREATE SCHEMA IF NOT EXISTS herokuenv",
        "CREATE TABLE IF NOT EXISTS herokuenv.environment (kind text NOT NULL CHECK (kind IN ('production', 'staging', 'sandbox')), stack text NOT NULL, marked_at timestamptz NOT NULL DEFAULT now())",
        "LOCK TABLE herokuenv.environment",
        "DELETE FROM herokuenv.environment",
        `INSERT INTO herokuenv.environment (kind, stack) VALUES (${lit(kind)}, ${lit(stack)})`,
    ].join(";\n");
}

/** Writes the marker (in one transaction). */
export async function markEnvironment(client: Client, kind: EnvironmentKind, stack: string): Promise<void> {
    await client.query("BEGIN");
    try {
        await client.query(markEnvironmentSql(kind, stack));
        await client.query("COMMIT");
    } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
    }
}

/** The environment kinds a database's markers name (table rows and the database-level setting); empty when unmarked. */
export async function readMarkers(client: Client): Promise<{ kinds: string[]; stacks: string[] }> {
    const kinds: string[] = [];
    const stacks: string[] = [];
    const setting = (await client.query("SELECT current_setting('herokuenv.environment', true) AS v")).rows[0].v as string | null;
    if (setting) kinds.push(setting.trim().toLowerCase());
    const exists = (await client.query("SELECT to_regclass('herokuenv.environment') IS NOT NULL AS ok")).rows[0].ok as boolean;
    if (exists) {
        // A marker that cannot be read (permissions) fails the copy: fail closed.
        for (const r of (await client.query("SELECT kind, stack FROM herokuenv.environment")).rows) {
            kinds.push(String(r.kind).trim().toLowerCase());
            stacks.push(String(r.stack));
        }
    }
    return { kinds, stacks };
}

/** Why the copy may not write into this target, or undefined. */
export function targetRefusal(markers: { kinds: string[]; stacks: string[] }, declared: EnvironmentKind | undefined, scrubbed: boolean): string | undefined {
    const kinds = new Set(markers.kinds);
    if (declared) kinds.add(declared);
    if (kinds.has("production")) {
        const where = markers.kinds.includes("production") ? ` (the target database is marked as production${markers.stacks.length ? ` by stack ${markers.stacks.join(", ")}` : ""})` : "";
        return `refusing to copy into a production database${where}: a copy replaces the target's data`;
    }
    for (const k of kinds) if (!ENVIRONMENT_KINDS.includes(k as EnvironmentKind)) return `the target database carries an unknown environment marker ${JSON.stringify(k)}: refusing (fail closed)`;
    if (kinds.has("sandbox") && !scrubbed) return "refusing an unscrubbed copy into a sandbox database: give scrubbing rules (--rules FILE) so no personal data reaches it";
    return undefined;
}

/** What the target holds outside herokuenv's schema (schemas, relations, types, functions), as short descriptions. */
export async function targetContents(client: Client): Promise<string[]> {
    const res = await client.query(
        `WITH s AS (SELECT oid, nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'herokuenv') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%')
         SELECT 'relation ' || s.nspname || '.' || c.relname AS what FROM pg_class c JOIN s ON s.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
         UNION ALL SELECT 'function ' || s.nspname || '.' || p.proname FROM pg_proc p JOIN s ON s.oid = p.pronamespace
         UNION ALL SELECT 'type ' || s.nspname || '.' || t.typname FROM pg_type t JOIN s ON s.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'r', 'm') OR (t.typtype = 'c' AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c'))
         UNION ALL SELECT 'schema ' || nspname FROM s WHERE nspname <> 'public'
         UNION ALL SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
         LIMIT 20`,
    );
    return res.rows.map((r: { what: string }) => r.what);
}

/**
 * Empties the target for `overwrite`, in one transaction: drops every extension but plpgsql, every schema but the
 * system's, herokuenv's and public, and everything in public (public itself stays, as initdb made it: its owner,
 * privileges and comment are the database's, not the source's). Fails if anything is left.
 */
export async function emptyTarget(client: Client): Promise<void> {
    const ident = (s: unknown): string => `"${String(s).replace(/"/g, '""')}"`;
    await client.query("BEGIN");
    try {
        for (const r of (await client.query("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")).rows) await client.query(`DROP EXTENSION IF EXISTS ${ident(r.extname)} CASCADE`);
        const schemas = await client.query(
            `SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'herokuenv', 'public') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'`,
        );
        for (const r of schemas.rows) await client.query(`DROP SCHEMA ${ident(r.nspname)} CASCADE`);
        const kinds: Record<string, string> = { r: "TABLE", p: "TABLE", v: "VIEW", m: "MATERIALIZED VIEW", S: "SEQUENCE", f: "FOREIGN TABLE" };
        for (const r of (await client.query("SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition"))
            .rows) {
            await client.query(`DROP ${kinds[r.relkind as string]} IF EXISTS public.${ident(r.relname)} CASCADE`);
        }
        for (const r of (await client.query("SELECT p.oid::regprocedure::text AS sig FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace")).rows) {
            await client.query(`DROP ROUTINE IF EXISTS ${r.sig} CASCADE`);
        }
        for (const r of (await client.query("SELECT t.typname FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND (t.typtype IN ('e', 'd', 'r', 'm') OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')))"))
            .rows) {
            await client.query(`DROP TYPE IF EXISTS public.${ident(r.typname)} CASCADE`);
        }
        for (const r of (await client.query("SELECT collname FROM pg_collation WHERE collnamespace = 'public'::regnamespace")).rows) await client.query(`DROP COLLATION IF EXISTS public.${ident(r.collname)} CASCADE`);
        const left = await targetContents(client);
        if (left.length > 0) throw new Error(`could not empty the target: ${left.join(", ")} remain`);
        await client.query("COMMIT");
    } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
    }
}

/** Identity of a database as the server sees it, to refuse copying a database onto itself. */
export async function databaseIdentity(client: Client): Promise<string> {
    const r = (await client.query("SELECT current_database() AS d, coalesce(inet_server_addr()::text, 'socket') AS a, coalesce(inet_server_port(), 0) AS p, pg_postmaster_start_time()::text AS t")).rows[0];
    return `${r.d}@${r.a}:${r.p}@${r.t}`;
}

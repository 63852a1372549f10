// Connections of the copy: the session settings that make both sides print values in the same text (so the COPY
// text read from the source is what the target prints back, byte for byte), and the source snapshot every worker
// shares so all tables are read at one instant.
import { Client } from "pg";
import { checkPostgresUrl } from "../mysql-to-postgres/pg-target";
import type { Query } from "./hooks";

/** Output settings applied on both sides: COPY text and the verification read-back depend on them. */
export const COPY_SESSION_SQL =
    "SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; " +
    "SET bytea_output = 'hex'; SET standard_conforming_strings = on; SET TimeZone = 'UTC'; SET row_security = off; SET statement_timeout = 0; " +
    "SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; " +
    // As pg_dump's own sessions: every name qualified, so a regclass or regtype value prints the same on both sides.
    "SELECT pg_catalog.set_config('search_path', '', false)";

/** Target-only settings: faster commits (the progress record commits with its data, so a lost commit loses both). */
export const TARGET_SESSION_SQL = "SET synchronous_commit = off; SET maintenance_work_mem = '512MB'; SET work_mem = '64MB'";

export { checkPostgresUrl };

export async function connect(url: string, role: "source" | "target", applicationName = "herokuenv copy-db"): Promise<Client> {
    const client = new Client({ connectionString: url, application_name: applicationName });
    client.on("error", () => undefined); // Errors surface through the query in flight.
    await client.connect();
    try {
        await client.query(role === "target" ? `${COPY_SESSION_SQL}; ${TARGET_SESSION_SQL}` : COPY_SESSION_SQL);
    } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
    }
    return client;
}

/** Opens a source connection inside a REPEATABLE READ, READ ONLY transaction on the given snapshot (or a new one). */
export async function connectSnapshot(url: string, snapshot?: string): Promise<{ client: Client; snapshot: string }> {
    const client = await connect(url, "source");
    try {
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        if (snapshot) {
            await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
            return { client, snapshot };
        }
        const res = await client.query("SELECT pg_export_snapshot() AS s");
        return { client, snapshot: res.rows[0].s as string };
    } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
    }
}

/** A client as the hooks' Query: rows as plain records. */
export function queryOf(client: Client): Query {
    return async (sql, params) => (await client.query(sql, params as unknown[] | undefined)).rows as Array<Record<string, unknown>>;
}

export type { Client };

// Helpers for the MySQL → PostgreSQL tests: loading SQL files into MariaDB, running psql, and checking that every
// AUTO_INCREMENT table accepts a row without an id after the migration.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";

/** Pipes an SQL file (or text) into the mariadb client for a mysql:// URL. */
export function loadMySql(url: string, sql: { file: string } | { text: string }): Promise<void> {
    const u = new URL(url);
    const args = ["--no-defaults", "--protocol=TCP", `--host=${u.hostname}`, `--port=${u.port}`, `--user=${decodeURIComponent(u.username) || "root"}`, "--default-character-set=utf8mb4"];
    const db = decodeURIComponent(u.pathname.replace(/^\//, ""));
    if (db) args.push(`--database=${db}`);
    const env = { ...process.env, MYSQL_PWD: decodeURIComponent(u.password) };
    return new Promise((resolve, reject) => {
        const child = spawn("mariadb", args, { env, stdio: ["pipe", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`mariadb exited with ${code}: ${stderr}`))));
        if ("file" in sql) fs.createReadStream(sql.file).pipe(child.stdin);
        else child.stdin.end(sql.text);
    });
}

/** Runs a SQL file through psql (unaligned-free default output, like pgloader's expected files). */
export function psqlFile(url: string, file: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn("psql", ["-X", "-q", "-f", file, url], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PAGER: "" } });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve(out + err) : reject(new Error(`psql exited with ${code}: ${err}`))));
    });
}

export async function withPg<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
        return await work(client);
    } finally {
        await client.end();
    }
}

/**
 * Inserts one row without its id into a table and returns the id PostgreSQL assigned, rolled back afterwards. The row
 * copies an existing one (other unique constraints are dropped inside the transaction so only the key can clash).
 */
export async function insertWithoutId(client: Client, schema: string, table: string, idColumn: string): Promise<{ id: string; previousMax: string | null }> {
    const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
    const qualified = `${q(schema)}.${q(table)}`;
    await client.query("BEGIN");
    try {
        const uniques = await client.query(
            `SELECT c.conname FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype IN ('u', 'x')`,
            [qualified],
        );
        for (const r of uniques.rows) await client.query(`ALTER TABLE ${qualified} DROP CONSTRAINT ${q(r.conname)}`);
        const indexes = await client.query(
            `SELECT i.indexrelid::regclass::text AS name FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND NOT i.indisprimary`,
            [qualified],
        );
        for (const r of indexes.rows) await client.query(`DROP INDEX ${r.name}`);
        const max = await client.query(`SELECT max(${q(idColumn)})::text AS m FROM ${qualified}`);
        const cols = await client.query(
            `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attname <> $2 ORDER BY attnum`,
            [qualified, idColumn],
        );
        const names = cols.rows.map((r: { attname: string }) => q(r.attname)).join(", ");
        const inserted =
            max.rows[0].m === null || names === ""
                ? await client.query(`INSERT INTO ${qualified} DEFAULT VALUES RETURNING ${q(idColumn)}::text AS id`)
                : await client.query(`INSERT INTO ${qualified} (${names}) SELECT ${names} FROM ${qualified} LIMIT 1 RETURNING ${q(idColumn)}::text AS id`);
        return { id: inserted.rows[0].id, previousMax: max.rows[0].m };
    } finally {
        await client.query("ROLLBACK");
    }
}

export interface CliRun {
    child: ChildProcess;
    done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `herokuenv <args>` from this checkout as a child process, its output collected. */
export function runCli(args: string[]): CliRun {
    const repo = path.resolve(__dirname, "..", "..");
    const child = spawn(process.execPath, [path.join(repo, "bin", "herokuenv"), ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const done: CliRun["done"] = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
    return { child, done };
}

/**
 * kill -9 of a running copy once one of the server's COPY commands has passed `rows` rows (pg_stat_progress_copy),
 * polling every `pollMs` for at most `attempts` times. True when it killed it.
 */
export async function killDuringCopy(run: CliRun, serverUrl: string, options: { rows: number; pollMs: number; attempts: number }): Promise<boolean> {
    for (let i = 0; i < options.attempts; i++) {
        await new Promise((r) => setTimeout(r, options.pollMs));
        const copied = await withPg(serverUrl, (c) => c.query("SELECT COALESCE(max(tuples_processed), 0)::int AS n FROM pg_stat_progress_copy")).then((r) => r.rows[0].n as number);
        if (copied > options.rows) {
            run.child.kill("SIGKILL");
            return true;
        }
    }
    return false;
}

// Schema replay: the source's DDL as pg_dump prints it (pre-data before the rows, post-data after), read on the
// copy's snapshot, without owners, privileges or tablespaces (a managed target has neither the roles nor the
// tablespaces). The plain-text dump is split into its TOC entries ("-- Name: …; Type: …; Schema: …"), so post-data
// can run on several connections: indexes and constraints in parallel, then partition index attachments, then
// foreign keys, then the rest (triggers, rules, policies, materialized view refreshes) in dump order. Pure except
// runPgDump.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface DumpEntry {
    name: string;
    /** pg_dump's TOC type: TABLE, INDEX, CONSTRAINT, FK CONSTRAINT, COMMENT, MATERIALIZED VIEW DATA, … */
    type: string;
    schema: string;
    sql: string;
}

export interface Dump {
    /** The session settings pg_dump prints first (search_path, check_function_bodies, …): run on every connection. */
    preamble: string;
    entries: DumpEntry[];
}

/** Finds pg_dump: $HEROKUENV_PG_DUMP, PATH, then Debian's and the PGDG layout. */
export function findPgDump(explicit?: string): string {
    const candidates = [explicit, process.env.HEROKUENV_PG_DUMP, ...(process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "pg_dump"))];
    for (const v of ["18", "17", "16", "15", "14"]) candidates.push(`/usr/lib/postgresql/${v}/bin/pg_dump`);
    for (const c of candidates) if (c && fs.existsSync(c)) return c;
    throw new Error("pg_dump not found (install the PostgreSQL client, e.g. apt-get install -y postgresql-client, or set HEROKUENV_PG_DUMP)");
}

/** Runs pg_dump for one section on the snapshot; returns its text (a schema: small). The URL goes in the environment. */
export function runPgDump(pgDump: string, url: string, section: "pre-data" | "post-data", snapshot: string | undefined): Promise<string> {
    const args = [`--section=${section}`, "--no-owner", "--no-privileges", "--no-tablespaces", "--no-subscriptions", "--no-security-labels", "--exclude-schema=herokuenv", "--no-password"];
    if (snapshot) args.push(`--snapshot=${snapshot}`);
    args.push("--dbname", url);
    return new Promise((resolve, reject) => {
        const child = spawn(pgDump, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PGCONNECT_TIMEOUT: "30" } });
        const out: Buffer[] = [];
        let err = "";
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("error", reject);
        // "close", not "exit": exit can come before the last of stdout is read, and a dump cut short would silently
        // lose the tables at its end (seen under heavy load: the target then lacked a table).
        child.on("close", (code) => {
            if (code !== 0) return reject(new Error(`pg_dump --section=${section} exited with ${code}: ${err.trim()}`));
            const text = Buffer.concat(out).toString("utf8");
            // A plain-format dump ends with this line; without it the dump is incomplete, whatever the exit code.
            if (!/^-- PostgreSQL database dump complete$/m.test(text)) return reject(new Error(`pg_dump --section=${section} output is incomplete (no "dump complete" trailer)`));
            resolve(text);
        });
    });
}

const HEADER = /^--\n-- (?:Data for )?Name: (.*?); Type: (.*?); Schema: (.*?); Owner: .*\n(?:-- .*\n)*--\n/gm;

/** Splits a plain-text dump into its preamble and entries; drops psql meta-commands (\restrict, \unrestrict). */
export function parseDump(text: string): Dump {
    const clean = text
        .split("\n")
        .filter((line) => !/^\\(un)?restrict\b/.test(line))
        .join("\n");
    const entries: DumpEntry[] = [];
    let preamble: string | undefined;
    let last: { name: string; type: string; schema: string; start: number } | undefined;
    for (const m of clean.matchAll(HEADER)) {
        const at = m.index ?? 0;
        if (last) entries.push({ name: last.name, type: last.type, schema: last.schema, sql: clean.slice(last.start, at).trim() });
        else preamble = clean.slice(0, at);
        last = { name: m[1], type: m[2], schema: m[3], start: at + m[0].length };
    }
    if (last) entries.push({ name: last.name, type: last.type, schema: last.schema, sql: stripTrailer(clean.slice(last.start)).trim() });
    else preamble = clean;
    return { preamble: stripComments(preamble ?? ""), entries: entries.filter((e) => e.sql !== "") };
}

/** The end of a dump ("-- PostgreSQL database dump complete") is not part of the last entry. */
function stripTrailer(sql: string): string {
    const i = sql.indexOf("\n--\n-- PostgreSQL database dump complete");
    return i >= 0 ? sql.slice(0, i) : sql;
}

function stripComments(sql: string): string {
    return sql
        .split("\n")
        .filter((l) => !l.startsWith("--"))
        .join("\n")
        .trim();
}

/** A post-data entry with the comments that follow it (a comment needs its object). */
export interface PostDataStep {
    key: string;
    label: string;
    type: string;
    sql: string;
    /** Run and committed before `sql` (a crash between the two leaves only its result). */
    prepare?: string;
    /** A re-run of `prepare` may find what it creates already there (duplicate_object): that is its result, not an error. */
    prepareMayExist?: boolean;
}

/** Post-data in phases; the steps of one phase may run in parallel (phase "rest" runs in order). */
export interface PostDataPlan {
    indexes: PostDataStep[];
    attach: PostDataStep[];
    foreignKeys: PostDataStep[];
    rest: PostDataStep[];
}

const ATTACHED = new Set(["COMMENT", "SECURITY LABEL", "ACL"]);

export function planPostData(entries: DumpEntry[]): PostDataPlan {
    const steps: PostDataStep[] = [];
    for (const e of entries) {
        const prev = steps[steps.length - 1];
        if (ATTACHED.has(e.type) && prev) {
            prev.sql += `\n${e.sql}`;
            continue;
        }
        steps.push({ key: `post:${steps.length}:${e.type}:${e.schema}:${e.name}`, label: `${e.type.toLowerCase()} ${e.schema === "-" ? "" : `${e.schema}.`}${e.name}`, type: e.type, sql: e.sql });
    }
    const plan: PostDataPlan = { indexes: [], attach: [], foreignKeys: [], rest: [] };
    for (const s of steps) {
        if (s.type === "INDEX" || s.type === "CONSTRAINT") plan.indexes.push(s);
        else if (s.type === "INDEX ATTACH") plan.attach.push(s);
        else if (s.type === "FK CONSTRAINT") plan.foreignKeys.push(s);
        else plan.rest.push(s);
    }
    // Largest first would be better; dump order (by table) is what we have without sizes.
    return plan;
}

/** A possibly quoted identifier as pg_dump prints it, and a qualified name (schema.name). */
const IDENT = String.raw`(?:"(?:[^"]|"")*"|[^\s(".]+)`;
const QUALIFIED = String.raw`${IDENT}\.${IDENT}`;
const STEP_TABLE = [new RegExp(String.raw`^ALTER TABLE ONLY (${QUALIFIED})\s`), new RegExp(String.raw`^CREATE (?:UNIQUE )?INDEX ${IDENT} ON (?:ONLY )?(${QUALIFIED}) `)];

/** The table an index or constraint step builds on, as pg_dump names it ("public.users"), or undefined. */
export function stepTable(step: PostDataStep): string | undefined {
    for (const re of STEP_TABLE) {
        const m = re.exec(step.sql);
        if (m) return m[1];
    }
    return undefined;
}

const COLUMN = String.raw`(?:"(?:[^"]|"")*"|[^\s(),".]+)`;
const KEY_CONSTRAINT = new RegExp(String.raw`^ALTER TABLE ONLY (${QUALIFIED})\s+ADD CONSTRAINT (${IDENT}) (PRIMARY KEY|UNIQUE) (\(${COLUMN}(?:, ${COLUMN})*\));(?=\n|$)`);

/**
 * A plain primary key or unique constraint on a regular table, built as its unique index first (`CREATE UNIQUE
 * INDEX`, a SHARE lock: it builds beside the table's other indexes) and then made the constraint with `ADD
 * CONSTRAINT … USING INDEX` (no build). `ADD CONSTRAINT … PRIMARY KEY (…)` builds under an ACCESS EXCLUSIVE lock,
 * which made every other index of its table wait for it, one core idle. Other forms (DEFERRABLE, INCLUDE, WITH,
 * NULLS NOT DISTINCT, partitioned tables, which take no USING INDEX) are left as they are; the result is the same
 * constraint and index, under the same names.
 */
export function withSeparateIndexBuild(step: PostDataStep): PostDataStep {
    const m = step.type === "CONSTRAINT" ? KEY_CONSTRAINT.exec(step.sql) : null;
    if (!m) return step;
    const [statement, table, name, kind, columns] = m;
    const rest = step.sql.slice(statement.length);
    return {
        ...step,
        prepare: `CREATE UNIQUE INDEX IF NOT EXISTS ${name} ON ${table} USING btree ${columns};`,
        sql: `ALTER TABLE ONLY ${table}\n    ADD CONSTRAINT ${name} ${kind} USING INDEX ${name};${rest}`,
    };
}

const FOREIGN_KEY = new RegExp(String.raw`^ALTER TABLE ONLY (${QUALIFIED})\s+ADD CONSTRAINT (${IDENT}) FOREIGN KEY \(${COLUMN}(?:, ${COLUMN})*\) REFERENCES (${QUALIFIED})\(${COLUMN}(?:, ${COLUMN})*\)([^;"]*);(?=\n|$)`);

/** A foreign key between two tables as pg_dump prints it for regular tables: the referencing and referenced tables' names. */
export function foreignKeyTables(step: PostDataStep): { table: string; references: string } | undefined {
    const m = step.type === "FK CONSTRAINT" ? FOREIGN_KEY.exec(step.sql) : null;
    return m ? { table: m[1], references: m[3] } : undefined;
}

/**
 * A foreign key added NOT VALID first (catalog work only, committed: its SHARE ROW EXCLUSIVE locks on both tables
 * last an instant), then validated (`VALIDATE CONSTRAINT`, which locks the referenced table only in ROW SHARE mode),
 * so two foreign keys to one table validate at the same time instead of one after the other. The result is the same
 * validated constraint. A re-run after a crash between the two finds the constraint there (runStep skips the add).
 * Keys the source holds NOT VALID stay as they are.
 */
export function withSeparateValidation(step: PostDataStep): PostDataStep {
    const m = step.type === "FK CONSTRAINT" ? FOREIGN_KEY.exec(step.sql) : null;
    if (!m || /\bNOT VALID\b/.test(m[4])) return step;
    const [statement, table, name] = m;
    return {
        ...step,
        prepare: `${statement.slice(0, -1)} NOT VALID;`,
        prepareMayExist: true,
        sql: `ALTER TABLE ONLY ${table} VALIDATE CONSTRAINT ${name};${step.sql.slice(statement.length)}`,
    };
}

/** Pre-data entries that may fail on a managed target without changing the data (reported as warnings). */
export function isTolerated(e: DumpEntry): boolean {
    return e.type === "COMMENT" && /^COMMENT ON EXTENSION /.test(e.sql);
}

// Scrubbing and sampling end to end against real PostgreSQL: the hooks applied by a small copy loop of this file's
// own (so these tests do not depend on the copy engine), on a source with personal columns, JSON, a unique email,
// a self-reference, a composite nullable FK, a cycle, a diamond and a table without a primary key.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { copy } from "../components/data/postgres-copy";
import { parseRules, scrubFingerprint, scrubHooks, ScrubRefusal, ScanError, type ScrubRules } from "../components/data/scrub";
import { Fakes } from "../components/data/scrub/fakes";
import { planSampling, seedPredicate } from "../components/data/scrub/sampling";
import { startPostgres, type PostgresServer } from "./helpers/servers";

// A minimal copy loop applying CopyHooks the way the engine does: beforeCopy on the source inside a READ ONLY
// transaction (any write would fail), the schema by `pg_dump --schema-only | psql`, then per table
// `COPY (SELECT … WHERE <rowFilter>) TO STDOUT`, decode, rowTransform, `COPY … FROM STDIN`, and afterCopy on the
// target. Foreign keys are not enforced during the load (session_replication_role = replica): the hooks' scan and
// these tests' own queries are what prove them.
import { spawn } from "node:child_process";
import { pipeline } from "node:stream/promises";
import { Readable, Writable } from "node:stream";
import { Client } from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { readCatalog } from "../components/data/postgres-copy/catalog";
import type { CopyHooks, Query, Row, SourceCatalog } from "../components/data/postgres-copy/hooks";

const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;

function queryOf(client: Client): Query {
    return async (sql, params) => (await client.query(sql, params as unknown[])).rows;
}

/** Decodes one COPY text line. */
function decodeLine(line: string): Row {
    return line.split("\t").map((f) => {
        if (f === "\\N") return null;
        return f.replace(/\\(\d{1,3}|x[0-9a-fA-F]{1,2}|.)/g, (_m, e: string) => {
            const simple: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" };
            if (e in simple) return simple[e];
            if (/^\d/.test(e)) return String.fromCharCode(parseInt(e, 8));
            if (e.startsWith("x")) return String.fromCharCode(parseInt(e.slice(1), 16));
            return e;
        });
    });
}

function encodeLine(row: Row): string {
    return `${row.map((v) => (v === null ? "\\N" : v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r"))).join("\t")}\n`;
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${err}`))));
        child.stdin.end(input ?? "");
    });
}

async function psql(url: string, sql: string): Promise<string> {
    return run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url], sql);
}

interface HarnessResult {
    catalog: SourceCatalog;
    rows: Record<string, number>;
}

/** Copies source → target through the hooks. The target database must exist and be empty. */
async function copyWithHooks(sourceUrl: string, targetUrl: string, hooks: CopyHooks): Promise<HarnessResult> {
    const src = new Client({ connectionString: sourceUrl });
    await src.connect();
    const dst = new Client({ connectionString: targetUrl });
    await dst.connect();
    try {
        await src.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const catalog = await readCatalog(src);
        await hooks.beforeCopy?.(catalog, queryOf(src));
        const schema = await run("pg_dump", ["--schema-only", "--no-owner", "--no-acl", "-d", sourceUrl]);
        await psql(targetUrl, schema);
        await dst.query("SET session_replication_role = replica");
        const counts: Record<string, number> = {};
        for (const t of catalog.tables) {
            const cols = t.columns.map((c) => q(c.name)).join(", ");
            const filter = hooks.rowFilter?.(t);
            const transform = hooks.rowTransform?.(t);
            const lines: string[] = [];
            const sink = new Writable({
                write(chunk: Buffer, _enc, cb) {
                    lines.push(chunk.toString("utf8"));
                    cb();
                },
            });
            await pipeline(src.query(copyTo(`COPY (SELECT ${cols} FROM ${q(t.schema)}.${q(t.name)}${filter ? ` WHERE ${filter}` : ""}) TO STDOUT`)), sink);
            const text = lines.join("");
            const rows = text === "" ? [] : text.replace(/\n$/, "").split("\n");
            counts[`${t.schema}.${t.name}`] = rows.length;
            const out = rows.map((l) => (transform ? encodeLine(transform(decodeLine(l))) : `${l}\n`));
            await pipeline(Readable.from(out), dst.query(copyFrom(`COPY ${q(t.schema)}.${q(t.name)} (${cols}) FROM STDIN`)));
        }
        await src.query("COMMIT");
        await dst.query("SET session_replication_role = origin");
        await hooks.afterCopy?.(catalog, queryOf(dst));
        return { catalog, rows: counts };
    } finally {
        await src.end();
        await dst.end();
    }
}

/** Every table's rows as sorted text lines (for same-seed comparisons). */
async function tableTexts(url: string, tables: Array<{ schema: string; name: string }>): Promise<Record<string, string[]>> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
        const out: Record<string, string[]> = {};
        for (const t of tables) {
            const r = await c.query(`SELECT t::text AS r FROM ${q(t.schema)}.${q(t.name)} t`);
            out[`${t.schema}.${t.name}`] = r.rows.map((x) => x.r as string).sort();
        }
        return out;
    } finally {
        await c.end();
    }
}


const FIXTURES = path.join(__dirname, "fixtures", "scrub");
const SEED_A = "seed-A-0123456789-abcdef";
const SEED_B = "seed-B-9876543210-fedcba";

interface SourceRow {
    ctid: string;
    values: Record<string, string | null>;
}

/** The closure by its definition, over rows in memory: an oracle independent of sampling.ts's key sets. */
async function expectedClosure(url: string, catalog: SourceCatalog, rules: ScrubRules, seed: string): Promise<Map<string, Set<string>>> {
    const plan = planSampling(catalog, rules);
    assert.ok(plan);
    const key = new Fakes(seed).key("sample").toString("hex");
    const c = new Client({ connectionString: url });
    await c.connect();
    const rows = new Map<string, SourceRow[]>();
    const seeds = new Set<string>();
    try {
        for (const t of catalog.tables) {
            const k = `${t.schema}.${t.name}`;
            const r = await c.query(`SELECT ctid::text AS "__ctid", ${t.columns.map((col) => `"${col.name}"::text AS "${col.name}"`).join(", ")} FROM "${t.schema}"."${t.name}"`);
            rows.set(k, r.rows.map((x) => ({ ctid: `${k}#${x.__ctid}`, values: x })));
            const s = plan.sampling.get(k);
            if (s) for (const x of (await c.query(`SELECT ctid::text AS c FROM "${t.schema}"."${t.name}" WHERE ${seedPredicate(t, s, key)}`)).rows) seeds.add(`${k}#${x.c}`);
        }
    } finally {
        await c.end();
    }
    // Row-level edges child → parent, only between non-whole tables.
    const byKey = new Map<string, string>();
    const parentsOf = new Map<string, string[]>();
    const childrenOf = new Map<string, string[]>();
    for (const t of catalog.tables) {
        for (const fk of t.foreignKeys) {
            const pk = `${fk.references.schema}.${fk.references.name}`;
            for (const r of rows.get(pk) ?? []) byKey.set(`${pk}|${fk.referencedColumns.join(",")}|${fk.referencedColumns.map((col) => r.values[col]).join("\u0001")}`, r.ctid);
        }
    }
    for (const t of catalog.tables) {
        const k = `${t.schema}.${t.name}`;
        if (plan.roles.get(k) === "whole") continue;
        for (const fk of t.foreignKeys) {
            const pk = `${fk.references.schema}.${fk.references.name}`;
            if (plan.roles.get(pk) === "whole") continue;
            for (const r of rows.get(k) ?? []) {
                const vals = fk.columns.map((col) => r.values[col]);
                if (vals.some((v) => v === null)) continue;
                const parent = byKey.get(`${pk}|${fk.referencedColumns.join(",")}|${vals.join("\u0001")}`);
                assert.ok(parent, `source FK ${fk.name} dangles`);
                parentsOf.set(r.ctid, [...(parentsOf.get(r.ctid) ?? []), parent]);
                childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), r.ctid]);
            }
        }
    }
    const closure = (start: Iterable<string>, next: Map<string, string[]>): Set<string> => {
        const seen = new Set(start);
        const stack = [...seen];
        while (stack.length > 0) {
            for (const n of next.get(stack.pop() as string) ?? []) {
                if (seen.has(n)) continue;
                seen.add(n);
                stack.push(n);
            }
        }
        return seen;
    };
    const r2 = closure(closure(seeds, childrenOf), parentsOf);
    const out = new Map<string, Set<string>>();
    for (const t of catalog.tables) {
        const k = `${t.schema}.${t.name}`;
        const keep = (rows.get(k) ?? []).filter((r) => plan.roles.get(k) === "whole" || r2.has(r.ctid));
        out.set(k, new Set(keep.map((r) => identity(t, r.values))));
    }
    return out;
}

/** A row's identity that scrubbing leaves alone: the primary key, or the kept columns of a table without one. */
function identity(t: { primaryKey: string[]; name: string }, v: Record<string, unknown>): string {
    if (t.primaryKey.length > 0) return t.primaryKey.map((c) => String(v[c])).join(",");
    return [v.user_id, v.action, v.at].map(String).join(",");
}

async function targetIdentities(url: string, catalog: SourceCatalog): Promise<Map<string, Set<string>>> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
        const out = new Map<string, Set<string>>();
        for (const t of catalog.tables) {
            const r = await c.query(`SELECT ${t.columns.map((col) => `"${col.name}"::text AS "${col.name}"`).join(", ")} FROM "${t.schema}"."${t.name}"`);
            out.set(`${t.schema}.${t.name}`, new Set(r.rows.map((x) => identity(t, x))));
        }
        return out;
    } finally {
        await c.end();
    }
}

async function values(url: string, sql: string): Promise<string[]> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
        return (await c.query(sql)).rows.map((r) => r.v as string);
    } finally {
        await c.end();
    }
}

async function userTableCount(url: string): Promise<number> {
    // herokuenv's own schema (the engine's progress records) is bookkeeping, not copied data.
    return Number((await values(url, "SELECT count(*)::text AS v FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'herokuenv')"))[0]);
}

describe("scrubbed, sampled copy against real PostgreSQL @servers", function () {
    this.timeout(180_000);
    let pg: PostgresServer;
    let source: string;
    let rules: ScrubRules;
    let n = 0;
    const target = (): Promise<string> => pg.createDatabase(`target_${++n}`);

    before(async () => {
        pg = await startPostgres();
        source = await pg.createDatabase("scrub_source");
        await psql(source, fs.readFileSync(path.join(FIXTURES, "source.sql"), "utf8"));
        rules = parseRules(fs.readFileSync(path.join(FIXTURES, "rules.yaml"), "utf8"), "rules.yaml");
    });
    after(async () => pg?.stop());

    it("keeps no original value in any scrubbed column, no dangling FK, unique indexes intact, exactly the two-way closure", async () => {
        const t1 = await target();
        const hooks = scrubHooks(rules, SEED_A);
        const { catalog, rows } = await copyWithHooks(source, t1, hooks);
        const report = hooks.report();
        assert.ok(report.scan, "the scan ran");
        assert.ok(report.scan.originalsKnown > 500, `originals fingerprinted: ${report.scan.originalsKnown}`);
        assert.deepEqual(report.scan.leaks, []);

        // The sample is a sample: about 20% of users, but not all, and the whole lookup table.
        assert.ok(rows["public.users"] > 20 && rows["public.users"] < 300, `users: ${rows["public.users"]}`);
        assert.equal(rows["public.countries"], 4);
        assert.equal(report.sampling?.roles["public.countries"], "whole");
        assert.equal(report.sampling?.roles["public.orders"], "follow");
        assert.ok(report.sampling?.cycles.some((c) => c.includes("public.teams") && c.includes("public.players")), JSON.stringify(report.sampling?.cycles));
        assert.ok(report.sampling?.cycles.some((c) => c.length === 1 && c[0] === "public.employees"));

        // Exactly the closure by definition (sampled rows, their dependants, all their ancestors), table by table.
        const expected = await expectedClosure(source, catalog, rules, SEED_A);
        const actual = await targetIdentities(t1, catalog);
        for (const [k, set] of expected) assert.deepEqual([...(actual.get(k) ?? [])].sort(), [...set].sort(), `${k}: rows differ from the closure`);
        // The interesting shapes are in there: a manager chain, a cycle, a diamond, composite/nullable FKs, no PK.
        for (const k of ["public.employees", "public.players", "public.teams", "public.d_bottom", "public.d_left", "public.d_right", "public.refunds", "public.audit_log", "public.order_lines"]) {
            assert.ok((actual.get(k)?.size ?? 0) > 0, `${k} has rows`);
        }
        assert.ok((actual.get("public.employees")?.size ?? 0) < 60);

        // No original value in any scrubbed column (checked here directly, not through the hooks' scan).
        const scrubbed: Array<[string, string]> = [
            ["users", "email"], ["users", "first_name"], ["users", "last_name"], ["users", "phone"], ["users", "password_hash"],
            ["users", "last_ip"], ["employees", "email"], ["employees", "full_name"], ["players", "nickname"], ["audit_log", "actor_email"],
        ];
        for (const [table, column] of scrubbed) {
            const before = new Set(await values(source, `SELECT "${column}"::text AS v FROM "${table}" WHERE "${column}" IS NOT NULL`));
            const after = await values(t1, `SELECT "${column}"::text AS v FROM "${table}" WHERE "${column}" IS NOT NULL`);
            assert.ok(after.length > 0, `${table}.${column} has values`);
            const kept = after.filter((v) => before.has(v));
            // first/last names come from small lists on both sides; anything else must never survive.
            if (column !== "first_name" && column !== "last_name" && column !== "nickname") assert.deepEqual(kept, [], `${table}.${column} kept originals`);
            else assert.ok(kept.length < after.length, `${table}.${column} unchanged`);
        }
        assert.deepEqual(await values(t1, `SELECT api_token AS v FROM users WHERE api_token IS NOT NULL`), []);
        const sourceEmails = new Set(await values(source, "SELECT email AS v FROM users"));
        for (const v of await values(t1, "SELECT profile->>'email' AS v FROM users")) assert.ok(!sourceEmails.has(v), "profile.email kept");
        assert.deepEqual(await values(t1, "SELECT profile->>'email' AS v FROM users WHERE profile->>'email' <> email"), [], "the JSON copy of the email gets the column's fake");
        assert.deepEqual(await values(t1, "SELECT a.user_id::text AS v FROM audit_log a JOIN users u ON u.id = a.user_id WHERE a.actor_email <> u.email"), [], "joins by email still match");
        assert.deepEqual(await values(t1, "SELECT (profile->'prefs'->'big')::text AS v FROM users LIMIT 1"), ["12345678901234567890"], "unruled JSON fields are exact");
        // Dates shift, within the range, never by zero.
        const src = new Client({ connectionString: source });
        await src.connect();
        const dst = new Client({ connectionString: t1 });
        await dst.connect();
        try {
            const a = new Map((await src.query("SELECT id, birth_date::text AS d FROM users")).rows.map((r) => [r.id, r.d]));
            for (const r of (await dst.query("SELECT id, birth_date::text AS d FROM users")).rows) {
                const days = (Date.parse(r.d) - Date.parse(a.get(r.id))) / 86_400_000;
                assert.ok(days !== 0 && Math.abs(days) <= 365, `birth date shifted by ${days}`);
            }
            // Every FK holds and every unique index is intact (independently of the scan).
            for (const t of catalog.tables) {
                for (const fk of t.foreignKeys) {
                    const cond = fk.columns.map((col, i) => `p."${fk.referencedColumns[i]}" = c."${col}"`).join(" AND ");
                    const nn = fk.columns.map((col) => `c."${col}" IS NOT NULL`).join(" AND ");
                    const r = await dst.query(`SELECT count(*)::int AS n FROM "${t.schema}"."${t.name}" c WHERE ${nn} AND NOT EXISTS (SELECT 1 FROM "${fk.references.schema}"."${fk.references.name}" p WHERE ${cond})`);
                    assert.equal(r.rows[0].n, 0, `${t.name}: ${fk.name} dangles`);
                }
            }
            const idx = await dst.query("SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND i.indisunique AND i.indisvalid");
            const srcIdx = await src.query("SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND i.indisunique AND i.indisvalid");
            assert.equal(idx.rows[0].n, srcIdx.rows[0].n);
        } finally {
            await src.end();
            await dst.end();
        }
    });

    it("gives the same copy for the same seed and a different one for a different seed", async () => {
        const [a1, a2, b] = [await target(), await target(), await target()];
        const { catalog } = await copyWithHooks(source, a1, scrubHooks(rules, SEED_A));
        await copyWithHooks(source, a2, scrubHooks(rules, SEED_A));
        await copyWithHooks(source, b, scrubHooks(rules, SEED_B));
        const [ta1, ta2, tb] = [await tableTexts(a1, catalog.tables), await tableTexts(a2, catalog.tables), await tableTexts(b, catalog.tables)];
        assert.deepEqual(ta1, ta2);
        assert.notDeepEqual(ta1["public.users"], tb["public.users"]);
        const ids = async (url: string): Promise<string[]> => (await values(url, "SELECT id::text AS v FROM users ORDER BY id"));
        assert.notDeepEqual(await ids(a1), await ids(b), "a different seed samples different rows");
        const emailA = new Map((await values(a1, "SELECT id || ' ' || email AS v FROM users")).map((l) => l.split(" ") as [string, string]));
        const differing = (await values(b, "SELECT id || ' ' || email AS v FROM users")).map((l) => l.split(" ")).filter(([id, e]) => emailA.has(id) && emailA.get(id) !== e);
        assert.ok(differing.length > 0, "the same user gets a different fake with another seed");
    });

    it("stops before anything is written when a new column looks personal and has no rule, listing the YAML to add", async () => {
        await psql(source, "ALTER TABLE users ADD COLUMN mobile text; UPDATE users SET mobile = '+44 7911 ' || lpad(id::text, 6, '0'); ALTER TABLE orders ADD COLUMN meta jsonb; UPDATE orders SET meta = jsonb_build_object('contact', jsonb_build_object('mail', 'buyer' || id || '@corp-mail.test'), 'n', id);");
        try {
            const t = await target();
            const err = await copyWithHooks(source, t, scrubHooks(rules, SEED_A)).then(
                () => undefined,
                (e: Error) => e,
            );
            assert.ok(err instanceof ScrubRefusal, String(err));
            assert.match(err.message, /users\.mobile: name looks like phone numbers/);
            assert.match(err.message, /^ {6}mobile: fake:phone$/m);
            assert.match(err.message, /orders\.meta: \$\.contact\.mail: key looks like email addresses/);
            assert.match(err.message, /^ {6}meta: \{ json: \{ "\$\.contact\.mail": fake:email \} \}$/m);
            assert.equal(await userTableCount(t), 0, "nothing was written to the target");
            // The printed lines, added to the rules, let the copy through.
            const fixed = parseRules(
                fs.readFileSync(path.join(FIXTURES, "rules.yaml"), "utf8").replace("      plan: keep\n", "      plan: keep\n      mobile: fake:phone\n").replace('"$.street": fake:address } }\n', '"$.street": fake:address } }\n      meta: { json: { "$.contact.mail": fake:email } }\n'),
                "fixed.yaml",
            );
            await copyWithHooks(source, await target(), scrubHooks(fixed, SEED_A));
        } finally {
            await psql(source, "ALTER TABLE users DROP COLUMN mobile; ALTER TABLE orders DROP COLUMN meta;");
        }
    });

    it("refuses a rule that cannot keep a unique column unique, naming the column, before anything is written", async () => {
        const bad = parseRules(fs.readFileSync(path.join(FIXTURES, "rules.yaml"), "utf8").replace("      email: fake:email\n      full_name", "      email: fake:name\n      full_name"), "bad.yaml");
        const t = await target();
        const err = await copyWithHooks(source, t, scrubHooks(bad, SEED_A)).then(() => undefined, (e: Error) => e);
        assert.ok(err instanceof ScrubRefusal, String(err));
        assert.match(err.message, /bad\.yaml:\d+: tables\.employees\.columns\.email: fake:name on employees\.email cannot keep its unique index \(email\) unique/);
        assert.equal(await userTableCount(t), 0);
    });

    it("makes colliding tags collision-free (short tags force collisions) and keeps the unique index", async () => {
        const db = await pg.createDatabase("collide");
        await psql(db, "CREATE TABLE members (id int PRIMARY KEY, email text NOT NULL UNIQUE); INSERT INTO members SELECT i, 'member' || i || '@corp-mail.test' FROM generate_series(1, 120) i;");
        const r = parseRules("tables:\n  members:\n    columns:\n      email: fake:email\n", "collide.yaml");
        const hooks = scrubHooks(r, SEED_A, { fakes: { tagBytes: { email: 1 } } });
        const t = await target();
        await copyWithHooks(db, t, hooks);
        assert.ok(hooks.report().retagged > 0, "collisions were found and re-tagged");
        const emails = await values(t, "SELECT email AS v FROM members");
        assert.equal(new Set(emails).size, 120);
        // 300 values cannot fit 256 one-byte tags: refused, column named, nothing written.
        await psql(db, "INSERT INTO members SELECT i, 'member' || i || '@corp-mail.test' FROM generate_series(121, 300) i;");
        const t2 = await target();
        const err = await copyWithHooks(db, t2, scrubHooks(r, SEED_A, { fakes: { tagBytes: { email: 1 } } })).then(() => undefined, (e: Error) => e);
        assert.ok(err instanceof ScrubRefusal, String(err));
        assert.match(err.message, /members\.email/);
        assert.equal(await userTableCount(t2), 0);
    });

    it("the scan fails when an original value survives elsewhere (a kept copy of a scrubbed email)", async () => {
        const leaky = parseRules(fs.readFileSync(path.join(FIXTURES, "rules.yaml"), "utf8").replace("      actor_email: fake:email", "      actor_email: keep"), "leaky.yaml");
        const err = await copyWithHooks(source, await target(), scrubHooks(leaky, SEED_A)).then(() => undefined, (e: Error) => e);
        assert.ok(err instanceof ScanError, String(err));
        assert.match(err.message, /audit_log\.actor_email: \d+ value\(s\) equal to an original value of a scrubbed column/);
    });

    it("a resumed run (rows transformed by an earlier process) still proves the target: originals are re-read from the source", async () => {
        const leaky = parseRules(fs.readFileSync(path.join(FIXTURES, "rules.yaml"), "utf8").replace("      actor_email: fake:email", "      actor_email: keep"), "leaky.yaml");
        const t = await target();
        const earlier = scrubHooks(leaky, SEED_A);
        const { catalog } = await copyWithHooks(source, t, { ...earlier, afterCopy: undefined });
        const resumed = scrubHooks(leaky, SEED_A);
        const src = new Client({ connectionString: source });
        const dst = new Client({ connectionString: t });
        await src.connect();
        await dst.connect();
        try {
            await resumed.beforeCopy?.(catalog, queryOf(src));
            await assert.rejects(resumed.afterCopy?.(catalog, queryOf(dst)) as Promise<void>, (e: Error) => e instanceof ScanError && /audit_log\.actor_email/.test(e.message));
        } finally {
            await src.end();
            await dst.end();
        }
    });

    it("through the copy engine: the same closure and the same scrubbed rows as the harness, and a refusal before any row", async () => {
        const viaEngine = await target();
        const hooks = scrubHooks(rules, SEED_A);
        await copy({ from: source, to: viaEngine, hooks, hooksFingerprint: scrubFingerprint(rules, SEED_A), targetKind: "sandbox" });
        assert.deepEqual(hooks.report().scan?.leaks, []);
        assert.deepEqual(hooks.report().scan?.danglingForeignKeys, []);
        const viaHarness = await target();
        const { catalog } = await copyWithHooks(source, viaHarness, scrubHooks(rules, SEED_A));
        assert.deepEqual(await tableTexts(viaEngine, catalog.tables), await tableTexts(viaHarness, catalog.tables));
        const expected = await expectedClosure(source, catalog, rules, SEED_A);
        const actual = await targetIdentities(viaEngine, catalog);
        for (const [k, set] of expected) assert.deepEqual([...(actual.get(k) ?? [])].sort(), [...set].sort(), `${k}: rows differ from the closure`);

        await psql(source, "ALTER TABLE employees ADD COLUMN ssn text; UPDATE employees SET ssn = '078-05-' || lpad(id::text, 4, '0');");
        try {
            const t = await target();
            await assert.rejects(copy({ from: source, to: t, hooks: scrubHooks(rules, SEED_A), targetKind: "sandbox" }), (e: Error) => /employees\.ssn: name looks like national id numbers/.test(e.message) && /ssn: fake:digits/.test(e.message));
            assert.equal(await userTableCount(t), 0, "no table was created in the target");
        } finally {
            await psql(source, "ALTER TABLE employees DROP COLUMN ssn;");
        }
        // files.keys naming a column the source does not have: refused before anything is written too.
        const withFiles = { ...rules, files: { keys: [{ schema: "public", table: "employees", column: "photo_key", line: 3 }] } };
        const t2 = await target();
        await assert.rejects(copy({ from: source, to: t2, hooks: scrubHooks(withFiles, SEED_A), targetKind: "sandbox" }), (e: Error) => /files\.keys\.employees\.photo_key: employees has no column photo_key/.test(e.message));
        assert.equal(await userTableCount(t2), 0, "no table was created in the target");
    });
});

// The PostgreSQL → PostgreSQL copy engine against real PostgreSQL 15 servers: a schema with every feature copied
// exactly (pg_dump --schema-only identical without ownership and ACL lines), equal counts and content, the app able
// to insert afterwards; split tables; the guards (production marker, sandbox without scrubbing, non-empty target);
// the hooks; and kill -9 in the middle of a copy, then a re-run.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { Client } from "pg";
import { copy, markEnvironment, MigrationError, type CopyHooks, type CopyReport } from "../components/data/postgres-copy";
import { readCatalog } from "../components/data/postgres-copy/catalog";
import { serverChecksum } from "../components/data/postgres-copy/copy";
import { readMarkers } from "../components/data/postgres-copy/guards";
import { psqlFile, withPg } from "./helpers/mysql-to-postgres";
import { startPostgres, type PostgresServer } from "./helpers/servers";

const FIXTURE = path.join(__dirname, "fixtures", "postgres", "every-feature.sql");
const MIB = 1024 * 1024;

/** pg_dump --schema-only without ownership, ACL, version and \restrict lines (and herokuenv's own schema). */
export function schemaDump(url: string): string {
    const r = spawnSync("pg_dump", ["--schema-only", "--exclude-schema=herokuenv", "--dbname", url], { encoding: "utf8", maxBuffer: 64 * MIB });
    if (r.status !== 0) throw new Error(`pg_dump failed: ${r.stderr}`);
    return r.stdout
        .split("\n")
        .filter((l) => !/^\\(un)?restrict\b|^-- Dumped (from|by)|OWNER TO|^GRANT |^REVOKE |^-- Name: .*; Owner: /.test(l))
        .join("\n");
}

/** Per table (every table holding rows): count and an md5 of the rows' text in order. */
export async function contents(url: string): Promise<Map<string, string>> {
    return withPg(url, async (c) => {
        await c.query("SET extra_float_digits = 1; SET TimeZone = 'UTC'; SET DateStyle = 'ISO'");
        const tables = await c.query(
            `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS q FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated)) AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'herokuenv') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`,
        );
        const out = new Map<string, string>();
        for (const { q } of tables.rows) {
            const r = await c.query(`SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') AS v FROM ONLY ${q} t`);
            out.set(q, r.rows[0].v);
        }
        const seqs = await c.query(`SELECT schemaname || '.' || sequencename AS s, coalesce(last_value::text, 'null') AS v FROM pg_sequences WHERE schemaname <> 'herokuenv' ORDER BY 1`);
        for (const r of seqs.rows) out.set(`sequence ${r.s}`, r.v);
        return out;
    });
}

describe("copy-db PostgreSQL → PostgreSQL @servers", function () {
    this.timeout(300_000);
    let a: PostgresServer;
    let b: PostgresServer;
    let source: string;
    let sourceDump: string;
    let sourceContents: Map<string, string>;
    let n = 0;
    const target = (): Promise<string> => b.createDatabase(`target_${++n}`);

    before(async () => {
        [a, b] = await Promise.all([startPostgres(), startPostgres()]);
        source = await a.createDatabase("app");
        await psqlFile(source, FIXTURE);
        // One table holding most of the bytes, split into ranges below.
        await withPg(source, (c) =>
            c.query(`CREATE TABLE big (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), body text NOT NULL, amount numeric(14, 4), at timestamptz);
                     INSERT INTO big SELECT g, 1 + g % 400, repeat(md5(g::text), 3), g * 0.0001, timestamptz '2024-01-01 00:00+00' + g * interval '1 second' FROM generate_series(1, 200000) g;
                     ANALYZE`),
        );
        sourceDump = schemaDump(source);
        sourceContents = await contents(source);
    });
    after(async () => {
        await Promise.all([a?.stop(), b?.stop()]);
    });

    async function assertIdentical(url: string): Promise<void> {
        assert.equal(schemaDump(url), sourceDump);
        assert.deepEqual(await contents(url), sourceContents);
    }

    it("copies every feature exactly: the schema dump, counts, content, sequences; the app inserts afterwards", async () => {
        const to = await target();
        const events: string[] = [];
        const report = await copy({ from: source, to, splitLargerThan: 2 * MIB, chunkBytes: 2 * MIB, onEvent: (e) => events.push(e.type) });
        assert.equal(report.mode, "stream");
        assert.equal(report.verification, "checksums");
        const big = report.tables.find((t) => t.source === "big");
        assert.equal(big?.rows, 200000);
        assert.ok(events.includes("table-progress") && events.includes("table-done"));
        const units = await withPg(to, (c) => c.query("SELECT count(*)::int AS n FROM herokuenv.herokuenv_migration WHERE kind = 'part'"));
        assert.ok(units.rows[0].n >= 4, `big was split into ranges (${units.rows[0].n})`);
        await assertIdentical(to);
        await withPg(to, async (c) => {
            const u = await c.query("INSERT INTO users (email) VALUES ('new@example.com') RETURNING id, ticket, email_domain");
            assert.ok(Number(u.rows[0].id) > 401);
            assert.equal(u.rows[0].email_domain, "example.com");
            assert.ok(Number(u.rows[0].ticket) > 5000);
            const inv = await c.query("INSERT INTO billing.invoices (user_id, amount, issued_on) VALUES (1, 10, '2025-01-01') RETURNING number");
            assert.ok(Number(inv.rows[0].number) >= 1100, "identity restarts past the copied rows");
            await c.query("INSERT INTO teams (name, owner_id) VALUES ('new', 1)");
            await c.query("INSERT INTO events (id, at, kind) VALUES (999999, '2025-03-01', 'x')");
            const audit = await c.query("SELECT count(*)::int AS n FROM audit_log WHERE op = 'INSERT' AND id > 1201");
            assert.equal(audit.rows[0].n, 1, "the trigger fires after the copy");
            await assert.rejects(c.query("INSERT INTO team_members (team_id, user_id) VALUES (1, 123456)"), /foreign key/);
            await assert.rejects(c.query("INSERT INTO users (email) VALUES ('USER1@example.com')"), /users_email_key/);
            const mv = await c.query("SELECT count(*)::int AS n FROM user_totals");
            assert.equal(mv.rows[0].n, 401, "materialized views are refreshed");
        });
    });

    it("copies foreign keys (a cycle, a self-reference, a composite key to a unique constraint, quoted names); a dangling reference fails the copy naming the key", async () => {
        // Quoted names with spaces: each table's index steps still start as soon as its rows are in (stepTable).
        const from = await a.createDatabase("fk_source");
        await withPg(from, (c) =>
            c.query(`CREATE SCHEMA "Odd Schema";
                CREATE TABLE "Odd Schema"."Teams" (id int PRIMARY KEY, code text NOT NULL, region int NOT NULL, lead_id int, UNIQUE (code, region));
                CREATE TABLE people (id int PRIMARY KEY, team_id int REFERENCES "Odd Schema"."Teams" (id) DEFERRABLE, boss_id int REFERENCES people (id));
                ALTER TABLE "Odd Schema"."Teams" ADD CONSTRAINT lead_fk FOREIGN KEY (lead_id) REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED;
                CREATE TABLE tasks (id bigint PRIMARY KEY, owner int NOT NULL REFERENCES people (id), team_code text, team_region int, FOREIGN KEY (team_code, team_region) REFERENCES "Odd Schema"."Teams" (code, region));
                INSERT INTO "Odd Schema"."Teams" SELECT g, 'c' || g, g % 3, NULL FROM generate_series(1, 50) g;
                INSERT INTO people SELECT g, 1 + g % 50, CASE WHEN g > 1 THEN 1 + g % (g - 1) END FROM generate_series(1, 2000) g;
                UPDATE "Odd Schema"."Teams" SET lead_id = id * 3;
                INSERT INTO tasks SELECT g, 1 + g % 2000, CASE WHEN g % 4 > 0 THEN 'c' || (1 + g % 50) END, CASE WHEN g % 4 > 0 THEN (1 + g % 50) % 3 END FROM generate_series(1, 30000) g;`),
        );
        const to = await target();
        const report = await copy({ from, to });
        assert.equal(report.rows, 50 + 2000 + 30000);
        assert.equal(schemaDump(to), schemaDump(from));
        assert.deepEqual(await contents(to), await contents(from));
        await withPg(to, async (c) => {
            const fks = await c.query("SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND convalidated");
            assert.equal(fks.rows[0].n, 5);
            await assert.rejects(c.query("INSERT INTO tasks VALUES (99999, 1, 'nope', 1)"), /foreign key/);
        });
        // A row filter that drops referenced rows: the foreign key's validation fails the copy, naming it.
        const to2 = await target();
        await assert.rejects(
            copy({ from, to: to2, hooks: { rowFilter: (t) => (t.name === "people" ? "id > 10" : undefined) } }),
            (err: MigrationError) => /post-data: fk constraint .*(people_boss_id_fkey|tasks_owner_fkey|lead_fk)/.test(err.message),
        );
    });

    it("a re-run after a crash between a key's index build and its constraint, or a foreign key's add and its validation, finishes the copy exactly", async () => {
        // Key constraints are built as their unique index, then ADD CONSTRAINT … USING INDEX; foreign keys are added
        // NOT VALID, then validated: two transactions each. A crash between them leaves the first one's result.
        const from = await a.createDatabase("two_step_source");
        await withPg(from, (c) =>
            c.query(`CREATE TABLE parent (id int PRIMARY KEY, code text NOT NULL UNIQUE);
                CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent (id));
                INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 500) g;
                INSERT INTO child SELECT g, 1 + g % 500 FROM generate_series(1, 5000) g;`),
        );
        const to = await target();
        await copy({ from, to });
        await withPg(to, async (c) => {
            await c.query("ALTER TABLE child DROP CONSTRAINT child_parent_id_fkey; ALTER TABLE parent DROP CONSTRAINT parent_code_key");
            await c.query("CREATE UNIQUE INDEX parent_code_key ON public.parent USING btree (code)");
            await c.query("ALTER TABLE child ADD CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID");
            const forgotten = await c.query("DELETE FROM herokuenv.herokuenv_migration WHERE (kind = 'post-data' AND (source_table LIKE '% parent_code_key' OR source_table LIKE '% child_parent_id_fkey')) OR table_name = '~finished'");
            assert.equal(forgotten.rowCount, 3);
        });
        const report = await copy({ from, to });
        assert.ok(report.tables.every((t) => t.status === "skipped"), "the rows are not copied again");
        assert.equal(schemaDump(to), schemaDump(from));
        await withPg(to, async (c) => {
            const r = await c.query("SELECT conname, convalidated FROM pg_constraint WHERE conrelid IN ('parent'::regclass, 'child'::regclass) ORDER BY 1");
            assert.deepEqual(r.rows, [
                { conname: "child_parent_id_fkey", convalidated: true },
                { conname: "child_pkey", convalidated: true },
                { conname: "parent_code_key", convalidated: true },
                { conname: "parent_pkey", convalidated: true },
            ]);
            await assert.rejects(c.query("INSERT INTO parent VALUES (501, 'p1')"), /parent_code_key/);
        });
    });

    it("refuses a target marked as production, whatever the flags, and writes nothing", async () => {
        const to = await target();
        await withPg(to, (c) => markEnvironment(c, "production", "production"));
        await assert.rejects(copy({ from: source, to, overwrite: true }), (err: MigrationError) => err.kind === "refused" && /production/.test(err.message));
        await assert.rejects(copy({ from: source, to, overwrite: true, targetKind: "staging" }), (err: MigrationError) => err.kind === "refused");
        await withPg(to, async (c) => {
            const r = await c.query("SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'");
            assert.equal(r.rows[0].n, 0);
            assert.deepEqual((await readMarkers(c)).kinds, ["production"]);
        });
        // The database-level setting is a marker too.
        const to2 = await target();
        await withPg(to2, (c) => c.query(`ALTER DATABASE ${to2.split("/").pop()} SET herokuenv.environment = 'production'`));
        await assert.rejects(copy({ from: source, to: to2 }), (err: MigrationError) => err.kind === "refused" && /production/.test(err.message));
        // And the caller cannot declare production.
        await assert.rejects(copy({ from: source, to: to2, targetKind: "production" as never }), (err: MigrationError) => err.kind === "usage");
        // The source's marker is not copied: a copy of production is not production.
        const src2 = await a.createDatabase("marked_source");
        await withPg(src2, async (c) => {
            await c.query("CREATE TABLE t (id int PRIMARY KEY)");
            await markEnvironment(c, "production", "production");
        });
        const to3 = await target();
        await copy({ from: src2, to: to3 });
        await withPg(to3, async (c) => assert.deepEqual((await readMarkers(c)).kinds, []));
    });

    it("refuses an unscrubbed copy into a sandbox; a scrubbed one goes through", async () => {
        const to = await target();
        await withPg(to, (c) => markEnvironment(c, "sandbox", "mini-alice"));
        await assert.rejects(copy({ from: source, to }), (err: MigrationError) => err.kind === "refused" && /sandbox/.test(err.message));
        await assert.rejects(copy({ from: source, to: await target(), targetKind: "sandbox" }), (err: MigrationError) => err.kind === "refused");
        // An identity rewrite of every table: exercises decoding and re-encoding of every COPY escape.
        const hooks: CopyHooks = { rowTransform: () => (row) => row };
        const report = await copy({ from: source, to, hooks });
        assert.equal(report.tables.length, 12);
        await assertIdentical(to);
    });

    it("needs --overwrite for a target that is not empty, then replaces it", async () => {
        const to = await target();
        await withPg(to, (c) => c.query("CREATE TABLE leftover (x int); CREATE SCHEMA old; CREATE TABLE old.y (z int)"));
        await assert.rejects(copy({ from: source, to }), (err: MigrationError) => err.kind === "refused" && /not empty/.test(err.message) && /leftover/.test(err.message));
        await copy({ from: source, to, overwrite: true });
        await assertIdentical(to);
        // A finished copy is a non-empty target for another source.
        const other = await a.createDatabase("other");
        await withPg(other, (c) => c.query("CREATE TABLE t (id int)"));
        await assert.rejects(copy({ from: other, to }), (err: MigrationError) => err.kind === "refused");
    });

    it("applies the hooks: beforeCopy may refuse before anything is written; rowFilter samples; rowTransform rewrites; afterCopy checks", async () => {
        const to = await target();
        await assert.rejects(
            copy({ from: source, to, hooks: { beforeCopy: async (catalog, q) => {
                assert.ok(catalog.tables.some((t) => t.name === "users" && t.primaryKey[0] === "id" && t.uniqueIndexes.some((u) => u[0] === "email")));
                assert.ok(catalog.tables.find((t) => t.name === "team_members")?.foreignKeys.some((f) => f.references.name === "users"));
                assert.ok(!catalog.tables.find((t) => t.name === "users")?.columns.some((c) => c.name === "email_domain"), "generated columns are not copied");
                await assert.rejects(q("CREATE TABLE nope (x int)"), /read-only/);
                throw new Error("unclassified personal data: users.email");
            } } }),
            /unclassified personal data/,
        );
        await withPg(to, async (c) => assert.equal((await c.query("SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")).rows[0].n, 0));
        let after = -1;
        const hooks: CopyHooks = {
            rowFilter: (t) => (t.name === "page_views" ? "ms > 100" : t.name === "big" ? "id % 10 = 0" : undefined),
            rowTransform: (t) => {
                if (t.name !== "page_views") return undefined;
                const i = t.columns.findIndex((c) => c.name === "path");
                return (row) => row.map((v, j) => (j === i && v !== null ? `${v.toUpperCase()}\t\\x` : v));
            },
            afterCopy: async (_catalog, q) => {
                after = Number((await q("SELECT count(*) AS n FROM page_views"))[0].n);
            },
        };
        const report: CopyReport = await copy({ from: source, to, hooks, splitLargerThan: 2 * MIB, chunkBytes: 2 * MIB });
        const expected = await withPg(source, async (c) => Number((await c.query("SELECT count(*) AS n FROM page_views WHERE ms > 100")).rows[0].n));
        assert.equal(report.tables.find((t) => t.source === "page_views")?.rows, expected);
        assert.equal(report.tables.find((t) => t.source === "big")?.rows, 20000);
        assert.equal(after, expected);
        await withPg(to, async (c) => {
            const r = await c.query("SELECT path FROM page_views WHERE path IS NOT NULL LIMIT 1");
            assert.match(r.rows[0].path, /^\/P\/\d+\t\\x$/);
        });
    });

    it("fails the copy naming the table when the target's rows differ from the source's; the server-side checksums see one changed value", async () => {
        // A filter that picks other rows each time it runs: the COPY and the source-side checksum disagree.
        const to = await target();
        await assert.rejects(
            copy({ from: source, to, hooks: { rowFilter: (t) => (t.name === "big" ? "random() < 0.5" : undefined) } }),
            (err: MigrationError) => err.kind === "verification" && /verification failed for big\b/.test(err.message),
        );
        await withPg(to, async (c) => assert.equal((await c.query("SELECT count(*)::int AS n FROM big")).rows[0].n, 0, "nothing of the failed unit committed"));
        // Both kinds of column hash (stored values; text, for a type without a hash function) change with one value.
        const to2 = await target();
        await copy({ from: source, to: to2 });
        const catalog = await withPg(source, (c) => c.query("BEGIN").then(() => readCatalog(c)));
        const big = catalog.tables.find((t) => t.name === "big")!;
        assert.equal(big.hashable, true);
        assert.equal(big.binary, true);
        for (const hashable of [true, false]) {
            const t = { ...big, columnHashes: hashable ? big.columnHashes : big.columnHashes!.map((h) => ({ type: h.type })) };
            const [a1, b1] = [await withPg(source, (c) => serverChecksum(c, t)), await withPg(to2, (c) => serverChecksum(c, t))];
            assert.deepEqual(b1, a1);
            assert.equal(a1.rows, 200000);
            await withPg(to2, (c) => c.query("UPDATE big SET amount = amount + 0.0001 WHERE id = 7"));
            const b2 = await withPg(to2, (c) => serverChecksum(c, t));
            assert.equal(b2.rows, a1.rows);
            assert.notEqual(b2.digest, a1.digest);
            await withPg(to2, (c) => c.query("UPDATE big SET amount = amount - 0.0001 WHERE id = 7"));
        }
    });

    it("kill -9 during a copy, then a re-run, ends identical to the source", async () => {
        const to = await target();
        const engine = path.join(__dirname, "..", "components", "data", "postgres-copy");
        const script = `require(${JSON.stringify(engine)}).copy({ from: process.env.FROM, to: process.env.TO, concurrency: 1, splitLargerThan: ${MIB}, chunkBytes: ${MIB} }).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });`;
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { env: { ...process.env, FROM: source, TO: to }, stdio: ["ignore", "ignore", "pipe"], cwd: path.join(__dirname, "..") });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        const client = new Client({ connectionString: to });
        await client.connect();
        let recorded = 0;
        try {
            for (let i = 0; i < 3000; i++) {
                const r = await client.query("SELECT count(*) FILTER (WHERE kind IN ('part', 'table'))::int AS n FROM herokuenv.herokuenv_migration").catch(() => ({ rows: [{ n: 0 }] }));
                recorded = r.rows[0].n;
                if (recorded >= 3) break;
                await new Promise((resolve) => setTimeout(resolve, 10));
            }
            child.kill("SIGKILL");
            assert.equal(await exited, null, `the copy was killed, not finished (${stderr})`);
            const state = await client.query("SELECT count(*) FILTER (WHERE kind = 'finalize')::int AS fin, count(*) FILTER (WHERE kind IN ('part', 'table'))::int AS units FROM herokuenv.herokuenv_migration");
            assert.equal(state.rows[0].fin, 0, "killed before the end");
            assert.ok(state.rows[0].units >= 3);
        } finally {
            await client.end();
        }
        const report = await copy({ from: source, to, concurrency: 2, splitLargerThan: MIB, chunkBytes: MIB });
        assert.ok(report.tables.some((t) => t.status === "skipped") || recorded > 0);
        await assertIdentical(to);
    });
});

// The dump file as a source (herokuenv migrate-db --from dump.sql[.gz]) against the live source on the same data:
// the adversarial set dumped with mariadb-dump (default, --hex-blob, --skip-extended-insert, --compact,
// --complete-insert), Sakila (views, triggers, routines; gzip) and pgloader's fixtures. Each dump migration must give
// the live run's catalog, counts, checksums, warnings and the very same PostgreSQL contents. A truncated dump and a
// dump with a statement it cannot read fail with the file, the line and the table, and write nothing.
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { migrate, MigrationError, type MigrateOptions, type MigrationReport } from "../components/data/mysql-to-postgres";
import { openSource } from "../components/data/mysql-to-postgres/source";
import { loadMySql, withPg, killDuringCopy, runCli } from "./helpers/mysql-to-postgres";
import { mariadbQuery, startMariaDb, startPostgres, type MariaDbServer, type PostgresServer } from "./helpers/servers";

const FIXTURES = path.join(__dirname, "fixtures", "mysql");

function dumpDatabase(my: MariaDbServer, database: string, args: string[], file: string): Promise<void> {
    const u = new URL(my.url);
    return new Promise((resolve, reject) =>
        execFile("mariadb-dump", ["--no-defaults", "--protocol=TCP", `--host=${u.hostname}`, `--port=${u.port}`, "--user=root", ...args, `--result-file=${file}`, database], (err, _o, stderr) =>
            err ? reject(new Error(`mariadb-dump failed: ${stderr}`)) : resolve(),
        ),
    );
}

/** Every table's row count and the md5 of its rows' text, sorted: equal contents give equal results. */
async function contents(url: string, schema: string): Promise<Record<string, string>> {
    return withPg(url, async (c) => {
        const tables = (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", [schema])).rows.map((r) => r.tablename as string);
        const out: Record<string, string> = {};
        for (const t of tables) {
            const q = `"${schema}"."${t.replace(/"/g, '""')}"`;
            const r = (await c.query(`SELECT count(*)::text AS n, md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) AS h FROM (SELECT t::text AS x FROM ${q} t) s`)).rows[0];
            out[t] = `${r.n}:${r.h}`;
        }
        return out;
    });
}

/** What must be the same from both sources: per table rows and checksums, the warnings, the sequences. */
function essentials(report: MigrationReport): unknown {
    return {
        tables: report.tables.map((t) => ({ source: t.source, target: t.target, rows: t.rows, checksum: t.checksum, warnings: t.warnings.map((w) => w.message).sort() })).sort((a, b) => a.source.localeCompare(b.source)),
        warnings: report.warnings.map((w) => w.message).sort(),
        sequences: [...report.sequences].sort((a, b) => a.table.localeCompare(b.table)),
        rows: report.rows,
    };
}

describe("migrate-db from a dump file @servers", function () {
    this.timeout(300_000);
    let my: MariaDbServer;
    let pg: PostgresServer;
    let dir: string;

    before(async () => {
        [my, pg] = await Promise.all([startMariaDb(), startPostgres()]);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-dump-test-"));
        await loadMySql(my.url, { file: path.join(FIXTURES, "sakila", "sakila-mv-schema.sql") });
        await loadMySql(`${my.url}sakila`, { file: path.join(FIXTURES, "sakila", "sakila-mv-data.sql") });
        await loadMySql(my.url, { file: path.join(FIXTURES, "pgloader", "mytest.sql") });
        const adversarial = await my.createDatabase("adversarial");
        await loadMySql(adversarial, { file: path.join(FIXTURES, "adversarial.sql") });
    });
    after(async () => {
        await Promise.all([my?.stop(), pg?.stop()]);
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Migrates the live database and each dump into fresh targets; asserts equal catalogs, reports and contents. */
    async function sameAsLive(database: string, dumps: { name: string; file: string }[], options: Partial<MigrateOptions> = {}): Promise<MigrationReport[]> {
        const live = `${my.url}${database}`;
        const liveTarget = await pg.createDatabase(`${database}_live`);
        const liveReport = await migrate({ ...options, from: live, to: liveTarget });
        const schema = options.targetSchema ?? "public";
        const expected = await contents(liveTarget, schema);
        const liveSource = await openSource(live);
        const liveCatalog = await liveSource.readCatalog();
        await liveSource.close();
        const reports: MigrationReport[] = [];
        for (const dump of dumps) {
            const source = await openSource(dump.file);
            const catalog = await source.readCatalog();
            await source.close();
            const strip = (c: typeof catalog): unknown => ({ ...c, version: "", database: "", tables: c.tables.map((t) => ({ ...t, estimatedRows: 0, dataLength: 0 })) });
            assert.deepEqual(strip(catalog), strip(liveCatalog), `${dump.name}: the catalog from the dump is the one information_schema gives`);
            const target = await pg.createDatabase(`${database}_${dump.name}`);
            const report = await migrate({ ...options, from: dump.file, to: target });
            assert.deepEqual(essentials(report), essentials(liveReport), `${dump.name}: counts, checksums, warnings and sequences as from the live server`);
            assert.deepEqual(await contents(target, schema), expected, `${dump.name}: the same PostgreSQL contents as from the live server`);
            reports.push(report);
        }
        return reports;
    }

    it("reads the adversarial set dumped by mariadb-dump (default, --hex-blob, --skip-extended-insert, --compact, --complete-insert) exactly like the live source", async () => {
        const variants: [string, string[]][] = [
            ["default", []],
            ["hex", ["--hex-blob"]],
            ["single", ["--skip-extended-insert"]],
            ["compact", ["--compact"]],
            ["complete", ["--complete-insert", "--routines", "--triggers", "--events"]],
        ];
        const dumps: { name: string; file: string }[] = [];
        for (const [name, args] of variants) {
            const file = path.join(dir, `adversarial-${name}.sql`);
            await dumpDatabase(my, "adversarial", args, file);
            dumps.push({ name, file });
        }
        const text = fs.readFileSync(path.join(dir, "adversarial-hex.sql"), "latin1");
        assert.match(text, /0x[0-9A-F]{8,}/, "--hex-blob writes hex literals");
        assert.match(fs.readFileSync(path.join(dir, "adversarial-single.sql"), "latin1"), /^INSERT INTO `blobs` VALUES \(2,/m);
        const [report] = await sameAsLive("adversarial", dumps, { columns: { "all_types.c_time": { type: "interval" }, "all_types.c_time3": { type: "interval" } } });
        const warnings = report.warnings.map((w) => `${w.kind}:${w.table}.${w.column ?? ""}:${w.count ?? ""}`);
        assert.ok(warnings.includes("nul-bytes:nasty_text.val:2"), warnings.join("\n"));
        assert.ok(warnings.includes("zero-dates:zero_dates.d:2"), warnings.join("\n"));
        assert.equal(report.tables.find((t) => t.source === "blobs")?.rows, 257);
    });

    it("reports the values a default conversion cannot carry before writing any row, from a dump too", async () => {
        const db = await my.createDatabase("out_of_range");
        await loadMySql(db, { file: path.join(FIXTURES, "out-of-range.sql") });
        const file = path.join(dir, "out-of-range.sql");
        await dumpDatabase(my, "out_of_range", [], file);
        const errors: string[] = [];
        for (const from of [db, file]) {
            const target = await pg.createDatabase(`oor_${errors.length}`);
            const err = await migrate({ from, to: target }).then(() => assert.fail("must refuse"), (e: MigrationError) => e);
            assert.equal(err.kind, "problems");
            errors.push(err.message);
            assert.equal(await withPg(target, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n), 0, "nothing written");
        }
        assert.equal(errors[1], errors[0]);
    });

    it("reads Sakila (views, triggers, routines; gzip) like the live source, and resumes from the progress record", async () => {
        const plain = path.join(dir, "sakila.sql");
        await dumpDatabase(my, "sakila", ["--routines", "--triggers", "--events"], plain);
        const gz = path.join(dir, "sakila.sql.gz");
        fs.writeFileSync(gz, gzipSync(fs.readFileSync(plain), { level: 9 }));
        const [report] = await sameAsLive("sakila", [{ name: "gz", file: gz }], { concurrency: 3 });
        const unsupported = report.warnings.filter((w) => w.kind === "unsupported-object").map((w) => w.message);
        for (const name of ["view film_list", "view sales_by_store", "trigger ins_film", "procedure rewards_report", "function get_customer_balance"]) {
            assert.ok(unsupported.some((m) => m.startsWith(name)), `warning for ${name}`);
        }
        // A second run from the same dump (copied elsewhere: the fingerprint is the content's) copies nothing.
        const copy = path.join(dir, "copied-sakila.sql.gz");
        fs.copyFileSync(gz, copy);
        const again = await migrate({ from: copy, to: pg.url.replace(/\/postgres$/, "/sakila_gz") });
        assert.ok(again.tables.every((t) => t.status === "skipped"));
        assert.deepEqual(again.tables.map((t) => t.checksum).sort(), report.tables.map((t) => t.checksum).sort());
    });

    it("reads pgloader's corner-case fixtures like the live source", async () => {
        const file = path.join(dir, "pgloader.sql");
        await dumpDatabase(my, "pgloader_mytest", ["--hex-blob"], file);
        await sameAsLive("pgloader_mytest", [{ name: "hexblob", file }], {
            targetSchema: "mytest",
            columns: {
                "zero_dates_notnull.created_at": { type: "timestamp" },
                "zero_dates_notnull.updated_at": { type: "timestamp" },
                "hex_binary.raw_hex": { type: "bytea", transform: "hex-to-bytea" },
                "ip_addresses.ip_raw": { type: "inet", transform: "inet-binary" },
                "binary_types.uuid_col": { type: "uuid" },
            },
        });
    });

    it("fails on a truncated dump and on a statement it cannot read, naming the file, the line and the table, and writes nothing", async () => {
        const full = path.join(dir, "adversarial-default.sql");
        const text = fs.readFileSync(full);
        const cut = text.indexOf("INSERT INTO `nasty_text`") + 200;
        const cases: { name: string; data: Buffer; expect: RegExp }[] = [
            { name: "truncated.sql", data: text.subarray(0, cut), expect: /line \d+, table nasty_text: the dump ends in the middle of an INSERT into nasty_text/ },
            { name: "truncated.sql.gz", data: gzipSync(text.subarray(0, cut)), expect: /line \d+, table nasty_text: the dump ends in the middle/ },
            { name: "cut-between-tables.sql", data: text.subarray(0, text.indexOf("-- Table structure for table `select`")), expect: /line \d+, table nasty_text: the dump ends without mysqldump's "Dump completed" line/ },
            {
                name: "bad-value.sql",
                data: Buffer.from(text.toString("latin1").replace("INSERT INTO `nasty_text` VALUES\n(1,", "INSERT INTO `nasty_text` VALUES\n(1,garbage,"), "latin1"),
                expect: /line \d+, table nasty_text: cannot read the value "GARBAGE"/,
            },
            { name: "bad-statement.sql", data: Buffer.concat([text.subarray(0, cut - 200), Buffer.from("FROBNICATE TABLE x;\n"), text.subarray(cut - 200)]), expect: /line \d+: cannot read this statement: "FROBNICATE TABLE x"/ },
        ];
        for (const c of cases) {
            const file = path.join(dir, c.name);
            fs.writeFileSync(file, c.data);
            const target = await pg.createDatabase(c.name.replace(/\W/g, "_"));
            const err = await migrate({ from: file, to: target, columns: { "all_types.c_time": { type: "interval" }, "all_types.c_time3": { type: "interval" } } }).then(
                () => assert.fail(`${c.name} must fail`),
                (e: MigrationError) => e,
            );
            assert.ok(err.message.includes(`source (dump file ${file}), line `), `${c.name}: ${err.message}`);
            assert.match(err.message, c.expect, c.name);
            const lineNo = Number(/line (\d+)/.exec(err.message)?.[1]);
            if (c.name === "bad-value.sql") assert.match(c.data.toString("latin1").split("\n")[lineNo - 1], /^\(1,garbage,/, "the line number points at the row");
            await withPg(target, async (cl) => {
                assert.equal((await cl.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n, 0, `${c.name}: nothing written`);
                const progress = await cl.query("SELECT to_regclass('herokuenv.herokuenv_migration') IS NULL AS absent");
                if (!progress.rows[0].absent) assert.equal((await cl.query("SELECT count(*)::int AS n FROM herokuenv.herokuenv_migration")).rows[0].n, 0, `${c.name}: nothing recorded as done`);
            });
        }
    });

    it("herokuenv migrate-db --from dump.sql.gz resumes after kill -9 in the middle of a table", async () => {
        const db = await my.createDatabase("killdump");
        await mariadbQuery(db, "CREATE TABLE small (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))");
        await mariadbQuery(db, "INSERT INTO small (v) SELECT CONCAT('v', seq) FROM seq_1_to_100");
        await mariadbQuery(db, "CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, amount DECIMAL(12,2), created DATETIME(6), note TEXT)");
        await mariadbQuery(db, "INSERT INTO big (name, amount, created, note) SELECT CONCAT('name ', seq), seq / 100, TIMESTAMP('2020-01-01') + INTERVAL seq SECOND, IF(seq % 10 = 0, NULL, REPEAT('note\\t', seq % 7)) FROM seq_1_to_300000");
        const plain = path.join(dir, "killdump.sql");
        await dumpDatabase(my, "killdump", [], plain);
        const file = `${plain}.gz`;
        fs.writeFileSync(file, gzipSync(fs.readFileSync(plain)));
        const target = await pg.createDatabase("killdump");
        const args = ["migrate-db", "--from", file, "--to", target, "--concurrency", "1", "--no-progress"];
        assert.equal((await runCli([...args, "--tables", "small"]).done).code, 0);
        const run = runCli(args);
        const killed = await killDuringCopy(run, pg.url, { rows: 20_000, pollMs: 25, attempts: 1200 });
        const result = await run.done;
        assert.ok(killed, `the copy never got going: ${result.stderr}`);
        await withPg(target, async (c) => assert.equal((await c.query("SELECT to_regclass('public.big') IS NOT NULL AS e")).rows[0].e, false));
        const rerun = await runCli(args).done;
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.match(rerun.stderr, /small: already verified, skipped/);
        assert.match(rerun.stdout, /big\s+copied\+verified\s+300000/);
        const liveTarget = await pg.createDatabase("killdump_live");
        await migrate({ from: db, to: liveTarget });
        assert.deepEqual(await contents(target, "public"), await contents(liveTarget, "public"));
    });
});

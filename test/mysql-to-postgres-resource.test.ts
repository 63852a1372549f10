// The MySqlToPostgres dynamic resource as `pulumi up` runs it: serialized under mocks through ts-node, then driven
// in a fresh plain-Node process (test/helpers/provider-host) against real MariaDB and PostgreSQL servers.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MySqlToPostgres, type MySqlToPostgresArgs, type MySqlToPostgresInputs, type MySqlToPostgresOutputs } from "../components/data/mysql-to-postgres/resource";
import { optionProblem } from "../components/data/mysql-to-postgres/options";
import { Maintenance } from "../components/heroku/maintenance";
import { loadMySql, withPg } from "./helpers/mysql-to-postgres";
import { ProviderHost, serializeProvider, type ProviderError } from "./helpers/provider-host";
import { isSecretValue, unwrap } from "./helpers/pulumi-program";
import { mariadbQuery, startMariaDb, startPostgres, type MariaDbServer, type PostgresServer } from "./helpers/servers";
import { startHerokuDouble } from "./heroku-double";

const MYSQL_PASSWORD = "my-Sup3r_secret-pw";
const PG_PASSWORD = "pg-Sup3r_secret-pw";

describe("MySqlToPostgres dynamic resource @servers", function () {
    this.timeout(180_000);
    let my: MariaDbServer;
    let pg: PostgresServer;
    let source: string;
    let target: string;
    let host: ProviderHost | undefined;

    before(async () => {
        [my, pg] = await Promise.all([startMariaDb(), startPostgres()]);
        await loadMySql(my.url, { file: path.join(__dirname, "fixtures", "mysql", "sakila", "sakila-mv-schema.sql") });
        await loadMySql(`${my.url}sakila`, { file: path.join(__dirname, "fixtures", "mysql", "sakila", "sakila-mv-data.sql") });
        await mariadbQuery(my.url, `CREATE USER 'migrator'@'127.0.0.1' IDENTIFIED BY '${MYSQL_PASSWORD}'; GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON sakila.* TO 'migrator'@'127.0.0.1'`);
        source = `mysql://migrator:${encodeURIComponent(MYSQL_PASSWORD)}@127.0.0.1:${my.port}/sakila`;
        await pg.createDatabase("resource");
        await withPg(pg.url, (c) => c.query(`CREATE ROLE app LOGIN PASSWORD '${PG_PASSWORD}'; ALTER DATABASE resource OWNER TO app`));
        target = `postgres://app:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${pg.port}/resource`;
    });
    afterEach(async () => {
        await host?.stop();
        host = undefined;
    });
    after(async () => {
        await Promise.all([my?.stop(), pg?.stop()]);
    });

    /** Serializes the resource and returns the provider text and the inputs as Pulumi's host hands them over. */
    async function serialized(args: Partial<MySqlToPostgresArgs>): Promise<{ provider: string; inputs: Record<string, unknown> }> {
        const s = await serializeProvider(() => new MySqlToPostgres("migration", { source, target, tables: ["actor", "language", "film"], ...args }));
        assert.ok(isSecretValue(s.inputs.source), "source is a secret input");
        assert.ok(isSecretValue(s.inputs.target), "target is a secret input");
        assert.ok(!s.provider.includes(MYSQL_PASSWORD) && !s.provider.includes(PG_PASSWORD), "no secret in the provider text");
        return { provider: s.provider, inputs: unwrap(s.inputs) as Record<string, unknown> };
    }

    function assertNoSecrets(text: string, where: string): void {
        for (const secret of [MYSQL_PASSWORD, PG_PASSWORD, encodeURIComponent(MYSQL_PASSWORD)]) assert.ok(!text.includes(secret), `${where} leaks a password`);
    }

    it("creates (copies and verifies), diffs to a no-op, reads the verification state and replaces on an option change", async () => {
        const { provider, inputs } = await serialized({ allowWritesDuringCopy: true });
        host = await ProviderHost.start(provider);
        const checked = await host.call<{ inputs: MySqlToPostgresInputs; failures: unknown[] }>("check", {}, inputs);
        assert.deepEqual(checked.failures, []);
        const created = await host.call<{ id: string; outs: MySqlToPostgresOutputs }>("create", checked.inputs);
        assert.match(created.id, /^mysql-to-postgres-[0-9a-f]{16}$/);
        assert.equal(created.outs.verified, true);
        assert.equal(created.outs.rows, 200 + 6 + 1000);
        assert.deepEqual(created.outs.tableResults.map((t) => t.source).sort(), ["actor", "film", "language"]);
        const { source: _s, target: _t, ...plainOuts } = created.outs;
        assertNoSecrets(JSON.stringify(plainOuts), "outputs other than source/target");

        const noop = await host.call<{ changes: boolean; replaces: string[] }>("diff", created.id, created.outs, checked.inputs);
        assert.deepEqual([noop.changes, noop.replaces], [false, []]);
        const faster = await host.call<{ changes: boolean }>("diff", created.id, created.outs, { ...checked.inputs, concurrency: 4 });
        assert.equal(faster.changes, false, "concurrency does not shape the data");

        const read = await host.call<{ id: string; props: MySqlToPostgresOutputs }>("read", created.id, created.outs);
        assert.equal(read.props.verified, true);
        assert.deepEqual(read.props.tableResults.find((t) => t.source === "actor")?.rows, 200);
        // Drift: rows deleted behind Pulumi's back show up as unverified on refresh.
        await withPg(target, (c) => c.query("DELETE FROM actor WHERE actor_id > 190"));
        const drifted = await host.call<{ props: MySqlToPostgresOutputs }>("read", created.id, created.outs);
        assert.equal(drifted.props.verified, false);

        const replaced = await host.call<{ changes: boolean; replaces: string[] }>("diff", created.id, created.outs, { ...checked.inputs, enumAs: "check" });
        assert.deepEqual([replaced.changes, replaced.replaces], [true, ["enumAs"]]);
        const retarget = await host.call<{ replaces: string[] }>("diff", created.id, created.outs, { ...checked.inputs, target: target.replace("/resource", "/other") });
        assert.deepEqual(retarget.replaces, ["target"]);
        await host.call("delete", created.id, created.outs);
        assertNoSecrets(host.stderr, "provider stderr");
    });

    it("refuses to run unless the source is in maintenance, and keeps secrets out of errors", async () => {
        const { provider, inputs } = await serialized({});
        host = await ProviderHost.start(provider);
        const refused = await host.call<{ failures: { property: string; reason: string }[] }>("check", {}, inputs);
        assert.equal(refused.failures[0]?.property, "sourceMaintenance");
        assert.match(refused.failures[0].reason, /Maintenance `enabled` output/);

        const guarded = await host.call<{ failures: unknown[] }>("check", {}, { ...inputs, sourceMaintenance: true });
        assert.deepEqual(guarded.failures, []);
        // During preview the Maintenance output is not known yet: check must not fail on it.
        const preview = await host.call<{ failures: unknown[] }>("check", {}, { ...inputs, sourceMaintenance: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
        assert.deepEqual(preview.failures, []);

        const wrong = { ...(await host.call<{ inputs: MySqlToPostgresInputs }>("check", {}, { ...inputs, sourceMaintenance: true })).inputs };
        wrong.source = (wrong.source as string).replace("/sakila", "/no_such_db");
        const err = await host.call("create", wrong).then(
            () => assert.fail("create must fail"),
            (e: ProviderError) => e,
        );
        assert.match(err.message, /no_such_db|Access denied/);
        assertNoSecrets(`${err.message}\n${err.text}\n${err.hostStack}\n${host.stderr}`, "a failed create");
    });

    /**
     * Runs a program under Pulumi mocks in which a Maintenance resource's `enabled` output feeds the migration's
     * sourceMaintenance, and returns what was registered: the migration's provider text and inputs, and every type.
     */
    async function maintenanceProgram(preview: boolean): Promise<{ provider: string; inputs: Record<string, unknown>; types: Map<string, string> }> {
        const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
                    // The Maintenance provider turns maintenance on and reports enabled: true (unknown during a preview).
                    const state = args.type === "pulumi-nodejs:dynamic/herokuenv:heroku.Maintenance" && !preview ? { ...args.inputs, enabled: true } : args.inputs;
                    return { id: preview ? undefined : `${args.name}-id`, state };
                },
                call: (args) => args.inputs as Record<string, unknown>,
            },
            "herokuenv",
            "test",
            preview,
        );
        const maintenance = new Maintenance("old-site-readonly", { app: "old-app" });
        new MySqlToPostgres("database", { source, target, tables: ["language"], sourceMaintenance: maintenance.enabled });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
        for (let i = 0; i < 100 && !registered.some((r) => r.name === "database"); i++) {
            await settings.waitForRPCs();
            await new Promise((r) => setTimeout(r, 10));
        }
        const db = registered.find((r) => r.name === "database");
        assert.ok(db, "the migration was registered");
        const { __provider, ...inputs } = db.inputs;
        // The mocks show a value unknown during preview as { __pulumiUnknown: true }; Pulumi's dynamic-provider host
        // hands it to check as pulumi.runtime.unknownValue.
        const asHost = (v: unknown): unknown => (typeof v === "object" && v !== null && (v as Record<string, unknown>).__pulumiUnknown === true ? pulumi.runtime.unknownValue : v);
        const hostInputs = Object.fromEntries(Object.entries(unwrap(inputs) as Record<string, unknown>).map(([k, v]) => [k, asHost(v)]));
        return { provider: __provider as string, inputs: hostInputs, types: new Map(registered.map((r) => [r.name, r.type])) };
    }

    it("takes a Maintenance resource's enabled output as its guard: check accepts it, and accepts it unknown during preview", async () => {
        const up = await maintenanceProgram(false);
        assert.equal(up.types.get("database"), "pulumi-nodejs:dynamic/herokuenv:data.MySqlToPostgres");
        assert.equal(up.types.get("old-site-readonly"), "pulumi-nodejs:dynamic/herokuenv:heroku.Maintenance");
        assert.equal(up.inputs.sourceMaintenance, true, "the Maintenance output reached the migration");
        assert.ok(up.provider.length < 6000, `the provider text stays thin (${up.provider.length} characters)`);
        assert.ok(!up.provider.includes("ts-node") && !up.provider.includes("process.cwd(), \"components"), "no engine path or ts-node loading in the provider");
        host = await ProviderHost.start(up.provider);
        const checked = await host.call<{ inputs: MySqlToPostgresInputs; failures: unknown[] }>("check", {}, up.inputs);
        assert.deepEqual(checked.failures, []);
        assert.equal(checked.inputs.sourceMaintenance, true);
        await host.stop();

        const preview = await maintenanceProgram(true);
        assert.equal(preview.inputs.sourceMaintenance, pulumi.runtime.unknownValue, "unknown during preview");
        host = await ProviderHost.start(preview.provider);
        const previewed = await host.call<{ failures: unknown[] }>("check", {}, preview.inputs);
        assert.deepEqual(previewed.failures, []);
        // Without the guard (maintenance off, or no Maintenance at all) check refuses.
        const off = await host.call<{ failures: { property: string }[] }>("check", {}, { ...preview.inputs, sourceMaintenance: false });
        assert.deepEqual(off.failures.map((f) => f.property), ["sourceMaintenance"]);
        const { sourceMaintenance: _m, ...unguarded } = preview.inputs;
        const none = await host.call<{ failures: { property: string }[] }>("check", {}, unguarded);
        assert.deepEqual(none.failures.map((f) => f.property), ["sourceMaintenance"]);
    });

    it("check refuses options with the engine's own words, and accepts values unknown during preview", async () => {
        const { provider, inputs } = await serialized({ allowWritesDuringCopy: true });
        host = await ProviderHost.start(provider);
        const bad = await host.call<{ failures: { property: string; reason: string }[] }>("check", {}, { ...inputs, concurrency: 40, enumAs: "domain" });
        assert.deepEqual(bad.failures, [
            { property: "concurrency", reason: optionProblem("concurrency", 40) },
            { property: "enumAs", reason: optionProblem("enumAs", "domain") },
        ]);
        assert.equal(bad.failures[0].reason, "concurrency must be an integer from 1 to 16, got 40");
        const unknown = pulumi.runtime.unknownValue;
        const preview = await host.call<{ failures: unknown[] }>("check", {}, { ...inputs, source: unknown, target: unknown, concurrency: unknown, schema: unknown, allowWritesDuringCopy: unknown });
        assert.deepEqual(preview.failures, []);
        const urls = await host.call<{ failures: { property: string; reason: string }[] }>("check", {}, { ...inputs, source: "http://x/db", target: "" });
        assert.deepEqual(urls.failures.map((f) => f.property), ["source", "target"]);
        assert.match(urls.failures[0].reason, /must start with mysql:\/\//);
    });

    it("reads a dump file (made absolute at program time, no maintenance guard) into the Heroku app's DATABASE_URL read at run time, with --column strings and a failure hint", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-resource-dump-"));
        const u = new URL(my.url);
        const dump = path.join(dir, "sakila.sql");
        execFileSync("mariadb-dump", ["--no-defaults", "--protocol=TCP", `--host=${u.hostname}`, `--port=${u.port}`, "--user=root", `--result-file=${dump}`, "sakila", "language", "film_text"]);
        await pg.createDatabase("fromdump");
        await withPg(pg.url, (c) => c.query("ALTER DATABASE fromdump OWNER TO app"));
        const dumpTarget = target.replace("/resource", "/fromdump");
        const double = await startHerokuDouble();
        try {
            const app = double.state.createApp({ name: "new-app" });
            double.state.patchConfigVars(app.id, { DATABASE_URL: dumpTarget });
            const cwd = process.cwd();
            process.chdir(dir);
            let s: Awaited<ReturnType<typeof serializeProvider>>;
            try {
                s = await serializeProvider(
                    () =>
                        new MySqlToPostgres("migration", {
                            dumpFile: "sakila.sql",
                            targetApp: "new-app",
                            targetConfigVar: "DATABASE_URL",
                            columns: { "film_text.description": "varchar(2000)", "language.last_update": "timestamp" },
                            failureHint: { step: "database", next: "Fix the dump and" },
                        }),
                );
            } finally {
                process.chdir(cwd);
            }
            const inputs = unwrap(s.inputs) as Record<string, unknown>;
            assert.equal(inputs.dumpFile, dump, "the path is absolute in the inputs");
            assert.equal(inputs.target, undefined);
            assert.ok(!JSON.stringify(inputs).includes(PG_PASSWORD), "the target URL is not an input");
            host = await ProviderHost.start(s.provider, { config: { "heroku:apiKey": double.token, "heroku:apiUrl": double.url } });
            const checked = await host.call<{ inputs: MySqlToPostgresInputs; failures: unknown[] }>("check", {}, inputs);
            assert.deepEqual(checked.failures, [], "a dump needs no maintenance guard");
            assert.deepEqual(checked.inputs.columns, { "film_text.description": { type: "varchar(2000)" }, "language.last_update": { type: "timestamp" } });
            const created = await host.call<{ id: string; outs: MySqlToPostgresOutputs }>("create", checked.inputs);
            assert.equal(created.outs.verified, true);
            assert.equal(created.outs.rows, 6 + 1000);
            assert.ok(created.outs.seconds > 0 && created.outs.seconds < 120, `seconds output (${created.outs.seconds})`);
            assertNoSecrets(JSON.stringify(created.outs), "outputs");
            const type = await withPg(dumpTarget, async (c) => (await c.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'language' AND column_name = 'last_update'")).rows[0].data_type);
            assert.equal(type, "timestamp without time zone", "the string override applied");
            const read = await host.call<{ props: MySqlToPostgresOutputs }>("read", created.id, created.outs);
            assert.equal(read.props.verified, true);
            assert.ok(double.requests.some((r) => r.method === "GET" && /\/apps\/new-app\/config-vars$/.test(r.path)), "the URL came from GET /apps/{app}/config-vars");
            double.assertNoSchemaViolations();

            // Exactly one source and one target; a bad string override is refused with the CLI's words.
            const both = await host.call<{ failures: { property: string; reason: string }[] }>("check", {}, { ...inputs, source: source, target: dumpTarget });
            assert.deepEqual(both.failures.map((f) => f.property), ["source", "target"]);
            assert.match(both.failures[0].reason, /exactly one source/);
            const neither = await host.call<{ failures: { property: string }[] }>("check", {}, { ...inputs, dumpFile: undefined, targetApp: undefined, targetConfigVar: undefined });
            assert.deepEqual(neither.failures.map((f) => f.property), ["source", "target", "sourceMaintenance"]);
            const badColumn = await host.call<{ failures: { property: string; reason: string }[] }>("check", {}, { ...inputs, columns: { "film_text.description": "text:frobnicate" } });
            assert.match(badColumn.failures[0]?.reason ?? "", /unknown transform "frobnicate"/);

            // A missing config var fails the step with the hint, naming neither the URL nor a password.
            double.state.patchConfigVars(app.id, { DATABASE_URL: null });
            const err = await host.call("create", checked.inputs).then(() => assert.fail("must fail"), (e: ProviderError) => e);
            assert.match(err.message, /migration step "database" failed: .*new-app has no config var DATABASE_URL.*The site stays in maintenance\. Fix the dump and/);
            assertNoSecrets(`${err.message}\n${host.stderr}`, "the failed create");
        } finally {
            await double.stop();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

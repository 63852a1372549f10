// The MySqlToPostgres dynamic resource as `pulumi up` runs it: serialized under mocks through ts-node, then driven
// in a fresh plain-Node process (test/helpers/provider-host) against real MariaDB and PostgreSQL servers.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MySqlToPostgres, type MySqlToPostgresArgs, type MySqlToPostgresInputs, type MySqlToPostgresOutputs } from "../components/data/mysql-to-postgres/resource";
import { loadMySql, withPg } from "./helpers/mysql-to-postgres";
import { ProviderHost, serializeProvider, type ProviderError } from "./helpers/provider-host";
import { isSecretValue, unwrap } from "./helpers/pulumi-program";
import { mariadbQuery, startMariaDb, startPostgres, type MariaDbServer, type PostgresServer } from "./helpers/servers";

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
        wrong.source = wrong.source.replace("/sakila", "/no_such_db");
        const err = await host.call("create", wrong).then(
            () => assert.fail("create must fail"),
            (e: ProviderError) => e,
        );
        assert.match(err.message, /no_such_db|Access denied/);
        assertNoSecrets(`${err.message}\n${err.text}\n${err.hostStack}\n${host.stderr}`, "a failed create");
    });

    it("takes the Maintenance resource's enabled output as its guard under Pulumi mocks", async () => {
        const s = await serializeProvider(() => new MySqlToPostgres("guarded", { source, target, sourceMaintenance: pulumi.output(true) }));
        assert.equal(unwrap(s.inputs.sourceMaintenance), true);
    });
});

// The production program with a `herokuenv:migration` block, under mocks: the night's steps, ordered by their
// dependencies, the report exported, secrets kept secret; without the block, none of it.
import * as assert from "node:assert/strict";
import { fakeSecret, isSecretValue, runStackFile, unwrap, type ProgramRun, type RegisteredResource } from "./helpers/pulumi-program";

const T = "pulumi-nodejs:dynamic/herokuenv:";
const MIGRATION_KEYS = ["migration.MaintenanceStep", "migration.DnsTtl", "migration.DnsCutover", "data.MySqlToPostgres", "data.FileSync"];

const liveSource = {
    phase: "migrate",
    database: { url: { secure: "v1:old-database-url" }, columns: { "events.duration": "interval" } },
    files: { source: "export/media.tar.gz" },
    maintenance: { oldSite: { command: "ssh old-host ./maintenance on" } },
    cutover: { sslMode: "strict", ttl: 120 },
};

function byName(run: ProgramRun, name: string): RegisteredResource {
    const found = run.resources.find((r) => r.name === name);
    assert.ok(found, `${name} is registered; got ${run.resources.map((r) => r.name).join(", ")}`);
    return found;
}

describe("the migration night under mocks", function () {
    let run: ProgramRun;
    before(async function () {
        run = await runStackFile("production", { "herokuenv:migration": liveSource });
        assert.equal(run.error, undefined, run.error?.message);
    });

    it("registers maintenance on → database → files → DNS cutover → maintenance off, each depending on the one before", function () {
        const chain = ["site-migration-maintenance-on", "site-migration-database", "site-migration-files", "site-migration-dns-cutover", "site-migration-maintenance-off"];
        const resources = chain.map((name) => byName(run, name));
        assert.deepEqual(resources.map((r) => r.type), [`${T}migration.MaintenanceStep`, `${T}data.MySqlToPostgres`, `${T}data.FileSync`, `${T}migration.DnsCutover`, `${T}migration.MaintenanceStep`]);
        for (let i = 1; i < resources.length; i++) {
            // Dependencies carry the full parent-type chain in their URNs: match the type and name.
            const previous = `${resources[i - 1].type}::${resources[i - 1].name}`;
            assert.ok(resources[i].dependencies.some((u) => u.endsWith(previous)), `${chain[i]} depends on ${chain[i - 1]}: ${resources[i].dependencies.join(", ")}`);
        }
        // The database waits for the Heroku Postgres add-on as well, and every step is part of the component.
        assert.ok(byName(run, "site-migration-database").dependencies.some((u) => u.endsWith("::site-database")));
        for (const r of resources) assert.match(r.parent, /herokuenv:migration:HerokuMigration::site-migration$/);
    });

    it("declares each step's inputs: the old site's switch, the secret source URL, the Heroku database by app, the files bucket, the cutover", function () {
        const on = byName(run, "site-migration-maintenance-on").inputs;
        assert.equal(on.enabled, true);
        assert.deepEqual(on.oldSite, { command: "ssh old-host ./maintenance on" });
        const database = byName(run, "site-migration-database").inputs;
        assert.equal(isSecretValue(database.source), true);
        assert.equal(unwrap(database.source), fakeSecret("herokuenv:migration.database.url"));
        assert.equal(database.targetConfigVar, "DATABASE_URL");
        assert.match(String(unwrap(database.targetApp)), /^[0-9a-f-]{36}$/);
        assert.equal(unwrap(database.target) ?? undefined, undefined, "the target URL is read from Heroku when the step runs, never stored");
        const files = byName(run, "site-migration-files").inputs;
        assert.equal(unwrap(files.destination), "s3://sendhub-production-files/files");
        assert.equal(files.fingerprint, "herokuenv-migration");
        assert.equal(isSecretValue(files.secretAccessKey), true);
        const cutover = byName(run, "site-migration-dns-cutover").inputs;
        assert.equal(cutover.sslMode, "strict");
        assert.deepEqual((unwrap(cutover.records) as Array<{ hostname: string }>).map((r) => r.hostname), ["sendhub.com", "www.sendhub.com", "api.sendhub.com"]);
        const ttl = byName(run, "site-migration-dns-ttl").inputs;
        assert.deepEqual([ttl.ttl, ttl.hostnames], [120, ["sendhub.com", "www.sendhub.com", "api.sendhub.com"]]);
        assert.equal(byName(run, "site-migration-maintenance-off").inputs.enabled, false);
    });

    it("leaves the cut-over hostnames' records to the cutover step (no DnsRecord for them before the night)", function () {
        assert.equal(run.resources.some((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord"), false);
    });

    it("exports the migration report and never shows the source URL in plain text", function () {
        assert.ok("migrationReport" in run.outputs);
        const plain = JSON.stringify(run.resources.map((r) => ({ ...r, inputs: Object.fromEntries(Object.entries(r.inputs).filter(([, v]) => !isSecretValue(v))), state: undefined }))) + JSON.stringify(run.outputs) + run.logs.join("\n");
        assert.equal(plain.includes(fakeSecret("herokuenv:migration.database.url")), false);
    });

    it("creates only the TTL step in the prepare phase, and no migration resource without the block", async function () {
        const prepare = await runStackFile("production", { "herokuenv:migration": { ...liveSource, phase: "prepare" } });
        assert.equal(prepare.error, undefined, prepare.error?.message);
        const kinds = (r: ProgramRun) => r.resources.map((x) => x.type.replace(T, "")).filter((t) => MIGRATION_KEYS.includes(t));
        assert.deepEqual(kinds(prepare), ["migration.DnsTtl"]);
        const without = await runStackFile("production");
        assert.deepEqual(kinds(without), []);
        assert.equal(without.resources.some((r) => r.type === "herokuenv:migration:HerokuMigration"), false);
        assert.equal(without.outputs.migrationReport, undefined);
    });

    it("refuses a plain-text source URL, a Flexible SSL mode, a live source without the old site's switch, and the block outside production", async function () {
        const bad = await runStackFile("production", {
            "herokuenv:migration": { ...liveSource, database: { url: "mysql://u:hunter2@old/site" }, maintenance: {}, cutover: { sslMode: "flexible" } },
        });
        assert.ok(bad.error);
        const message = bad.error.message;
        assert.match(message, /herokuenv:migration\.database\.url: is set in plain text/);
        assert.match(message, /herokuenv:migration\.cutover\.sslMode: must be strict or full: Flexible sends plain HTTP/);
        assert.match(message, /herokuenv:migration\.maintenance\.oldSite: a live source/);
        assert.equal(message.includes("hunter2"), false, "the password is not echoed");
        const staging = await runStackFile("staging", { "herokuenv:migration": { database: { dumpFile: "x.sql" } } });
        assert.match(staging.error?.message ?? "", /herokuenv:migration: only the production stack migrates/);
    });
});

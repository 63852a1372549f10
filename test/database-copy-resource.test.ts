// DatabaseCopy and EnvironmentMarker as `pulumi up` runs them: serialized under mocks, driven in a fresh provider
// host, the databases named by Heroku apps (the schema-checked double answers their DATABASE_URL) on a real
// PostgreSQL. Production is refused at check (kind or stack) and, whatever the inputs say, by the engine reading the
// target's own marker.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { parse as parseYaml } from "yaml";
import { EnvironmentMarker } from "../components/data/postgres-copy/environment-marker";
import { DatabaseCopy } from "../components/data/postgres-copy/resource";
import { startHerokuDouble, type HerokuDouble } from "./heroku-double";
import { ProviderHost, serializeProvider, type ProviderError } from "./helpers/provider-host";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { startPostgres, startS3rver, type PostgresServer, type S3Server } from "./helpers/servers";

const SCRUB = path.join(__dirname, "fixtures", "scrub");
const SEED = "a-team-seed-of-at-least-16-chars";

async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
        return (await client.query(sql)).rows as T[];
    } finally {
        await client.end();
    }
}

describe("DatabaseCopy and EnvironmentMarker in a fresh provider host @servers", function () {
    this.timeout(180_000);
    let pg: PostgresServer;
    let double: HerokuDouble;
    let s3: S3Server;
    let copyHost: ProviderHost;
    let markerHost: ProviderHost;
    const apps: Record<string, string> = {};

    async function app(name: string, database: string, seedSql?: string): Promise<string> {
        const url = await pg.createDatabase(database);
        if (seedSql) await query(url, seedSql);
        const record = double.state.createApp({ name });
        record.configVars.set("DATABASE_URL", url);
        apps[name] = url;
        return record.id;
    }

    before(async function () {
        [pg, double, s3] = await Promise.all([startPostgres(), startHerokuDouble(), startS3rver()]);
        const config = { "heroku:apiKey": double.token, "heroku:apiUrl": double.url };
        const { provider } = await serializeProvider(() => new DatabaseCopy("copy", { sourceApp: "a", targetApp: "b", targetKind: "staging", targetStack: "staging" }));
        // The sampled files are copied with the usual AWS credentials (the operator's), here s3rver's.
        copyHost = await ProviderHost.start(provider, { config, env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey } });
        const marker = await serializeProvider(() => new EnvironmentMarker("marker", { app: "a", configVar: "DATABASE_URL", kind: "production", stack: "production" }));
        markerHost = await ProviderHost.start(marker.provider, { config });
    });
    after(async function () {
        await copyHost?.stop();
        await markerHost?.stop();
        await double?.stop();
        await pg?.stop();
        await s3?.stop();
    });

    const check = (news: Record<string, unknown>) => copyHost.call<{ inputs: Record<string, unknown>; failures: { property: string; reason: string }[] }>("check", {}, news);

    it("refuses at check a production target (by kind or stack), an unscrubbed sandbox, and scrubbing without a seed", async function () {
        const base = { sourceApp: "site-staging", targetApp: "site-production", targetStack: "staging", targetKind: "staging" };
        assert.match((await check({ ...base, targetKind: "production" })).failures[0].reason, /never writes into production/);
        assert.match((await check({ ...base, targetStack: "production" })).failures[0].reason, /never writes into production/);
        assert.match((await check({ ...base, targetKind: "sandbox" })).failures[0].reason, /an unscrubbed copy into a sandbox is refused/);
        const rules = parseYaml(fs.readFileSync(path.join(SCRUB, "rules.yaml"), "utf8")) as Record<string, unknown>;
        assert.match((await check({ ...base, targetKind: "sandbox", rules })).failures[0].reason, /needs its secret seed/);
        assert.deepEqual((await check({ ...base, targetKind: "sandbox", rules, seed: SEED })).failures, []);
    });

    it("copies production into staging by app, marks staging, and copies again (replacing) on a new refresh token", async function () {
        const production = await app("site-production", "production_db", "CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 500) g;");
        const staging = await app("site-staging", "staging_db");
        // Each stack marks its own database first, as the Environment declares it.
        for (const [id, kind, stack] of [[production, "production", "production"], [staging, "staging", "staging"]]) {
            await markerHost.call("create", { app: id, configVar: "DATABASE_URL", kind, stack });
        }
        const { inputs } = await check({ sourceApp: "site-production", targetApp: staging, targetKind: "staging", targetStack: "staging", serverSide: false });
        const created = await copyHost.call<{ id: string; outs: Record<string, unknown> }>("create", inputs);
        assert.deepEqual([created.outs.mode, created.outs.verification, created.outs.rows, created.outs.scrubbed], ["stream", "checksums", 500, false]);
        assert.deepEqual(await query(apps["site-staging"], "SELECT count(*)::int AS n, sum(total)::text AS s FROM orders"), [{ n: 500, s: "187875.0" }]);
        assert.deepEqual(await query(apps["site-staging"], "SELECT kind, stack FROM herokuenv.environment"), [{ kind: "staging", stack: "staging" }]);
        assert.equal(JSON.stringify(created.outs).includes(apps["site-production"]), false, "no URL in the outputs");

        await query(apps["site-production"], "INSERT INTO orders VALUES (501, 1)");
        const again = { ...inputs, refreshToken: "2026-12-01" };
        assert.deepEqual(await copyHost.call("diff", created.id, created.outs, again), { changes: true, replaces: [], deleteBeforeReplace: true });
        const updated = await copyHost.call<{ outs: Record<string, unknown> }>("update", created.id, created.outs, again);
        assert.equal(updated.outs.rows, 501);
        assert.deepEqual(await query(apps["site-staging"], "SELECT count(*)::int AS n FROM orders"), [{ n: 501 }]);
    });

    it("refuses, in the engine, a target whose database is marked production, whatever the inputs claim", async function () {
        const { inputs } = await check({ sourceApp: "site-staging", targetApp: "site-production", targetKind: "staging", targetStack: "staging", serverSide: false });
        const err = (await copyHost.call("create", inputs).catch((e: unknown) => e)) as ProviderError;
        assert.match(err.message, /refusing to copy into a production database \(the target database is marked as production by stack production\)/);
        assert.deepEqual(await query(apps["site-production"], "SELECT count(*)::int AS n FROM orders"), [{ n: 501 }]);
    });

    it("seeds a sandbox with a scrubbed, sampled copy: no original email survives, foreign keys hold", async function () {
        const staging = await app("site-staging-alice-src", "scrub_source", fs.readFileSync(path.join(SCRUB, "source.sql"), "utf8"));
        const sandbox = await app("site-staging-alice", "sandbox_db");
        await markerHost.call("create", { app: sandbox, configVar: "DATABASE_URL", kind: "sandbox", stack: "mini-alice" });
        const rules = parseYaml(fs.readFileSync(path.join(SCRUB, "rules.yaml"), "utf8")) as Record<string, unknown>;
        const { inputs, failures } = await check({ sourceApp: staging, targetApp: sandbox, targetKind: "sandbox", targetStack: "mini-alice", rules, seed: SEED });
        assert.deepEqual(failures, []);
        const created = await copyHost.call<{ outs: Record<string, unknown> }>("create", inputs);
        assert.equal(created.outs.scrubbed, true);
        const originals = (await query<{ email: string }>(apps["site-staging-alice-src"], "SELECT email FROM users")).map((r) => r.email);
        const copied = (await query<{ email: string }>(apps["site-staging-alice"], "SELECT email FROM users")).map((r) => r.email);
        assert.ok(copied.length > 0 && copied.length < originals.length, `sampled: ${copied.length} of ${originals.length}`);
        assert.equal(copied.filter((e) => originals.includes(e)).length, 0);
        assert.deepEqual(await query(apps["site-staging-alice"], "SELECT kind FROM herokuenv.environment"), [{ kind: "sandbox" }]);
        // The seed is kept only as the `seed` output, which the resource marks secret (encrypted in the state).
        assert.equal(JSON.stringify({ ...created.outs, seed: undefined }).includes(SEED), false);
        assert.equal(copyHost.stderr.includes(SEED), false);
    });

    it("copies into a sandbox only the user files its sampled rows name (files.keys), server-side, and counts the missing ones", async function () {
        const staging = await app("site-staging-bob-src", "files_source", `CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, avatar_key text);
            INSERT INTO users SELECT g, 'user' || g || '@example.com', CASE WHEN g % 10 <> 0 THEN '/avatars/' || g || '.png' END FROM generate_series(1, 60) g;`);
        const sandbox = await app("site-staging-bob", "files_sandbox");
        await markerHost.call("create", { app: sandbox, configVar: "DATABASE_URL", kind: "sandbox", stack: "mini-bob" });
        await Promise.all(["staging-files", "bob-files"].map((b) => s3.createBucket(b)));
        const client = s3.s3Client();
        // Every avatar but user 7's is in staging's bucket, and one file no row names.
        for (let id = 1; id <= 60; id++) if (id % 10 !== 0 && id !== 7) await client.send(new PutObjectCommand({ Bucket: "staging-files", Key: `files/avatars/${id}.png`, Body: `png ${id}` }));
        await client.send(new PutObjectCommand({ Bucket: "staging-files", Key: "files/orphan.png", Body: "nobody's" }));
        const rules = { tables: { users: { sample: "50%", columns: { email: "fake:email", avatar_key: "keep" } } }, files: { keys: ["users.avatar_key"] } };
        const files = { source: "s3://staging-files/files", destination: "s3://bob-files/files", endpoint: s3.endpoint, forcePathStyle: true, region: s3.region };
        const { inputs, failures } = await check({ sourceApp: staging, targetApp: sandbox, targetKind: "sandbox", targetStack: "mini-bob", rules, seed: SEED, files });
        assert.deepEqual(failures, []);
        const created = await copyHost.call<{ outs: Record<string, unknown> }>("create", inputs);
        const named = (await query<{ k: string }>(apps["site-staging-bob"], "SELECT substr(avatar_key, 2) AS k FROM users WHERE avatar_key IS NOT NULL")).map((r) => `files/${r.k}`);
        const listed = await client.send(new ListObjectsV2Command({ Bucket: "bob-files", Prefix: "files/" }));
        const keys = (listed.Contents ?? []).map((o) => o.Key as string).filter((k) => !k.includes(".herokuenv"));
        const expected = named.filter((k) => k !== "files/avatars/7.png").sort();
        assert.ok(expected.length > 5 && expected.length < 50, `a sample: ${expected.length} of 54 avatars`);
        assert.deepEqual(keys.sort(), expected);
        assert.equal(created.outs.filesCopied, expected.length);
        assert.equal(created.outs.filesNotFound, named.length - expected.length);
        // Rules that name no file columns cannot take `files`.
        const plain = { tables: rules.tables };
        assert.match((await check({ sourceApp: staging, targetApp: sandbox, targetKind: "sandbox", targetStack: "mini-bob", rules: plain, seed: SEED, files })).failures[0].reason, /name the columns that hold the file keys/);
    });
});

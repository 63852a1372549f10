// Server-side copies through Heroku's data API (what `heroku pg:copy` does), against the data API double
// (test/heroku-data-double.ts, schema-checked): create the transfer on the target add-on, poll until finished_at,
// report processed_bytes, cancel on interrupt, warn above 10 GB and refuse above the limit. The guards run on the
// databases themselves first, so they are real (local) PostgreSQL servers standing in for the Heroku ones.
import * as assert from "node:assert/strict";
import { copy, markEnvironment, MigrationError, type CopyEvent, type HerokuTransferOptions } from "../components/data/postgres-copy";
import { withPg } from "./helpers/mysql-to-postgres";
import { startPostgres, type PostgresServer } from "./helpers/servers";
import { startHerokuDataDouble, type HerokuDataDouble } from "./heroku-data-double";

describe("copy-db server-side Heroku transfers @servers", function () {
    this.timeout(120_000);
    let pg: PostgresServer;
    let api: HerokuDataDouble;
    let source: string;
    let n = 0;
    const target = (): Promise<string> => pg.createDatabase(`heroku_target_${++n}`);
    const heroku = (extra: Partial<HerokuTransferOptions> = {}): HerokuTransferOptions => ({
        token: api.token,
        dataUrl: api.url,
        source: { app: "site-production", addon: "postgresql-prod-123", name: "DATABASE" },
        target: { app: "site-staging", addon: "postgresql-staging-456", name: "DATABASE" },
        pollMs: 10,
        ...extra,
    });

    before(async () => {
        pg = await startPostgres();
        api = await startHerokuDataDouble();
        source = await pg.createDatabase("heroku_source");
        await withPg(source, (c) => c.query("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)"));
    });
    after(async () => {
        await api?.stop();
        await pg?.stop();
    });
    beforeEach(() => {
        api.behaviour = { outcome: "succeed", pollsToFinish: 3, sourceBytes: 30 * 1024 * 1024 };
        api.schemaViolations.length = 0;
        api.requests.length = 0;
    });

    it("creates a transfer on the target add-on, polls it to the end and reports processed_bytes; nothing streams through herokuenv", async () => {
        const to = await target();
        const events: CopyEvent[] = [];
        const report = await copy({ from: source, to, heroku: heroku(), onEvent: (e) => events.push(e) });
        assert.equal(report.mode, "heroku-transfer");
        assert.equal(report.bytes, 30 * 1024 * 1024);
        assert.deepEqual(api.schemaViolations, []);
        const t = api.transfers[api.transfers.length - 1];
        assert.equal(t.addon, "postgresql-staging-456");
        assert.equal(t.app, "site-staging");
        assert.equal(t.from_url, source);
        assert.equal(t.to_url, to);
        assert.deepEqual(api.requests.map((r) => `${r.method} ${r.status}`), ["POST 201", "GET 200", "GET 200", "GET 200"]);
        const progress = events.filter((e): e is Extract<CopyEvent, { type: "transfer-progress" }> => e.type === "transfer-progress").map((e) => e.processedBytes);
        assert.deepEqual(progress, [10, 20, 30].map((m) => m * 1024 * 1024));
        await withPg(to, async (c) => assert.equal((await c.query("SELECT to_regclass('public.t') AS t")).rows[0].t, null, "the double copies nothing: no row went through herokuenv"));
    });

    it("reports a failed transfer with Heroku's log, and cancels the transfer on interrupt", async () => {
        api.behaviour.outcome = "fail";
        await assert.rejects(copy({ from: source, to: await target(), heroku: heroku() }), (err: MigrationError) => err.kind === "failed" && /failed: pg_restore: error/.test(err.message));
        api.behaviour.outcome = "hang";
        const controller = new AbortController();
        const running = copy({ from: source, to: await target(), heroku: heroku(), signal: controller.signal, onEvent: (e) => e.type === "transfer-progress" && controller.abort() });
        await assert.rejects(running, /canceled \(interrupted\)/);
        assert.ok(api.requests.some((r) => r.method === "POST" && r.path.endsWith("/actions/cancel")));
        assert.ok(api.transfers[api.transfers.length - 1].canceled_at);
        assert.deepEqual(api.schemaViolations, []);
    });

    it("warns above 10 GB, refuses above the limit (pointing to the streaming path), and never aims at production", async () => {
        const warnings: string[] = [];
        await copy({ from: source, to: await target(), heroku: heroku({ limits: { warnAboveBytes: 1, refuseAboveBytes: 2 ** 40 } }), onEvent: (e) => e.type === "warning" && warnings.push(e.warning.message) });
        assert.match(warnings.join("\n"), /below 10 GB/);
        const before = api.transfers.length;
        await assert.rejects(copy({ from: source, to: await target(), heroku: heroku({ limits: { warnAboveBytes: 1, refuseAboveBytes: 2 } }) }), (err: MigrationError) => err.kind === "refused" && /streaming engine/.test(err.message));
        const prod = await target();
        await withPg(prod, (c) => markEnvironment(c, "production", "production"));
        await assert.rejects(copy({ from: source, to: prod, overwrite: true, heroku: heroku() }), (err: MigrationError) => err.kind === "refused" && /production/.test(err.message));
        assert.equal(api.transfers.length, before, "no transfer was created");
    });

    it("streams instead when scrubbing is asked (the rows must pass through the hooks)", async () => {
        const to = await target();
        const before = api.transfers.length;
        const warnings: string[] = [];
        const report = await copy({ from: source, to, heroku: heroku(), hooks: { rowTransform: () => (row) => row }, onEvent: (e) => e.type === "warning" && warnings.push(e.warning.message) });
        assert.equal(report.mode, "stream");
        assert.equal(report.rows, 10);
        assert.equal(api.transfers.length, before);
        assert.match(warnings.join("\n"), /streaming instead/);
    });
});

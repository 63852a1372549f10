// The Heroku API client against the schema-checking Heroku double: pagination, retries, bounded
// waiting, duplicate-safe POSTs, and errors that carry context but never secrets.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as util from "node:util";
import * as pulumi from "@pulumi/pulumi";
import requireFromString from "require-from-string";
import { HerokuClient, HerokuClientOptions, HerokuApiError } from "../components/heroku/client";
import { HerokuApi } from "../components/heroku/api";
import { HerokuDouble, HerokuDoubleOptions, startHerokuDouble } from "./heroku-double";

interface Harness {
    client: HerokuClient;
    api: HerokuApi;
    /** Every backoff the client asked for; the fake sleep returns at once. */
    sleeps: number[];
}

function harness(double: HerokuDouble, options: HerokuClientOptions = {}): Harness {
    const sleeps: number[] = [];
    const client = new HerokuClient({
        apiKey: double.token,
        baseUrl: double.url,
        sleep: async (ms) => {
            sleeps.push(ms);
        },
        random: () => 0.5,
        ...options,
    });
    return { client, api: new HerokuApi(client), sleeps };
}

async function rejection(promise: Promise<unknown>): Promise<HerokuApiError> {
    try {
        await promise;
    } catch (err) {
        assert.ok(err instanceof HerokuApiError, `expected HerokuApiError, got ${String(err)}`);
        return err;
    }
    assert.fail("expected the call to fail");
}

const statuses = (double: HerokuDouble, method?: string) =>
    double.requests.filter((r) => method === undefined || r.method === method).map((r) => r.status);

describe("HerokuClient against the Heroku double", function () {
    let double: HerokuDouble;
    let running: HerokuDouble | undefined;
    const start = async (options: HerokuDoubleOptions = {}) => {
        double = await startHerokuDouble(options);
        running = double;
        return double;
    };

    before(async function () {
        // The first double compiles Heroku's schema (a second or two); later ones reuse it.
        this.timeout(30_000);
        await (await startHerokuDouble()).stop();
    });

    afterEach(async function () {
        if (!running) return;
        const finished = running;
        running = undefined;
        await finished.stop();
        // Every test, not only the dedicated one, must talk to the API exactly as the schema says.
        if (this.currentTest?.state === "passed") finished.assertNoSchemaViolations();
    });

    describe("pagination", function () {
        it("follows 206 + Next-Range across several pages and returns every item", async function () {
            await start({ pageSize: 3 });
            for (let i = 0; i < 8; i++) double.state.createApp({ name: `app-${i}` });
            const { client } = harness(double);

            const apps = await client.list<{ id: string; name: string }>("/apps");

            assert.equal(apps.length, 8);
            assert.equal(new Set(apps.map((a) => a.id)).size, 8);
            assert.deepEqual(statuses(double), [206, 206, 200]);
            const ranges = double.requests.map((r) => r.range);
            assert.equal(ranges[0], undefined, "the first page uses Heroku's default range");
            assert.match(ranges[1] ?? "", /^id \][0-9a-f-]{36}\.\.; max=3$/);
            assert.equal(client.requestCount, 3);
        });

        it("pages releases in version order", async function () {
            await start({ pageSize: 2 });
            const { api } = harness(double);
            await api.createApp({ name: "paged" });
            for (let i = 0; i < 4; i++) await api.updateConfigVars("paged", { [`VAR_${i}`]: String(i) });

            const releases = await api.listReleases("paged");

            assert.deepEqual(releases.map((r) => r.version), [1, 2, 3, 4, 5]);
            assert.equal(releases.filter((r) => r.current).length, 1);
            assert.deepEqual(statuses(double, "GET"), [206, 206, 200]);
        });

        it("returns an empty list on a single 200", async function () {
            await start();
            const { api } = harness(double);
            await api.createApp({ name: "no-formation" });
            assert.deepEqual(await api.listFormation("no-formation"), []);
        });
    });

    describe("retries", function () {
        it("retries 429 with backoff, honouring Retry-After", async function () {
            await start();
            const { api, client, sleeps } = harness(double);
            double.state.createApp({ name: "limited" });
            double.faults.enqueue(
                { kind: "rate-limit", retryAfterSeconds: 2, method: "GET" },
                { kind: "rate-limit", method: "GET" },
            );

            const app = await api.getApp("limited");

            assert.equal(app.name, "limited");
            assert.deepEqual(statuses(double), [429, 429, 200]);
            // Retry-After: 2 wins; then full jitter over base 500 ms * 2^1 with random() = 0.5.
            assert.deepEqual(sleeps, [2000, 500]);
            assert.equal(client.requestCount, 3);
            assert.equal(client.rateLimitRemaining, 4500);
        });

        it("retries a rate-limited POST: Heroku refused it before doing anything", async function () {
            await start();
            const { api } = harness(double);
            double.faults.enqueue({ kind: "rate-limit", method: "POST" });

            await api.createApp({ name: "created-once" });

            assert.deepEqual(statuses(double), [429, 201]);
            assert.equal(double.state.apps.size, 1);
        });

        it("retries 500 and dropped connections on GET until it succeeds", async function () {
            await start();
            const { api, client, sleeps } = harness(double);
            double.state.createApp({ name: "flaky" });
            double.faults.enqueue(
                { kind: "server-error", mode: "before-apply", method: "GET" },
                { kind: "drop", mode: "before-apply", method: "GET" },
                { kind: "server-error", mode: "after-apply", method: "GET" },
            );

            const vars = await api.getConfigVars("flaky");

            assert.deepEqual(vars, {});
            assert.deepEqual(statuses(double), [500, 0, 500, 200]);
            assert.equal(sleeps.length, 3);
            assert.equal(client.requestCount, 4);
        });

        it("retries an idempotent PATCH whose answer was lost, without a second change", async function () {
            await start();
            const { api } = harness(double);
            await api.createApp({ name: "patchy" });
            double.faults.enqueue({ kind: "drop", mode: "after-apply", method: "PATCH" });

            const vars = await api.updateConfigVars("patchy", { FOO: "bar" });

            assert.deepEqual(vars, { FOO: "bar" });
            assert.deepEqual(statuses(double, "PATCH"), [0, 200]);
            // The first PATCH was applied (one release); repeating it changed nothing.
            const releases = await api.listReleases("patchy");
            assert.deepEqual(releases.map((r) => r.description), ["Initial release", "Set FOO config vars"]);
        });

        it("surfaces the 404 of a DELETE retried after its answer was lost", async function () {
            // Callers deleting a resource treat 404 as "already gone"; the error says it was a retry.
            await start();
            const { api } = harness(double);
            await api.createApp({ name: "gone-twice" });
            double.faults.enqueue({ kind: "drop", mode: "after-apply", method: "DELETE" });

            const err = await rejection(api.deleteApp("gone-twice"));

            assert.equal(err.status, 404);
            assert.equal(err.attempts, 2);
            assert.equal(double.state.apps.size, 0);
        });

        it("times out a slow answer and retries it", async function () {
            await start();
            const { api, sleeps } = harness(double, { requestTimeoutMs: 150 });
            double.state.createApp({ name: "slow" });
            double.faults.enqueue({ kind: "delay", ms: 1000, method: "GET" });

            const app = await api.getApp("slow");

            assert.equal(app.name, "slow");
            assert.equal(sleeps.length, 1);
            assert.equal(double.requests.length, 2);
        });

        it("retries a POST whose connection was refused: nothing reached the server", async function () {
            await start();
            await double.stop();
            const { api, sleeps } = harness(double, { maxAttempts: 3 });

            const err = await rejection(api.createApp({ name: "nowhere" }));

            assert.equal(err.code, "ECONNREFUSED");
            assert.equal(err.id, "network_error");
            assert.equal(err.attempts, 3);
            assert.equal(err.gaveUp, true);
            assert.equal(err.outcomeUnknown, false);
            assert.equal(sleeps.length, 2);
        });
    });

    describe("bounded waiting", function () {
        it("gives up once the retry budget is spent, with a clear error", async function () {
            await start({ faults: { rateLimitProbability: 1 } });
            const { api, sleeps } = harness(double, {
                maxRetryWaitMs: 5000,
                maxAttempts: 100,
                baseDelayMs: 1000,
                random: () => 0.99,
            });
            double.state.createApp({ name: "throttled" });

            const err = await rejection(api.getApp("throttled"));

            assert.equal(err.status, 429);
            assert.equal(err.id, "rate_limit");
            assert.equal(err.gaveUp, true);
            assert.match(err.message, /^Heroku API GET \/apps\/throttled failed: 429 rate_limit: .*gave up after \d+ attempts/s);
            const waited = sleeps.reduce((a, b) => a + b, 0);
            assert.ok(waited <= 5000, `waited ${waited} ms`);
            assert.ok(waited >= 4900, `the budget should be used up, waited ${waited} ms`);
            assert.equal(double.requests.length, sleeps.length + 1);
        });

        it("gives up at once when Retry-After exceeds what is left of the budget", async function () {
            await start({ faults: { rateLimitProbability: 1, retryAfterSeconds: 120 } });
            const { api, sleeps } = harness(double, { maxRetryWaitMs: 60_000 });
            double.state.createApp({ name: "later" });

            const err = await rejection(api.getApp("later"));

            assert.equal(err.gaveUp, true);
            assert.equal(err.attempts, 1);
            assert.deepEqual(sleeps, []);
        });

        it("stops after maxAttempts", async function () {
            await start({ faults: { serverErrorProbability: 1 } });
            const { api } = harness(double, { maxAttempts: 3 });
            double.state.createApp({ name: "broken" });

            const err = await rejection(api.getApp("broken"));

            assert.equal(err.status, 500);
            assert.equal(err.attempts, 3);
            assert.equal(double.requests.length, 3);
        });

        it("bounds real time too (default sleep)", async function () {
            await start({ faults: { rateLimitProbability: 1 } });
            const client = new HerokuClient({ apiKey: double.token, baseUrl: double.url, maxRetryWaitMs: 300, baseDelayMs: 100, maxAttempts: 50 });
            const began = Date.now();

            const err = await rejection(client.get("/apps"));

            assert.equal(err.gaveUp, true);
            assert.ok(Date.now() - began < 2000, `took ${Date.now() - began} ms`);
        });
    });

    describe("non-idempotent POST", function () {
        it("does not retry a POST after a 500 that came after the app was created", async function () {
            await start();
            const { api, sleeps } = harness(double);
            double.faults.enqueue({ kind: "server-error", mode: "after-apply", method: "POST", path: "/apps" });

            const err = await rejection(api.createApp({ name: "maybe-created" }));

            assert.equal(err.status, 500);
            assert.equal(err.attempts, 1);
            assert.equal(err.outcomeUnknown, true);
            assert.match(err.message, /not retried: POST is not idempotent and the request may have been applied/);
            assert.match(err.message, /reconcile/);
            assert.deepEqual(sleeps, []);
            assert.deepEqual(statuses(double, "POST"), [500]);
            // Exactly one app exists, and the caller finds it by name.
            assert.equal(double.state.apps.size, 1);
            const found = await api.findApp("maybe-created");
            assert.equal(found?.name, "maybe-created");
        });

        it("does not retry a POST whose connection dropped after the add-on was created", async function () {
            await start();
            const { api } = harness(double);
            await api.createApp({ name: "with-db" });
            double.faults.enqueue({ kind: "drop", mode: "after-apply", method: "POST" });

            const err = await rejection(api.createAddOn("with-db", { plan: "heroku-postgresql:essential-0", name: "with-db-pg" }));

            assert.equal(err.status, undefined);
            assert.equal(err.outcomeUnknown, true);
            assert.ok(err.code, "a network error code");
            assert.equal(double.state.addons.size, 1);
            assert.equal((await api.findAddOn("with-db", "with-db-pg"))?.name, "with-db-pg");
        });

        it("does not retry a POST dropped before it was applied either: the client cannot tell", async function () {
            await start();
            const { api } = harness(double);
            double.faults.enqueue({ kind: "drop", mode: "before-apply", method: "POST" });

            const err = await rejection(api.createApp({ name: "never-made" }));

            assert.equal(err.outcomeUnknown, true);
            assert.equal(double.state.apps.size, 0);
            assert.equal(await api.findApp("never-made"), undefined);
        });
    });

    describe("errors", function () {
        it("carry Heroku's id and message, the method, path and request id", async function () {
            await start();
            const { api } = harness(double);

            const missing = await rejection(api.getApp("no-such-app"));
            assert.equal(missing.status, 404);
            assert.equal(missing.id, "not_found");
            assert.equal(missing.herokuMessage, "Couldn't find that app.");
            assert.equal(missing.method, "GET");
            assert.equal(missing.path, "/apps/no-such-app");
            assert.match(missing.requestId ?? "", /^[0-9a-f-]{36}$/);
            assert.equal(missing.requestId, double.requests[0].requestId);
            assert.equal(missing.attempts, 1);
            assert.equal(missing.outcomeUnknown, false);
            assert.equal(
                missing.message,
                `Heroku API GET /apps/no-such-app failed: 404 not_found: Couldn't find that app. [request-id ${missing.requestId}]`,
            );

            await api.createApp({ name: "taken-name" });
            const taken = await rejection(api.createApp({ name: "taken-name" }));
            assert.equal(taken.status, 422);
            assert.equal(taken.id, "invalid_params");
            assert.equal(taken.herokuMessage, "Name is already taken");
            assert.equal(taken.method, "POST");
            assert.equal(taken.path, "/apps");
            assert.equal(taken.outcomeUnknown, false, "a 4xx is a clear answer");
        });

        it("never contain the token or request body values", async function () {
            await start({ faults: {} });
            const secret = "postgres://user:VERY-SECRET-PASSWORD@db.example.com/prod";
            const wrongToken = "wrong-token-0123456789abcdef";
            const { api, client } = harness(double, { maxAttempts: 2 });
            await api.createApp({ name: "secretive" });

            const errors: HerokuApiError[] = [];
            // 404 on a PATCH carrying a secret value.
            errors.push(await rejection(api.updateConfigVars("no-such-app", { DATABASE_URL: secret })));
            // 500s until the client gives up, on a PATCH carrying a secret value.
            double.faults.set({ serverErrorProbability: 1 });
            errors.push(await rejection(api.updateConfigVars("secretive", { DATABASE_URL: secret })));
            double.faults.reset();
            // 401 with a wrong token.
            const wrong = new HerokuApi({ apiKey: wrongToken, baseUrl: double.url });
            const unauthorized = await rejection(wrong.getApp("secretive"));
            assert.equal(unauthorized.status, 401);
            assert.equal(unauthorized.id, "unauthorized");
            errors.push(unauthorized);
            // Connection refused: a double that has stopped.
            const gone = await startHerokuDouble();
            await gone.stop();
            const offline = new HerokuApi({ apiKey: double.token, baseUrl: gone.url, maxAttempts: 1 });
            const refused = await rejection(offline.updateConfigVars("secretive", { DATABASE_URL: secret }));
            assert.equal(refused.code, "ECONNREFUSED");
            errors.push(refused);

            for (const err of errors) {
                const renderings = [
                    String(err),
                    err.stack ?? "",
                    JSON.stringify(err),
                    util.inspect(err),
                    util.inspect(err, { showHidden: true, depth: Infinity }),
                ];
                for (const text of renderings) {
                    for (const forbidden of [double.token, wrongToken, secret, "VERY-SECRET-PASSWORD"]) {
                        assert.ok(!text.includes(forbidden), `error rendering leaks a secret: ${text}`);
                    }
                }
            }
            assert.ok(!util.inspect(client, { showHidden: true, depth: Infinity }).includes(double.token));
            assert.ok(!JSON.stringify(client).includes(double.token));
        });

        it("do not quote a success body that is not JSON (it may hold config var values)", async function () {
            const server = http.createServer((_req, res) => {
                res.writeHead(200, { "Content-Type": "application/json" });
                res.end("SECRET=hunter2-not-json");
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            try {
                const { port } = server.address() as AddressInfo;
                const client = new HerokuClient({ apiKey: "t0ken-not-json", baseUrl: `http://127.0.0.1:${port}` });
                const err = await rejection(client.get("/apps/x/config-vars"));
                assert.equal(err.id, "unexpected_response");
                for (const text of [String(err), err.stack ?? "", JSON.stringify(err), util.inspect(err)]) {
                    assert.ok(!text.includes("hunter2") && !text.includes("t0ken-not-json"), text);
                }
            } finally {
                server.closeAllConnections();
                await new Promise((resolve) => server.close(resolve));
            }
        });
    });

    describe("schema conformance", function () {
        it("sends schema-valid requests and gets schema-valid answers across every typed endpoint", async function () {
            await start({ addonProvisionPolls: 2, domainVerifyPolls: 1, pageSize: 2 });
            const { api } = harness(double);

            const app = await api.createApp({ name: "full-tour", region: "eu", stack: "heroku-24" });
            assert.equal(app.region.name, "eu");
            assert.match(app.web_url ?? "", /^https:\/\/full-tour-[0-9a-f]{12}\.herokuapp\.com\/$/);
            assert.equal((await api.getApp(app.id)).name, "full-tour");
            const other = await api.createApp({ name: "full-tour-worker" });

            assert.equal((await api.setMaintenance("full-tour", true)).maintenance, true);
            assert.equal((await api.updateApp("full-tour", { maintenance: false })).maintenance, false);
            assert.equal((await api.enableAcm("full-tour")).acm, true);
            assert.equal((await api.refreshAcm("full-tour")).acm, true);

            await api.updateConfigVars("full-tour", { NODE_ENV: "production", REMOVE_ME: "x" });
            assert.deepEqual(await api.updateConfigVars("full-tour", { REMOVE_ME: null }), { NODE_ENV: "production" });

            const pg = await api.createAddOn("full-tour", { plan: "heroku-postgresql:essential-0", name: "full-tour-db" });
            assert.equal(pg.state, "provisioning");
            let polled = pg;
            while (polled.state !== "provisioned") polled = await api.getAddOn("full-tour", pg.id);
            assert.ok(polled.config_vars.includes("DATABASE_URL"));
            assert.equal((await api.getAddOnById("full-tour-db")).id, pg.id);
            const vars = await api.getConfigVars("full-tour");
            assert.match(vars.DATABASE_URL, /^postgres:\/\//);
            assert.ok(Object.keys(vars).some((k) => /^HEROKU_POSTGRESQL_[A-Z]+_URL$/.test(k)));
            assert.equal((await api.updateAddOnPlan("full-tour", pg.id, "heroku-postgresql:essential-1")).plan.name, "heroku-postgresql:essential-1");
            await api.createAddOn("full-tour", { plan: "heroku-redis:mini" });
            assert.equal((await api.listAddOns("full-tour")).length, 2);

            const att = await api.createAttachment({ addon: "full-tour-db", app: other.id, name: "DATABASE" });
            assert.equal(att.addon.app.name, "full-tour");
            assert.equal((await api.getAttachment(att.id)).name, "DATABASE");
            assert.equal((await api.getAppAttachment("full-tour-worker", "DATABASE")).id, att.id);
            assert.equal((await api.getConfigVars("full-tour-worker")).DATABASE_URL, vars.DATABASE_URL);
            assert.equal((await api.listAppAttachments("full-tour")).length, 2);
            await api.deleteAttachment(att.id);
            assert.equal((await api.getConfigVars("full-tour-worker")).DATABASE_URL, undefined);

            const domain = await api.createDomain("full-tour", "www.example.com");
            assert.match(domain.cname ?? "", /\.herokudns\.com$/);
            assert.equal(domain.status, "pending");
            assert.equal((await api.getDomain("full-tour", "www.example.com")).status, "succeeded");
            assert.equal((await api.getDomain("full-tour", domain.id)).acm_status, "cert issued");
            const domains = await api.listDomains("full-tour");
            assert.deepEqual(domains.map((d) => d.kind).sort(), ["custom", "heroku"]);
            await api.deleteDomain("full-tour", domain.id);

            double.state.deploy("full-tour", { web: "npm start", worker: "node worker.js" });
            const updated = await api.batchUpdateFormation("full-tour", [
                { type: "web", quantity: 2, dyno_size: { name: "standard-1x" } },
                { type: "worker", quantity: 1 },
            ]);
            assert.deepEqual(updated.map((f) => [f.type, f.quantity, f.dyno_size.name]), [
                ["web", 2, "Standard-1X"],
                ["worker", 1, "Basic"],
            ]);
            assert.equal((await api.getFormation("full-tour", "web")).quantity, 2);
            assert.equal((await api.listFormation("full-tour")).length, 2);

            assert.ok((await api.listReleases("full-tour")).length >= 4);
            assert.equal((await api.disableAcm("full-tour")).acm, false);
            assert.equal((await api.deleteAddOn("full-tour", pg.id)).state, "deprovisioned");
            await api.deleteApp("full-tour");
            await api.deleteApp(other.id);
            assert.equal(double.state.apps.size, 0);

            double.assertNoSchemaViolations();
            assert.ok(double.requests.every((r) => r.status < 300), JSON.stringify(double.requests.filter((r) => r.status >= 300)));
        });
    });

    describe("configuration", function () {
        it("reads HEROKU_API_KEY and HEROKU_API_URL when no options are given", async function () {
            await start();
            const saved = { key: process.env.HEROKU_API_KEY, url: process.env.HEROKU_API_URL };
            process.env.HEROKU_API_KEY = double.token;
            process.env.HEROKU_API_URL = `${double.url}/`;
            try {
                const client = new HerokuClient();
                assert.equal(client.baseUrl, double.url);
                assert.deepEqual(await client.list("/apps"), []);
            } finally {
                restoreEnv("HEROKU_API_KEY", saved.key);
                restoreEnv("HEROKU_API_URL", saved.url);
            }
        });

        it("survives Pulumi's closure serialization (dynamic providers capture it by value)", async function () {
            await start();
            const provision = async (token: string, url: string) => {
                const api = new HerokuApi({ apiKey: token, baseUrl: url });
                const app = await api.createApp({ name: "from-closure" });
                return (await api.updateConfigVars(app.name, { A: "1" })).A;
            };
            const serialized = await pulumi.runtime.serializeFunction(provision);
            assert.ok(!serialized.text.includes(double.token));
            const revived = requireFromString(serialized.text) as Record<string, typeof provision>;

            assert.equal(await revived[serialized.exportName](double.token, double.url), "1");
            assert.ok(double.state.findApp("from-closure"));
        });

        it("refuses to start without a token", function () {
            const saved = process.env.HEROKU_API_KEY;
            delete process.env.HEROKU_API_KEY;
            try {
                assert.throws(() => new HerokuClient({ baseUrl: "http://127.0.0.1:1" }), /token missing/);
            } finally {
                restoreEnv("HEROKU_API_KEY", saved);
            }
        });
    });
});

function restoreEnv(name: string, value: string | undefined): void {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
}

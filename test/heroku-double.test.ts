// The Heroku double itself: it must refuse what Heroku's schema refuses, so that tests passing
// against it mean something. Raw fetch here, so the client's own checks are not in the way.
import * as assert from "node:assert/strict";
import { HerokuDouble, HerokuSchema, Faults, startHerokuDouble } from "./heroku-double";

interface RawAnswer {
    status: number;
    headers: Headers;
    body: { id?: string; message?: string } & Record<string, unknown>;
}

async function call(
    double: HerokuDouble,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
): Promise<RawAnswer> {
    const res = await fetch(double.url + path, {
        method,
        headers: {
            Accept: "application/vnd.heroku+json; version=3",
            Authorization: `Bearer ${double.token}`,
            "Content-Type": "application/json",
            ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

describe("Heroku API double", function () {
    let double: HerokuDouble;

    before(async function () {
        this.timeout(30_000);
        HerokuSchema.load();
    });

    beforeEach(async function () {
        double = await startHerokuDouble({ pageSize: 2 });
        double.state.createApp({ name: "existing" });
    });

    afterEach(async function () {
        await double.stop();
    });

    describe("schema checks", function () {
        it("rejects a request body the schema does not allow, and records it", async function () {
            // Domain create requires sni_endpoint (nullable, but present).
            const noSni = await call(double, "POST", "/apps/existing/domains", { hostname: "www.example.com" });
            assert.equal(noSni.status, 400);
            assert.equal(noSni.body.id, "schema_violation");
            assert.match(noSni.body.message ?? "", /sni_endpoint/);

            // Config var values are strings (or null to remove), never numbers.
            const numeric = await call(double, "PATCH", "/apps/existing/config-vars", { PORT: 5000 });
            assert.equal(numeric.status, 400);

            // App names follow ^[a-z][a-z0-9-]{1,28}[a-z0-9]$.
            const badName = await call(double, "POST", "/apps", { name: "Bad_Name" });
            assert.equal(badName.status, 400);

            // Formation batch updates need "updates" with a "type" each.
            const noType = await call(double, "PATCH", "/apps/existing/formation", { updates: [{ quantity: 1 }] });
            assert.equal(noType.status, 400);

            assert.deepEqual(double.schemaViolations.map((v) => [v.kind, v.method, v.path]), [
                ["invalid-request", "POST", "/apps/existing/domains"],
                ["invalid-request", "PATCH", "/apps/existing/config-vars"],
                ["invalid-request", "POST", "/apps"],
                ["invalid-request", "PATCH", "/apps/existing/formation"],
            ]);
            assert.throws(() => double.assertNoSchemaViolations(), /4 schema violation\(s\):\ninvalid-request POST \/apps\/existing\/domains/);
            // Nothing was applied.
            assert.equal(double.state.domainsOfApp("existing").length, 1);
            assert.equal(double.state.apps.size, 1);
        });

        it("rejects an unknown route and a known path with the wrong method", async function () {
            const unknown = await call(double, "GET", "/apps/existing/nonsense");
            assert.equal(unknown.status, 404);
            assert.equal(unknown.body.id, "not_found");
            const wrongVerb = await call(double, "POST", "/apps/existing/config-vars", {});
            assert.equal(wrongVerb.status, 404);

            assert.deepEqual(double.schemaViolations.map((v) => [v.kind, v.method, v.path]), [
                ["unknown-route", "GET", "/apps/existing/nonsense"],
                ["unknown-route", "POST", "/apps/existing/config-vars"],
            ]);
            assert.throws(() => double.assertNoSchemaViolations(), /unknown-route GET \/apps\/existing\/nonsense/);
        });

        it("answers 501 for a schema route it does not implement, and records it", async function () {
            const res = await call(double, "GET", "/apps/existing/dynos");
            assert.equal(res.status, 501);
            assert.equal(double.schemaViolations[0].kind, "unimplemented-route");
        });

        it("requires Heroku's versioned Accept header and a JSON Content-Type for bodies", async function () {
            const noVersion = await call(double, "GET", "/apps/existing", undefined, { Accept: "application/json" });
            assert.equal(noVersion.status, 400);
            const textBody = await call(double, "PATCH", "/apps/existing", { maintenance: true }, { "Content-Type": "text/plain" });
            assert.equal(textBody.status, 400);
            assert.deepEqual(double.schemaViolations.map((v) => v.kind), ["bad-headers", "bad-headers"]);
        });

        it("validates responses against targetSchema, strictProperties included", function () {
            const schema = HerokuSchema.load();
            const [{ link }] = schema.match("GET", "/apps/existing");
            const app = double.state.appJson(double.state.app("existing")) as Record<string, unknown>;
            assert.deepEqual(schema.validateResponse(link, app), []);

            const { web_url: _dropped, ...missing } = app;
            assert.ok(schema.validateResponse(link, missing).some((e) => /web_url/.test(e)), "strictProperties: all listed properties present");
            assert.ok(schema.validateResponse(link, { ...app, extra: 1 }).some((e) => /extra/.test(e)), "strictProperties: no other property");
            assert.ok(schema.validateResponse(link, { ...app, created_at: "yesterday" }).some((e) => /created_at/.test(e)), "date-time format");
            assert.ok(schema.validateResponse(link, { ...app, id: "not-a-uuid" }).some((e) => /\/id/.test(e)), "uuid format");

            const [{ link: list }] = schema.match("GET", "/apps/existing/formation");
            assert.deepEqual(schema.validateResponse(list, []), []);
            assert.notDeepEqual(schema.validateResponse(list, {}), [], "instances answer an array");
            assert.deepEqual(schema.validateErrorBody({ id: "not_found", message: "x" }), []);
            assert.notDeepEqual(schema.validateErrorBody({ error: "x" }), []);
        });
    });

    describe("authentication", function () {
        it("answers 401 unauthorized for a missing or wrong token", async function () {
            const wrong = await call(double, "GET", "/apps/existing", undefined, { Authorization: "Bearer nope" });
            assert.equal(wrong.status, 401);
            assert.equal(wrong.body.id, "unauthorized");
            const res = await fetch(`${double.url}/apps/existing`, { headers: { Accept: "application/vnd.heroku+json; version=3" } });
            assert.equal(res.status, 401);
            assert.deepEqual(double.schemaViolations, []);
        });
    });

    describe("Heroku behaviour", function () {
        it("keeps app names unique and answers 404 not_found for missing things", async function () {
            const taken = await call(double, "POST", "/apps", { name: "existing" });
            assert.equal(taken.status, 422);
            assert.deepEqual(taken.body, { id: "invalid_params", message: "Name is already taken" });
            const missing = await call(double, "GET", "/apps/missing-app/config-vars");
            assert.equal(missing.status, 404);
            assert.equal(missing.body.id, "not_found");
            double.assertNoSchemaViolations();
        });

        it("paginates with 206 + Next-Range, honouring max and order", async function () {
            for (const name of ["app-b", "app-c", "app-d"]) double.state.createApp({ name });
            const first = await call(double, "GET", "/apps", undefined, { Range: "name ..; max=3" });
            assert.equal(first.status, 206);
            assert.deepEqual((first.body as unknown as { name: string }[]).map((a) => a.name), ["app-b", "app-c"]);
            assert.equal(first.headers.get("next-range"), "name ]app-c..; max=2");
            const second = await call(double, "GET", "/apps", undefined, { Range: first.headers.get("next-range") ?? "" });
            assert.equal(second.status, 200);
            assert.deepEqual((second.body as unknown as { name: string }[]).map((a) => a.name), ["app-d", "existing"]);
            const desc = await call(double, "GET", "/apps", undefined, { Range: "name ..; max=10, order=desc" });
            assert.deepEqual((desc.body as unknown as { name: string }[]).map((a) => a.name), ["existing", "app-d"]);
            double.assertNoSchemaViolations();
        });

        it("provisions add-ons after a few polls and then sets their config vars through attachments", async function () {
            double.state.addonProvisionPolls = 3;
            const created = await call(double, "POST", "/apps/existing/addons", { plan: "heroku-postgresql:essential-0" });
            assert.equal(created.status, 201);
            assert.equal(created.body.state, "provisioning");
            assert.match(String(created.body.name), /^postgresql-[a-z]+-\d{5}$/);
            assert.equal((await call(double, "GET", "/apps/existing/config-vars")).body.DATABASE_URL, undefined);

            const states: unknown[] = [];
            for (let i = 0; i < 3; i++) states.push((await call(double, "GET", `/addons/${String(created.body.id)}`)).body.state);
            assert.deepEqual(states, ["provisioning", "provisioning", "provisioned"]);

            const vars = (await call(double, "GET", "/apps/existing/config-vars")).body;
            assert.match(String(vars.DATABASE_URL), /^postgres:\/\//);
            const color = Object.keys(vars).find((k) => /^HEROKU_POSTGRESQL_[A-Z]+_URL$/.test(k));
            assert.ok(color, "the add-on's own colour var");
            assert.equal(vars[color], vars.DATABASE_URL);

            // A second database gets a colour attachment, not DATABASE.
            double.state.addonProvisionPolls = 0;
            const second = await call(double, "POST", "/apps/existing/addons", { plan: "heroku-postgresql" });
            assert.equal(second.body.state, "provisioned");
            assert.equal((second.body.plan as { name: string }).name, "heroku-postgresql:essential-0");
            const attachments = (await call(double, "GET", "/apps/existing/addon-attachments")).body as unknown as { name: string }[];
            assert.equal(attachments.length, 2);
            assert.ok(attachments.some((a) => a.name === "DATABASE"));
            assert.ok(attachments.some((a) => /^HEROKU_POSTGRESQL_[A-Z]+$/.test(a.name)));

            const releases = double.state.app("existing").releases.map((r) => r.description);
            assert.ok(releases.some((d) => d.startsWith("Attach DATABASE (@ref:postgresql-")));
            double.assertNoSchemaViolations();
        });

        it("refuses to reuse an attachment name unless confirmed with the app name", async function () {
            double.state.addonProvisionPolls = 0;
            await call(double, "POST", "/apps/existing/addons", { plan: "heroku-postgresql:essential-0", name: "db-one" });
            await call(double, "POST", "/apps/existing/addons", { plan: "heroku-postgresql:essential-0", name: "db-two" });
            const clash = await call(double, "POST", "/addon-attachments", { addon: "db-two", app: "existing", name: "DATABASE" });
            assert.equal(clash.status, 422);
            assert.equal(clash.body.id, "confirmation_required");
            const confirmed = await call(double, "POST", "/addon-attachments", { addon: "db-two", app: "existing", name: "DATABASE", confirm: "existing" });
            assert.equal(confirmed.status, 201);
            assert.equal(double.state.app("existing").configVars.get("DATABASE_URL"), double.state.findAddon("db-two")?.url);
            double.assertNoSchemaViolations();
        });

        it("gives custom domains a herokudns.com CNAME and keeps hostnames unique", async function () {
            const created = await call(double, "POST", "/apps/existing/domains", { hostname: "www.example.org", sni_endpoint: null });
            assert.equal(created.status, 201);
            assert.match(String(created.body.cname), /^[a-z]+-[a-z]+-[0-9a-f]{18}\.herokudns\.com$/);
            assert.equal(created.body.kind, "custom");
            double.state.createApp({ name: "other" });
            const clash = await call(double, "POST", "/apps/other/domains", { hostname: "www.example.org", sni_endpoint: null });
            assert.equal(clash.status, 422);
            double.assertNoSchemaViolations();
        });

        it("enforces Heroku's one-dyno limit for Basic dynos and rejects unknown process types", async function () {
            double.state.deploy("existing", { web: "npm start" });
            const tooMany = await call(double, "PATCH", "/apps/existing/formation", { updates: [{ type: "web", quantity: 2 }] });
            assert.equal(tooMany.status, 422);
            const missing = await call(double, "PATCH", "/apps/existing/formation", { updates: [{ type: "clock", quantity: 1 }] });
            assert.equal(missing.status, 404);
            const ok = await call(double, "PATCH", "/apps/existing/formation", {
                updates: [{ type: "web", quantity: 2, dyno_size: { name: "Standard-2X" } }],
            });
            assert.equal(ok.status, 200);
            double.assertNoSchemaViolations();
        });
    });

    describe("fault injection", function () {
        it("is deterministic for a seed", function () {
            const settings = { seed: 7, rateLimitProbability: 0.2, serverErrorProbability: 0.2, serverErrorMode: "either" as const, dropProbability: 0.2 };
            const run = () => {
                const faults = new Faults(settings);
                return Array.from({ length: 50 }, () => JSON.stringify(faults.decide("GET", "/apps")));
            };
            const a = run();
            assert.deepEqual(a, run());
            assert.ok(new Set(a).size >= 3, "a mix of faults");
            const other = new Faults({ ...settings, seed: 8 });
            assert.notDeepEqual(a, Array.from({ length: 50 }, () => JSON.stringify(other.decide("GET", "/apps"))));
        });

        it("answers 429 with RateLimit-Remaining: 0 before touching state", async function () {
            double.faults.set({ rateLimitProbability: 1, retryAfterSeconds: 3 });
            const res = await call(double, "POST", "/apps", { name: "not-created" });
            assert.equal(res.status, 429);
            assert.equal(res.body.id, "rate_limit");
            assert.equal(res.headers.get("ratelimit-remaining"), "0");
            assert.equal(res.headers.get("retry-after"), "3");
            assert.equal(double.state.findApp("not-created"), undefined);
            assert.equal(double.requests.at(-1)?.fault, "rate-limit");
        });

        it("applies the request before a 500 in after-apply mode, and not in before-apply mode", async function () {
            double.faults.enqueue({ kind: "server-error", mode: "before-apply" });
            assert.equal((await call(double, "POST", "/apps", { name: "before-fault" })).status, 500);
            assert.equal(double.state.findApp("before-fault"), undefined);

            double.faults.enqueue({ kind: "server-error", mode: "after-apply" });
            assert.equal((await call(double, "POST", "/apps", { name: "after-fault" })).status, 500);
            assert.ok(double.state.findApp("after-fault"));
            assert.deepEqual(double.requests.map((r) => r.fault), ["server-error:before-apply", "server-error:after-apply"]);
        });

        it("drops connections, applying first in after-apply mode", async function () {
            double.faults.enqueue({ kind: "drop", mode: "after-apply", path: "/apps" });
            await assert.rejects(call(double, "POST", "/apps", { name: "dropped-after" }), /fetch failed/);
            assert.ok(double.state.findApp("dropped-after"));
            assert.equal(double.requests[0].status, 0);
            assert.equal(double.requests[0].fault, "drop:after-apply");
            // Queued faults only hit matching requests.
            double.faults.enqueue({ kind: "drop", mode: "before-apply", method: "DELETE" });
            assert.equal((await call(double, "GET", "/apps/existing")).status, 200);
            assert.equal(double.faults.queue.length, 1);
        });

        it("slows answers down", async function () {
            double.faults.set({ delayMs: 200 });
            const began = Date.now();
            assert.equal((await call(double, "GET", "/apps/existing")).status, 200);
            assert.ok(Date.now() - began >= 190);
            double.faults.reset();
            assert.equal(double.faults.delayMs, 0);
        });
    });
});

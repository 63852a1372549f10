// The migration night's own providers (MaintenanceStep, DnsTtl, DnsCutover), serialized under mocks as `pulumi up`
// does and driven in a fresh provider host: against the schema-checked Heroku double and the Cloudflare stand-in.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DnsCutover } from "../components/migration/dns-cutover";
import { DnsTtl } from "../components/migration/dns-ttl";
import { MaintenanceStep } from "../components/migration/maintenance-step";
import { STEP_NEXT, stepLabel } from "../components/migration/steps";
import { startStandIns, type StandIns } from "../components/rehearsal/stand-ins";
import { startHerokuDouble, type HerokuDouble } from "./heroku-double";
import { ProviderHost, serializeProvider, type ProviderError } from "./helpers/provider-host";

const FAST = { HEROKUENV_MAX_RETRY_WAIT_MS: "200", HEROKUENV_RETRY_BASE_DELAY_MS: "5", HEROKUENV_MAX_ATTEMPTS: "2" };

describe("the migration night's step providers in a fresh provider host", function () {
    this.timeout(60_000);
    let double: HerokuDouble;
    let standIns: StandIns;
    const hosts: ProviderHost[] = [];
    let work: string;

    before(async function () {
        double = await startHerokuDouble();
        standIns = await startStandIns({ appName: "unused", configVars: {}, hostnames: ["example.com", "www.example.com"] });
        work = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-steps-"));
    });
    after(async function () {
        for (const h of hosts) await h.stop();
        await double?.stop();
        await standIns?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    });

    async function host(provider: string, config: Record<string, string>): Promise<ProviderHost> {
        const h = await ProviderHost.start(provider, { config, env: FAST });
        hosts.push(h);
        return h;
    }

    it("MaintenanceStep turns maintenance on once (old site's command first), then a no-op diff and a refresh make no request", async function () {
        const app = double.state.createApp({ name: "night-app" });
        const marker = path.join(work, "old-site-read-only");
        const { provider } = await serializeProvider(() => new MaintenanceStep("on", { app: app.id, enabled: true, oldSite: { command: `touch ${marker}` } }));
        const h = await host(provider, { "heroku:apiKey": double.token, "heroku:apiUrl": double.url });
        const inputs = { app: app.id, enabled: true, oldSite: { command: `touch ${marker}` } };
        const created = await h.call<{ id: string; outs: Record<string, unknown> }>("create", inputs);
        assert.equal(double.state.apps.get(app.id)?.maintenance, true);
        assert.ok(fs.existsSync(marker), "the old site's switch ran");
        const before = double.requests.length;
        assert.deepEqual(await h.call("diff", created.id, created.outs, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
        const read = await h.call<{ props: Record<string, unknown> }>("read", created.id, created.outs);
        assert.deepEqual(read.props, created.outs);
        assert.equal(double.requests.length, before, "no Heroku request after the step is done");
        assert.deepEqual((await h.call<{ replaces: string[] }>("diff", created.id, created.outs, { ...inputs, enabled: false })).replaces, ["enabled"]);
        double.assertNoSchemaViolations();
    });

    it("a failed step says which step failed, that the site stays in maintenance, and how to resume", async function () {
        const failure = { step: stepLabel("maintenance-off"), next: STEP_NEXT["maintenance-off"] };
        const { provider } = await serializeProvider(() => new MaintenanceStep("off", { app: "no-such-app", enabled: false, failure }));
        const h = await host(provider, { "heroku:apiKey": double.token, "heroku:apiUrl": double.url });
        const err = (await h.call("create", { app: "no-such-app", enabled: false }).catch((e: unknown) => e)) as ProviderError;
        assert.match(err.message, /^migration step "5\/5 maintenance off" failed: Heroku API PATCH \/apps\/no-such-app failed: 404 not_found.*\. The site stays in maintenance\. Switch maintenance off by hand/i);
        assert.match(err.message, /run `pulumi up` again: it resumes from this step/);
        assert.equal(err.message.includes(double.token), false);

        const { provider: failing } = await serializeProvider(() => new MaintenanceStep("old", { enabled: true, oldSite: { command: "echo 'maintenance script missing' >&2; exit 3" } }));
        const old = await host(failing, {});
        const oldErr = (await old.call("create", { enabled: true, oldSite: { command: "echo 'maintenance script missing' >&2; exit 3" } }).catch((e: unknown) => e)) as ProviderError;
        assert.match(oldErr.message, /the old site's maintenance command exited with 3: maintenance script missing/);
    });

    it("DnsTtl lowers the old records' TTL ahead of the night; DnsCutover sets Full (strict) first, then points every hostname at Heroku", async function () {
        const config = { "cloudflare:apiToken": standIns.cloudflareToken, "cloudflare:baseUrl": standIns.cloudflareUrl };
        const hostnames = ["example.com", "www.example.com"];
        const { provider: ttlProvider } = await serializeProvider(() => new DnsTtl("ttl", { zoneId: standIns.zoneId, hostnames, ttl: 60 }));
        const ttl = await host(ttlProvider, config);
        const lowered = await ttl.call<{ outs: { lowered: Record<string, number[]> } }>("create", { zoneId: standIns.zoneId, hostnames, ttl: 60 });
        assert.deepEqual(lowered.outs.lowered, { "example.com": [3600], "www.example.com": [3600] });
        assert.deepEqual(standIns.records.map((r) => r.ttl), [60, 60]);

        const records = hostnames.map((hostname) => ({ hostname, target: `${hostname}.herokudns.com`, proxied: true }));
        const { provider } = await serializeProvider(() => new DnsCutover("cutover", { zoneId: standIns.zoneId, records, sslMode: "strict" }));
        const cutover = await host(provider, config);
        const refused = await cutover.call<{ failures: { property: string; reason: string }[] }>("check", {}, { zoneId: standIns.zoneId, records, sslMode: "flexible" });
        assert.equal(refused.failures[0]?.property, "sslMode");
        assert.match(refused.failures[0].reason, /loops forever with Django's SECURE_SSL_REDIRECT/);

        const created = await cutover.call<{ outs: { switched: Array<{ hostname: string; previous: unknown[] }>; previousSslMode: string } }>("create", { zoneId: standIns.zoneId, records, sslMode: "strict" });
        assert.equal(created.outs.previousSslMode, "flexible");
        assert.equal(standIns.sslMode, "strict");
        assert.deepEqual(standIns.records.map((r) => [r.type, r.name, r.content, r.proxied]), [
            ["CNAME", "example.com", "example.com.herokudns.com", true],
            ["CNAME", "www.example.com", "www.example.com.herokudns.com", true],
        ]);
        assert.deepEqual(created.outs.switched[0].previous, [{ type: "A", content: "203.0.113.10", proxied: false, ttl: 60 }]);
        // The SSL mode changed before any record pointed at Heroku.
        assert.match(standIns.changes[standIns.changes.findIndex((c) => c.change.startsWith("zone SSL"))].change, /flexible → strict/);
        assert.ok(standIns.changes.findIndex((c) => c.change.startsWith("zone SSL")) < standIns.changes.findIndex((c) => c.change.startsWith("create CNAME")));
    });
});

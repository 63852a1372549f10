// Every Heroku dynamic resource, serialized by the Pulumi SDK under mocks (through ts-node, as `pulumi up` does) and
// run in a fresh plain-Node process the way Pulumi's dynamic-provider host runs it, against the schema-checked Heroku
// API double: create, a no-op diff that sends no request, an in-place update, a replacement, a refresh that sees an
// out-of-band change, import, delete (twice). Then ConfigVars ownership, add-on safety, a chaos cycle of 60 resources
// with 10% of requests failing, and a leak check of everything the tests produced for a secret value and the token.
import * as assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { Acm } from "../components/heroku/acm";
import { Addon } from "../components/heroku/addon";
import { AddonAttachment } from "../components/heroku/addon-attachment";
import { App } from "../components/heroku/app";
import { ConfigVars } from "../components/heroku/config-vars";
import { Domain } from "../components/heroku/domain";
import { Formation } from "../components/heroku/formation";
import { Maintenance } from "../components/heroku/maintenance";
import { StackKind } from "../components/stack-kind";
import { ProviderHost, serializeProvider, type ProviderError } from "./helpers/provider-host";
import { startHerokuDouble, type FaultSettings, type HerokuDouble } from "./heroku-double";

type Props = Record<string, unknown>;
type Kind = "App" | "ConfigVars" | "Addon" | "AddonAttachment" | "Domain" | "Formation" | "Maintenance" | "Acm" | "StackKind";

/** A secret config var value: it must never show up anywhere but the double's state and Pulumi's secret outputs. */
const SECRET = `s3cret-${randomUUID()}`;
/** Everything the tests produced that a user could see: diffs, plain outputs, errors, check failures, host stderr. */
const transcript: string[] = [];
/** Values that must not appear in the transcript (the secret, every API token used, add-on URLs). */
const forbidden = new Set<string>([SECRET]);

const FAST = { HEROKUENV_ADDON_POLL_MS: "5", HEROKUENV_MAX_RETRY_WAIT_MS: "3000", HEROKUENV_RETRY_BASE_DELAY_MS: "5" };

const CONSTRUCTORS: Record<Kind, () => pulumi.CustomResource> = {
    App: () => new App("app", { name: "serialized-app" }),
    ConfigVars: () => new ConfigVars("config", { app: "serialized-app", vars: { A: "1" }, secretVars: { S: "x" } }),
    Addon: () => new Addon("db", { app: "serialized-app", plan: "heroku-postgresql:essential-0" }),
    AddonAttachment: () => new AddonAttachment("attachment", { app: "serialized-app", addon: "db", name: "DATABASE" }),
    Domain: () => new Domain("domain", { app: "serialized-app", hostname: "www.example.com" }),
    Formation: () => new Formation("formation", { app: "serialized-app", processes: { web: { size: "basic", quantity: 1 } } }),
    Maintenance: () => new Maintenance("maintenance", { app: "serialized-app" }),
    Acm: () => new Acm("acm", { app: "serialized-app" }),
    StackKind: () => new StackKind("kind", { kind: "production" }),
};
/** Provider text per kind, serialized once. */
const providers = {} as Record<Kind, string>;

/** Outputs Pulumi keeps secret (additionalSecretOutputs); everything else is plain and must be secret-free. */
const SECRET_OUTPUTS: Partial<Record<Kind, string[]>> = { ConfigVars: ["secretVars"] };

function record(label: string, value: unknown): void {
    transcript.push(`${label}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
}

function recordError(label: string, err: unknown): void {
    const e = err as Partial<ProviderError>;
    const parts = [String(err), e.text, e.message, e.hostStack, e.reasons, e.properties].filter((x) => x !== undefined);
    record(label, parts.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join("\n"));
}

function plain(kind: Kind, outputs: Props | undefined): Props | undefined {
    if (outputs === undefined) return undefined;
    const secret = SECRET_OUTPUTS[kind] ?? [];
    return Object.fromEntries(Object.entries(outputs).filter(([k]) => !secret.includes(k)));
}

class CheckFailed extends Error {
    constructor(readonly failures: Array<{ property: string; reason: string }>) {
        super(failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
    }
}

type UpResult = "created" | "updated" | "replaced" | "same";

/**
 * One resource as the Pulumi engine tracks it: the checked inputs, id and outputs of the last deployment, and whether
 * its create "failed to initialize". Calls go through the provider host exactly as the engine sends them:
 * check(oldInputs, news), diff(id, oldOutputs, newInputs), create(inputs), update(id, oldOutputs, newInputs),
 * read(id, outputs), delete(id, outputs).
 */
class Managed {
    inputs: Props | undefined;
    id: string | undefined;
    outputs: Props | undefined;
    initFailed = false;
    /** Replaced resources whose delete failed: the engine keeps them in the state and deletes them next time. */
    pendingDeletes: Array<{ id: string; outputs: Props | undefined }> = [];

    constructor(readonly kind: Kind, readonly host: ProviderHost, readonly label: string) {}

    private async call<T>(op: "check" | "diff" | "create" | "read" | "update" | "delete", ...args: unknown[]): Promise<T> {
        try {
            const result = await this.host.call<T>(op, ...args);
            if (op === "diff") record(`${this.label} diff`, result);
            if (op === "create" || op === "update") record(`${this.label} ${op}`, plain(this.kind, (result as { outs?: Props }).outs));
            if (op === "read") record(`${this.label} read`, { ...(result as Props), props: plain(this.kind, (result as { props?: Props }).props) });
            return result;
        } catch (err) {
            recordError(`${this.label} ${op} error`, err);
            throw err;
        }
    }

    async check(news: Props): Promise<Props> {
        const r = await this.call<{ inputs: Props; failures?: Array<{ property: string; reason: string }> }>("check", this.inputs ?? {}, news);
        record(`${this.label} check failures`, r.failures ?? []);
        if (r.failures && r.failures.length > 0) throw new CheckFailed(r.failures);
        return r.inputs;
    }

    async diff(inputs: Props): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }> {
        return this.call("diff", this.id, this.outputs, inputs);
    }

    async create(inputs: Props): Promise<void> {
        try {
            const r = await this.call<{ id: string; outs: Props }>("create", inputs);
            Object.assign(this, { id: r.id, outputs: r.outs, inputs, initFailed: false });
        } catch (err) {
            const e = err as ProviderError;
            // "Created but failed to initialize": the engine keeps the resource and updates it next time.
            if (e.id) Object.assign(this, { id: e.id, outputs: e.properties, inputs, initFailed: true });
            throw err;
        }
    }

    async update(inputs: Props): Promise<void> {
        const r = await this.call<{ outs: Props }>("update", this.id, this.outputs, inputs);
        Object.assign(this, { outputs: r.outs, inputs, initFailed: false });
    }

    private async deletePending(): Promise<void> {
        while (this.pendingDeletes.length > 0) {
            const { id, outputs } = this.pendingDeletes[0];
            await this.call("delete", id, outputs);
            this.pendingDeletes.shift();
        }
    }

    async delete(): Promise<void> {
        await this.deletePending();
        if (this.id === undefined) return;
        await this.call("delete", this.id, this.outputs);
        this.id = undefined;
        this.outputs = undefined;
    }

    /** One `pulumi up` for this resource. */
    async up(news: Props): Promise<UpResult> {
        await this.deletePending();
        const inputs = await this.check(news);
        if (this.id === undefined) {
            await this.create(inputs);
            return "created";
        }
        const d = await this.diff(inputs);
        if (d.replaces && d.replaces.length > 0) {
            const old = { id: this.id, outputs: this.outputs };
            if (d.deleteBeforeReplace) {
                await this.delete();
                await this.create(inputs);
            } else {
                try {
                    await this.create(inputs);
                } catch (err) {
                    // A replacement created but not initialized: the engine deletes the old one later.
                    if (this.id !== old.id) this.pendingDeletes.push({ id: old.id, outputs: old.outputs });
                    throw err;
                }
                this.pendingDeletes.push({ id: old.id, outputs: old.outputs });
                await this.deletePending();
            }
            return "replaced";
        }
        if (d.changes || this.initFailed) {
            await this.update(inputs);
            return "updated";
        }
        this.inputs = inputs;
        return "same";
    }

    /** `pulumi refresh` for this resource: false when the thing is gone (Pulumi drops it). */
    async refresh(): Promise<boolean> {
        const r = await this.call<{ id?: string; props?: Props }>("read", this.id, this.outputs);
        if (!r.id) {
            this.id = undefined;
            this.outputs = undefined;
            return false;
        }
        this.id = r.id;
        this.outputs = r.props;
        return true;
    }
}

/** A request straight to the double, as someone with the Heroku CLI would make it (out-of-band changes). */
async function raw(double: HerokuDouble, method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(double.url + path, {
        method,
        headers: { Authorization: `Bearer ${double.token}`, Accept: "application/vnd.heroku+json; version=3", "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.status < 300, `${method} ${path} answered ${res.status}`);
    return res.json();
}

/** Asserts that `work` sends no request to the double. */
async function noRequests<T>(double: HerokuDouble, work: () => Promise<T>): Promise<T> {
    const before = double.requests.length;
    const result = await work();
    assert.equal(double.requests.length, before, `expected no API request, saw ${double.requests.slice(before).map((r) => `${r.method} ${r.path}`).join(", ")}`);
    return result;
}

function requestsDuring(double: HerokuDouble, since: number): string[] {
    return double.requests.slice(since).map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ":id")}`);
}

function liveVars(double: HerokuDouble, app: string): Record<string, string> {
    return Object.fromEntries(double.state.app(app).configVars);
}

/** A provisioned Heroku Postgres add-on made directly in the double (what the Postgres add-on sets: DATABASE_URL). */
function postgres(double: HerokuDouble, app: string, attachment?: string) {
    const addon = double.state.createAddon(app, { plan: "heroku-postgresql:essential-0", ...(attachment ? { attachment: { name: attachment } } : {}) });
    while (addon.state !== "provisioned") double.state.pollAddon(addon);
    forbidden.add(addon.url);
    return addon;
}

async function rejects(work: Promise<unknown>, pattern: RegExp): Promise<ProviderError> {
    try {
        await work;
    } catch (err) {
        assert.match(String((err as ProviderError).text ?? err), pattern);
        return err as ProviderError;
    }
    assert.fail(`expected a failure matching ${pattern}`);
}

/** Hosts and double for one describe block. */
function harness(options: { env?: Record<string, string>; faults?: Partial<FaultSettings>; processTypesOnCreate?: Record<string, string> } = {}) {
    const h = {
        double: undefined as unknown as HerokuDouble,
        hosts: new Map<Kind, ProviderHost>(),
        extraHosts: [] as ProviderHost[],
        async host(kind: Kind): Promise<ProviderHost> {
            let host = h.hosts.get(kind);
            if (!host) {
                host = await ProviderHost.start(providers[kind], {
                    config: { "heroku:apiKey": h.double.token, "heroku:apiUrl": h.double.url },
                    env: { ...FAST, ...options.env },
                });
                h.hosts.set(kind, host);
            }
            return host;
        },
        async resource(kind: Kind, label: string): Promise<Managed> {
            return new Managed(kind, await h.host(kind), label);
        },
    };
    before(async function () {
        h.double = await startHerokuDouble({ faults: options.faults, processTypesOnCreate: options.processTypesOnCreate });
        forbidden.add(h.double.token);
    });
    afterEach(function () {
        if (this.currentTest?.state === "passed") h.double.assertNoSchemaViolations();
    });
    after(async function () {
        for (const host of [...h.hosts.values(), ...h.extraHosts]) {
            await host.stop();
            record("host stderr", host.stderr);
        }
        await h.double?.stop();
    });
    return h;
}

describe("Heroku dynamic resources in Pulumi's dynamic-provider host, against the Heroku double", function () {
    this.timeout(60_000);

    before(async function () {
        // Serialized as `pulumi up` does it: under mocks, through ts-node with the project's tsconfig.
        for (const kind of Object.keys(CONSTRUCTORS) as Kind[]) {
            const { provider } = await serializeProvider(CONSTRUCTORS[kind]);
            providers[kind] = provider;
        }
    });

    after(function () {
        // Secrets: nothing the tests produced (diffs, plain outputs, errors, check failures, host stderr) holds the
        // secret config var value, an API token or an add-on's URL.
        assert.ok(transcript.length > 100, "the transcript recorded the tests");
        const text = transcript.join("\n");
        assert.match(text, /herokuenv: (GET|POST|PUT|PATCH|DELETE) \/\S+: \S+( \S+)?, retry \d+ in \d+ ms/, "the hosts' log lines are in it");
        for (const value of forbidden) {
            const at = text.indexOf(value);
            assert.equal(at, -1, `a secret leaked into the transcript: …${text.slice(Math.max(0, at - 200), at)}[SECRET]`);
        }
    });

    describe("lifecycle of each resource", function () {
        const h = harness();

        it("App: create, no-op diff, rename in place, refresh sees an out-of-band rename, region change replaces, import, delete", async function () {
            const { double } = h;
            const app = await h.resource("App", "App");
            const declared = { name: "shop-one", region: "us", stack: "heroku-24", buildpacks: ["heroku/python"] };

            const start = double.requests.length;
            assert.equal(await app.up(declared), "created");
            assert.deepEqual(requestsDuring(double, start), ["POST /apps", "PUT /apps/:id/buildpack-installations"]);
            const live = double.state.app("shop-one");
            assert.equal(app.id, live.id);
            assert.deepEqual(live.buildpacks, ["heroku/python"]);
            assert.match(String(app.outputs?.webUrl), /^https:\/\/shop-one-[0-9a-f]{12}\.herokuapp\.com\/$/);
            assert.deepEqual(app.outputs?.buildpacks, ["heroku/python"]);

            const inputs = await app.check(declared);
            const noop = await noRequests(double, () => app.diff(inputs));
            assert.equal(noop.changes, false);
            assert.equal(await noRequests(double, () => app.up(declared)), "same");

            const renamed = { ...declared, name: "shop-one-renamed", stack: "heroku-22", buildpacks: ["heroku/nodejs", "heroku/python"] };
            assert.equal(await app.up(renamed), "updated");
            assert.equal(double.state.app(live.id).name, "shop-one-renamed");
            assert.equal(double.state.app(live.id).buildStack.name, "heroku-22");
            assert.deepEqual(double.state.app(live.id).buildpacks, ["heroku/nodejs", "heroku/python"]);
            assert.equal(app.id, live.id, "same app");
            assert.match(String(app.outputs?.webUrl), /shop-one-renamed/);

            // Out of band: someone renames the app with the CLI. Refresh sees it; the next up renames it back.
            await raw(double, "PATCH", `/apps/${live.id}`, { name: "renamed-by-hand" });
            assert.ok(await app.refresh());
            assert.equal(app.outputs?.name, "renamed-by-hand");
            assert.equal(await app.up(renamed), "updated");
            assert.equal(double.state.app(live.id).name, "shop-one-renamed");

            // Heroku cannot move an app between regions: a new app, the old one deleted first (same name).
            const eu = { ...renamed, region: "eu" };
            const d = await app.diff(await app.check(eu));
            assert.deepEqual(d.replaces, ["region"]);
            assert.equal(d.deleteBeforeReplace, true);
            assert.equal(await app.up(eu), "replaced");
            assert.notEqual(app.id, live.id);
            assert.equal(double.state.findApp(live.id), undefined, "old app deleted");
            assert.equal(double.state.app(String(app.id)).region.name, "eu");
            assert.deepEqual(double.state.app(String(app.id)).buildpacks, ["heroku/nodejs", "heroku/python"]);

            // Import: only the id, no recorded props.
            const imported = await h.resource("App", "App import");
            const read = await imported.host.call<{ id: string; props: Props; inputs: Props }>("read", app.id);
            record("App import", read);
            assert.equal(read.id, app.id);
            assert.deepEqual(read.props, app.outputs);
            assert.deepEqual(read.inputs, { name: "shop-one-renamed", region: "eu", stack: "heroku-22", buildpacks: ["heroku/nodejs", "heroku/python"] });

            const id = String(app.id);
            const outputs = app.outputs;
            await app.delete();
            assert.equal(double.state.findApp(id), undefined);
            await app.host.call("delete", id, outputs); // already gone: success
            assert.deepEqual(await app.host.call("read", id, outputs), { id: "" }, "refresh drops it");
        });

        it("App: a replacement is refused while the app owns add-ons, unless allowReplace", async function () {
            const { double } = h;
            const app = await h.resource("App", "App guarded");
            const declared = { name: "shop-guarded", region: "us" };
            await app.up(declared);
            postgres(double, String(app.id));
            await rejects(app.up({ ...declared, region: "eu" }), /needs a new app.*destroy its add-ons postgresql-\S+ \(heroku-postgresql:essential-0\).*allowReplace: true/);
            assert.equal(double.state.app("shop-guarded").region.name, "us", "nothing happened");
            assert.equal(await app.up({ ...declared, region: "eu", allowReplace: true }), "replaced");
            assert.equal(double.state.app("shop-guarded").region.name, "eu");
            await app.delete();
        });

        it("App: a create whose answer is lost (500 or dropped connection after Heroku applied it) makes one app", async function () {
            const { double } = h;
            for (const [i, fault] of ([{ kind: "server-error", mode: "after-apply" }, { kind: "drop", mode: "after-apply" }, { kind: "drop", mode: "before-apply" }] as const).entries()) {
                double.faults.enqueue({ ...fault, method: "POST", path: "/apps" });
                const app = await h.resource("App", `App lost answer ${i}`);
                assert.equal(await app.up({ name: `lost-answer-${i}` }), "created");
                assert.equal([...double.state.apps.values()].filter((a) => a.name === `lost-answer-${i}`).length, 1);
                assert.equal(app.id, double.state.app(`lost-answer-${i}`).id);
                await app.delete();
            }
            assert.equal(double.faults.queue.length, 0);
        });

        it("App: a name already taken fails with how to adopt it, and records nothing", async function () {
            const { double } = h;
            double.state.createApp({ name: "taken-name" });
            const app = await h.resource("App", "App taken");
            const err = await rejects(app.up({ name: "taken-name" }), /Heroku app taken-name already exists\. If it is yours .* import/);
            assert.equal(err.id, undefined, "not reported as created");
            assert.equal(app.id, undefined);
        });

        it("check and diff let unknown values (a preview) through: no failure, no replacement, a possible change", async function () {
            const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
            const cases: Array<[Kind, Props]> = [
                ["ConfigVars", { app: unknown, vars: unknown, secretVars: unknown }],
                ["ConfigVars", { app: unknown, vars: { A: unknown }, secretVars: {} }],
                ["Addon", { app: unknown, plan: "heroku-postgresql:essential-0", attachmentName: "DATABASE" }],
                ["Formation", { app: unknown, processes: { web: { size: unknown, quantity: unknown } } }],
                ["Domain", { app: unknown, hostname: unknown }],
                ["AddonAttachment", { app: unknown, addon: unknown, name: "DATABASE" }],
            ];
            for (const [kind, news] of cases) {
                const r = await (await h.host(kind)).call<{ failures: unknown[] }>("check", {}, news);
                assert.deepEqual(r.failures, [], `${kind} ${JSON.stringify(news)}`);
            }
            // An add-on whose app is unknown in a preview (the App is being updated) cannot be judged: check and diff
            // let it through as a possible change; the real run decides with the value known.
            const addon = await h.host("Addon");
            const olds = { app: "some-app", plan: "heroku-postgresql:essential-0", allowReplace: false, provisionTimeoutSeconds: 900 };
            assert.deepEqual((await addon.call<{ failures: unknown[] }>("check", olds, { ...olds, app: unknown })).failures, []);
            const outputs = { ...olds, addonId: "id", addonName: "db", state: "provisioned", configVarNames: [] };
            assert.deepEqual(await addon.call("diff", "id", outputs, { ...olds, app: unknown }), { changes: true, replaces: [], deleteBeforeReplace: false });
            for (const kind of ["ConfigVars", "Domain", "Formation", "Maintenance", "Acm", "AddonAttachment"] as const) {
                const recorded: Partial<Record<Kind, Props>> = {
                    ConfigVars: { app: "a", vars: {}, secretVars: {} },
                    Domain: { app: "a", hostname: "www.example.com", domainId: "d" },
                    Formation: { app: "a", processes: {}, waitingForDeploy: [] },
                    Maintenance: { app: "a", enabled: true },
                    Acm: { app: "a", enabled: true },
                    AddonAttachment: { app: "a", addon: "x", name: "DATABASE", attachmentId: "t", addonId: "x", addonName: "x" },
                };
                const news = { ...recorded[kind], app: unknown };
                const d = await (await h.host(kind)).call<{ changes: boolean; replaces?: string[] }>("diff", "id", recorded[kind], news);
                assert.equal(d.changes, true, kind);
                assert.deepEqual(d.replaces ?? [], [], kind);
            }
        });

        it("ConfigVars: owns only its keys (DATABASE_URL survives), unsets removed keys, sees out-of-band edits, replaces, imports, deletes", async function () {
            const { double } = h;
            const app = double.state.createApp({ name: "vars-app" });
            const db = postgres(double, app.id, "DATABASE");
            double.state.patchConfigVars(app.id, { SET_BY_HAND: "keep-me" });
            const addonVars = { DATABASE_URL: db.url, [String(db.colorVar)]: db.url };
            assert.deepEqual(liveVars(double, app.id), { ...addonVars, SET_BY_HAND: "keep-me" });

            const vars = await h.resource("ConfigVars", "ConfigVars");
            const declared = { app: app.id, vars: { DJANGO_DEBUG: "0", WEB_CONCURRENCY: "2" }, secretVars: { DJANGO_SECRET_KEY: SECRET } };
            const start = double.requests.length;
            assert.equal(await vars.up(declared), "created");
            assert.deepEqual(requestsDuring(double, start), ["PATCH /apps/:id/config-vars"]);
            assert.equal(vars.id, `${app.id}/config-vars`);
            assert.deepEqual(liveVars(double, app.id), { ...addonVars, SET_BY_HAND: "keep-me", DJANGO_DEBUG: "0", WEB_CONCURRENCY: "2", DJANGO_SECRET_KEY: SECRET });

            assert.equal((await noRequests(double, async () => vars.diff(await vars.check(declared)))).changes, false);

            // Change one, remove one (→ null), add one, rotate the secret: one PATCH; other keys untouched.
            const rotated = `${SECRET}-rotated`;
            forbidden.add(rotated);
            const next = { app: app.id, vars: { DJANGO_DEBUG: "1", SENTRY_ENVIRONMENT: "staging" }, secretVars: { DJANGO_SECRET_KEY: rotated } };
            const beforeUpdate = double.requests.length;
            assert.equal(await vars.up(next), "updated");
            assert.deepEqual(requestsDuring(double, beforeUpdate), ["PATCH /apps/:id/config-vars"]);
            assert.deepEqual(liveVars(double, app.id), { ...addonVars, SET_BY_HAND: "keep-me", DJANGO_DEBUG: "1", DJANGO_SECRET_KEY: rotated, SENTRY_ENVIRONMENT: "staging" });
            assert.match(double.state.app(app.id).releases.at(-1)!.description, /Remove WEB_CONCURRENCY config vars/);

            // Out of band (raw API call): an owned value edited, an owned key deleted, an unowned key added.
            await raw(double, "PATCH", `/apps/${app.id}/config-vars`, { DJANGO_DEBUG: "tampered", SENTRY_ENVIRONMENT: null, ADDED_BY_HAND: "x" });
            assert.ok(await vars.refresh());
            assert.deepEqual(vars.outputs?.vars, { DJANGO_DEBUG: "tampered" });
            assert.deepEqual(vars.outputs?.secretVars, { DJANGO_SECRET_KEY: rotated });
            assert.equal(await vars.up(next), "updated");
            assert.deepEqual(liveVars(double, app.id), {
                ...addonVars, SET_BY_HAND: "keep-me", ADDED_BY_HAND: "x", DJANGO_DEBUG: "1", DJANGO_SECRET_KEY: rotated, SENTRY_ENVIRONMENT: "staging",
            });

            // Another app: a new resource there, the owned keys removed from the old one (and only those).
            const other = double.state.createApp({ name: "vars-app-2" });
            const moved = { ...next, app: other.id };
            assert.deepEqual((await vars.diff(await vars.check(moved))).replaces, ["app"]);
            assert.equal(await vars.up(moved), "replaced");
            assert.deepEqual(liveVars(double, other.id), { DJANGO_DEBUG: "1", DJANGO_SECRET_KEY: rotated, SENTRY_ENVIRONMENT: "staging" });
            assert.deepEqual(liveVars(double, app.id), { ...addonVars, SET_BY_HAND: "keep-me", ADDED_BY_HAND: "x" });

            // Import by app: every var except the add-on's, as secrets.
            const imported = await vars.host.call<{ id: string; props: Props }>("read", app.id);
            record("ConfigVars import", { id: imported.id, vars: imported.props.vars });
            assert.equal(imported.id, `${app.id}/config-vars`);
            assert.deepEqual(imported.props, { app: app.id, vars: {}, secretVars: { SET_BY_HAND: "keep-me", ADDED_BY_HAND: "x" } });

            // Delete: owned keys unset, add-on and hand-set vars stay; again (nothing left) and with the app gone: success.
            await vars.host.call("delete", vars.id, vars.outputs);
            assert.deepEqual(liveVars(double, other.id), {});
            await vars.host.call("delete", vars.id, vars.outputs);
            double.state.deleteApp(other.id);
            await vars.host.call("delete", vars.id, vars.outputs);
            assert.deepEqual(await vars.host.call("read", vars.id, vars.outputs), { id: "" });
            assert.deepEqual(liveVars(double, app.id), { ...addonVars, SET_BY_HAND: "keep-me", ADDED_BY_HAND: "x" });
        });

        it("ConfigVars: creating and deleting around an add-on that sets DATABASE_URL later leaves it alone", async function () {
            const { double } = h;
            const app = double.state.createApp({ name: "vars-app-3" });
            const vars = await h.resource("ConfigVars", "ConfigVars 3");
            await vars.up({ app: app.id, vars: { A: "1" }, secretVars: { S: SECRET } });
            const db = postgres(double, app.id, "DATABASE");
            await vars.up({ app: app.id, vars: { A: "2" }, secretVars: {} });
            assert.deepEqual(liveVars(double, app.id), { A: "2", DATABASE_URL: db.url, [String(db.colorVar)]: db.url });
            assert.ok(await vars.refresh());
            assert.deepEqual(vars.outputs, { app: app.id, vars: { A: "2" }, secretVars: {} }, "refresh reports owned keys only");
            await vars.delete();
            assert.deepEqual(liveVars(double, app.id), { DATABASE_URL: db.url, [String(db.colorVar)]: db.url });
        });

        it("Addon: waits for provisioning, plan change and rename in place, refuses replacement without allowReplace, refresh, import, delete", async function () {
            const { double } = h;
            const app = double.state.createApp({ name: "addon-app" });
            const addon = await h.resource("Addon", "Addon");
            const declared = { app: app.id, plan: "heroku-postgresql:essential-0", attachmentName: "DATABASE" };
            const start = double.requests.length;
            assert.equal(await addon.up(declared), "created");
            assert.deepEqual(requestsDuring(double, start), ["POST /apps/:id/addons", "GET /addons/:id", "GET /addons/:id"], "provisioning takes polls");
            const live = double.state.addon(String(addon.id));
            assert.equal(live.state, "provisioned");
            forbidden.add(live.url);
            assert.equal(addon.outputs?.state, "provisioned");
            assert.equal(addon.outputs?.addonName, live.name);
            assert.deepEqual(addon.outputs?.configVarNames, ["DATABASE_URL", String(live.colorVar)].sort());
            assert.equal(liveVars(double, app.id).DATABASE_URL, live.url);

            assert.equal((await noRequests(double, async () => addon.diff(await addon.check(declared)))).changes, false);

            // A bigger plan of the same service: PATCH in place, same add-on (and data).
            assert.equal(await addon.up({ ...declared, plan: "heroku-postgresql:essential-1" }), "updated");
            assert.equal(double.state.addon(live.id).plan.name, "heroku-postgresql:essential-1");
            assert.equal(addon.id, live.id);
            // A name of our choosing: PATCH in place too.
            const named = { ...declared, plan: "heroku-postgresql:essential-1", addonName: "addon-app-db" };
            assert.equal(await addon.up(named), "updated");
            assert.equal(double.state.addon(live.id).name, "addon-app-db");

            // Another app or another service would destroy the database: refused by check, nothing sent.
            const other = double.state.createApp({ name: "addon-app-2" });
            const refused = await noRequests(double, () => rejects(addon.up({ ...named, app: other.id }), /app: moving the add-on .* addon-app-db and its data would be destroyed\. Set allowReplace: true/));
            assert.ok(refused instanceof CheckFailed);
            await rejects(addon.up({ ...named, plan: "heroku-redis:mini" }), /plan: changing the service from heroku-postgresql to heroku-redis/);
            assert.equal(double.state.addon(live.id).appId, app.id);

            // Refresh: a plan changed out of band shows, and the next up puts it back in place.
            await raw(double, "PATCH", `/apps/${app.id}/addons/${live.id}`, { plan: "heroku-postgresql:essential-2" });
            assert.ok(await addon.refresh());
            assert.equal(addon.outputs?.plan, "heroku-postgresql:essential-2");
            assert.equal(await addon.up(named), "updated");
            assert.equal(double.state.addon(live.id).plan.name, "heroku-postgresql:essential-1");

            // With allowReplace: a new add-on on the other app (the name is global: the old one goes first).
            const allowed = { ...named, app: other.id, allowReplace: true };
            const d = await addon.diff(await addon.check(allowed));
            assert.deepEqual(d.replaces, ["app"]);
            assert.equal(d.deleteBeforeReplace, true);
            assert.equal(await addon.up(allowed), "replaced");
            assert.notEqual(addon.id, live.id);
            assert.equal(double.state.findAddon(live.id), undefined);
            assert.equal(double.state.addon("addon-app-db").appId, other.id);
            forbidden.add(double.state.addon("addon-app-db").url);

            // Import by id alone.
            const imported = await addon.host.call<{ id: string; props: Props; inputs: Props }>("read", addon.id);
            record("Addon import", imported);
            assert.equal(imported.id, addon.id);
            assert.deepEqual(imported.inputs, { app: other.id, plan: "heroku-postgresql:essential-1", addonName: "addon-app-db", allowReplace: false, provisionTimeoutSeconds: 900 });
            assert.equal(imported.props.state, "provisioned");

            const outputs = addon.outputs;
            const id = String(addon.id);
            await addon.delete();
            assert.equal(double.state.findAddon(id), undefined);
            assert.equal(liveVars(double, other.id).DATABASE_URL, undefined);
            await addon.host.call("delete", id, outputs);
            assert.deepEqual(await addon.host.call("read", id, outputs), { id: "" });
        });

        it("Addon: a provisioning timeout keeps the add-on (created, not initialized) and the next run waits for the same one", async function () {
            const { double } = h;
            const app = double.state.createApp({ name: "slow-db-app" });
            const addon = await h.resource("Addon", "Addon slow");
            double.state.addonProvisionPolls = 1_000_000;
            const declared = { app: app.id, plan: "heroku-postgresql:standard-0", attachmentName: "DATABASE", provisionTimeoutSeconds: 0.2 };
            const err = await rejects(addon.up(declared), /still provisioning after 0\.2 s.*the next pulumi up resumes with it/);
            assert.ok(err.id, "the error carries the add-on's id");
            assert.equal(addon.id, err.id);
            assert.equal(addon.outputs?.state, "provisioning");
            assert.ok(addon.initFailed);
            // It finishes later; the next up (an update, not a create) waits for it.
            double.state.addon(err.id).pollsLeft = 2;
            double.state.addonProvisionPolls = 2;
            assert.equal(await addon.up(declared), "updated");
            assert.equal(addon.outputs?.state, "provisioned");
            assert.equal([...double.state.addons.values()].filter((a) => a.appId === app.id).length, 1, "one database");
            forbidden.add(double.state.addon(err.id).url);

            // Lost answers on the create POST adopt the add-on the POST made.
            const other = double.state.createApp({ name: "lost-db-app" });
            double.faults.enqueue({ kind: "server-error", mode: "after-apply", method: "POST", path: `/apps/${other.id}/addons` });
            const second = await h.resource("Addon", "Addon lost answer");
            assert.equal(await second.up({ app: other.id, plan: "heroku-postgresql:essential-0", attachmentName: "DATABASE" }), "created");
            assert.equal([...double.state.addons.values()].filter((a) => a.appId === other.id).length, 1, "one database");
            forbidden.add(double.state.addon(String(second.id)).url);
            await second.delete();
            await addon.delete();
        });

        it("AddonAttachment: attach, no-op, confirm in place, rename replaces, pg:promote recipe, refresh sees a detach, import, delete", async function () {
            const { double } = h;
            const owner = double.state.createApp({ name: "attach-owner" });
            const peer = double.state.createApp({ name: "attach-peer" });
            const db = postgres(double, owner.id, "DATABASE");
            const attachment = await h.resource("AddonAttachment", "AddonAttachment");
            const declared = { app: peer.id, addon: db.id, name: "SHARED_DATABASE" };
            assert.equal(await attachment.up(declared), "created");
            assert.equal(liveVars(double, peer.id).SHARED_DATABASE_URL, db.url);
            assert.equal(attachment.outputs?.addonName, db.name);
            assert.equal((await noRequests(double, async () => attachment.diff(await attachment.check(declared)))).changes, false);

            // The only in-place change (confirm) is bookkeeping: no request.
            assert.equal(await noRequests(double, () => attachment.up({ ...declared, confirm: peer.name })), "updated");
            assert.equal(attachment.outputs?.confirm, peer.name);

            // A new name is a new attachment: created first (names differ), the old one deleted after.
            const renamed = { ...declared, name: "PEER_DATABASE" };
            const d = await attachment.diff(await attachment.check(renamed));
            assert.deepEqual(d.replaces, ["name"]);
            assert.ok(!d.deleteBeforeReplace);
            assert.equal(await attachment.up(renamed), "replaced");
            assert.deepEqual(Object.keys(liveVars(double, peer.id)), ["PEER_DATABASE_URL"]);

            // pg:promote: a follower becomes DATABASE on the owner app (confirm with the app name moves the name).
            const follower = postgres(double, owner.id, "FOLLOWER");
            const promote = await h.resource("AddonAttachment", "AddonAttachment promote");
            await rejects(promote.up({ app: owner.id, addon: follower.id, name: "DATABASE" }), /confirmation_required|confirm with the app name/);
            assert.equal(await promote.up({ app: owner.id, addon: follower.id, name: "DATABASE", confirm: owner.name }), "created");
            assert.equal(liveVars(double, owner.id).DATABASE_URL, follower.url);
            assert.equal(liveVars(double, owner.id)[String(db.colorVar)], db.url, "the old database keeps its colour name");

            // Out of band: the attachment is removed with the CLI; refresh drops it and the next up re-attaches.
            await raw(double, "DELETE", `/addon-attachments/${attachment.id}`);
            assert.equal(await attachment.refresh(), false);
            assert.equal(await attachment.up(renamed), "created");
            assert.equal(liveVars(double, peer.id).PEER_DATABASE_URL, db.url);

            const imported = await attachment.host.call<{ id: string; props: Props; inputs: Props }>("read", attachment.id);
            record("AddonAttachment import", imported);
            assert.deepEqual(imported.inputs, { app: peer.id, addon: db.id, name: "PEER_DATABASE" });

            await attachment.host.call("delete", attachment.id, attachment.outputs);
            assert.deepEqual(liveVars(double, peer.id), {});
            await attachment.host.call("delete", attachment.id, attachment.outputs);
            await promote.delete();
        });

        it("Domain: cname to herokudns.com, no-op, hostname change replaces (new first), refresh, import by app/hostname, delete", async function () {
            const { double } = h;
            const app = double.state.createApp({ name: "domain-app" });
            const domain = await h.resource("Domain", "Domain");
            const declared = { app: app.id, hostname: "www.example.com" };
            const start = double.requests.length;
            assert.equal(await domain.up(declared), "created");
            assert.deepEqual(requestsDuring(double, start), ["POST /apps/:id/domains"]);
            assert.match(String(domain.outputs?.cname), /\.herokudns\.com$/);
            assert.equal(domain.outputs?.status, "pending");
            assert.equal(domain.outputs?.sniEndpoint, null);
            assert.equal((await noRequests(double, async () => domain.diff(await domain.check(declared)))).changes, false);

            // Refresh: Heroku verified the DNS record meanwhile.
            assert.ok(await domain.refresh());
            assert.equal(domain.outputs?.status, "succeeded");
            assert.equal((await domain.diff(await domain.check(declared))).changes, false, "status is an output, not a change");

            // Heroku cannot edit a hostname: the new one is added before the old one goes.
            const next = { app: app.id, hostname: "shop.example.com" };
            const d = await domain.diff(await domain.check(next));
            assert.deepEqual(d.replaces, ["hostname"]);
            assert.ok(!d.deleteBeforeReplace);
            assert.equal(await domain.up(next), "replaced");
            assert.deepEqual(double.state.domainsOfApp(app.id).filter((x) => x.kind === "custom").map((x) => x.hostname), ["shop.example.com"]);

            // The same hostname on another app: the old app must free it first.
            const other = double.state.createApp({ name: "domain-app-2" });
            const moved = { app: other.id, hostname: "shop.example.com" };
            assert.equal((await domain.diff(await domain.check(moved))).deleteBeforeReplace, true);
            assert.equal(await domain.up(moved), "replaced");
            assert.equal(double.state.domainsOfApp(app.id).filter((x) => x.kind === "custom").length, 0);

            // Out of band: deleted with the CLI; refresh drops it, the next up adds it again.
            await raw(double, "DELETE", `/apps/${other.id}/domains/shop.example.com`);
            assert.equal(await domain.refresh(), false);
            assert.equal(await domain.up(moved), "created");

            const imported = await domain.host.call<{ id: string; props: Props; inputs: Props }>("read", `${other.name}/shop.example.com`);
            assert.equal(imported.id, domain.id);
            assert.deepEqual(imported.inputs, { app: other.name, hostname: "shop.example.com" });
            await rejects(domain.host.call("read", String(domain.id)), /import a Domain by "<app>\/<hostname>"/);

            await domain.host.call("delete", domain.id, domain.outputs);
            assert.equal(double.state.domainsOfApp(other.id).filter((x) => x.kind === "custom").length, 0);
            await domain.host.call("delete", domain.id, domain.outputs);
        });

        it("Formation: one batch request with dyno_size, no-op, scale in place, unowned types untouched, waits for a deploy, refresh, import, delete", async function () {
            const { double } = h;
            const app = double.state.createApp({ name: "formation-app" });
            double.state.deploy(app.id, { web: "gunicorn shop.wsgi", worker: "celery -A shop worker", clock: "python clock.py" });
            const formation = await h.resource("Formation", "Formation");
            const declared = { app: app.id, processes: { web: { size: "Standard-1X", quantity: 2 }, worker: { size: "standard-1x", quantity: 1 } } };
            const start = double.requests.length;
            assert.equal(await formation.up(declared), "created");
            assert.deepEqual(requestsDuring(double, start), ["PATCH /apps/:id/formation"], "one batch");
            const f = (type: string) => double.state.formationEntry(app.id, type);
            assert.deepEqual([f("web").size.name, f("web").quantity, f("worker").size.name, f("worker").quantity], ["Standard-1X", 2, "Standard-1X", 1]);
            assert.equal(f("clock").quantity, 0, "not declared, not touched");
            assert.equal((await noRequests(double, async () => formation.diff(await formation.check(declared)))).changes, false);

            // Scale web, drop worker (scaled to zero, not left running unmanaged): one batch.
            const next = { app: app.id, processes: { web: { size: "standard-2x", quantity: 3 } } };
            const beforeUpdate = double.requests.length;
            assert.equal(await formation.up(next), "updated");
            assert.deepEqual(requestsDuring(double, beforeUpdate), ["PATCH /apps/:id/formation"]);
            assert.deepEqual([f("web").size.name, f("web").quantity, f("worker").quantity], ["Standard-2X", 3, 0]);

            // Out of band: `heroku ps:scale web=5`; refresh sees it, the next up scales back.
            await raw(double, "PATCH", `/apps/${app.id}/formation/web`, { quantity: 5 });
            assert.ok(await formation.refresh());
            assert.deepEqual(formation.outputs?.processes, { web: { size: "standard-2x", quantity: 5 } });
            assert.equal(await formation.up(next), "updated");
            assert.equal(f("web").quantity, 3);

            // Another app without a deploy yet: nothing to scale; applied by the first up after a deploy.
            const fresh = double.state.createApp({ name: "formation-app-2" });
            const moved = { app: fresh.id, processes: { web: { size: "basic", quantity: 1 } } };
            assert.deepEqual((await formation.diff(await formation.check(moved))).replaces, ["app"]);
            assert.equal(await formation.up(moved), "replaced");
            assert.equal(f("web").quantity, 0, "the old app's owned types are scaled to zero");
            assert.deepEqual(formation.outputs?.waitingForDeploy, ["web"]);
            double.state.deploy(fresh.id, { web: "gunicorn shop.wsgi" });
            double.state.updateFormation(fresh.id, [{ type: "web", quantity: 0 }]);
            assert.equal(await formation.up(moved), "updated");
            assert.deepEqual(formation.outputs?.waitingForDeploy, []);
            assert.equal(double.state.formationEntry(fresh.id, "web").quantity, 1);

            const imported = await formation.host.call<{ id: string; props: Props }>("read", `${app.id}/formation`);
            assert.deepEqual(imported.props.processes, { web: { size: "standard-2x", quantity: 0 }, worker: { size: "standard-1x", quantity: 0 }, clock: { size: "basic", quantity: 0 } });

            await formation.host.call("delete", formation.id, formation.outputs);
            assert.equal(double.state.formationEntry(fresh.id, "web").quantity, 0);
            await formation.host.call("delete", formation.id, formation.outputs);
            double.state.deleteApp(fresh.id);
            await formation.host.call("delete", formation.id, formation.outputs);
            assert.deepEqual(await formation.host.call("read", formation.id, formation.outputs), { id: "" });
        });

        for (const kind of ["Maintenance", "Acm"] as const) {
            const field = kind === "Maintenance" ? "maintenance" : "acm";
            it(`${kind}: on while it exists, no-op, refresh sees it switched off by hand and the update puts it back, replace, import, off on delete`, async function () {
                const { double } = h;
                const app = double.state.createApp({ name: `${kind.toLowerCase()}-app` });
                const r = await h.resource(kind, kind);
                const start = double.requests.length;
                assert.equal(await r.up({ app: app.id }), "created");
                assert.equal(requestsDuring(double, start).length, 1);
                assert.equal(double.state.app(app.id)[field], true);
                assert.equal((await noRequests(double, async () => r.diff(await r.check({ app: app.id })))).changes, false);

                if (kind === "Maintenance") await raw(double, "PATCH", `/apps/${app.id}`, { maintenance: false });
                else await raw(double, "DELETE", `/apps/${app.id}/acm`);
                assert.ok(await r.refresh());
                assert.equal(r.outputs?.enabled, false);
                assert.equal(await r.up({ app: app.id }), "updated");
                assert.equal(double.state.app(app.id)[field], true);

                const other = double.state.createApp({ name: `${kind.toLowerCase()}-app-2` });
                assert.equal(await r.up({ app: other.id }), "replaced");
                assert.equal(double.state.app(other.id)[field], true);
                assert.equal(double.state.app(app.id)[field], false, "off on the old app");

                const imported = await r.host.call<{ id: string; props: Props; inputs: Props }>("read", `${other.name}/${kind.toLowerCase()}`);
                assert.deepEqual(imported, { id: `${other.name}/${kind.toLowerCase()}`, props: { app: other.name, enabled: true }, inputs: { app: other.name } });

                await r.host.call("delete", r.id, r.outputs);
                assert.equal(double.state.app(other.id)[field], false);
                await r.host.call("delete", r.id, r.outputs);
                double.state.deleteApp(other.id);
                await r.host.call("delete", r.id, r.outputs);
                assert.deepEqual(await r.host.call("read", r.id, r.outputs), { id: "" });
            });
        }

        it("StackKind: check refuses switching production to staging unless allowKindChange; no API request at all", async function () {
            const { double } = h;
            const kind = await h.resource("StackKind", "StackKind");
            await noRequests(double, async () => {
                assert.equal(await kind.up({ kind: "production" }), "created");
                assert.equal(await kind.up({ kind: "production" }), "same");
                const err = await rejects(kind.up({ kind: "staging" }), /this stack is a production environment; switching it to staging is refused/);
                assert.deepEqual((err as unknown as CheckFailed).failures.map((f) => f.property), ["kind"]);
                assert.equal(await kind.up({ kind: "staging", allowKindChange: true }), "updated");
                assert.equal(kind.outputs?.kind, "staging");
            });
        });

        it("Secrets: errors (bad token, missing app, exhausted retries), diffs and plain outputs never hold a secret value or the token", async function () {
            const { double } = h;
            const app = double.state.createApp({ name: "secret-app" });
            const vars = await h.resource("ConfigVars", "Secrets");
            await vars.up({ app: app.id, vars: { PLAIN: "p" }, secretVars: { API_SECRET: SECRET } });
            assert.equal(liveVars(double, app.id).API_SECRET, SECRET);
            assert.ok(!JSON.stringify(plain("ConfigVars", vars.outputs)).includes(SECRET));

            // A wrong token: 401, and neither token appears in the error.
            const wrongToken = `wrong-${randomUUID()}`;
            forbidden.add(wrongToken);
            const badHost = await ProviderHost.start(providers.ConfigVars, { config: { "heroku:apiKey": wrongToken, "heroku:apiUrl": double.url }, env: FAST });
            h.extraHosts.push(badHost);
            const bad = new Managed("ConfigVars", badHost, "Secrets bad token");
            await rejects(bad.up({ app: app.id, secretVars: { API_SECRET: SECRET } }), /401 unauthorized: Invalid credentials provided/);

            // Retries exhausted on every request: the PATCH with the secret in its body fails without it.
            double.faults.set({ serverErrorProbability: 1 });
            try {
                await rejects(vars.up({ app: app.id, vars: { PLAIN: "p" }, secretVars: { API_SECRET: `${SECRET}-2` } }), /PATCH \/apps\/.*\/config-vars failed: 500 internal_server_error.*gave up after/);
            } finally {
                double.faults.set({ serverErrorProbability: 0 });
            }
            forbidden.add(`${SECRET}-2`);

            // The app is gone: 404 with the path, not the body.
            double.state.deleteApp(app.id);
            await rejects(vars.up({ app: app.id, vars: { PLAIN: "p" }, secretVars: { API_SECRET: `${SECRET}-3` } }), /404 not_found: Couldn't find that app/);
            forbidden.add(`${SECRET}-3`);

            // Check failures name the key, never the value.
            await rejects(vars.up({ app: app.id, vars: {}, secretVars: { "BAD-KEY": SECRET } }), /secretVars\.BAD-KEY: config var names are/);
        });
    });

    describe("chaos: 10% of requests fail (429 or 500, before or after Heroku applied them) plus dropped connections", function () {
        const APPS = 6;
        // With the default 6 attempts per request the client absorbs every fault and the engine's re-runs are never
        // exercised: 2 attempts make a few operations fail, to be re-run like a second `pulumi up`.
        const h = harness({
            env: { HEROKUENV_MAX_ATTEMPTS: "2" },
            processTypesOnCreate: { web: "gunicorn shop.wsgi", worker: "celery -A shop worker" },
        });
        for (const mode of ["before-apply", "after-apply"] as const) {
            it(`${mode} faults: creates, updates and deletes 6 environments (60 resources) and ends with exactly the declared state`, async function () {
                this.timeout(120_000);
                const { double } = h;
                const started = Date.now();
                const firstRequest = double.requests.length;
                // A bystander app nobody declared: it must come out untouched.
                let bystander = double.state.findApp("bystander");
                if (!bystander) {
                    bystander = double.state.createApp({ name: "bystander" });
                    postgres(double, bystander.id, "DATABASE");
                    double.state.patchConfigVars(bystander.id, { KEEP: "me" });
                }
                const bystanderDb = [...double.state.addons.values()].find((a) => a.appId === bystander.id)!;
                const bystanderVars = liveVars(double, bystander.id);

                double.faults.set({
                    // Reproducible; HEROKUENV_CHAOS_SEED tries other fault sequences.
                    seed: Number(process.env.HEROKUENV_CHAOS_SEED ?? 11) + (mode === "before-apply" ? 0 : 1),
                    rateLimitProbability: 0.05,
                    serverErrorProbability: 0.05,
                    serverErrorMode: mode,
                    dropProbability: 0.02,
                    dropMode: mode,
                });

                let reruns = 0;
                /** What a second (third…) `pulumi up` does for a resource whose step failed: run it again. */
                const converge = async (r: Managed, news: Props) => {
                    for (let round = 1; ; round++) {
                        try {
                            return await r.up(news);
                        } catch (err) {
                            if (err instanceof CheckFailed || round >= 6) throw err;
                            reruns++;
                        }
                    }
                };
                const destroy = async (r: Managed) => {
                    for (let round = 1; ; round++) {
                        try {
                            return await r.delete();
                        } catch (err) {
                            if (round >= 6) throw err;
                            reruns++;
                        }
                    }
                };

                interface Env {
                    app: Managed;
                    vars: Managed;
                    db: Managed;
                    peer: Managed;
                    domains: Managed[];
                    formation: Managed;
                    maintenance: Managed;
                    acm: Managed;
                }
                const envs: Env[] = [];
                for (let i = 0; i < APPS; i++) {
                    envs.push({
                        app: await h.resource("App", `chaos app ${i}`),
                        vars: await h.resource("ConfigVars", `chaos vars ${i}`),
                        db: await h.resource("Addon", `chaos db ${i}`),
                        peer: await h.resource("AddonAttachment", `chaos peer ${i}`),
                        domains: [await h.resource("Domain", `chaos domain ${i}a`), await h.resource("Domain", `chaos domain ${i}b`), await h.resource("Domain", `chaos domain ${i}c`)],
                        formation: await h.resource("Formation", `chaos formation ${i}`),
                        maintenance: await h.resource("Maintenance", `chaos maintenance ${i}`),
                        acm: await h.resource("Acm", `chaos acm ${i}`),
                    });
                }
                const secretOf = (i: number, v: number) => `${SECRET}-chaos-${i}-${v}`;
                for (let i = 0; i < APPS; i++) for (const v of [1, 2]) forbidden.add(secretOf(i, v));

                const declare = (i: number, v: 1 | 2) => {
                    const e = envs[i];
                    const appId = String(e.app.id);
                    const peerDb = String(envs[(i + 1) % APPS].db.id);
                    return {
                        app: { name: v === 1 ? `chaos-${i}` : `chaos-${i}-v2`, region: "us", buildpacks: v === 1 ? ["heroku/python"] : ["heroku/nodejs", "heroku/python"] },
                        vars: {
                            app: appId,
                            vars: v === 1 ? { DJANGO_SETTINGS_MODULE: "shop.settings", WEB_CONCURRENCY: "2", OLD_FLAG: "1" } : { DJANGO_SETTINGS_MODULE: "shop.settings", WEB_CONCURRENCY: "4", NEW_FLAG: "1" },
                            secretVars: { DJANGO_SECRET_KEY: secretOf(i, v) },
                        },
                        db: { app: appId, plan: v === 1 ? "heroku-postgresql:essential-0" : "heroku-postgresql:essential-1", attachmentName: "DATABASE" },
                        peer: { app: appId, addon: peerDb, name: v === 1 ? "PEER_DATABASE" : "PEER_DB" },
                        domains: [`www-${i}.example.com`, `api-${i}.example.com`, v === 1 ? `old-${i}.example.com` : `new-${i}.example.com`].map((hostname) => ({ app: appId, hostname })),
                        formation: { app: appId, processes: v === 1 ? { web: { size: "basic", quantity: 1 } } : { web: { size: "standard-2x", quantity: 2 }, worker: { size: "standard-1x", quantity: 1 } } },
                        maintenance: { app: appId },
                        acm: { app: appId },
                    };
                };

                /** Deploys in dependency order, independent resources in parallel, like the engine. */
                const deploy = async (v: 1 | 2) => {
                    await Promise.all(envs.map((e, i) => converge(e.app, declare(i, v).app)));
                    await Promise.all(envs.flatMap((e, i) => {
                        const d = declare(i, v);
                        return [
                            converge(e.vars, d.vars),
                            converge(e.db, d.db),
                            converge(e.formation, d.formation),
                            converge(e.maintenance, d.maintenance),
                            ...e.domains.map((r, k) => converge(r, d.domains[k])),
                        ];
                    }));
                    await Promise.all(envs.flatMap((e, i) => [converge(e.peer, declare(i, v).peer), converge(e.acm, declare(i, v).acm)]));
                };

                const verify = (v: 1 | 2) => {
                    const ours = [...double.state.apps.values()].filter((a) => a.id !== bystander.id);
                    assert.equal(ours.length, APPS, "no duplicate or lost app");
                    const addons = [...double.state.addons.values()].filter((a) => a.appId !== bystander.id);
                    assert.equal(addons.length, APPS, "no duplicate or lost add-on");
                    for (let i = 0; i < APPS; i++) {
                        const e = envs[i];
                        const d = declare(i, v);
                        const app = double.state.app(String(e.app.id));
                        assert.equal(app.name, d.app.name);
                        assert.deepEqual(app.buildpacks, d.app.buildpacks);
                        const own = addons.filter((a) => a.appId === app.id);
                        assert.equal(own.length, 1);
                        assert.equal(own[0].id, e.db.id);
                        assert.equal(own[0].plan.name, d.db.plan);
                        assert.equal(own[0].state, "provisioned");
                        forbidden.add(own[0].url);
                        const peer = double.state.addon(String(envs[(i + 1) % APPS].db.id));
                        // Exactly the declared vars plus what the add-ons set: nothing lost, nothing stray.
                        assert.deepEqual(liveVars(double, app.id), {
                            ...d.vars.vars,
                            ...d.vars.secretVars,
                            DATABASE_URL: own[0].url,
                            [String(own[0].colorVar)]: own[0].url,
                            [`${d.peer.name}_URL`]: peer.url,
                        });
                        const attachments = double.state.attachmentsOfApp(app.id).map((a) => `${a.name}→${a.addonId}`).sort();
                        assert.deepEqual(attachments, [`DATABASE→${own[0].id}`, `${d.peer.name}→${peer.id}`].sort());
                        const hostnames = double.state.domainsOfApp(app.id).filter((x) => x.kind === "custom").map((x) => x.hostname).sort();
                        assert.deepEqual(hostnames, d.domains.map((x) => x.hostname).sort());
                        for (const [type, p] of Object.entries(d.formation.processes)) {
                            const f = double.state.formationEntry(app.id, type);
                            assert.deepEqual([f.size.name.toLowerCase(), f.quantity], [p.size, p.quantity], `${app.name} ${type}`);
                        }
                        assert.equal(app.maintenance, true);
                        assert.equal(app.acm, true);
                    }
                    assert.deepEqual(liveVars(double, bystander.id), bystanderVars, "bystander untouched");
                };

                await deploy(1);
                verify(1);
                const afterCreate = double.requests.length - firstRequest;

                // A no-op `pulumi up` sends nothing, faults or not.
                await noRequests(double, () => deploy(1));

                await deploy(2);
                verify(2);

                // Destroy in reverse dependency order.
                await Promise.all(envs.flatMap((e) => [destroy(e.peer), destroy(e.acm)]));
                await Promise.all(envs.flatMap((e) => [destroy(e.vars), destroy(e.db), destroy(e.formation), destroy(e.maintenance), ...e.domains.map(destroy)]));
                await Promise.all(envs.map((e) => destroy(e.app)));

                double.faults.set({ rateLimitProbability: 0, serverErrorProbability: 0, dropProbability: 0 });
                assert.deepEqual([...double.state.apps.values()].map((a) => a.name), ["bystander"]);
                assert.deepEqual([...double.state.addons.values()].map((a) => a.id), [bystanderDb.id]);
                assert.deepEqual(liveVars(double, bystander.id), bystanderVars);
                assert.equal([...double.state.domains.values()].filter((d) => d.kind === "custom").length, 0);

                const cycle = double.requests.slice(firstRequest);
                const faults = cycle.filter((r) => r.fault).length;
                const elapsed = Date.now() - started;
                record("chaos", { mode, requests: cycle.length, faults, reruns, elapsed });
                console.log(`      ${mode}: ${cycle.length} requests (${afterCreate} to create), ${faults} faults injected, ${reruns} operations re-run, ${elapsed} ms`);
                assert.ok(faults / cycle.length > 0.07, "about 10% of requests failed");
                assert.ok(elapsed < 60_000, `bounded time: ${elapsed} ms`);
            });
        }
    });
});

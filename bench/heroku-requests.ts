// How many Heroku API requests one stack's environment costs: create, a no-op `pulumi up` (diffs only), a refresh,
// a one-key config change and a destroy. The resources are the ones a stack creates (App, ConfigVars, Addon,
// Domain×3, Formation, Acm), serialized under Pulumi mocks and run in Pulumi's dynamic-provider host the way
// `pulumi up` runs them, against the Heroku API double; requests are counted from the double's request log.
// Not a test: `node -r ts-node/register/transpile-only bench/heroku-requests.ts`.
import type * as pulumi from "@pulumi/pulumi";
import { Acm } from "../components/heroku/acm";
import { Addon } from "../components/heroku/addon";
import { App } from "../components/heroku/app";
import { ConfigVars } from "../components/heroku/config-vars";
import { Domain } from "../components/heroku/domain";
import { Formation } from "../components/heroku/formation";
import { ProviderHost, serializeProvider } from "../test/helpers/provider-host";
import { startHerokuDouble, type HerokuDouble } from "../test/heroku-double";

type Props = Record<string, unknown>;

interface Resource {
    label: string;
    make: () => pulumi.CustomResource;
    declare: (appId: string) => Props;
    host?: ProviderHost;
    inputs?: Props;
    id?: string;
    outputs?: Props;
}

const resources: Resource[] = [
    {
        label: "App",
        make: () => new App("app", { name: "x" }),
        declare: () => ({ name: "sendhub-staging", region: "us", stack: "heroku-24", buildpacks: ["heroku/python"] }),
    },
    {
        label: "ConfigVars",
        make: () => new ConfigVars("config", { app: "x" }),
        declare: (app) => ({
            app,
            vars: { DJANGO_SETTINGS_MODULE: "sendhub.settings.staging", DJANGO_ALLOWED_HOSTS: "staging.sendhub.com", WEB_CONCURRENCY: "2", AWS_STORAGE_BUCKET_NAME: "sendhub-staging-files" },
            secretVars: { DJANGO_SECRET_KEY: "k", SENTRY_DSN: "https://x@sentry.example.com/1", AWS_SECRET_ACCESS_KEY: "s" },
        }),
    },
    {
        label: "Addon (Postgres)",
        make: () => new Addon("db", { app: "x", plan: "heroku-postgresql:essential-0" }),
        declare: (app) => ({ app, plan: "heroku-postgresql:essential-1", attachmentName: "DATABASE" }),
    },
    ...["staging.sendhub.com", "www.staging.sendhub.com", "api.staging.sendhub.com"].map((hostname, i) => ({
        label: `Domain ${i + 1}`,
        make: () => new Domain("domain", { app: "x", hostname: "www.example.com" }),
        declare: (app: string) => ({ app, hostname }),
    })),
    {
        label: "Formation",
        make: () => new Formation("formation", { app: "x", processes: {} }),
        declare: (app) => ({ app, processes: { web: { size: "standard-1x", quantity: 1 }, worker: { size: "standard-1x", quantity: 1 } } }),
    },
    {
        label: "Acm",
        make: () => new Acm("acm", { app: "x" }),
        declare: (app) => ({ app }),
    },
];

type Phase = "create" | "no-op up" | "refresh" | "one config var" | "destroy";
const PHASES: Phase[] = ["create", "no-op up", "refresh", "one config var", "destroy"];

async function counted(double: HerokuDouble, work: () => Promise<void>): Promise<number> {
    const before = double.requests.length;
    await work();
    return double.requests.length - before;
}

async function main(): Promise<void> {
    // A deployed app (Procfile with web and worker), add-ons that provision after 2 polls, as in the tests.
    const double = await startHerokuDouble({ processTypesOnCreate: { web: "gunicorn sendhub.wsgi", worker: "celery -A sendhub worker" }, addonProvisionPolls: 2 });
    const texts = new Map<string, ProviderHost>();
    for (const r of resources) {
        const { provider } = await serializeProvider(r.make);
        let host = texts.get(provider);
        if (!host) {
            host = await ProviderHost.start(provider, {
                config: { "heroku:apiKey": double.token, "heroku:apiUrl": double.url },
                env: { HEROKUENV_ADDON_POLL_MS: "5" },
            });
            texts.set(provider, host);
        }
        r.host = host;
    }
    const table = new Map<string, Record<Phase, number>>();
    const count = (r: Resource, phase: Phase, n: number) => {
        const row = table.get(r.label) ?? (Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>);
        row[phase] += n;
        table.set(r.label, row);
    };
    let appId = "";
    const up = async (r: Resource, news: Props) => {
        const host = r.host!;
        const { inputs } = await host.call<{ inputs: Props }>("check", r.inputs ?? {}, news);
        if (r.id === undefined) {
            const created = await host.call<{ id: string; outs: Props }>("create", inputs);
            Object.assign(r, { id: created.id, outputs: created.outs, inputs });
            return;
        }
        const d = await host.call<{ changes?: boolean; replaces?: string[] }>("diff", r.id, r.outputs, inputs);
        if (d.replaces?.length) throw new Error(`${r.label}: unexpected replacement`);
        if (d.changes) r.outputs = (await host.call<{ outs: Props }>("update", r.id, r.outputs, inputs)).outs;
        r.inputs = inputs;
    };

    for (const r of resources) {
        count(r, "create", await counted(double, () => up(r, r.declare(appId))));
        if (r.label === "App") appId = String(r.id);
    }
    for (const r of resources) count(r, "no-op up", await counted(double, () => up(r, r.declare(appId))));
    for (const r of resources) {
        count(r, "refresh", await counted(double, async () => {
            const read = await r.host!.call<{ id: string; props: Props }>("read", r.id, r.outputs);
            r.outputs = read.props;
        }));
    }
    for (const r of resources) {
        const news = r.declare(appId);
        if (r.label === "ConfigVars") (news.vars as Record<string, string>).WEB_CONCURRENCY = "3";
        count(r, "one config var", await counted(double, () => up(r, news)));
    }
    for (const r of [...resources].reverse()) count(r, "destroy", await counted(double, () => r.host!.call("delete", r.id, r.outputs)));
    double.assertNoSchemaViolations();

    const totals = Object.fromEntries(PHASES.map((p) => [p, [...table.values()].reduce((sum, row) => sum + row[p], 0)])) as Record<Phase, number>;
    const rows = [...table.entries(), ["total", totals] as const];
    const width = Math.max(...rows.map(([label]) => label.length));
    const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(width) : c.padStart(PHASES[i - 1].length))).join(" | ")} |`;
    console.log(line(["resource", ...PHASES]));
    console.log(`|${"-".repeat(width + 2)}|${PHASES.map((p) => `${"-".repeat(p.length + 1)}:`).join("|")}|`);
    for (const [label, row] of rows) console.log(line([label, ...PHASES.map((p) => String(row[p]))]));
    console.log(`\nEvery request, by route:\n${summarize(double)}`);

    for (const host of texts.values()) await host.stop();
    await double.stop();
}

function summarize(double: HerokuDouble): string {
    const byRoute = new Map<string, number>();
    for (const r of double.requests) {
        const route = `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "{id}")}`;
        byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
    }
    return [...byRoute.entries()].map(([route, n]) => `  ${String(n).padStart(3)}  ${route}`).join("\n");
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});

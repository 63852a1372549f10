// herokuenv as another team installs it: `npm pack`, the tarball installed into a fresh Pulumi TypeScript project
// whose own index.ts imports "herokuenv" by name, that program run under mocks through ts-node (as `pulumi up` loads
// it), and its serialized providers driven from a copy of that project in another directory, the original removed
// (the way a CI runner or a colleague's laptop runs `pulumi up` against state written elsewhere).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startHerokuDouble, type HerokuDouble } from "./heroku-double";
import { ProviderHost } from "./helpers/provider-host";

const REPO_ROOT = path.resolve(__dirname, "..");
const FIXTURE = path.join(__dirname, "fixtures", "user-project");
const MAX_PROVIDER_BYTES = 8 * 1024;

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

function repoPackage(): { name: string; devDependencies: Record<string, string> } {
    return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { name: string; devDependencies: Record<string, string> };
}

function npm(args: string[], cwd: string): string {
    return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "error" } });
}

describe("the published package, installed into another Pulumi project", function () {
    this.timeout(240_000);
    let work: string;
    let tarball: string;
    let packedFiles: string[];
    let first: string;
    let moved: string;
    let run: { resources: Registered[]; appUrl: string };

    before(function () {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-package-"));
        // dist/ is current (test/helpers/dist-current.ts); `prepare` would only build it again.
        const packed = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", work], REPO_ROOT)) as Array<{ filename: string; files: { path: string }[] }>;
        tarball = path.join(work, packed[0].filename);
        packedFiles = packed[0].files.map((f) => f.path);

        first = path.join(work, "acme-infra");
        fs.mkdirSync(first);
        for (const file of fs.readdirSync(FIXTURE)) fs.copyFileSync(path.join(FIXTURE, file), path.join(first, file));
        fs.writeFileSync(path.join(first, "package.json"), JSON.stringify({ name: "acme-infra", version: "1.0.0", private: true, main: "index.ts" }, null, 2));
        const dev = repoPackage().devDependencies;
        // What `pulumi new typescript` gives a project (TypeScript, ts-node's types), plus the tarball.
        npm(["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, `typescript@${dev.typescript}`, `ts-node@${dev["ts-node"]}`, `@types/node@${dev["@types/node"]}`], first);
        const out = execFileSync(process.execPath, ["run-under-mocks.js", "production"], { cwd: first, encoding: "utf8", env: { ...process.env, TS_NODE_PROJECT: "" } });
        run = JSON.parse(out) as typeof run;
    });

    after(function () {
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("packs compiled code, declarations, the CLI, docs, README and licence, and nothing else", function () {
        for (const needed of ["package.json", "README.md", "LICENSE", "bin/herokuenv", "dist/components/index.js", "dist/components/index.d.ts", "dist/components/heroku/app.js", "dist/cli/index.js"]) {
            assert.ok(packedFiles.includes(needed), `${needed} is in the package`);
        }
        const unwanted = packedFiles.filter((f) => /^(test|bench|components|cli|policy|\.ci|\.github|\.tools|\.tmp)\/|^Pulumi\.|\.test\.|fixtures|\.ts$/.test(f) && !f.endsWith(".d.ts"));
        assert.deepEqual(unwanted, []);
        // Code and docs, plus the rehearsal's bundled sample (Sakila as a gzipped dump).
        assert.ok(fs.statSync(tarball).size < 2_000_000, `the tarball is ${fs.statSync(tarball).size} bytes`);
    });

    it("runs a program that imports herokuenv by name, under mocks through ts-node, with the resources it declares", function () {
        const summary = run.resources.map((r) => `${r.type} ${r.name}`).sort();
        const heroku = summary.filter((s) => s.startsWith("pulumi-nodejs:dynamic/"));
        assert.deepEqual(heroku, [
            "pulumi-nodejs:dynamic/herokuenv:config.StackKind acme-kind",
            "pulumi-nodejs:dynamic/herokuenv:data.EnvironmentMarker acme-marker",
            "pulumi-nodejs:dynamic/herokuenv:heroku.Acm acme-acm",
            "pulumi-nodejs:dynamic/herokuenv:heroku.Addon acme-database",
            "pulumi-nodejs:dynamic/herokuenv:heroku.App acme-app",
            "pulumi-nodejs:dynamic/herokuenv:heroku.ConfigVars acme-config",
            "pulumi-nodejs:dynamic/herokuenv:heroku.Domain acme-domain-www.acme.example",
            "pulumi-nodejs:dynamic/herokuenv:heroku.Formation acme-formation",
            "pulumi-nodejs:dynamic/herokuenv:heroku.Maintenance acme-maintenance",
            "pulumi-nodejs:dynamic/herokuenv:heroku.Pipeline acme-pipeline",
            "pulumi-nodejs:dynamic/herokuenv:heroku.PipelineCoupling acme-pipeline-coupling",
        ]);
        assert.ok(summary.includes("aws:s3/bucket:Bucket acme-storage-files") && summary.includes("cloudflare:index/dnsRecord:DnsRecord acme-dns-www.acme.example"));
        const app = run.resources.find((r) => r.name === "acme-app");
        assert.deepEqual({ name: app?.inputs.name, region: app?.inputs.region, buildpacks: app?.inputs.buildpacks }, { name: "acme-production", region: "eu", buildpacks: ["heroku/python"] });
        assert.equal(run.appUrl, "https://acme-production.herokuapp.com/");
    });

    it("serializes each provider in at most 8 KB, with no path of the machine that ran the program", function () {
        for (const r of run.resources.filter((x) => typeof x.inputs.__provider === "string")) {
            const text = r.inputs.__provider as string;
            console.log(`      ${r.type}: ${text.length} bytes of serialized provider`);
            assert.ok(text.length <= MAX_PROVIDER_BYTES, `${r.name}: ${text.length} bytes`);
            assert.equal(text.includes(first), false, `${r.name}'s provider holds the project's path`);
            assert.equal(text.includes(REPO_ROOT), false, `${r.name}'s provider holds the checkout's path`);
        }
    });

    describe("its providers, run from a copy of the project in another directory", function () {
        let double: HerokuDouble;
        const hosts: ProviderHost[] = [];
        const provider = (name: string) => run.resources.find((r) => r.name === name)?.inputs.__provider as string;

        before(async function () {
            moved = path.join(work, "elsewhere", "acme-infra");
            fs.mkdirSync(path.dirname(moved), { recursive: true });
            fs.cpSync(first, moved, { recursive: true, verbatimSymlinks: true });
            fs.rmSync(first, { recursive: true, force: true });
            double = await startHerokuDouble();
        });

        after(async function () {
            for (const h of hosts) await h.stop();
            await double?.stop();
        });

        async function host(name: string): Promise<ProviderHost> {
            const h = await ProviderHost.start(provider(name), { projectDir: moved, config: { "heroku:apiKey": double.token, "heroku:apiUrl": double.url } });
            hosts.push(h);
            return h;
        }

        it("creates, diffs, reads and deletes a Heroku app and its maintenance mode against the schema-checked double", async function () {
            assert.equal(fs.existsSync(first), false);
            const app = await host("acme-app");
            const checked = await app.call<{ inputs: Record<string, unknown>; failures: unknown[] }>("check", {}, { name: "acme-production", region: "eu", buildpacks: ["heroku/python"] });
            assert.deepEqual(checked.failures, []);
            const created = await app.call<{ id: string; outs: Record<string, unknown> }>("create", checked.inputs);
            assert.equal(double.state.apps.get(created.id)?.name, "acme-production");
            assert.deepEqual(created.outs.buildpacks, ["heroku/python"]);
            assert.deepEqual(await app.call("diff", created.id, created.outs, checked.inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
            const renamed = { ...checked.inputs, name: "acme-prod" };
            assert.equal((await app.call<{ changes: boolean }>("diff", created.id, created.outs, renamed)).changes, true);
            const read = await app.call<{ id: string; props: Record<string, unknown> }>("read", created.id, created.outs);
            assert.equal(read.props.name, "acme-production");

            const maintenance = await host("acme-maintenance");
            const on = await maintenance.call<{ id: string; outs: { enabled: boolean } }>("create", { app: created.id });
            assert.equal(on.outs.enabled, true);
            assert.equal(double.state.apps.get(created.id)?.maintenance, true);
            await maintenance.call("delete", on.id, on.outs);
            assert.equal(double.state.apps.get(created.id)?.maintenance, false);

            await app.call("delete", created.id, created.outs);
            assert.equal(double.state.apps.has(created.id), false);
            double.assertNoSchemaViolations();
        });

        it("refuses a kind switch in StackKind's check, loaded from the copy", async function () {
            const kind = await host("acme-kind");
            const result = await kind.call<{ failures: { property: string; reason: string }[] }>("check", { kind: "production", allowKindChange: false }, { kind: "staging" });
            assert.equal(result.failures[0]?.property, "kind");
            assert.match(result.failures[0].reason, /this stack is a production environment/);
        });
    });
});

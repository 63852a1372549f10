// `herokuenv sandbox up|down|list|status|prune` on the Automation API, driving a recording stand-in for the Pulumi
// CLI (test/helpers/fake-pulumi; the real one cannot be installed here): the exact commands, flags, stack names, cwd
// and environment of every call, and that no secret value is on any command line or in anything herokuenv prints.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { fakePulumi, type FakePulumi } from "./helpers/fake-pulumi";
import { REPO_ROOT, runProgram, stackConfigFromObject } from "./helpers/pulumi-program";

const SECRETS = {
    PULUMI_CONFIG_PASSPHRASE: "passphrase-9f2c1d",
    HEROKU_API_KEY: "heroku-key-71ab0e",
    AWS_ACCESS_KEY_ID: "AKIAFAKE7Q",
    AWS_SECRET_ACCESS_KEY: "aws-secret-5d44ce",
    CLOUDFLARE_API_TOKEN: "cf-token-c0ffee",
};
const SECRET_OUTPUT = "storage-secret-e1e1e1";
const DAY = 86_400_000;

function setup(env: Record<string, string> = {}, options: { withPulumi?: boolean } = {}): FakePulumi {
    const backendDir = `/tmp/herokuenv-backend-${process.pid}`;
    return fakePulumi({
        env: { PULUMI_BACKEND_URL: `file://${backendDir}`, ...SECRETS, ...env },
        withPulumi: options.withPulumi,
        state: {
            upOutputs: {
                appUrl: { value: "https://{stack}.staging.sendhub.com/", secret: false },
                filesBucket: { value: "sendhub-staging-x-files", secret: false },
                storageSecretAccessKey: { value: SECRET_OUTPUT, secret: true },
            },
        },
    });
}

/** Every run's output, and the fake's log, checked for secret values at the end of each test. */
const seen: string[] = [];

function herokuenv(f: FakePulumi, args: string[], env: NodeJS.ProcessEnv = f.env) {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "herokuenv"), ...args, "--project", f.dir], { env, encoding: "utf8", input: "" });
    seen.push(r.stdout, r.stderr);
    return r;
}

function assertNoSecretsLeaked(f: FakePulumi): void {
    const argv = f.calls().map((c) => c.argv.join(" ")).join("\n");
    for (const secret of [...Object.values(SECRETS), SECRET_OUTPUT]) {
        assert.ok(!argv.includes(secret), `a secret is on a pulumi command line: ${secret}`);
        for (const text of seen) assert.ok(!text.includes(secret), `herokuenv printed a secret value (${secret}):\n${text}`);
    }
}

function addStack(f: FakePulumi, name: string, stack: { lastUpdate?: string; tags?: Record<string, string>; resourceCount?: number; kind?: string }): void {
    f.setState((s) => {
        s.stacks[name] = {
            tags: { "pulumi:project": "herokuenv", ...stack.tags },
            outputs: stack.lastUpdate ? { appUrl: { value: `https://${name}.staging.sendhub.com/`, secret: false }, storageSecretAccessKey: { value: SECRET_OUTPUT, secret: true } } : {},
            history: [],
            ...(stack.lastUpdate ? { lastUpdate: stack.lastUpdate, resourceCount: stack.resourceCount ?? 20 } : {}),
        };
    });
    if (stack.kind !== undefined) fs.writeFileSync(path.join(f.dir, `Pulumi.${name}.yaml`), `config:\n  herokuenv:kind: ${stack.kind}\n  herokuenv:engineer: ${name.replace(/^mini-/, "")}\n`);
}

describe("herokuenv sandbox (Automation API against a recording pulumi)", function () {
    this.timeout(60_000);
    let f: FakePulumi;
    beforeEach(() => (seen.length = 0));
    afterEach(() => {
        assertNoSecretsLeaked(f);
        f.cleanup();
    });

    it("up: writes the stack file, creates and tags mini-<engineer>, runs the update, ends with the URL and next steps", async function () {
        f = setup();
        const result = herokuenv(f, ["sandbox", "up", "bob"]);
        assert.equal(result.status, 0, result.stderr);
        const config = (parseYaml(fs.readFileSync(path.join(f.dir, "Pulumi.mini-bob.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
        assert.deepEqual(config, { "herokuenv:kind": "sandbox", "herokuenv:engineer": "bob" });
        const created = f.state().stacks["mini-bob"].tags["herokuenv:created"];
        assert.ok(Math.abs(Date.now() - Date.parse(created)) < 60_000, created);
        assert.deepEqual(f.commands(), [
            "version",
            "stack ls --json",
            "stack select --stack mini-bob",
            "stack init mini-bob",
            "stack tag set herokuenv:owner bob --stack mini-bob",
            `stack tag set herokuenv:created ${created} --stack mini-bob`,
            "up --yes --skip-preview --exec-kind auto.local --stack mini-bob",
            "stack output --json --stack mini-bob",
            "stack output --json --show-secrets --stack mini-bob",
            "stack history --json --show-secrets --page-size 1 --page 1 --stack mini-bob",
        ]);
        // `pulumi version` (PulumiCommand.get) runs where herokuenv runs; everything else in the project directory.
        for (const call of f.calls()) {
            if (call.argv[0] !== "version") assert.equal(call.cwd, f.dir);
            assert.equal(call.env.PULUMI_BACKEND_URL, `file:///tmp/herokuenv-backend-${process.pid}`);
            assert.equal(call.env.PULUMI_CONFIG_PASSPHRASE, SECRETS.PULUMI_CONFIG_PASSPHRASE, "the passphrase reaches the CLI through its environment");
            assert.equal(call.env.HEROKU_API_KEY, SECRETS.HEROKU_API_KEY);
        }
        for (const call of f.calls().slice(1)) assert.equal(call.env.PULUMI_AUTOMATION_API, "true");
        assert.ok(f.calls().every((c) => c.argv[0] === "version" || c.argv.includes("--non-interactive")));
        assert.match(result.stdout, /^sandbox mini-bob is up\n/);
        assert.match(result.stdout, /app +https:\/\/mini-bob\.staging\.sendhub\.com\//);
        // Staging's file has scrubbing rules; bob's new sandbox has no seed secret yet: it says how to set it.
        assert.match(result.stdout, /seed +the sandbox has no seed secret yet, so its database stays empty: pulumi config set --secret --path 'herokuenv:seed\.secret'/);
        assert.match(result.stdout, /herokuenv sandbox down bob when you are done/);
        assert.match(result.stderr, /Updating \(mini-bob\)/, "Pulumi's progress is streamed on stderr");
        // The file it wrote is a complete sandbox: the program builds bob's own environment from it.
        const run = await runProgram("mini-bob", stackConfigFromObject(config));
        assert.equal(run.error, undefined, run.error?.message);
        assert.ok(run.resources.some((r) => r.name === "site-app" && JSON.stringify(r.inputs).includes("sendhub-staging-bob")));
    });

    it("up again keeps the stack file and the creation tag; --json is one document with secrets masked", function () {
        f = setup();
        addStack(f, "mini-carol", { lastUpdate: "2026-01-01T00:00:00.000Z", tags: { "herokuenv:owner": "carol", "herokuenv:created": "2025-12-24T00:00:00.000Z" }, kind: "sandbox" });
        const file = path.join(f.dir, "Pulumi.mini-carol.yaml");
        fs.appendFileSync(file, "  herokuenv:database:\n    plan: essential-1\n");
        const before = fs.readFileSync(file, "utf8");
        const result = herokuenv(f, ["sandbox", "up", "carol", "--json"]);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(fs.readFileSync(file, "utf8"), before);
        const doc = JSON.parse(result.stdout) as Record<string, unknown>;
        assert.equal(doc.createdStack, false);
        assert.equal(doc.wroteStackFile, false);
        assert.deepEqual(doc.tags, {});
        assert.equal(doc.appUrl, "https://mini-carol.staging.sendhub.com/");
        assert.deepEqual((doc.outputs as Record<string, unknown>).storageSecretAccessKey, "[secret]");
        assert.deepEqual((doc.seed as { available: boolean }).available, false);
        assert.deepEqual(f.commands().slice(0, 5), [
            "version",
            "stack ls --json",
            "stack tag ls --json --stack mini-carol",
            "stack select --stack mini-carol",
            "up --yes --skip-preview --exec-kind auto.local --stack mini-carol",
        ]);
        assert.equal(f.state().stacks["mini-carol"].tags["herokuenv:created"], "2025-12-24T00:00:00.000Z");
    });

    it("up --dry-run only plans", function () {
        f = setup();
        const result = herokuenv(f, ["sandbox", "up", "dave", "--dry-run"]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /would:\n {2}- write Pulumi\.mini-dave\.yaml/);
        assert.deepEqual(f.commands(), ["version", "stack ls --json"]);
        assert.equal(fs.existsSync(path.join(f.dir, "Pulumi.mini-dave.yaml")), false);
    });

    it("list: every sandbox with owner, age, last update, resources and URL; never other stacks", function () {
        f = setup();
        const recent = new Date(Date.now() - 2 * DAY).toISOString();
        addStack(f, "production", { lastUpdate: recent, kind: "production" });
        addStack(f, "mini-bob", { lastUpdate: recent, tags: { "herokuenv:owner": "bob", "herokuenv:created": new Date(Date.now() - 5 * DAY).toISOString() }, resourceCount: 25 });
        addStack(f, "mini-old", { lastUpdate: new Date(Date.now() - 30 * DAY).toISOString(), tags: { "herokuenv:owner": "old" } });
        const table = herokuenv(f, ["sandbox", "list"]);
        assert.equal(table.status, 0, table.stderr);
        const lines = table.stdout.trim().split("\n");
        assert.match(lines[0], /^stack +owner +age +last update +resources +url$/);
        assert.match(lines[2], /^mini-bob +bob +5 d +2 d ago +25 +https:\/\/mini-bob\.staging\.sendhub\.com\/$/);
        assert.match(lines[3], /^mini-old +old +- +30 d ago +20 +https:\/\/mini-old/);
        assert.equal(lines.length, 4);
        f.clearCalls();
        const json = herokuenv(f, ["sandbox", "list", "--json"]);
        const doc = JSON.parse(json.stdout) as { sandboxes: Array<Record<string, unknown>> };
        assert.deepEqual(doc.sandboxes.map((s) => [s.stack, s.owner, s.resourceCount]), [["mini-bob", "bob", 25], ["mini-old", "old", 20]]);
        assert.deepEqual(f.commands().filter((c) => c.includes("mini-bob")), [
            "stack tag ls --json --stack mini-bob",
            "stack output --json --stack mini-bob",
            "stack output --json --show-secrets --stack mini-bob",
        ]);
        assert.ok(!f.commands().some((c) => c.includes("production")), "list never touches a non-sandbox stack");
    });

    it("status: one sandbox with tags and outputs, secrets masked", function () {
        f = setup();
        addStack(f, "mini-bob", { lastUpdate: "2026-01-02T00:00:00.000Z", tags: { "herokuenv:owner": "bob" } });
        const result = herokuenv(f, ["sandbox", "status", "bob"]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /^sandbox mini-bob\n/);
        assert.match(result.stdout, /storageSecretAccessKey +\[secret\]/);
        assert.match(result.stdout, /appUrl +https:\/\/mini-bob\.staging\.sendhub\.com\//);
        const json = JSON.parse(herokuenv(f, ["sandbox", "status", "bob", "--json"]).stdout) as { outputs: Record<string, unknown>; tags: Record<string, string> };
        assert.equal(json.outputs.storageSecretAccessKey, "[secret]");
        assert.equal(json.tags["herokuenv:owner"], "bob");
        const missing = herokuenv(f, ["sandbox", "status", "zed"]);
        assert.equal(missing.status, 1);
        assert.equal(missing.stderr, "herokuenv: there is no sandbox mini-zed on this backend (herokuenv sandbox list shows the sandboxes; herokuenv sandbox up zed creates it)\n");
    });

    it("down: destroys the sandbox and removes its stack and stack file, after confirmation", function () {
        f = setup();
        addStack(f, "mini-bob", { lastUpdate: "2026-01-02T00:00:00.000Z", tags: { "herokuenv:owner": "bob" }, kind: "sandbox" });
        const unconfirmed = herokuenv(f, ["sandbox", "down", "bob"]);
        assert.equal(unconfirmed.status, 1);
        assert.equal(unconfirmed.stderr, "herokuenv: herokuenv sandbox down bob destroys mini-bob and all its data: pass --yes to confirm\n");
        assert.ok(!f.commands().some((c) => c.startsWith("destroy")));
        f.clearCalls();
        const result = herokuenv(f, ["sandbox", "down", "bob", "--yes"]);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(f.commands(), [
            "version",
            "stack ls --json",
            "stack tag ls --json --stack mini-bob",
            "stack select --stack mini-bob",
            "destroy --yes --skip-preview --exec-kind auto.local --stack mini-bob",
            "stack history --json --show-secrets --page-size 1 --page 1 --stack mini-bob",
            "stack rm --yes mini-bob",
        ]);
        assert.equal(f.state().stacks["mini-bob"], undefined);
        assert.equal(fs.existsSync(path.join(f.dir, "Pulumi.mini-bob.yaml")), false);
        assert.equal(result.stdout, "sandbox mini-bob destroyed; its stack, config and secrets are removed\n");
    });

    it("down refuses a stack that is not a sandbox, and one owned by someone else", function () {
        f = setup();
        addStack(f, "mini-prod", { lastUpdate: "2026-01-02T00:00:00.000Z", kind: "production" });
        addStack(f, "mini-eve", { lastUpdate: "2026-01-02T00:00:00.000Z", tags: { "herokuenv:owner": "mallory" }, kind: "sandbox" });
        const notSandbox = herokuenv(f, ["sandbox", "down", "prod", "--yes"]);
        assert.equal(notSandbox.status, 1);
        assert.equal(notSandbox.stderr, 'herokuenv: stack mini-prod is not a sandbox (herokuenv:kind is "production"): herokuenv sandbox down destroys sandboxes only\n');
        const other = herokuenv(f, ["sandbox", "down", "eve", "--yes"]);
        assert.match(other.stderr, /^herokuenv: stack mini-eve is tagged herokuenv:owner=mallory, not eve: refusing to destroy it\n$/);
        assert.ok(!f.commands().some((c) => c.startsWith("destroy") || c.startsWith("stack rm")));
    });

    it("prune: lists the sandboxes not updated for --older-than, destroys them only with --yes", function () {
        f = setup();
        addStack(f, "mini-old", { lastUpdate: new Date(Date.now() - 20 * DAY).toISOString(), tags: { "herokuenv:owner": "old" }, kind: "sandbox" });
        addStack(f, "mini-new", { lastUpdate: new Date(Date.now() - 1 * DAY).toISOString(), tags: { "herokuenv:owner": "new" }, kind: "sandbox" });
        addStack(f, "staging", { lastUpdate: new Date(Date.now() - 90 * DAY).toISOString(), kind: "staging" });
        const listing = herokuenv(f, ["sandbox", "prune", "--older-than", "14d"]);
        assert.equal(listing.status, 0, listing.stderr);
        assert.match(listing.stdout, /would destroy \(not updated for 14d\):/);
        assert.match(listing.stdout, /mini-old +old/);
        assert.match(listing.stdout, /keep mini-new: updated 1 d ago/);
        assert.match(listing.stdout, /run again with --yes/);
        assert.ok(!f.commands().some((c) => c.startsWith("destroy")));
        f.clearCalls();
        const json = herokuenv(f, ["sandbox", "prune", "--older-than", "14d", "--yes", "--json"]);
        assert.equal(json.status, 0, json.stderr);
        const doc = JSON.parse(json.stdout) as { destroyed: string[]; kept: Array<{ stack: string }> };
        assert.deepEqual(doc.destroyed, ["mini-old"]);
        assert.deepEqual(doc.kept.map((k) => k.stack), ["mini-new"]);
        assert.deepEqual(f.commands().filter((c) => /^(destroy|stack rm)/.test(c)), [
            "destroy --yes --skip-preview --exec-kind auto.local --stack mini-old",
            "stack rm --yes mini-old",
        ]);
        assert.deepEqual(Object.keys(f.state().stacks).sort(), ["mini-new", "staging"]);
        const bad = herokuenv(f, ["sandbox", "prune", "--older-than", "soon"]);
        assert.equal(bad.stderr, 'herokuenv: --older-than "soon" is not a duration: use a number and a unit, m (minutes), h, d or w, e.g. 14d\n');
    });

    it("one clear line for a missing Pulumi CLI, no login, no passphrase, missing credentials and a bad name", function () {
        f = setup({}, { withPulumi: false });
        const noCli = herokuenv(f, ["sandbox", "list"]);
        assert.equal(noCli.status, 1);
        assert.equal(noCli.stderr, "herokuenv: the Pulumi CLI (pulumi) is not installed or not on PATH: install it (https://www.pulumi.com/docs/install/), then run herokuenv doctor\n");
        f.cleanup();

        f = setup();
        const { PULUMI_BACKEND_URL: _b, ...loggedOut } = f.env;
        const noLogin = herokuenv(f, ["sandbox", "list"], loggedOut);
        assert.equal(noLogin.stderr, "herokuenv: the Pulumi CLI is not logged in to a backend: run pulumi login, or set PULUMI_BACKEND_URL (e.g. file://~ for a local backend)\n");
        const { PULUMI_CONFIG_PASSPHRASE: _p, ...noPassphrase } = f.env;
        const locked = herokuenv(f, ["sandbox", "up", "bob"], noPassphrase);
        assert.equal(locked.stderr.split("\n").slice(-2).join("\n"), "herokuenv: the stack's secrets need a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), or use a backend with its own secrets provider\n");
        f.clearCalls();
        const { HEROKU_API_KEY: _h, ...noHeroku } = f.env;
        const noKey = herokuenv(f, ["sandbox", "up", "bob"], noHeroku);
        assert.equal(noKey.status, 1);
        assert.match(noKey.stderr, /^herokuenv: missing credentials: Heroku API key \(HEROKU_API_KEY is not set .*; create a token with `heroku authorizations:create/);
        assert.equal(noKey.stderr.split("\n").length, 2, "one line");
        assert.deepEqual(f.commands(), [], "nothing runs without credentials");
        const bad = herokuenv(f, ["sandbox", "up", "Bob Smith"]);
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /^herokuenv: engineer "Bob Smith" is not valid: use 2-20 lower-case letters and digits/);
        assert.deepEqual(f.commands(), []);
        assert.deepEqual(fs.readdirSync(f.dir).filter((x) => x.startsWith("Pulumi.mini") && x !== "Pulumi.mini-bob.yaml"), []);
        f.setState((s) => (s.failures = { up: { stderr: "error: update failed: 1 resource failed", code: 255 } }));
        const failed = herokuenv(f, ["sandbox", "up", "bob"]);
        assert.equal(failed.status, 1);
        assert.equal(failed.stderr.split("\n").filter((l) => l.startsWith("herokuenv:")).pop(), "herokuenv: pulumi error: update failed: 1 resource failed");
    });
});

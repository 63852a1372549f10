// The three kinds of environment under mocks: production, staging as its mirror, and per-engineer sandboxes.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parityProblems, PARITY_ALLOWLIST } from "../components/config/kinds";
import { readStackFileConfig } from "../components/config/stack-files";
import { stackKindProvider } from "../components/stack-kind";
import {
    isSecretValue,
    readStackFile,
    REPO_ROOT,
    resource,
    runProgram,
    runStackFile,
    stackConfigFromObject,
    unwrap,
    type ProgramRun,
} from "./helpers/pulumi-program";

const H = "pulumi-nodejs:dynamic/herokuenv:heroku.";

function kindsOf(run: ProgramRun): string[] {
    return run.resources.map((r) => `${r.type} ${r.name}${r.protect ? " [protected]" : ""}`).sort();
}

async function runSandbox(engineer: string, extra: Record<string, unknown> = {}): Promise<ProgramRun> {
    return runProgram(`mini-${engineer}`, stackConfigFromObject({ "herokuenv:kind": "sandbox", "herokuenv:engineer": engineer, ...extra }));
}

/** Runs a stack with the repository's stack files copied to a temp dir, after `edit` changed one of them. */
async function withEditedStackFiles(edit: (dir: string) => void, run: () => Promise<ProgramRun>): Promise<ProgramRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-stacks-"));
    for (const f of fs.readdirSync(REPO_ROOT).filter((f) => /^Pulumi\..*yaml$/.test(f))) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dir, f));
    edit(dir);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
        return await run();
    } finally {
        process.chdir(cwd);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Names that must be unique to one environment: app, buckets, IAM user, hostnames. */
function identity(run: ProgramRun): string[] {
    const app = String(unwrap(resource(run, `${H}App`, "site-app").inputs.name));
    const buckets = run.resources.filter((r) => r.type === "aws:s3/bucket:Bucket").map((r) => String(r.inputs.bucket));
    const user = String(resource(run, "aws:iam/user:User", "site-storage-user").inputs.name);
    const hosts = run.resources.filter((r) => r.type === `${H}Domain`).map((r) => String(r.inputs.hostname));
    return [app, ...buckets, user, ...hosts];
}

describe("environments of each kind", function () {
    let production: ProgramRun;
    let staging: ProgramRun;
    let alice: ProgramRun;
    before(async function () {
        production = await runStackFile("production");
        staging = await runStackFile("staging");
        alice = await runStackFile("mini-alice");
        for (const r of [production, staging, alice]) assert.equal(r.error, undefined, r.error?.message);
    });

    it("production: larger plans, protected app, database and buckets, versioned buckets", function () {
        assert.deepEqual(kindsOf(production).filter((k) => k.endsWith("[protected]")), [
            "aws:s3/bucket:Bucket site-storage-files [protected]",
            "aws:s3/bucket:Bucket site-storage-static [protected]",
            `${H}Addon site-database [protected]`,
            `${H}App site-app [protected]`,
            `${H}Pipeline site-pipeline [protected]`,
        ]);
        assert.equal(resource(production, `${H}Addon`, "site-database").inputs.plan, "heroku-postgresql:standard-0");
        assert.equal(production.resources.filter((r) => r.type === "aws:s3/bucketVersioning:BucketVersioning").length, 2);
        assert.equal(resource(production, "pulumi-nodejs:dynamic/herokuenv:config.StackKind", "site-kind").inputs.kind, "production");
    });

    it("staging: production's resources minus versioning and protection, smaller plans, an internal hostname", function () {
        const withoutVersioning = kindsOf(production)
            // The pipeline is production's; staging only couples its app to it.
            .filter((k) => !k.includes("BucketVersioning") && !k.includes("sendhub.com") && !k.endsWith("Pipeline site-pipeline [protected]"))
            .map((k) => k.replace(" [protected]", ""));
        // Beyond production's shape, staging copies production's data (test/environment-data.test.ts).
        const copies = ["pulumi-nodejs:dynamic/herokuenv:data.DatabaseCopy site-data-copy", "pulumi-nodejs:dynamic/herokuenv:data.FileSync site-files-copy"];
        assert.deepEqual(kindsOf(staging).filter((k) => !k.includes("sendhub.com") && !copies.includes(k)), withoutVersioning);
        for (const copy of copies) assert.ok(kindsOf(staging).includes(copy), copy);
        assert.equal(resource(staging, `${H}Addon`, "site-database").inputs.plan, "heroku-postgresql:essential-1");
        assert.deepEqual(resource(staging, `${H}Formation`, "site-formation").inputs.processes, {
            web: { size: "standard-1x", quantity: 1 },
            worker: { size: "standard-1x", quantity: 1 },
        });
        const record = resource(staging, "cloudflare:index/dnsRecord:DnsRecord", "site-dns-staging.sendhub.com").inputs;
        assert.equal(record.name, "staging.sendhub.com");
        assert.equal(record.type, "CNAME");
    });

    it("sandbox: derived from staging with its own names, cheapest plans and a DNS-only hostname", function () {
        assert.equal(alice.resources.some((r) => r.protect), false);
        assert.deepEqual(unwrap({ ...resource(alice, `${H}App`, "site-app").inputs, __provider: undefined }), {
            name: "sendhub-staging-alice", region: "us", stack: "heroku-24", buildpacks: ["heroku/python"], __provider: undefined,
        });
        assert.equal(resource(alice, `${H}Addon`, "site-database").inputs.plan, "heroku-postgresql:essential-0");
        assert.deepEqual(resource(alice, `${H}Formation`, "site-formation").inputs.processes, {
            web: { size: "eco", quantity: 1 },
            worker: { size: "eco", quantity: 1 },
        });
        assert.equal(resource(alice, "aws:s3/bucket:Bucket", "site-storage-files").inputs.bucket, "sendhub-staging-alice-files");
        const record = resource(alice, "cloudflare:index/dnsRecord:DnsRecord", "site-dns-alice.staging.sendhub.com").inputs;
        assert.deepEqual([record.name, record.proxied, record.ttl], ["alice.staging.sendhub.com", false, 300]);
        const vars = unwrap(resource(alice, `${H}ConfigVars`, "site-config").inputs.vars) as Record<string, string>;
        assert.equal(vars.DJANGO_ALLOWED_HOSTS, "alice.staging.sendhub.com");
        assert.equal(vars.AWS_STORAGE_BUCKET_NAME, "sendhub-staging-alice-files");
        // Staging's secrets are not inherited: the sandbox is told which ones to set, by name only.
        assert.deepEqual(Object.keys(unwrap(resource(alice, `${H}ConfigVars`, "site-config").inputs.secretVars) as object), ["AWS_SECRET_ACCESS_KEY"]);
        assert.ok(alice.logs.some((l) => l.startsWith("warn:") && l.includes("DJANGO_SECRET_KEY") && l.includes("pulumi config set --secret")));
    });

    it("every kind exports app URL, hostnames, DNS targets, buckets and the database attachment; secrets as secrets", function () {
        for (const run of [production, staging, alice]) {
            const out = run.outputs as Record<string, { value: unknown; isSecret: boolean }>;
            for (const name of ["appUrl", "dnsTargets", "filesBucket", "staticBucket", "database"]) assert.equal(out[name].isSecret, false, name);
            assert.equal(out.storageSecretAccessKey.isSecret, true);
            assert.deepEqual(out.database.value, { name: "DATABASE", configVars: ["DATABASE_URL", "HEROKU_POSTGRESQL_MOCK_URL"] });
            assert.equal(isSecretValue(resource(run, `${H}ConfigVars`, "site-config").inputs.secretVars), true);
        }
    });
});

describe("staging mirrors production", function () {
    it("has production's config-var keys, apart from the documented allowlist", function () {
        const production = readStackFileConfig("production", REPO_ROOT)!;
        const staging = readStackFileConfig("staging", REPO_ROOT)!;
        assert.deepEqual(parityProblems(production, staging), []);
        const keys = (raw: Record<string, unknown>) => [
            ...Object.keys(raw.configVars as object),
            ...Object.keys(raw.secretConfigVars as object),
        ].filter((k) => !([...PARITY_ALLOWLIST.productionOnly, ...PARITY_ALLOWLIST.stagingOnly] as string[]).includes(k)).sort();
        assert.deepEqual(keys(staging), keys(production));
    });

    it("refuses a staging stack when a key is added to production only", async function () {
        const run = await withEditedStackFiles(
            (dir) => {
                const file = path.join(dir, "Pulumi.production.yaml");
                fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("    WEB_CONCURRENCY: \"3\"\n", "    WEB_CONCURRENCY: \"3\"\n    FEATURE_NEW_BILLING: \"1\"\n"));
            },
            () => runStackFile("staging"),
        );
        assert.ok(run.error);
        assert.match(run.error.message, /herokuenv:configVars\.FEATURE_NEW_BILLING: is set on production but not on staging/);
        assert.equal(run.resources.length, 0);
    });

    it("accepts a production-only key on the allowlist", async function () {
        const run = await withEditedStackFiles(
            (dir) => {
                const file = path.join(dir, "Pulumi.production.yaml");
                fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("    WEB_CONCURRENCY: \"3\"\n", "    WEB_CONCURRENCY: \"3\"\n    GOOGLE_ANALYTICS_ID: UA-1\n"));
            },
            () => runStackFile("staging"),
        );
        assert.equal(run.error, undefined, run.error?.message);
    });

    it("refuses a staging stack whose dyno types differ from production's", async function () {
        const run = await runStackFile("staging", { "herokuenv:formation": { web: { size: "standard-1x", quantity: 1 } } });
        assert.ok(run.error);
        assert.match(run.error.message, /herokuenv:formation: declares dyno types web but production has web, worker/);
    });
});

describe("sandboxes are isolated", function () {
    it("three sandboxes share no app, bucket, IAM user or hostname, with each other or with production and staging", async function () {
        const runs = [await runSandbox("alice"), await runSandbox("bob"), await runSandbox("carol")];
        for (const r of runs) assert.equal(r.error, undefined, r.error?.message);
        const shared = [await runStackFile("production"), await runStackFile("staging")];
        const all = [...runs, ...shared].flatMap(identity);
        assert.equal(new Set(all).size, all.length, `collision in ${all.join(", ")}`);
        const foreign = shared.flatMap(identity);
        for (const run of runs) {
            // Nothing a sandbox configures points at production's or staging's app, buckets or hostnames.
            const vars = JSON.stringify(unwrap(resource(run, `${H}ConfigVars`, "site-config").inputs.vars));
            for (const name of foreign) assert.equal(new RegExp(`"${name}"|[",]${name}[",]`).test(vars), false, `${name} in ${vars}`);
        }
    });

    it("refuses a sandbox that reuses production's app or buckets", async function () {
        const run = await runSandbox("dave", { "herokuenv:app": { name: "sendhub-production" }, "herokuenv:storage": { bucketPrefix: "sendhub-staging" } });
        assert.ok(run.error);
        assert.match(run.error.message, /herokuenv:app\.name: is production's app/);
        assert.match(run.error.message, /herokuenv:storage\.bucketPrefix: is staging's bucket prefix/);
    });

    it("refuses a staging config var that points at production's data", async function () {
        const stagingVars = readStackFile("staging")["herokuenv:configVars"] as Record<string, string>;
        const run = await runStackFile("staging", {
            "herokuenv:configVars": { ...stagingVars, ROBOTS_NOINDEX: "https://sendhub-production-files.s3.amazonaws.com/robots.txt" },
        });
        assert.ok(run.error);
        assert.match(run.error.message, /herokuenv:configVars\.ROBOTS_NOINDEX: points at production's sendhub-production-files/);
    });

    it("validates engineer names and the stack name", async function () {
        const bad = await runProgram("mini-Bob", stackConfigFromObject({ "herokuenv:kind": "sandbox", "herokuenv:engineer": "Bob_Smith" }));
        assert.ok(bad.error);
        assert.match(bad.error.message, /herokuenv:engineer: must be 2-20 lower-case letters and digits/);
        const long = await runSandbox("abcdefghijklmnopqrstu");
        assert.ok(long.error);
        assert.match(long.error.message, /herokuenv:engineer/);
        const mismatch = await runProgram("mini-bob", stackConfigFromObject({ "herokuenv:kind": "sandbox", "herokuenv:engineer": "alice" }));
        assert.ok(mismatch.error);
        assert.match(mismatch.error.message, /a sandbox for alice lives in the stack mini-alice, not mini-bob/);
    });
});

describe("switching a stack's kind", function () {
    it("is refused unless herokuenv:allowKindChange is set", async function () {
        const provider = stackKindProvider();
        const refused = await provider.check!({ kind: "production", allowKindChange: false }, { kind: "staging", allowKindChange: false });
        assert.equal(refused.failures?.length, 1);
        assert.match(refused.failures![0].reason, /this stack is a production environment; switching it to staging is refused.*allowKindChange/);
        const allowed = await provider.check!({ kind: "production", allowKindChange: false }, { kind: "staging", allowKindChange: true });
        assert.deepEqual(allowed.failures, []);
        const first = await provider.check!({} as never, { kind: "sandbox", allowKindChange: false });
        assert.deepEqual(first.failures, []);
    });
});

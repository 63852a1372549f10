// The GitHub Actions workflows, parsed and checked against issue 13: triggers, stacks, commands, permissions, secrets
// (only the repository's, only where pulumi/actions reads them, never printed), forks without secrets, production
// gated behind an environment, and one concurrency group per stack for updates.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

const ROOT = path.resolve(__dirname, "..");
const DIR = path.join(ROOT, ".github", "workflows");

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, unknown>;
}

interface Job {
    name?: string;
    uses?: string;
    needs?: string | string[];
    if?: string;
    environment?: string | { name: string; url?: string };
    permissions?: Record<string, string> | string;
    concurrency?: { group: string; "cancel-in-progress"?: boolean } | string;
    strategy?: { matrix?: Record<string, unknown> };
    env?: Record<string, unknown>;
    secrets?: unknown;
    steps?: Step[];
}

interface Workflow {
    name: string;
    on: Record<string, unknown>;
    permissions?: Record<string, string> | string;
    concurrency?: unknown;
    env?: Record<string, unknown>;
    jobs: Record<string, Job>;
}

function load(file: string): Workflow {
    return parseYaml(fs.readFileSync(path.join(DIR, file), "utf8")) as Workflow;
}

const files = () => fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const pr = () => load("pull-request.yml");
const deploy = () => load("deploy.yml");
const test = () => load("test.yml");

/** The repository secrets the workflows may read (each documented in docs/workflows.md). */
const ALLOWED_SECRETS = [
    "PULUMI_ACCESS_TOKEN",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "HEROKU_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "CLOUDFLARE_API_TOKEN",
];
const SECRET_REF = /\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}/g;

function secretsIn(value: unknown): string[] {
    return [...JSON.stringify(value ?? null).matchAll(SECRET_REF)].map((m) => m[1]);
}

function pulumiSteps(job: Job): Step[] {
    return (job.steps ?? []).filter((s) => s.uses?.startsWith("pulumi/actions@"));
}

function needs(job: Job): string[] {
    return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** The steps a job runs, following a call to a reusable workflow of this repository. */
function stepsOf(job: Job): Step[] {
    if (job.uses !== undefined) {
        const m = /^\.\/\.github\/workflows\/(.+)$/.exec(job.uses);
        assert.ok(m, `${job.uses}: only this repository's reusable workflows`);
        return Object.values(load(m[1]).jobs).flatMap(stepsOf);
    }
    return job.steps ?? [];
}

function assertNpmCiThenTest(steps: Step[], where: string): void {
    const runs = steps.map((s) => s.run?.trim());
    const ci = runs.indexOf("npm ci");
    const t = runs.indexOf("npm test");
    assert.ok(ci >= 0 && t > ci, `${where}: npm ci, then npm test`);
}

function assertNode24(steps: Step[], where: string): void {
    const setup = steps.filter((s) => s.uses?.startsWith("actions/setup-node@"));
    assert.ok(setup.length > 0, `${where}: sets up Node`);
    for (const s of setup) assert.equal(String(s.with?.["node-version"]), "24", `${where}: Node 24`);
}

describe("workflows", function () {
    it("are the three files, each valid YAML with a name and jobs", function () {
        assert.deepEqual(files(), ["deploy.yml", "pull-request.yml", "test.yml"]);
        for (const f of files()) {
            const w = load(f);
            assert.equal(typeof w.name, "string", f);
            assert.ok(Object.keys(w.jobs).length > 0, f);
        }
    });

    describe("triggers", function () {
        it("pull-request.yml runs on pull_request to main, deploy.yml on push to main, test.yml only when called", function () {
            assert.deepEqual(Object.keys(pr().on), ["pull_request"]);
            assert.deepEqual((pr().on.pull_request as { branches: string[] }).branches, ["main"]);
            assert.deepEqual(Object.keys(deploy().on), ["push"]);
            assert.deepEqual((deploy().on.push as { branches: string[] }).branches, ["main"]);
            assert.deepEqual(Object.keys(test().on), ["workflow_call"]);
        });

        it("no workflow uses pull_request_target or workflow_run (fork code never runs with secrets)", function () {
            for (const f of files()) {
                const on = load(f).on;
                assert.ok(!("pull_request_target" in on) && !("workflow_run" in on), f);
                assert.doesNotMatch(fs.readFileSync(path.join(DIR, f), "utf8"), /^\s*pull_request_target\s*:/m, f);
            }
        });
    });

    describe("commands and stacks", function () {
        it("a pull request runs npm ci and npm test (Node 24), then previews production and staging", function () {
            const jobs = pr().jobs;
            assertNpmCiThenTest(stepsOf(jobs.test), "pull request tests");
            assertNode24(stepsOf(jobs.test), "pull request tests");
            const preview = jobs.preview;
            assert.deepEqual(needs(preview), ["test"], "previews only after the tests pass");
            assert.deepEqual(preview.strategy?.matrix?.stack, ["production", "staging"]);
            assertNode24(preview.steps ?? [], "preview");
            const steps = preview.steps ?? [];
            const [action] = pulumiSteps(preview);
            assert.ok(action, "preview uses pulumi/actions");
            assert.ok(steps.findIndex((s) => s.run?.trim() === "npm ci") < steps.indexOf(action), "npm ci before pulumi (the action installs nothing)");
            assert.equal(action.with?.command, "preview");
            assert.equal(action.with?.["stack-name"], "${{ matrix.stack }}");
            assert.equal(action.with?.diff, true, "--diff");
            assert.equal(action.with?.policyPacks, "policy", "--policy-pack policy");
            assert.equal(action.with?.["comment-on-pr"], true, "posts the preview as a pull-request comment");
            assert.equal(action.with?.["edit-pr-comment"], true, "updates that one comment on new pushes");
        });

        it("a pull request never updates a stack", function () {
            for (const job of Object.values(pr().jobs)) {
                for (const s of pulumiSteps(job)) assert.equal(s.with?.command, "preview");
                for (const s of job.steps ?? []) assert.doesNotMatch(s.run ?? "", /pulumi\s+(up|destroy|refresh|import)/);
            }
        });

        it("a merge to main tests, runs pulumi up on staging, then on production after staging", function () {
            const jobs = deploy().jobs;
            assertNpmCiThenTest(stepsOf(jobs.test), "deploy tests");
            const up = (job: Job, stack: string) => {
                const [action] = pulumiSteps(job);
                assert.ok(action, `${stack}: uses pulumi/actions`);
                assert.equal(action.with?.command, "up", stack);
                assert.equal(action.with?.["stack-name"], stack);
                assert.equal(action.with?.policyPacks, "policy", `${stack}: with the policy pack`);
                assertNode24(job.steps ?? [], stack);
                assert.ok((job.steps ?? []).some((s) => s.run?.trim() === "npm ci"), `${stack}: npm ci`);
            };
            up(jobs.staging, "staging");
            up(jobs.production, "production");
            assert.deepEqual(needs(jobs.staging), ["test"]);
            assert.deepEqual(needs(jobs.production), ["staging"], "production only after staging succeeded");
        });

        it("the policy pack the workflows name exists", function () {
            assert.ok(fs.existsSync(path.join(ROOT, "policy", "PulumiPolicy.yaml")));
        });
    });

    describe("production is gated", function () {
        it("production's update runs in the GitHub environment production (which requires approval)", function () {
            const env = deploy().jobs.production.environment;
            assert.equal(typeof env === "string" ? env : env?.name, "production");
            assert.equal(deploy().jobs.staging.environment, undefined, "staging needs no approval");
            const docs = fs.readFileSync(path.join(ROOT, "docs", "workflows.md"), "utf8");
            assert.match(docs, /Required reviewers/, "docs/workflows.md says how to require the approval");
        });
    });

    describe("permissions", function () {
        it("default to contents: read; only the preview job may write pull-request comments", function () {
            for (const f of files()) {
                const w = load(f);
                assert.deepEqual(w.permissions, { contents: "read" }, `${f}: workflow permissions`);
                for (const [id, job] of Object.entries(w.jobs)) {
                    const expected = f === "pull-request.yml" && id === "preview" ? { contents: "read", "pull-requests": "write" } : { contents: "read" };
                    assert.deepEqual(job.permissions, expected, `${f} ${id}: permissions`);
                }
            }
        });

        it("checkouts keep no token in the working copy", function () {
            for (const f of files()) {
                for (const job of Object.values(load(f).jobs)) {
                    for (const s of job.steps ?? []) {
                        if (s.uses?.startsWith("actions/checkout@")) assert.equal(s.with?.["persist-credentials"], false, f);
                    }
                }
            }
        });
    });

    describe("secrets", function () {
        it("come only from the repository's secrets, and only into pulumi/actions steps", function () {
            for (const f of files()) {
                const w = load(f);
                assert.deepEqual(secretsIn(w.env), [], `${f}: no workflow-level secrets`);
                for (const [id, job] of Object.entries(w.jobs)) {
                    assert.deepEqual(secretsIn(job.env), [], `${f} ${id}: no job-level secrets`);
                    assert.equal(job.secrets, undefined, `${f} ${id}: no secrets handed to reusable workflows (no "secrets: inherit")`);
                    for (const s of job.steps ?? []) {
                        const used = secretsIn(s);
                        for (const name of used) assert.ok(ALLOWED_SECRETS.includes(name), `${f} ${id}: unexpected secret ${name}`);
                        if (used.length > 0) assert.ok(s.uses?.startsWith("pulumi/actions@"), `${f} ${id}: secrets only in pulumi/actions steps (${s.name ?? s.run ?? s.uses})`);
                    }
                }
            }
        });

        it("are never printed: no run script reads a secret or a variable holding one", function () {
            const secretVars = new RegExp(`\\$\\{?(${ALLOWED_SECRETS.join("|")})\\b|secrets\\.|toJSON\\(secrets\\)|set -x|printenv|\\benv\\b\\s*$`, "m");
            for (const f of files()) {
                const text = fs.readFileSync(path.join(DIR, f), "utf8");
                assert.doesNotMatch(text, /ACTIONS_STEP_DEBUG|ACTIONS_RUNNER_DEBUG/, f);
                for (const job of Object.values(load(f).jobs)) {
                    for (const s of job.steps ?? []) if (s.run !== undefined) assert.doesNotMatch(s.run, secretVars, `${f}: ${s.run}`);
                }
            }
        });

        it("the tests get none; every secret the workflows read is documented", function () {
            for (const job of Object.values(test().jobs)) assert.deepEqual(secretsIn(job), [], "test.yml reads no secret");
            const used = new Set(files().flatMap((f) => secretsIn(load(f))));
            const docs = fs.readFileSync(path.join(ROOT, "docs", "workflows.md"), "utf8");
            for (const name of used) assert.ok(docs.includes(`\`${name}\``), `docs/workflows.md documents ${name}`);
            for (const name of ["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]) assert.ok(used.has(name), name);
        });
    });

    describe("forks", function () {
        it("a fork's pull request runs the tests but skips the preview (it would have no secrets)", function () {
            const jobs = pr().jobs;
            assert.equal(jobs.test.if, undefined, "tests run for every pull request");
            assert.match(jobs.preview.if ?? "", /github\.event\.pull_request\.head\.repo\.full_name\s*==\s*github\.repository/);
            for (const [id, job] of Object.entries(jobs)) {
                if (pulumiSteps(job).length > 0) assert.equal(id, "preview", "every job that reads secrets carries the fork guard");
            }
        });
    });

    describe("concurrency", function () {
        it("each stack's updates share one group that is never cancelled mid-update; the groups differ per stack", function () {
            const jobs = deploy().jobs;
            const groups = (["staging", "production"] as const).map((stack) => {
                const c = jobs[stack].concurrency;
                assert.ok(typeof c === "object" && c !== null, `${stack}: a concurrency group`);
                assert.ok(c.group.includes(stack), `${stack}: group names the stack`);
                assert.doesNotMatch(c.group, /\$\{\{/, `${stack}: the group is the same for every run`);
                assert.equal(c["cancel-in-progress"], false, `${stack}: an update is never cancelled`);
                return c.group;
            });
            assert.notEqual(groups[0], groups[1]);
            assert.equal(deploy().concurrency, undefined, "no workflow-level group that would make production wait on unrelated runs");
        });

        it("a new push to a pull request replaces its stale run", function () {
            const c = pr().concurrency as { group: string; "cancel-in-progress": boolean };
            assert.match(c.group, /github\.event\.pull_request\.number/);
            assert.equal(c["cancel-in-progress"], true);
        });
    });
});

// `herokuenv promote` end to end against the Heroku double: config-var key differences (never values), the
// promotion of staging's release, each target's report, a clear failure, --json and --dry-run.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "./helpers/pulumi-program";
import { startHerokuDouble, type HerokuDouble } from "./heroku-double";

const VALUE = "config-value-3b9f";

/** Async (the double runs in this process): resolves with the exit code and output. */
function herokuenv(double: HerokuDouble, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "herokuenv"), "promote", ...args], {
            env: { ...process.env, HEROKU_API_KEY: double.token, HEROKU_API_URL: double.url, HEROKUENV_PROMOTION_POLL_MS: "5" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("exit", (status) => resolve({ status, stdout, stderr }));
    });
}

describe("herokuenv promote", function () {
    this.timeout(60_000);
    let double: HerokuDouble;

    before(async function () {
        double = await startHerokuDouble();
        const pipeline = double.pipelines.createPipeline({ name: "sendhub" });
        for (const [name, stage] of [["sendhub-staging", "staging"], ["sendhub-production", "production"]] as const) {
            double.state.createApp({ name });
            double.pipelines.createCoupling({ app: name, pipeline: pipeline.id, stage });
        }
        double.state.deploy("sendhub-staging", { web: "gunicorn sendhub.wsgi" });
        double.state.patchConfigVars("sendhub-staging", { DJANGO_SETTINGS_MODULE: VALUE, STAGING_BANNER: VALUE });
        double.state.patchConfigVars("sendhub-production", { DJANGO_SETTINGS_MODULE: VALUE, NEW_RELIC_LICENSE_KEY: VALUE });
    });
    after(async function () {
        double.assertNoSchemaViolations();
        await double.stop();
    });

    it("--dry-run shows the key differences and the plan, promotes nothing; the apps default to the stack files", async function () {
        const r = await herokuenv(double, ["--project", REPO_ROOT, "--dry-run"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /config-var keys of sendhub-staging and sendhub-production \(promotion copies the slug, not config vars\):/);
        assert.match(r.stdout, /only on sendhub-staging: STAGING_BANNER/);
        assert.match(r.stdout, /only on sendhub-production: NEW_RELIC_LICENSE_KEY/);
        assert.match(r.stdout, /promote sendhub-staging v\d+ \(.*\) → sendhub-production \(production\)/);
        assert.ok(!double.requests.some((q) => q.method === "POST" && q.path === "/pipeline-promotions"));
        assert.ok(!(r.stdout + r.stderr).includes(VALUE), "no config var value is printed");
    });

    it("asks for --yes when not interactive, then promotes and reports each target", async function () {
        const unconfirmed = await herokuenv(double, ["--from", "sendhub-staging", "--to", "sendhub-production"]);
        assert.equal(unconfirmed.status, 1);
        assert.match(unconfirmed.stderr, /herokuenv: herokuenv promote releases to production: pass --yes to confirm\n$/);
        const r = await herokuenv(double, ["--from", "sendhub-staging", "--to", "sendhub-production", "--yes"]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /sendhub-production +succeeded +v\d+/);
        assert.match(r.stdout, /promoted in /);
        const json = await herokuenv(double, ["--from", "sendhub-staging", "--to", "sendhub-production", "--yes", "--json"]);
        const doc = JSON.parse(json.stdout) as { ok: boolean; promotion: { targetsReport: Array<{ status: string }> }; configVarKeys: Array<{ onlyInSource: string[] }> };
        assert.equal(doc.ok, true);
        assert.equal(doc.promotion.targetsReport[0].status, "succeeded");
        assert.deepEqual(doc.configVarKeys[0].onlyInSource, ["STAGING_BANNER"]);
        assert.ok(!json.stdout.includes(VALUE));
    });

    it("fails clearly when a target fails", async function () {
        double.pipelines.failTarget("sendhub-production", "Release could not be created");
        const r = await herokuenv(double, ["--from", "sendhub-staging", "--to", "sendhub-production", "--yes"]);
        assert.equal(r.status, 1);
        assert.match(r.stdout, /sendhub-production +failed +- +Release could not be created/);
        assert.match(r.stderr, /herokuenv: promotion [0-9a-f-]+ failed for 1 of 1 target\(s\): sendhub-production: failed \(Release could not be created\)\n$/);
        double.pipelines.failingTargets.clear();
    });
});

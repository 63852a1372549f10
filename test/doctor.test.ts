// `herokuenv doctor` against the recording stand-in for the Pulumi CLI: each check ok, or what to do.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { credentialChecks, secretsCheck, stackFileChecks } from "../components/sandbox/doctor";
import { fakePulumi, type FakePulumi } from "./helpers/fake-pulumi";
import { REPO_ROOT } from "./helpers/pulumi-program";

const SECRETS = { PULUMI_CONFIG_PASSPHRASE: "pp-77aa", HEROKU_API_KEY: "hk-88bb", AWS_ACCESS_KEY_ID: "AKIA99", AWS_SECRET_ACCESS_KEY: "aws-99cc", CLOUDFLARE_API_TOKEN: "cf-00dd" };

function doctor(f: FakePulumi, env: NodeJS.ProcessEnv = f.env) {
    return spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "herokuenv"), "doctor", "--project", f.dir, "--json"], { env, encoding: "utf8" });
}

type Report = { ok: boolean; checks: Array<{ name: string; status: string; detail: string; fix?: string }> };

describe("herokuenv doctor", function () {
    this.timeout(60_000);

    it("reports everything ok on a ready machine, naming credentials without their values", function () {
        const f = fakePulumi({ env: { PULUMI_BACKEND_URL: "file://~", ...SECRETS } });
        try {
            const r = doctor(f);
            assert.equal(r.status, 0, r.stdout + r.stderr);
            const report = JSON.parse(r.stdout) as Report;
            assert.deepEqual(report.checks.map((c) => [c.name, c.status]), [
                ["Pulumi CLI", "ok"],
                ["backend login", "ok"],
                ["secrets provider", "ok"],
                ["Heroku API key", "ok"],
                ["AWS credentials", "ok"],
                ["Cloudflare API token", "ok"],
                ["Pulumi.production.yaml", "ok"],
                ["Pulumi.staging.yaml", "ok"],
            ]);
            assert.equal(report.checks[0].detail, "v3.220.0");
            assert.equal(report.checks[1].detail, "tester at file://~");
            for (const v of Object.values(SECRETS)) assert.ok(!r.stdout.includes(v));
            assert.deepEqual(f.commands(), ["version", "whoami --json"]);
        } finally {
            f.cleanup();
        }
    });

    it("says what to do for a missing CLI, missing credentials and a broken stack file; exit code 1", function () {
        const f = fakePulumi({ withPulumi: false, env: {} });
        try {
            fs.writeFileSync(path.join(f.dir, "Pulumi.mini-zed.yaml"), "config:\n  herokuenv:kind: sandbox\n  herokuenv:engineer: zed\n  herokuenv:formation:\n    web:\n      size: huge\n");
            const r = doctor(f);
            assert.equal(r.status, 1);
            const byName = Object.fromEntries((JSON.parse(r.stdout) as Report).checks.map((c) => [c.name, c]));
            assert.equal(byName["Pulumi CLI"].status, "fail");
            assert.match(byName["Pulumi CLI"].fix!, /get\.pulumi\.com/);
            assert.equal(byName["secrets provider"].status, "fail");
            assert.equal(byName["Heroku API key"].status, "fail");
            assert.match(byName["Heroku API key"].fix!, /HEROKU_API_KEY/);
            assert.equal(byName["AWS credentials"].status, "fail");
            assert.equal(byName["Cloudflare API token"].status, "warn");
            assert.equal(byName["Pulumi.mini-zed.yaml"].status, "fail");
            assert.match(byName["Pulumi.mini-zed.yaml"].detail, /herokuenv:formation\.web\.size/);
            const human = spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "herokuenv"), "doctor", "--project", f.dir], { env: f.env, encoding: "utf8" });
            assert.match(human.stdout, /^fail +Pulumi CLI +the Pulumi CLI \(pulumi\) is not installed/m);
            assert.match(human.stdout, /→ create a token with `heroku authorizations:create/);
            assert.match(human.stdout, /checks failed\n$/);
        } finally {
            f.cleanup();
        }
    });

    it("checks pieces on their own: backend login, secrets providers, AWS profiles", function () {
        const f = fakePulumi({ env: { ...SECRETS } });
        try {
            const r = doctor(f);
            const login = (JSON.parse(r.stdout) as Report).checks.find((c) => c.name === "backend login")!;
            assert.equal(login.status, "fail");
            assert.match(login.detail, /not logged in to a backend/);
        } finally {
            f.cleanup();
        }
        assert.equal(secretsCheck({}, REPO_ROOT, "https://api.pulumi.com").status, "ok");
        assert.equal(secretsCheck({}, REPO_ROOT, "file://~").status, "fail");
        assert.equal(credentialChecks({ AWS_PROFILE: "dev" }, REPO_ROOT, "/nonexistent").find((c) => c.name === "AWS credentials")!.status, "ok");
        assert.equal(stackFileChecks(REPO_ROOT).find((c) => c.name === "Pulumi.mini-alice.yaml")!.status, "ok");
    });
});

// `herokuenv sandbox <engineer>`: the one command that spins up an engineer's sandbox. The Pulumi CLI cannot run
// here, so a stand-in `pulumi` on PATH records how it is called.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT, runProgram, stackConfigFromObject } from "./helpers/pulumi-program";

function project(pulumiExitCode = 0): { dir: string; calls: string; env: NodeJS.ProcessEnv } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-sandbox-"));
    for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml"]) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dir, f));
    const bin = path.join(dir, "fake-bin");
    fs.mkdirSync(bin);
    const calls = path.join(dir, "pulumi-calls.txt");
    fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "$PWD|$*" >> ${calls}\nexit ${pulumiExitCode}\n`, { mode: 0o755 });
    return { dir, calls, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } };
}

function herokuenv(args: string[], env: NodeJS.ProcessEnv) {
    return spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "herokuenv"), ...args], { env, encoding: "utf8" });
}

describe("herokuenv sandbox", function () {
    it("writes mini-<engineer>'s stack file, selects or creates the stack and runs pulumi up on it", async function () {
        const p = project();
        const result = herokuenv(["sandbox", "bob", "--project", p.dir], p.env);
        assert.equal(result.status, 0, result.stderr);
        const file = path.join(p.dir, "Pulumi.mini-bob.yaml");
        const config = (parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config;
        assert.deepEqual(config, { "herokuenv:kind": "sandbox", "herokuenv:engineer": "bob" });
        assert.deepEqual(fs.readFileSync(p.calls, "utf8").trim().split("\n"), [
            `${p.dir}|stack select --create mini-bob`,
            `${p.dir}|up --stack mini-bob`,
        ]);
        // The file it wrote is a complete sandbox: the program builds bob's own environment from it.
        const run = await runProgram("mini-bob", stackConfigFromObject(config));
        assert.equal(run.error, undefined, run.error?.message);
        assert.ok(run.resources.some((r) => r.name === "site-app" && JSON.stringify(r.inputs).includes("sendhub-staging-bob")));
        fs.rmSync(p.dir, { recursive: true, force: true });
    });

    it("keeps an existing stack file with the engineer's overrides", function () {
        const p = project();
        const file = path.join(p.dir, "Pulumi.mini-carol.yaml");
        fs.writeFileSync(file, "config:\n  herokuenv:kind: sandbox\n  herokuenv:engineer: carol\n  herokuenv:database:\n    plan: essential-1\n");
        const before = fs.readFileSync(file, "utf8");
        const result = herokuenv(["sandbox", "carol", "--project", p.dir, "--yes"], p.env);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(fs.readFileSync(file, "utf8"), before);
        assert.match(fs.readFileSync(p.calls, "utf8"), /up --stack mini-carol --yes/);
        fs.rmSync(p.dir, { recursive: true, force: true });
    });

    it("refuses a bad engineer name before touching anything", function () {
        const p = project();
        const result = herokuenv(["sandbox", "Bob Smith", "--project", p.dir], p.env);
        assert.equal(result.status, 1);
        assert.match(result.stderr, /engineer "Bob Smith" is not valid: use 2-20 lower-case letters and digits/);
        assert.equal(fs.existsSync(p.calls), false);
        assert.deepEqual(fs.readdirSync(p.dir).filter((f) => f.startsWith("Pulumi.mini")), []);
        fs.rmSync(p.dir, { recursive: true, force: true });
    });

    it("passes on pulumi's failure as its exit code", function () {
        const p = project(3);
        const result = herokuenv(["sandbox", "dave", "--project", p.dir], p.env);
        assert.equal(result.status, 3);
        assert.match(result.stdout, /pulumi stack select --create mini-dave failed with exit code 3/);
        fs.rmSync(p.dir, { recursive: true, force: true });
    });
});

// Each environment's data under mocks: every database carries its environment marker; staging copies production
// (database and user files), a sandbox a scrubbed, sampled copy of staging; production is never a copy's target.
import * as assert from "node:assert/strict";
import { fakeSecret, isSecretValue, readStackFile, resource, runStackFile, unwrap, type ProgramRun } from "./helpers/pulumi-program";

const COPY = "pulumi-nodejs:dynamic/herokuenv:data.DatabaseCopy";
const SYNC = "pulumi-nodejs:dynamic/herokuenv:data.FileSync";
const MARKER = "pulumi-nodejs:dynamic/herokuenv:data.EnvironmentMarker";

describe("environment data under mocks", function () {
    const runs: Record<string, ProgramRun> = {};
    before(async function () {
        for (const stack of ["production", "staging", "mini-alice"]) {
            runs[stack] = await runStackFile(stack);
            assert.equal(runs[stack].error, undefined, runs[stack].error?.message);
        }
    });

    it("marks every environment's database with its kind and stack, after the database exists", function () {
        for (const [stack, kind] of [["production", "production"], ["staging", "staging"], ["mini-alice", "sandbox"]]) {
            const marker = resource(runs[stack], MARKER, "site-marker");
            assert.deepEqual([marker.inputs.kind, marker.inputs.stack, marker.inputs.configVar], [kind, stack, "DATABASE_URL"]);
            assert.ok(marker.dependencies.some((u) => u.endsWith("::site-database")));
        }
    });

    it("copies production into staging: the database by app (server-side when possible) and the files bucket to bucket", function () {
        const copy = resource(runs.staging, COPY, "site-data-copy").inputs;
        assert.deepEqual([copy.sourceApp, copy.targetKind, copy.targetStack, copy.rules, copy.seed], ["sendhub-production", "staging", "staging", undefined, undefined]);
        assert.match(String(unwrap(copy.targetApp)), /^[0-9a-f-]{36}$/);
        const files = resource(runs.staging, SYNC, "site-files-copy").inputs;
        assert.deepEqual([files.source, unwrap(files.destination)], ["s3://sendhub-production-files/files", "s3://sendhub-staging-files/files"]);
        assert.ok(resource(runs.staging, COPY, "site-data-copy").dependencies.some((u) => u.endsWith("::site-marker")), "the marker is written first");
    });

    it("seeds a sandbox from staging, scrubbed and sampled by staging's rules, with the sandbox's own secret seed", function () {
        const copy = resource(runs["mini-alice"], COPY, "site-data-copy").inputs;
        assert.deepEqual([copy.sourceApp, copy.targetKind, copy.targetStack], ["sendhub-staging", "sandbox", "mini-alice"]);
        assert.deepEqual(Object.keys((copy.rules as { tables: object }).tables), ["auth_user"]);
        assert.equal(isSecretValue(copy.seed), true);
        assert.equal(unwrap(copy.seed), fakeSecret("herokuenv:seed.secret"));
        const files = resource(runs["mini-alice"], SYNC, "site-files-copy").inputs;
        assert.deepEqual([files.source, unwrap(files.destination)], ["s3://sendhub-staging-files/files", "s3://sendhub-staging-alice-files/files"]);
    });

    it("with files.keys in the seed, a sandbox's DatabaseCopy copies only the files its sampled rows name, instead of a FileSync of all", async function () {
        const own = readStackFile("mini-alice")["herokuenv:seed"] as Record<string, unknown>;
        const run = await runStackFile("mini-alice", { "herokuenv:seed": { ...own, files: { keys: ["auth_user.photo_key"] } } });
        assert.equal(run.error, undefined, run.error?.message);
        const copy = resource(run, COPY, "site-data-copy");
        assert.deepEqual((copy.inputs.rules as { files: unknown }).files, { keys: ["auth_user.photo_key"] });
        assert.deepEqual(unwrap(copy.inputs.files), { source: "s3://sendhub-staging-files/files", destination: "s3://sendhub-staging-alice-files/files", region: "us-east-1" });
        assert.ok(copy.dependencies.some((u) => u.endsWith("::site-storage-files")), "the sandbox's bucket exists first");
        assert.equal(run.resources.some((r) => r.type === SYNC && r.name === "site-files-copy"), false);
        // A scrubbed key column could not name staging's files: refused with the rule to change.
        const bad = await runStackFile("mini-alice", { "herokuenv:seed": { ...own, files: { keys: ["auth_user.email"] } } });
        assert.match(bad.error?.message ?? "", /files\.keys\.auth_user\.email: the column is scrubbed \(fake:email\)/);
    });

    it("never declares a copy into production, and refuses copy settings in production's config", async function () {
        assert.equal(runs.production.resources.some((r) => r.type === COPY), false);
        const bad = await runStackFile("production", { "herokuenv:dataRefresh": "2026-12-01" });
        assert.match(bad.error?.message ?? "", /herokuenv:dataRefresh: production's data is never replaced by a copy/);
    });

    it("leaves a sandbox without its seed secret empty, with a warning saying how to set it", async function () {
        const run = await runStackFile("mini-alice", { "herokuenv:seed": {} });
        assert.equal(run.error, undefined, run.error?.message);
        assert.equal(run.resources.some((r) => r.type === COPY), false);
        assert.ok(run.logs.some((l) => l.includes("pulumi config set --secret --path 'herokuenv:seed.secret'")), run.logs.join("\n"));
    });
});

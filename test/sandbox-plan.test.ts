// The sandbox commands' decisions, without Pulumi: stack names, tags, durations, which stacks list and prune select,
// what up and down will do, and masking.
import * as assert from "node:assert/strict";
import {
    CREATED_TAG,
    engineerFromArgument,
    engineerOfStack,
    formatAge,
    maskOutputs,
    OWNER_TAG,
    parseDuration,
    planDown,
    planUp,
    sandboxInfo,
    sandboxStackName,
    selectForPrune,
    selectSandboxes,
    tagsToSet,
} from "../components/sandbox/plan";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const DAY = 86_400_000;

describe("sandbox planning", function () {
    it("names stacks mini-<engineer> and reads engineers back, refusing bad names", function () {
        assert.equal(sandboxStackName("alice"), "mini-alice");
        assert.equal(engineerFromArgument("alice"), "alice");
        assert.equal(engineerFromArgument("mini-alice"), "alice");
        assert.throws(() => engineerFromArgument("Bob Smith"), /engineer "Bob Smith" is not valid/);
        assert.throws(() => engineerFromArgument("production-x"), /is not valid/);
        assert.equal(engineerOfStack("mini-bob"), "bob");
        assert.equal(engineerOfStack("acme/herokuenv/mini-bob"), "bob");
        assert.equal(engineerOfStack("production"), undefined);
        assert.equal(engineerOfStack("mini-Bad_name"), undefined);
    });

    it("tags the owner always and the creation time once", function () {
        assert.deepEqual(tagsToSet("bob", {}, NOW), { [OWNER_TAG]: "bob", [CREATED_TAG]: NOW.toISOString() });
        assert.deepEqual(tagsToSet("bob", { [OWNER_TAG]: "bob", [CREATED_TAG]: "2026-01-01T00:00:00.000Z" }, NOW), {});
        assert.deepEqual(tagsToSet("bob", { [CREATED_TAG]: "not a date" }, NOW), { [OWNER_TAG]: "bob", [CREATED_TAG]: NOW.toISOString() });
    });

    it("parses --older-than and formats ages", function () {
        assert.equal(parseDuration("14d"), 14 * DAY);
        assert.equal(parseDuration("36h"), 36 * 3_600_000);
        assert.equal(parseDuration("2w"), 14 * DAY);
        assert.equal(parseDuration("90m"), 90 * 60_000);
        for (const bad of ["", "14", "d", "-1d", "0d", "3y"]) assert.throws(() => parseDuration(bad), /is not a duration/);
        assert.equal(formatAge(45 * 60_000), "45 min");
        assert.equal(formatAge(5 * 3_600_000), "5 h");
        assert.equal(formatAge(3 * DAY + 4 * 3_600_000), "3 d 4 h");
        assert.equal(formatAge(12 * DAY), "12 d");
    });

    it("lists only sandbox stacks, with owner, age, resources and URL", function () {
        const listed = selectSandboxes([
            { name: "production", lastUpdate: "2026-02-01T00:00:00Z", resourceCount: 30 },
            { name: "mini-zoe" },
            { name: "staging" },
            { name: "mini-bob", lastUpdate: "2026-02-27T12:00:00.000Z", resourceCount: 25, url: "https://app.pulumi.com/x/herokuenv/mini-bob" },
        ]);
        assert.deepEqual(listed.map((s) => s.name), ["mini-bob", "mini-zoe"]);
        const info = sandboxInfo(listed[0], { [OWNER_TAG]: "bob", [CREATED_TAG]: "2026-02-20T00:00:00.000Z" }, "https://bob.staging.sendhub.com/", NOW);
        assert.deepEqual(info, {
            stack: "mini-bob",
            engineer: "bob",
            owner: "bob",
            created: "2026-02-20T00:00:00.000Z",
            lastUpdate: "2026-02-27T12:00:00.000Z",
            ageMs: 2 * DAY,
            updateInProgress: false,
            resourceCount: 25,
            appUrl: "https://bob.staging.sendhub.com/",
            consoleUrl: "https://app.pulumi.com/x/herokuenv/mini-bob",
        });
        // Never updated: its age counts from the creation tag; no tag either: unknown.
        assert.equal(sandboxInfo(listed[1], { [CREATED_TAG]: "2026-02-01T12:00:00.000Z" }, undefined, NOW).ageMs, 28 * DAY);
        assert.equal(sandboxInfo(listed[1], {}, undefined, NOW).ageMs, undefined);
    });

    it("prunes what was not updated for the given time, and keeps busy or unknown-age sandboxes", function () {
        const base = { updateInProgress: false };
        const decision = selectForPrune(
            [
                { ...base, stack: "mini-old", engineer: "old", ageMs: 20 * DAY },
                { ...base, stack: "mini-new", engineer: "new", ageMs: 2 * DAY },
                { ...base, stack: "mini-busy", engineer: "busy", ageMs: 30 * DAY, updateInProgress: true },
                { ...base, stack: "mini-odd", engineer: "odd" },
                { ...base, stack: "mini-edge", engineer: "edge", ageMs: 14 * DAY },
            ],
            14 * DAY,
        );
        assert.deepEqual(decision.prune.map((s) => s.stack), ["mini-old", "mini-edge"]);
        assert.deepEqual(decision.keep.map((k) => [k.sandbox.stack, k.reason]), [
            ["mini-new", "updated 2 d ago"],
            ["mini-busy", "an update is in progress"],
            ["mini-odd", "age unknown (never updated, no creation tag)"],
        ]);
    });

    it("plans up: write or keep the stack file, create or select, tag, update, and say whether it seeds from staging", function () {
        const fresh = planUp("bob", { stackFileExists: false, stackExists: false, tags: {} }, NOW);
        assert.equal(fresh.stack, "mini-bob");
        assert.equal(fresh.writeStackFile, true);
        assert.equal(fresh.createStack, true);
        assert.deepEqual(fresh.tags, { [OWNER_TAG]: "bob", [CREATED_TAG]: NOW.toISOString() });
        assert.deepEqual(fresh.steps.slice(0, 4), [
            "write Pulumi.mini-bob.yaml (kind sandbox, engineer bob)",
            "create stack mini-bob",
            `tag it herokuenv:owner=bob, herokuenv:created=${NOW.toISOString()}`,
            "pulumi up on mini-bob",
        ]);
        assert.match(fresh.steps[4], /^no seed: no herokuenv:seed rules in Pulumi\.staging\.yaml/);
        const noSecret = planUp("bob", { stackFileExists: false, stackExists: false, tags: {}, stagingHasRules: true }, NOW);
        assert.equal(noSecret.seed.available, false);
        assert.match(noSecret.seed.reason, /pulumi config set --secret --path 'herokuenv:seed\.secret' <at least 16 characters> --stack mini-bob/);
        const seeded = planUp("bob", { stackFileExists: true, stackExists: true, tags: {}, stagingHasRules: true, seedSecretSet: true }, NOW);
        assert.equal(seeded.seed.available, true);
        assert.equal(seeded.steps[seeded.steps.length - 1], "seed its database and files from staging (scrubbed and sampled), as part of the update");
        const again = planUp("bob", { stackFileExists: true, stackExists: true, tags: { [OWNER_TAG]: "bob", [CREATED_TAG]: "2026-01-01T00:00:00.000Z" } }, NOW);
        assert.deepEqual(again.steps.slice(0, 3), ["keep Pulumi.mini-bob.yaml (it exists)", "select stack mini-bob", "pulumi up on mini-bob"]);
        assert.deepEqual(again.tags, {});
    });

    it("plans down only for an existing sandbox of that engineer", function () {
        const plan = planDown("bob", { exists: true, kind: "sandbox", tags: { [OWNER_TAG]: "bob" } });
        assert.equal(plan.stack, "mini-bob");
        assert.equal(plan.steps.length, 2);
        assert.throws(() => planDown("bob", { exists: false, kind: undefined, tags: {} }), /there is no sandbox mini-bob/);
        assert.throws(() => planDown("bob", { exists: true, kind: "production", tags: {} }), /stack mini-bob is not a sandbox \(herokuenv:kind is "production"\)/);
        assert.throws(() => planDown("bob", { exists: true, kind: undefined, tags: {} }), /is not a sandbox \(herokuenv:kind is not set\)/);
        assert.throws(() => planDown("bob", { exists: true, kind: "sandbox", tags: { [OWNER_TAG]: "carol" } }), /tagged herokuenv:owner=carol, not bob/);
    });

    it("masks secret outputs", function () {
        assert.deepEqual(maskOutputs({ appUrl: { value: "https://x/", secret: false }, key: { value: "s3cret", secret: true } }), { appUrl: "https://x/", key: "[secret]" });
    });
});

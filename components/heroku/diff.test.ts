// The pure decisions behind the Heroku providers' diffs: what is a change, what forces a replacement, what is sent.
import * as assert from "node:assert/strict";
import {
    UNKNOWN,
    addonDiff,
    addonReplacementRefusals,
    addonService,
    appDiff,
    appToggleDiff,
    buildpacksToSet,
    configVarPatch,
    configVarsDiff,
    containsUnknown,
    diffProperties,
    formationDiff,
    formationStops,
    formationUpdates,
    ownedConfigVars,
    same,
} from "./diff";

describe("heroku/diff", function () {
    describe("same / diffProperties", function () {
        it("ignores key order and treats undefined, missing and null alike", function () {
            assert.ok(same({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }));
            assert.ok(same({ a: 1, b: undefined }, { a: 1 }));
            assert.ok(same(undefined, null));
            assert.ok(!same([1, 2], [2, 1]), "order of a list matters (buildpacks run in order)");
        });

        it("separates in-place changes from replacements", function () {
            const d = diffProperties({ a: 1, b: 2, c: 3 }, { a: 1, b: 5, c: 4 }, ["a", "b", "c"], ["c"]);
            assert.deepEqual(d, { changes: true, replaces: ["c"], changed: ["b", "c"] });
        });
    });

    describe("unknown values (a preview that depends on an App being updated)", function () {
        it("never decide a replacement nor refuse, but report a possible change", function () {
            assert.ok(containsUnknown({ a: [1, { b: UNKNOWN }] }));
            assert.ok(!containsUnknown({ a: [1, { b: "x" }] }));
            const d = diffProperties({ app: "a", hostname: "h" }, { app: UNKNOWN, hostname: "h" }, ["app", "hostname"], ["app", "hostname"]);
            assert.deepEqual(d, { changes: true, replaces: [], changed: ["app"] });
            const pg = { app: "shop", plan: "heroku-postgresql:essential-0", addonName: "db" };
            assert.deepEqual(addonDiff(pg, { ...pg, app: UNKNOWN }).replaces, []);
            assert.deepEqual(configVarsDiff({ app: "a", vars: {}, secretVars: {} }, { app: UNKNOWN, vars: {}, secretVars: {} }), {
                changes: true, replaces: [], changed: ["app"], keys: [],
            });
            assert.deepEqual(formationDiff({ app: "a", processes: {} }, { app: UNKNOWN, processes: {} }).replaces, []);
            assert.deepEqual(appToggleDiff({ app: "a", enabled: true }, { app: UNKNOWN }), { changes: true, replaces: [], changed: ["app"] });
            assert.deepEqual(appToggleDiff({ app: "a", enabled: true }, { app: "b" }).replaces, ["app"]);
            assert.equal(appToggleDiff({ app: "a", enabled: false }, { app: "a" }).changes, true, "switched off by hand");
        });
    });

    describe("App", function () {
        const app = { name: "shop", region: "us", stack: "heroku-24", buildpacks: ["heroku/python"] };

        it("sees no change in identical inputs (buildpacks omitted = empty)", function () {
            assert.equal(appDiff(app, { ...app }).changes, false);
            assert.equal(appDiff({ ...app, buildpacks: [] }, { ...app, buildpacks: undefined }).changes, false);
        });

        it("renames, changes stack and buildpacks in place", function () {
            const d = appDiff(app, { ...app, name: "shop-2", stack: "heroku-22", buildpacks: ["heroku/nodejs", "heroku/python"] });
            assert.deepEqual(d.replaces, []);
            assert.deepEqual(d.changed, ["name", "stack", "buildpacks"]);
            assert.equal(d.deleteBeforeReplace, false);
        });

        it("replaces for a region or team change, deleting first when the name stays (names are global)", function () {
            assert.deepEqual(appDiff(app, { ...app, region: "eu" }), { changes: true, replaces: ["region"], changed: ["region"], deleteBeforeReplace: true });
            const renamed = appDiff(app, { ...app, region: "eu", name: "shop-eu" });
            assert.deepEqual(renamed.replaces, ["region"]);
            assert.equal(renamed.deleteBeforeReplace, false);
            assert.deepEqual(appDiff(app, { ...app, team: "acme" }).replaces, ["team"]);
        });

        it("sets buildpacks only when the declared list changes, clearing a list that was removed", function () {
            assert.equal(buildpacksToSet(["a"], ["a"]), undefined);
            assert.equal(buildpacksToSet(undefined, []), undefined);
            assert.deepEqual(buildpacksToSet([], ["a", "b"]), ["a", "b"]);
            assert.deepEqual(buildpacksToSet(["a"], []), []);
        });
    });

    describe("ConfigVars", function () {
        it("sets new and changed keys, unsets removed ones with null, and never names other keys", function () {
            assert.deepEqual(configVarPatch({ A: "1", B: "2", C: "3" }, { A: "1", B: "two", D: "4" }), { B: "two", D: "4", C: null });
            assert.deepEqual(configVarPatch({ A: "1" }, { A: "1" }), {});
            assert.deepEqual(configVarPatch({ A: "1", B: "2" }, {}), { A: null, B: null });
        });

        it("reports the owned keys' live values only; a deleted key is absent", function () {
            const live = { A: "1", B: "changed", DATABASE_URL: "postgres://x", OTHER: "y" };
            assert.deepEqual(ownedConfigVars(live, ["A", "B", "GONE"]), { A: "1", B: "changed" });
        });

        it("diffs by key names only, never values, and counts a plain/secret move as a change", function () {
            const olds = { app: "a", vars: { A: "1" }, secretVars: { S: "hunter2" } };
            assert.equal(configVarsDiff(olds, { app: "a", vars: { A: "1" }, secretVars: { S: "hunter2" } }).changes, false);
            const d = configVarsDiff(olds, { app: "a", vars: { A: "2" }, secretVars: { S: "new-secret" } });
            assert.deepEqual(d.keys, ["A", "S"]);
            assert.deepEqual(d.changed, ["vars", "secretVars"]);
            assert.ok(!JSON.stringify(d).includes("new-secret") && !JSON.stringify(d).includes("hunter2"));
            const moved = configVarsDiff(olds, { app: "a", vars: { A: "1", S: "hunter2" }, secretVars: {} });
            assert.deepEqual(moved.keys, ["S"]);
            assert.deepEqual(configVarsDiff(olds, { ...olds, app: "b" }).replaces, ["app"]);
        });
    });

    describe("Addon", function () {
        const pg = { app: "shop", plan: "heroku-postgresql:essential-0", addonName: "postgresql-calm-12345", attachmentName: "DATABASE" };

        it("changes a plan within the service, a name and an attachment name in place", function () {
            assert.equal(addonService(pg.plan), "heroku-postgresql");
            const d = addonDiff(pg, { ...pg, plan: "heroku-postgresql:standard-0", addonName: "shop-db", attachmentName: "MAIN_DATABASE" });
            assert.deepEqual(d.replaces, []);
            assert.deepEqual(d.changed, ["plan", "addonName", "attachmentName"]);
        });

        it("treats an omitted name as whatever Heroku picked", function () {
            assert.equal(addonDiff(pg, { app: "shop", plan: pg.plan }).changes, false);
        });

        it("replaces for another app or another service, deleting first on the same app", function () {
            const moved = addonDiff(pg, { ...pg, app: "other", addonName: undefined });
            assert.deepEqual(moved.replaces, ["app"]);
            assert.equal(moved.deleteBeforeReplace, false);
            const redis = addonDiff(pg, { ...pg, plan: "heroku-redis:mini" });
            assert.deepEqual(redis.replaces, ["plan"]);
            assert.equal(redis.deleteBeforeReplace, true);
            assert.equal(addonDiff(pg, { ...pg, app: "other" }).deleteBeforeReplace, true, "same global add-on name");
        });

        it("refuses a replacement in check unless allowReplace, and cannot judge unknown values", function () {
            assert.deepEqual(addonReplacementRefusals({}, { ...pg, app: "other" }), [], "nothing to destroy on create");
            const refused = addonReplacementRefusals(pg, { ...pg, app: "other", plan: "heroku-redis:mini" });
            assert.deepEqual(refused.map((f) => f.property), ["app", "plan"]);
            assert.match(refused[0].reason, /postgresql-calm-12345 and its data would be destroyed.*allowReplace: true/);
            assert.deepEqual(addonReplacementRefusals(pg, { ...pg, app: "other", allowReplace: true }), []);
            assert.deepEqual(addonReplacementRefusals(pg, { ...pg, app: UNKNOWN }), []);
            assert.deepEqual(addonReplacementRefusals(pg, { ...pg, plan: "heroku-postgresql:premium-0" }), [], "plan change is in place");
        });
    });

    describe("Formation", function () {
        const live = { web: { size: "standard-1x", quantity: 1 }, worker: { size: "standard-1x", quantity: 2 } };

        it("batches only the types whose size or quantity differ, in Heroku's dyno_size shape", function () {
            assert.deepEqual(formationUpdates(live, { web: { size: "Standard-1X", quantity: 1 }, worker: { size: "standard-2x", quantity: 2 } }), [
                { type: "worker", quantity: 2, dyno_size: { name: "standard-2x" } },
            ]);
            assert.deepEqual(formationUpdates({}, { web: { size: "basic", quantity: 1 } }), [{ type: "web", quantity: 1, dyno_size: { name: "basic" } }]);
        });

        it("scales types no longer declared to zero", function () {
            assert.deepEqual(formationStops(live, { web: live.web }), [{ type: "worker", quantity: 0, dyno_size: { name: "standard-1x" } }]);
            assert.deepEqual(formationStops({ clock: { size: "basic", quantity: 0 } }, {}), [], "already at zero");
        });

        it("diffs declared against last seen, a type waiting for a deploy counting as a change", function () {
            assert.equal(formationDiff({ app: "a", processes: live }, { app: "a", processes: live }).changes, false);
            assert.deepEqual(formationDiff({ app: "a", processes: { web: live.web } }, { app: "a", processes: live }).changed, ["processes.worker"]);
            assert.deepEqual(formationDiff({ app: "a", processes: live }, { app: "b", processes: live }).replaces, ["app"]);
        });
    });
});

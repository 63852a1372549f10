// Pipeline and PipelineCoupling as Pulumi runs them: serialized under mocks, driven in a fresh provider host against
// the schema-checked Heroku double (pipeline routes from the official schema). Then `promote` end to end.
import * as assert from "node:assert/strict";
import { Pipeline } from "../components/heroku/pipeline";
import { PipelineCoupling } from "../components/heroku/pipeline-coupling";
import { HerokuApi } from "../components/heroku/api";
import { configVarKeyDiff, planPromotion, promote, PromotionError } from "../components/heroku/promotion";
import { ProviderHost, serializeProvider, type ProviderError } from "./helpers/provider-host";
import { startHerokuDouble, type HerokuDouble } from "./heroku-double";

type Props = Record<string, unknown>;

describe("Heroku Pipeline, PipelineCoupling and promotion against the double", function () {
    this.timeout(60_000);
    let double: HerokuDouble;
    let pipelineHost: ProviderHost;
    let couplingHost: ProviderHost;
    let api: HerokuApi;

    before(async function () {
        double = await startHerokuDouble();
        api = new HerokuApi({ apiKey: double.token, baseUrl: double.url });
        const p = await serializeProvider(() => new Pipeline("pipeline", { name: "serialized" }));
        const c = await serializeProvider(() => new PipelineCoupling("coupling", { pipeline: "serialized", app: "a", stage: "staging" }));
        assert.ok(p.provider.length < 8192 && c.provider.length < 8192, "the thin provider shape");
        const config = { "heroku:apiKey": double.token, "heroku:apiUrl": double.url };
        pipelineHost = await ProviderHost.start(p.provider, { config });
        couplingHost = await ProviderHost.start(c.provider, { config });
    });
    after(async function () {
        await pipelineHost?.stop();
        await couplingHost?.stop();
        double.assertNoSchemaViolations();
        await double.stop();
    });

    it("creates, renames in place, refreshes, imports and deletes a pipeline; checks names", async function () {
        const checked = await pipelineHost.call<{ inputs: Props; failures: unknown[] }>("check", {}, { name: "Bad Name" });
        assert.match(JSON.stringify(checked.failures), /3-30 lower-case letters/);
        const created = await pipelineHost.call<{ id: string; outs: Props }>("create", { name: "acme" });
        assert.equal(created.outs.name, "acme");
        assert.equal(created.outs.pipelineId, created.id);
        const before = double.requests.length;
        const same = await pipelineHost.call<{ changes: boolean }>("diff", created.id, created.outs, { name: "acme" });
        assert.equal(same.changes, false);
        assert.equal(double.requests.length, before, "a no-op diff makes no request");
        const renamed = await pipelineHost.call<{ changes: boolean; replaces: string[] }>("diff", created.id, created.outs, { name: "acme-web" });
        assert.deepEqual([renamed.changes, renamed.replaces], [true, []]);
        const updated = await pipelineHost.call<{ outs: Props }>("update", created.id, created.outs, { name: "acme-web" });
        assert.equal(updated.outs.name, "acme-web");
        const imported = await pipelineHost.call<{ id: string; inputs: Props }>("read", created.id, {});
        assert.deepEqual(imported.inputs, { name: "acme-web" });
        const taken = await pipelineHost.call("create", { name: "acme-web" }).catch((e: ProviderError) => e);
        assert.match((taken as ProviderError).text, /a Heroku pipeline named acme-web already exists/);
        await pipelineHost.call("delete", created.id, updated.outs);
        await pipelineHost.call("delete", created.id, updated.outs);
        assert.equal((await pipelineHost.call<{ id: string }>("read", created.id, updated.outs)).id, "");
    });

    it("couples apps by pipeline name or id, changes a stage in place, moves an app delete-first, refuses a second pipeline", async function () {
        const pipeline = await pipelineHost.call<{ id: string; outs: Props }>("create", { name: "sendhub" });
        const other = await pipelineHost.call<{ id: string; outs: Props }>("create", { name: "other" });
        double.state.createApp({ name: "sendhub-staging" });
        double.state.createApp({ name: "sendhub-production" });
        const staging = await couplingHost.call<{ id: string; outs: Props }>("create", { pipeline: "sendhub", app: "sendhub-staging", stage: "staging" });
        assert.equal(staging.outs.pipelineId, pipeline.id);
        const production = await couplingHost.call<{ id: string; outs: Props }>("create", { pipeline: pipeline.id, app: "sendhub-production", stage: "production" });
        assert.equal(production.outs.stage, "production");
        const sameById = await couplingHost.call<{ changes: boolean }>("diff", staging.id, staging.outs, { pipeline: pipeline.id, app: "sendhub-staging", stage: "staging" });
        assert.equal(sameById.changes, false);
        const stage = await couplingHost.call<{ replaces: string[] }>("diff", staging.id, staging.outs, { pipeline: "sendhub", app: "sendhub-staging", stage: "development" });
        assert.deepEqual(stage.replaces, []);
        const moved = await couplingHost.call<{ replaces: string[]; deleteBeforeReplace: boolean }>("diff", staging.id, staging.outs, { pipeline: "other", app: "sendhub-staging", stage: "staging" });
        assert.deepEqual([moved.replaces, moved.deleteBeforeReplace], [["pipeline"], true]);
        const second = await couplingHost.call("create", { pipeline: other.id, app: "sendhub-staging", stage: "staging" }).catch((e: ProviderError) => e);
        assert.match((second as ProviderError).text, /app sendhub-staging is already in a pipeline/);
        const missing = await couplingHost.call("create", { pipeline: "nope-pipeline", app: "sendhub-staging", stage: "staging" }).catch((e: ProviderError) => e);
        assert.match((missing as ProviderError).text, /the Heroku pipeline nope-pipeline does not exist yet/);
        const badStage = await couplingHost.call<{ failures: unknown[] }>("check", {}, { pipeline: "sendhub", app: "x", stage: "qa" });
        assert.match(JSON.stringify(badStage.failures), /must be one of test, review, development, staging, production/);
    });

    it("promotes staging's current release to production, showing config-var key differences by name only", async function () {
        double.state.deploy("sendhub-staging", { web: "gunicorn app" });
        double.state.patchConfigVars("sendhub-staging", { DJANGO_SETTINGS_MODULE: "s", ONLY_STAGING: "value-1" });
        double.state.patchConfigVars("sendhub-production", { DJANGO_SETTINGS_MODULE: "p", NEW_RELIC_LICENSE_KEY: "value-2" });
        const diff = await configVarKeyDiff(api, "sendhub-staging", "sendhub-production");
        assert.deepEqual(diff, { source: "sendhub-staging", target: "sendhub-production", onlyInSource: ["ONLY_STAGING"], onlyInTarget: ["NEW_RELIC_LICENSE_KEY"], common: 1 });
        const plan = await planPromotion(api, "sendhub-staging", ["sendhub-production"]);
        const stagingRelease = double.state.app("sendhub-staging").releases.at(-1)!;
        assert.equal(plan.source.release.id, stagingRelease.id);
        const progress: string[] = [];
        const report = await promote(api, plan, { pollMs: 5, onProgress: (l) => progress.push(l) });
        assert.equal(report.status, "completed");
        assert.equal(report.targetsReport[0].status, "succeeded");
        const production = double.state.app("sendhub-production");
        assert.equal(production.releases.at(-1)!.slugId, double.state.app("sendhub-staging").releases.filter((r) => r.slugId).at(-1)!.slugId);
        assert.equal(report.targetsReport[0].releaseVersion, production.releases.length);
        const promotions = double.requests.filter((r) => r.path.startsWith("/pipeline-promotions"));
        assert.equal(promotions.filter((r) => r.method === "POST").length, 1);
        assert.ok(promotions.some((r) => r.path.endsWith("/promotion-targets")));
        assert.match(progress[0], /sendhub-staging v\d+ → sendhub-production/);
    });

    it("fails clearly when a promotion target fails, and before promoting apps outside one pipeline", async function () {
        double.pipelines.failTarget("sendhub-production", "Release could not be created: slug is for another stack");
        const plan = await planPromotion(api, "sendhub-staging", ["sendhub-production"]);
        const failure = await promote(api, plan, { pollMs: 5 }).catch((e: unknown) => e);
        assert.ok(failure instanceof PromotionError);
        assert.match(failure.message, /failed for 1 of 1 target\(s\): sendhub-production: failed \(Release could not be created: slug is for another stack\)/);
        assert.equal(failure.report?.targetsReport[0].status, "failed");
        double.pipelines.failingTargets.clear();
        double.state.createApp({ name: "loner-app" });
        await assert.rejects(planPromotion(api, "sendhub-staging", ["loner-app"]), /app loner-app is in no Heroku pipeline/);
        await assert.rejects(planPromotion(api, "sendhub-staging", ["missing-app"]), /the target app missing-app does not exist/);
    });
});

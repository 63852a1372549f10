// Staging → production with the same build: promotes the source app's current release (its slug) to the target apps
// of the same Heroku pipeline, waits for every promotion target and reports each. Promotion copies the slug only:
// config vars and add-ons stay as each app has them, so `configVarKeyDiff` shows which keys differ (names only,
// never values) before anything is promoted.
import type { HerokuApi, HerokuApp, HerokuPipelineCoupling, HerokuRelease } from "./api";

export interface ConfigVarKeyDiff {
    source: string;
    target: string;
    /** Keys the source app sets and the target does not. */
    onlyInSource: string[];
    /** Keys the target app sets and the source does not. */
    onlyInTarget: string[];
    /** How many keys both set. */
    common: number;
}

/**
 * Config-var keys that differ between two apps. Add-on colour aliases (HEROKU_POSTGRESQL_ONYX_URL…) differ on every
 * pair of apps by design and are left out. Only key names are read out of the answers; values are dropped at once.
 */
export async function configVarKeyDiff(api: HerokuApi, source: string, target: string): Promise<ConfigVarKeyDiff> {
    const keys = async (app: string) =>
        new Set(Object.keys(await api.getConfigVars(app)).filter((k) => !/^HEROKU_[A-Z]+_[A-Z]+_URL$/.test(k)));
    const [a, b] = await Promise.all([keys(source), keys(target)]);
    return {
        source,
        target,
        onlyInSource: [...a].filter((k) => !b.has(k)).sort(),
        onlyInTarget: [...b].filter((k) => !a.has(k)).sort(),
        common: [...a].filter((k) => b.has(k)).length,
    };
}

export interface PromotionPlan {
    pipeline: { id: string };
    source: { app: string; appId: string; stage: string; release: { id: string; version: number; description: string } };
    targets: Array<{ app: string; appId: string; stage: string }>;
}

export interface PromotionTargetReport {
    app: string;
    appId: string;
    status: "pending" | "succeeded" | "failed";
    /** The release the promotion created on the target. */
    releaseId: string | null;
    /** Its version, when the release could be read back. */
    releaseVersion: number | null;
    errorMessage: string | null;
}

export interface PromotionReport extends PromotionPlan {
    promotionId: string;
    status: "pending" | "completed";
    targetsReport: PromotionTargetReport[];
    durationMs: number;
}

export class PromotionError extends Error {
    constructor(
        message: string,
        readonly report?: PromotionReport,
    ) {
        super(message);
        this.name = "PromotionError";
    }
}

function currentRelease(releases: HerokuRelease[]): HerokuRelease | undefined {
    return releases.find((r) => r.current) ?? [...releases].sort((a, b) => b.version - a.version)[0];
}

async function coupling(api: HerokuApi, app: HerokuApp): Promise<HerokuPipelineCoupling> {
    const c = await api.findAppPipelineCoupling(app.id);
    if (c === undefined) {
        throw new PromotionError(`app ${app.name} is in no Heroku pipeline: declare the Pipeline and its couplings (pulumi up --stack production, then staging)`);
    }
    return c;
}

/**
 * Checks both ends before anything is promoted: the apps exist, are coupled to the same pipeline, and the source's
 * current release has a slug (a release made only of config changes still points at the last slug; Heroku promotes
 * that). Requests: GET each app, its coupling and the source's releases.
 */
export async function planPromotion(api: HerokuApi, source: string, targets: readonly string[]): Promise<PromotionPlan> {
    if (targets.length === 0) throw new PromotionError("nothing to promote to: name at least one target app");
    const sourceApp = await api.findApp(source);
    if (sourceApp === undefined) throw new PromotionError(`the source app ${source} does not exist (or this Heroku token cannot see it)`);
    const sourceCoupling = await coupling(api, sourceApp);
    const planned: PromotionPlan["targets"] = [];
    for (const name of targets) {
        const app = await api.findApp(name);
        if (app === undefined) throw new PromotionError(`the target app ${name} does not exist (or this Heroku token cannot see it)`);
        if (app.id === sourceApp.id) throw new PromotionError(`cannot promote ${name} to itself`);
        const c = await coupling(api, app);
        if (c.pipeline.id !== sourceCoupling.pipeline.id) {
            throw new PromotionError(`${app.name} is in another pipeline than ${sourceApp.name}: promotion works within one pipeline`);
        }
        planned.push({ app: app.name, appId: app.id, stage: c.stage });
    }
    const release = currentRelease(await api.listReleases(sourceApp.id));
    if (release === undefined || release.status !== "succeeded") {
        throw new PromotionError(`${sourceApp.name} has no succeeded release to promote: deploy it first (git push heroku main)`);
    }
    return {
        pipeline: { id: sourceCoupling.pipeline.id },
        source: {
            app: sourceApp.name,
            appId: sourceApp.id,
            stage: sourceCoupling.stage,
            release: { id: release.id, version: release.version, description: release.description },
        },
        targets: planned,
    };
}

export interface PromoteOptions {
    /** Between polls of the promotion; default 2 s (HEROKUENV_PROMOTION_POLL_MS). */
    pollMs?: number;
    /** Give up waiting after this long; default 15 min. The promotion itself goes on at Heroku. */
    timeoutMs?: number;
    signal?: AbortSignal;
    onProgress?: (line: string) => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new PromotionError("interrupted"));
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new PromotionError("interrupted"));
        }, { once: true });
    });

/**
 * Promotes the planned release: POST /pipeline-promotions (pinned to the planned release, so a deploy to staging in
 * between is not what lands in production), polls GET /pipeline-promotions/{id} until it is no longer pending, then
 * reads every target. Throws a PromotionError carrying the report when any target failed or the wait timed out.
 */
export async function promote(api: HerokuApi, plan: PromotionPlan, options: PromoteOptions = {}): Promise<PromotionReport> {
    const started = Date.now();
    const envPoll = process.env.HEROKUENV_PROMOTION_POLL_MS;
    const pollMs = options.pollMs ?? (envPoll && Number(envPoll) >= 0 ? Number(envPoll) : 2000);
    const timeoutMs = options.timeoutMs ?? 15 * 60_000;
    const progress = options.onProgress ?? (() => undefined);
    const created = await api.createPipelinePromotion({
        pipeline: { id: plan.pipeline.id },
        source: { app: { id: plan.source.appId }, release: { id: plan.source.release.id } },
        targets: plan.targets.map((t) => ({ app: { id: t.appId } })),
    });
    progress(`promotion ${created.id} started: ${plan.source.app} v${plan.source.release.version} → ${plan.targets.map((t) => t.app).join(", ")}`);
    let promotion = created;
    while (promotion.status === "pending") {
        if (Date.now() - started > timeoutMs) break;
        await sleep(pollMs, options.signal);
        promotion = await api.getPipelinePromotion(created.id);
    }
    const names = new Map(plan.targets.map((t) => [t.appId, t.app]));
    const targets = await api.listPromotionTargets(created.id);
    const targetsReport: PromotionTargetReport[] = [];
    for (const t of targets) {
        const app = names.get(t.app.id) ?? t.app.id;
        let releaseVersion: number | null = null;
        if (t.release !== null && t.status === "succeeded") {
            const releases = await api.listReleases(t.app.id).catch(() => [] as HerokuRelease[]);
            releaseVersion = releases.find((r) => r.id === t.release?.id)?.version ?? null;
        }
        targetsReport.push({ app, appId: t.app.id, status: t.status, releaseId: t.release?.id ?? null, releaseVersion, errorMessage: t.error_message });
    }
    const report: PromotionReport = { ...plan, promotionId: created.id, status: promotion.status, targetsReport, durationMs: Date.now() - started };
    if (promotion.status === "pending") {
        throw new PromotionError(`promotion ${created.id} is still pending after ${Math.round(timeoutMs / 1000)} s: check it with heroku pipelines:info, then run again if it failed`, report);
    }
    const failed = targetsReport.filter((t) => t.status !== "succeeded");
    if (failed.length > 0) {
        const detail = failed.map((t) => `${t.app}: ${t.status}${t.errorMessage ? ` (${t.errorMessage})` : ""}`).join("; ");
        throw new PromotionError(`promotion ${created.id} failed for ${failed.length} of ${targetsReport.length} target(s): ${detail}`, report);
    }
    return report;
}

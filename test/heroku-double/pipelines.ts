// Heroku Pipelines in the double: pipelines, one coupling per app (stage review/development/staging/production),
// and promotions that copy the source release's slug to each target app as a new release, asynchronously (a
// promotion stays `pending` for a few GETs). A test can make a target fail (`failTarget`), as Heroku reports a
// target whose release could not be created.
import { randomUUID } from "node:crypto";
import { DoubleHttpError, type AppRecord, type HerokuDoubleState, type ReleaseRecord } from "./state";

const notFound = (what: string) => new DoubleHttpError(404, "not_found", `Couldn't find that ${what}.`);
const invalid = (message: string) => new DoubleHttpError(422, "invalid_params", message);

const PIPELINE_NAME = /^[a-z][a-z0-9-]{2,29}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const STAGES = ["test", "review", "development", "staging", "production"] as const;
export type Stage = (typeof STAGES)[number];

export interface PipelineRecord {
    id: string;
    name: string;
    createdAt: string;
    updatedAt: string;
}

export interface CouplingRecord {
    id: string;
    pipelineId: string;
    appId: string;
    stage: Stage;
    createdAt: string;
    updatedAt: string;
}

export interface PromotionTargetRecord {
    id: string;
    appId: string;
    status: "pending" | "succeeded" | "failed";
    releaseId: string | null;
    errorMessage: string | null;
}

export interface PromotionRecord {
    id: string;
    pipelineId: string;
    sourceAppId: string;
    sourceReleaseId: string;
    slugId: string;
    status: "pending" | "completed";
    /** GETs of the promotion left before it completes. */
    pollsLeft: number;
    targets: PromotionTargetRecord[];
    createdAt: string;
    updatedAt: string | null;
}

export class PipelineState {
    readonly pipelines = new Map<string, PipelineRecord>();
    readonly couplings = new Map<string, CouplingRecord>();
    readonly promotions = new Map<string, PromotionRecord>();
    /** GETs of a promotion before it turns from `pending` to `completed`. */
    promotionPolls = 2;
    /** App name or id → the error message its promotion target fails with. */
    readonly failingTargets = new Map<string, string>();

    private readonly generationId = randomUUID();

    constructor(private readonly s: HerokuDoubleState) {}

    /** Makes every later promotion to this app fail with `message` (a release Heroku could not create). */
    failTarget(app: string, message = "Release could not be created: the slug is for another stack"): void {
        this.failingTargets.set(app, message);
    }

    // --- pipelines ----------------------------------------------------------------------------

    createPipeline(body: { name: string }): PipelineRecord {
        if (!PIPELINE_NAME.test(body.name)) throw invalid("Name must start with a letter and can only contain lowercase letters, numbers, and dashes.");
        if ([...this.pipelines.values()].some((p) => p.name === body.name)) throw invalid("Name has already been taken.");
        const at = this.s.timestamp();
        const p: PipelineRecord = { id: randomUUID(), name: body.name, createdAt: at, updatedAt: at };
        this.pipelines.set(p.id, p);
        return p;
    }

    findPipeline(identity: string): PipelineRecord | undefined {
        return UUID.test(identity) ? this.pipelines.get(identity.toLowerCase()) : [...this.pipelines.values()].find((p) => p.name === identity);
    }

    pipeline(identity: string): PipelineRecord {
        const p = this.findPipeline(identity);
        if (!p) throw notFound("pipeline");
        return p;
    }

    updatePipeline(id: string, body: { name?: string }): PipelineRecord {
        const p = this.pipeline(id);
        if (body.name !== undefined && body.name !== p.name) {
            if (!PIPELINE_NAME.test(body.name)) throw invalid("Name must start with a letter and can only contain lowercase letters, numbers, and dashes.");
            if ([...this.pipelines.values()].some((o) => o.name === body.name)) throw invalid("Name has already been taken.");
            p.name = body.name;
        }
        p.updatedAt = this.s.timestamp();
        return p;
    }

    /** Deleting a pipeline uncouples its apps (the apps stay). */
    deletePipeline(id: string): PipelineRecord {
        const p = this.pipeline(id);
        for (const c of [...this.couplings.values()]) if (c.pipelineId === p.id) this.couplings.delete(c.id);
        this.pipelines.delete(p.id);
        return p;
    }

    pipelineJson(p: PipelineRecord): object {
        return {
            created_at: p.createdAt,
            id: p.id,
            name: p.name,
            owner: { id: this.s.owner.id, type: "user" },
            updated_at: p.updatedAt,
            generation: { id: this.generationId, name: "cedar" },
        };
    }

    // --- couplings ----------------------------------------------------------------------------

    /** Couplings whose app still exists (deleting an app removes it from its pipeline). */
    private live(): CouplingRecord[] {
        for (const c of [...this.couplings.values()]) if (!this.s.apps.has(c.appId)) this.couplings.delete(c.id);
        return [...this.couplings.values()];
    }

    createCoupling(body: { app: string; pipeline: string; stage: string }): CouplingRecord {
        const app = this.s.app(body.app);
        const pipeline = this.pipeline(body.pipeline);
        if (this.live().some((c) => c.appId === app.id)) throw invalid("App is already part of a pipeline.");
        const at = this.s.timestamp();
        const c: CouplingRecord = { id: randomUUID(), pipelineId: pipeline.id, appId: app.id, stage: body.stage as Stage, createdAt: at, updatedAt: at };
        this.couplings.set(c.id, c);
        return c;
    }

    coupling(id: string): CouplingRecord {
        const c = this.live().find((x) => x.id === id.toLowerCase());
        if (!c) throw notFound("pipeline coupling");
        return c;
    }

    couplingOfApp(appIdentity: string): CouplingRecord {
        const app = this.s.app(appIdentity);
        const c = this.live().find((x) => x.appId === app.id);
        if (!c) throw notFound("pipeline coupling");
        return c;
    }

    couplingsOf(pipelineId?: string): CouplingRecord[] {
        const pipeline = pipelineId === undefined ? undefined : this.pipeline(pipelineId);
        return this.live().filter((c) => pipeline === undefined || c.pipelineId === pipeline.id);
    }

    updateCoupling(id: string, body: { stage?: string }): CouplingRecord {
        const c = this.coupling(id);
        if (body.stage !== undefined) c.stage = body.stage as Stage;
        c.updatedAt = this.s.timestamp();
        return c;
    }

    deleteCoupling(id: string): CouplingRecord {
        const c = this.coupling(id);
        this.couplings.delete(c.id);
        return c;
    }

    couplingJson(c: CouplingRecord): object {
        return { app: { id: c.appId }, created_at: c.createdAt, id: c.id, pipeline: { id: c.pipelineId }, stage: c.stage, updated_at: c.updatedAt };
    }

    // --- promotions ---------------------------------------------------------------------------

    createPromotion(body: { pipeline: { id: string }; source: { app?: { id?: string }; release?: { id?: string } }; targets: Array<{ app?: { id?: string } }> }): PromotionRecord {
        const pipeline = this.pipeline(body.pipeline.id);
        if (body.source.app?.id === undefined) throw invalid("Source app is required.");
        const source = this.s.app(body.source.app.id);
        const inPipeline = (app: AppRecord) => this.live().some((c) => c.appId === app.id && c.pipelineId === pipeline.id);
        if (!inPipeline(source)) throw invalid(`App ${source.name} is not part of the pipeline ${pipeline.name}.`);
        const release: ReleaseRecord | undefined = body.source.release?.id
            ? this.s.release(source.id, body.source.release.id)
            : source.releases[source.releases.length - 1];
        // A release made of config changes runs the slug of the release before it, as on Heroku.
        const upTo = release ? source.releases.slice(0, source.releases.indexOf(release) + 1) : [];
        const slugId = [...upTo].reverse().find((r) => r.slugId)?.slugId;
        if (!release || !slugId) throw invalid(`App ${source.name} has no release with a slug to promote.`);
        if (body.targets.length === 0) throw invalid("At least one target is required.");
        const targets = body.targets.map((t) => {
            if (t.app?.id === undefined) throw invalid("Target app is required.");
            const app = this.s.app(t.app.id);
            if (!inPipeline(app)) throw invalid(`App ${app.name} is not part of the pipeline ${pipeline.name}.`);
            if (app.id === source.id) throw invalid("An app cannot be promoted to itself.");
            return { id: randomUUID(), appId: app.id, status: "pending" as const, releaseId: null, errorMessage: null };
        });
        const p: PromotionRecord = {
            id: randomUUID(),
            pipelineId: pipeline.id,
            sourceAppId: source.id,
            sourceReleaseId: release.id,
            slugId,
            status: "pending",
            pollsLeft: this.promotionPolls,
            targets,
            createdAt: this.s.timestamp(),
            updatedAt: null,
        };
        this.promotions.set(p.id, p);
        if (p.pollsLeft <= 0) this.complete(p);
        return p;
    }

    promotion(id: string): PromotionRecord {
        const p = this.promotions.get(id.toLowerCase());
        if (!p) throw notFound("pipeline promotion");
        return p;
    }

    /** A GET of the promotion: one poll closer to done. */
    pollPromotion(p: PromotionRecord): void {
        if (p.status !== "pending") return;
        p.pollsLeft--;
        if (p.pollsLeft <= 0) this.complete(p);
    }

    private complete(p: PromotionRecord): void {
        const source = this.s.apps.get(p.sourceAppId);
        const sourceRelease = source?.releases.find((r) => r.id === p.sourceReleaseId);
        for (const t of p.targets) {
            const app = this.s.apps.get(t.appId);
            const failure = app ? (this.failingTargets.get(app.name) ?? this.failingTargets.get(app.id)) : "App was deleted.";
            if (!app || failure !== undefined) {
                t.status = "failed";
                t.errorMessage = failure ?? "App was deleted.";
                continue;
            }
            const at = this.s.timestamp();
            const release: ReleaseRecord = {
                id: randomUUID(),
                version: app.releases.length + 1,
                description: `Promote ${source?.name ?? "app"} v${sourceRelease?.version ?? "?"}`,
                slugId: p.slugId,
                addonPlanNames: [],
                createdAt: at,
            };
            app.releases.push(release);
            app.releasedAt = at;
            app.updatedAt = at;
            t.status = "succeeded";
            t.releaseId = release.id;
        }
        p.status = "completed";
        p.updatedAt = this.s.timestamp();
    }

    promotionJson(p: PromotionRecord): object {
        return {
            created_at: p.createdAt,
            id: p.id,
            pipeline: { id: p.pipelineId },
            source: { app: { id: p.sourceAppId }, release: { id: p.sourceReleaseId } },
            status: p.status,
            updated_at: p.updatedAt,
        };
    }

    targetJson(p: PromotionRecord, t: PromotionTargetRecord): object {
        return {
            app: { id: t.appId },
            error_message: t.errorMessage,
            id: t.id,
            pipeline_promotion: { id: p.id },
            release: t.releaseId ? { id: t.releaseId } : null,
            status: t.status,
        };
    }
}

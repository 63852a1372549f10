// Typed Heroku Platform API endpoints used by the herokuenv resources.
// Types are written by hand from test/fixtures/heroku/heroku-platform-api.schema.json and keep only
// the fields we read. Self-contained (imports only ./client) for Pulumi's by-value capture.
import { HerokuClient, HerokuClientOptions, isNotFound } from "./client";

/** `{id, name}` reference as Heroku embeds it (region, stack, plan, app…). */
export interface NamedRef {
    id: string;
    name: string;
}

export interface HerokuApp {
    id: string;
    name: string;
    /** Automated Certificate Management enabled (read-only here; toggled via /apps/{app}/acm). */
    acm: boolean;
    maintenance: boolean;
    region: NamedRef;
    stack: NamedRef;
    build_stack: NamedRef;
    web_url: string | null;
    git_url: string;
    created_at: string;
    updated_at: string;
    released_at: string | null;
    owner: { id: string; email: string };
    team: NamedRef | null;
    space: (NamedRef & { shield: boolean }) | null;
}

export interface AppCreateBody {
    name?: string;
    /** Region id or name ("us", "eu"). */
    region?: string;
    /** Stack id or name ("heroku-24"). */
    stack?: string;
    feature_flags?: string[];
}

/** POST /teams/apps: an app owned by a team. */
export interface TeamAppCreateBody extends Omit<AppCreateBody, "feature_flags"> {
    /** Team name. */
    team: string;
    locked?: boolean;
}

export interface HerokuBuildpackInstallation {
    /** Order in which the buildpacks run, from 0. */
    ordinal: number;
    buildpack: { url: string; name: string | null };
}

export interface AppUpdateBody {
    name?: string;
    maintenance?: boolean;
    build_stack?: string;
}

/** Config vars: name → value. In a PATCH, `null` removes the var. */
export type ConfigVars = Record<string, string>;
export type ConfigVarsPatch = Record<string, string | null>;

export type AddOnState = "provisioning" | "provisioned" | "deprovisioned";

export interface HerokuAddOn {
    id: string;
    name: string;
    state: AddOnState;
    app: NamedRef;
    addon_service: NamedRef;
    plan: NamedRef;
    /** Names of the config vars the add-on sets on its app. */
    config_vars: string[];
    provider_id: string;
    web_url: string | null;
    created_at: string;
    updated_at: string;
}

export interface AddOnCreateBody {
    /** Plan id or name, e.g. "heroku-postgresql:essential-0". */
    plan: string;
    /** Globally unique add-on name; Heroku generates one when omitted. */
    name?: string;
    /** Name of the add-on's first attachment (its config var prefix). */
    attachment?: { name?: string };
    config?: Record<string, string>;
    confirm?: string;
}

export interface HerokuAddOnAttachment {
    id: string;
    /** Config var prefix: attachment `DATABASE` exposes `DATABASE_URL`. */
    name: string;
    namespace: string | null;
    addon: { id: string; name: string; app: NamedRef };
    app: NamedRef;
    web_url: string | null;
    created_at: string;
    updated_at: string;
}

export interface AttachmentCreateBody {
    /** Add-on id or name. */
    addon: string;
    /** App id or name to attach to. */
    app: string;
    name?: string;
    namespace?: string;
    /** App name, to confirm replacing an attachment of the same name. */
    confirm?: string;
}

export interface HerokuDomain {
    id: string;
    hostname: string;
    kind: "heroku" | "custom";
    /** DNS target to point a CNAME/ALIAS at; null for the app's own herokuapp.com domain. */
    cname: string | null;
    status: string;
    acm_status: string | null;
    acm_status_reason: string | null;
    app: { id: string; name: string };
    sni_endpoint: { id: string; name: string } | null;
    created_at: string;
    updated_at: string;
}

export interface HerokuFormation {
    id: string;
    type: string;
    quantity: number;
    /** The schema types dyno_size as an object reference, not the old `size` string. */
    dyno_size: { id: string; name: string };
    command: string;
    app: { id: string; name: string };
    created_at: string;
    updated_at: string;
}

export interface FormationUpdate {
    /** Process type ("web", "worker"). */
    type: string;
    quantity?: number;
    /** Dyno size by id or name, e.g. `{ name: "standard-1x" }`. */
    dyno_size?: { id: string } | { name: string };
}

export interface HerokuRelease {
    id: string;
    version: number;
    description: string;
    status: "failed" | "pending" | "succeeded" | "expired";
    current: boolean;
    app: { id: string; name: string };
    user: { id: string; email: string };
    created_at: string;
    updated_at: string;
}

// --- pipelines (types from the schema's pipeline, pipeline-coupling, pipeline-promotion, pipeline-promotion-target) ---

export interface HerokuPipeline {
    id: string;
    name: string;
    owner: { id: string; type: "team" | "user" } | null;
    created_at: string;
    updated_at: string;
}

export type PipelineStage = "test" | "review" | "development" | "staging" | "production";

export interface HerokuPipelineCoupling {
    id: string;
    app: { id: string };
    pipeline: { id: string };
    stage: PipelineStage;
    created_at: string;
    updated_at: string;
}

export interface PipelineCouplingCreateBody {
    /** App id or name. */
    app: string;
    /** Pipeline id (the schema accepts only the id here). */
    pipeline: string;
    stage: PipelineStage;
}

export interface HerokuPipelinePromotion {
    id: string;
    pipeline: { id: string };
    source: { app: { id: string }; release: { id: string } };
    status: "pending" | "completed";
    created_at: string;
    updated_at: string | null;
}

export interface PipelinePromotionCreateBody {
    pipeline: { id: string };
    /** `release` pins the release to promote; without it Heroku promotes the source's current release. */
    source: { app: { id: string }; release?: { id: string } };
    targets: Array<{ app: { id: string } }>;
}

export interface HerokuPromotionTarget {
    id: string;
    app: { id: string };
    pipeline_promotion: { id: string };
    /** The release created on the target app; null until it exists (or when the target failed). */
    release: { id: string } | null;
    status: "pending" | "succeeded" | "failed";
    error_message: string | null;
}

const seg = encodeURIComponent;

/** Typed endpoints over a `HerokuClient`. Every method maps to one link of the platform schema. */
export class HerokuApi {
    readonly client: HerokuClient;

    constructor(clientOrOptions: HerokuClient | HerokuClientOptions = {}) {
        this.client = clientOrOptions instanceof HerokuClient ? clientOrOptions : new HerokuClient(clientOrOptions);
    }

    // --- apps ---------------------------------------------------------------------------------

    /** POST /apps. Not retried on 5xx: on `outcomeUnknown`, call `findApp(name)` to reconcile. */
    createApp(body: AppCreateBody = {}): Promise<HerokuApp> {
        return this.client.post("/apps", body);
    }

    /** POST /teams/apps. Same reconciliation rule as `createApp`. */
    createTeamApp(body: TeamAppCreateBody): Promise<HerokuApp> {
        return this.client.post("/teams/apps", body);
    }

    getApp(app: string): Promise<HerokuApp> {
        return this.client.get(`/apps/${seg(app)}`);
    }

    /** The app, or undefined when Heroku answers 404. */
    findApp(app: string): Promise<HerokuApp | undefined> {
        return orUndefined(this.getApp(app));
    }

    updateApp(app: string, body: AppUpdateBody): Promise<HerokuApp> {
        return this.client.patch(`/apps/${seg(app)}`, body);
    }

    setMaintenance(app: string, maintenance: boolean): Promise<HerokuApp> {
        return this.updateApp(app, { maintenance });
    }

    deleteApp(app: string): Promise<HerokuApp> {
        return this.client.delete(`/apps/${seg(app)}`);
    }

    // --- buildpacks ---------------------------------------------------------------------------

    /** GET /apps/{app}/buildpack-installations, in the order they run. */
    async listBuildpacks(app: string): Promise<HerokuBuildpackInstallation[]> {
        const installs = await this.client.list<HerokuBuildpackInstallation>(`/apps/${seg(app)}/buildpack-installations`);
        return installs.sort((a, b) => a.ordinal - b.ordinal);
    }

    /** PUT /apps/{app}/buildpack-installations: replaces the whole list (empty clears it). */
    async setBuildpacks(app: string, buildpacks: readonly string[]): Promise<HerokuBuildpackInstallation[]> {
        const installs = await this.client.put<HerokuBuildpackInstallation[]>(`/apps/${seg(app)}/buildpack-installations`, {
            updates: buildpacks.map((buildpack) => ({ buildpack })),
        });
        return installs.sort((a, b) => a.ordinal - b.ordinal);
    }

    // --- ACM (the schema has POST/DELETE/PATCH /apps/{app}/acm, no body, answering the app) ----

    /** POST /apps/{app}/acm. Marked idempotent: enabling twice leaves ACM enabled. */
    enableAcm(app: string): Promise<HerokuApp> {
        return this.client.post(`/apps/${seg(app)}/acm`, undefined, { idempotent: true });
    }

    disableAcm(app: string): Promise<HerokuApp> {
        return this.client.delete(`/apps/${seg(app)}/acm`);
    }

    /** PATCH /apps/{app}/acm: asks Heroku to retry issuing certificates. */
    refreshAcm(app: string): Promise<HerokuApp> {
        return this.client.patch(`/apps/${seg(app)}/acm`);
    }

    // --- config vars --------------------------------------------------------------------------

    getConfigVars(app: string): Promise<ConfigVars> {
        return this.client.get(`/apps/${seg(app)}/config-vars`);
    }

    /** PATCH semantics: listed vars are set, `null` removes, unlisted vars stay. Returns all vars. */
    updateConfigVars(app: string, changes: ConfigVarsPatch): Promise<ConfigVars> {
        return this.client.patch(`/apps/${seg(app)}/config-vars`, changes);
    }

    // --- add-ons ------------------------------------------------------------------------------

    /** POST /apps/{app}/addons. Not retried on 5xx: reconcile via `findAddOn(app, name)`. */
    createAddOn(app: string, body: AddOnCreateBody): Promise<HerokuAddOn> {
        return this.client.post(`/apps/${seg(app)}/addons`, body);
    }

    getAddOn(app: string, addon: string): Promise<HerokuAddOn> {
        return this.client.get(`/apps/${seg(app)}/addons/${seg(addon)}`);
    }

    findAddOn(app: string, addon: string): Promise<HerokuAddOn | undefined> {
        return orUndefined(this.getAddOn(app, addon));
    }

    /** GET /addons/{id_or_name}, without knowing the app. */
    getAddOnById(addon: string): Promise<HerokuAddOn> {
        return this.client.get(`/addons/${seg(addon)}`);
    }

    findAddOnById(addon: string): Promise<HerokuAddOn | undefined> {
        return orUndefined(this.getAddOnById(addon));
    }

    updateAddOnPlan(app: string, addon: string, plan: string): Promise<HerokuAddOn> {
        return this.client.patch(`/apps/${seg(app)}/addons/${seg(addon)}`, { plan });
    }

    /** PATCH /apps/{app}/addons/{addon}: the schema requires `plan` even for a rename. */
    updateAddOn(app: string, addon: string, body: { plan: string; name?: string }): Promise<HerokuAddOn> {
        return this.client.patch(`/apps/${seg(app)}/addons/${seg(addon)}`, body);
    }

    deleteAddOn(app: string, addon: string): Promise<HerokuAddOn> {
        return this.client.delete(`/apps/${seg(app)}/addons/${seg(addon)}`);
    }

    listAddOns(app: string): Promise<HerokuAddOn[]> {
        return this.client.list(`/apps/${seg(app)}/addons`);
    }

    // --- add-on attachments -------------------------------------------------------------------

    /** POST /addon-attachments. Not retried on 5xx: reconcile via `findAppAttachment(app, name)`. */
    createAttachment(body: AttachmentCreateBody): Promise<HerokuAddOnAttachment> {
        return this.client.post("/addon-attachments", body);
    }

    /** GET /addon-attachments/{id}: the schema's identity here is the id only. */
    getAttachment(id: string): Promise<HerokuAddOnAttachment> {
        return this.client.get(`/addon-attachments/${seg(id)}`);
    }

    findAttachment(id: string): Promise<HerokuAddOnAttachment | undefined> {
        return orUndefined(this.getAttachment(id));
    }

    /** GET /apps/{app}/addon-attachments/{id_or_name}. */
    getAppAttachment(app: string, attachment: string): Promise<HerokuAddOnAttachment> {
        return this.client.get(`/apps/${seg(app)}/addon-attachments/${seg(attachment)}`);
    }

    findAppAttachment(app: string, attachment: string): Promise<HerokuAddOnAttachment | undefined> {
        return orUndefined(this.getAppAttachment(app, attachment));
    }

    deleteAttachment(id: string): Promise<HerokuAddOnAttachment> {
        return this.client.delete(`/addon-attachments/${seg(id)}`);
    }

    listAppAttachments(app: string): Promise<HerokuAddOnAttachment[]> {
        return this.client.list(`/apps/${seg(app)}/addon-attachments`);
    }

    // --- domains ------------------------------------------------------------------------------

    /**
     * POST /apps/{app}/domains. The schema requires `sni_endpoint` (nullable), so null is sent
     * unless given. Not retried on 5xx: reconcile via `findDomain(app, hostname)`.
     */
    createDomain(app: string, hostname: string, sniEndpoint: string | null = null): Promise<HerokuDomain> {
        return this.client.post(`/apps/${seg(app)}/domains`, { hostname, sni_endpoint: sniEndpoint });
    }

    /** By id or hostname. */
    getDomain(app: string, domain: string): Promise<HerokuDomain> {
        return this.client.get(`/apps/${seg(app)}/domains/${seg(domain)}`);
    }

    findDomain(app: string, domain: string): Promise<HerokuDomain | undefined> {
        return orUndefined(this.getDomain(app, domain));
    }

    deleteDomain(app: string, domain: string): Promise<HerokuDomain> {
        return this.client.delete(`/apps/${seg(app)}/domains/${seg(domain)}`);
    }

    listDomains(app: string): Promise<HerokuDomain[]> {
        return this.client.list(`/apps/${seg(app)}/domains`);
    }

    // --- formation ----------------------------------------------------------------------------

    listFormation(app: string): Promise<HerokuFormation[]> {
        return this.client.list(`/apps/${seg(app)}/formation`);
    }

    getFormation(app: string, type: string): Promise<HerokuFormation> {
        return this.client.get(`/apps/${seg(app)}/formation/${seg(type)}`);
    }

    /** PATCH /apps/{app}/formation with `{updates: [...]}`; answers the updated process types. */
    batchUpdateFormation(app: string, updates: FormationUpdate[]): Promise<HerokuFormation[]> {
        return this.client.patch(`/apps/${seg(app)}/formation`, { updates });
    }

    // --- releases -----------------------------------------------------------------------------

    listReleases(app: string): Promise<HerokuRelease[]> {
        return this.client.list(`/apps/${seg(app)}/releases`);
    }
    // --- pipelines ----------------------------------------------------------------------------

    /** POST /pipelines. Not retried on 5xx: reconcile via `findPipeline(name)`. */
    createPipeline(body: { name: string }): Promise<HerokuPipeline> {
        return this.client.post("/pipelines", body);
    }

    /** By id or name. */
    getPipeline(pipeline: string): Promise<HerokuPipeline> {
        return this.client.get(`/pipelines/${seg(pipeline)}`);
    }

    findPipeline(pipeline: string): Promise<HerokuPipeline | undefined> {
        return orUndefined(this.getPipeline(pipeline));
    }

    /** PATCH /pipelines/{id}: rename. */
    updatePipeline(id: string, body: { name?: string }): Promise<HerokuPipeline> {
        return this.client.patch(`/pipelines/${seg(id)}`, body);
    }

    deletePipeline(id: string): Promise<HerokuPipeline> {
        return this.client.delete(`/pipelines/${seg(id)}`);
    }

    // --- pipeline couplings -------------------------------------------------------------------

    /** POST /pipeline-couplings. Not retried on 5xx: reconcile via `findAppPipelineCoupling(app)`. */
    createPipelineCoupling(body: PipelineCouplingCreateBody): Promise<HerokuPipelineCoupling> {
        return this.client.post("/pipeline-couplings", body);
    }

    getPipelineCoupling(id: string): Promise<HerokuPipelineCoupling> {
        return this.client.get(`/pipeline-couplings/${seg(id)}`);
    }

    findPipelineCoupling(id: string): Promise<HerokuPipelineCoupling | undefined> {
        return orUndefined(this.getPipelineCoupling(id));
    }

    /** GET /apps/{app}/pipeline-couplings: the app's one coupling (404 when it is in no pipeline). */
    getAppPipelineCoupling(app: string): Promise<HerokuPipelineCoupling> {
        return this.client.get(`/apps/${seg(app)}/pipeline-couplings`);
    }

    findAppPipelineCoupling(app: string): Promise<HerokuPipelineCoupling | undefined> {
        return orUndefined(this.getAppPipelineCoupling(app));
    }

    listPipelineCouplings(pipelineId: string): Promise<HerokuPipelineCoupling[]> {
        return this.client.list(`/pipelines/${seg(pipelineId)}/pipeline-couplings`);
    }

    updatePipelineCoupling(id: string, body: { stage: PipelineStage }): Promise<HerokuPipelineCoupling> {
        return this.client.patch(`/pipeline-couplings/${seg(id)}`, body);
    }

    deletePipelineCoupling(id: string): Promise<HerokuPipelineCoupling> {
        return this.client.delete(`/pipeline-couplings/${seg(id)}`);
    }

    // --- pipeline promotions ------------------------------------------------------------------

    /** POST /pipeline-promotions. Not retried on 5xx (a second promotion would release twice). */
    createPipelinePromotion(body: PipelinePromotionCreateBody): Promise<HerokuPipelinePromotion> {
        return this.client.post("/pipeline-promotions", body);
    }

    getPipelinePromotion(id: string): Promise<HerokuPipelinePromotion> {
        return this.client.get(`/pipeline-promotions/${seg(id)}`);
    }

    listPromotionTargets(promotionId: string): Promise<HerokuPromotionTarget[]> {
        return this.client.list(`/pipeline-promotions/${seg(promotionId)}/promotion-targets`);
    }
}

/** The answer, or undefined when Heroku answers 404. */
export async function orUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
    try {
        return await promise;
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
    }
}

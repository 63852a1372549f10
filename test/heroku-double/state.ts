// In-memory model of the Heroku resources the double serves, with Heroku's observable behaviour:
// unique names, add-ons that provision asynchronously and then set config vars through their
// attachments, releases on config changes, domains with herokudns.com CNAME targets, formation.
import { randomUUID } from "node:crypto";
import { seededRandom } from "./faults";

/** An answer other than 2xx, with Heroku's error `id`. */
export class DoubleHttpError extends Error {
    constructor(
        readonly status: number,
        readonly id: string,
        message: string,
    ) {
        super(message);
    }
}

const notFound = (what: string) => new DoubleHttpError(404, "not_found", `Couldn't find that ${what}.`);
const invalid = (message: string) => new DoubleHttpError(422, "invalid_params", message);

export interface Ref {
    id: string;
    name: string;
}

export interface AppRecord {
    id: string;
    name: string;
    /** 12 hex digits Heroku appends to the name in web_url and the herokuapp.com domain. */
    hostSuffix: string;
    region: Ref;
    stack: Ref;
    buildStack: Ref;
    maintenance: boolean;
    acm: boolean;
    createdAt: string;
    updatedAt: string;
    releasedAt: string | null;
    /** Insertion-ordered like Heroku's answers. */
    configVars: Map<string, string>;
    formation: Map<string, FormationRecord>;
    releases: ReleaseRecord[];
    /** Buildpack names or URLs, in the order they run. */
    buildpacks: string[];
}

export interface FormationRecord {
    id: string;
    type: string;
    quantity: number;
    size: Ref;
    command: string;
    createdAt: string;
    updatedAt: string;
}

export interface ReleaseRecord {
    id: string;
    version: number;
    description: string;
    slugId: string | null;
    addonPlanNames: string[];
    createdAt: string;
}

export interface AddonService {
    id: string;
    name: string;
    defaultPlan: string;
    plans: Ref[];
    /** Prefix of the first attachment when none is asked for (DATABASE, REDIS…). */
    attachmentName: string;
    /** Prefix of the colour alias var on the owning app (HEROKU_POSTGRESQL), if the service has one. */
    colorPrefix: string | undefined;
    /** Builds the `<ATTACHMENT>_URL` value. */
    url: (hex: (n: number) => string) => string;
}

export interface AddonRecord {
    id: string;
    name: string;
    appId: string;
    service: AddonService;
    plan: Ref;
    state: "provisioning" | "provisioned" | "deprovisioned";
    /** GETs left before `provisioning` turns into `provisioned`. */
    pollsLeft: number;
    providerId: string;
    /** Value the add-on exposes as `<ATTACHMENT>_URL`. */
    url: string;
    /** Colour alias var on the owning app (`HEROKU_POSTGRESQL_ONYX_URL`), if any. */
    colorVar: string | undefined;
    createdAt: string;
    updatedAt: string;
}

export interface AttachmentRecord {
    id: string;
    name: string;
    addonId: string;
    appId: string;
    namespace: string | null;
    createdAt: string;
    updatedAt: string;
}

export interface DomainRecord {
    id: string;
    appId: string;
    hostname: string;
    kind: "heroku" | "custom";
    cname: string | null;
    status: string;
    pollsLeft: number;
    createdAt: string;
    updatedAt: string;
}

export interface StateOptions {
    /** GETs of an add-on before it turns from `provisioning` to `provisioned`. Default 2. */
    addonProvisionPolls?: number;
    /** GETs of a custom domain before its status turns from `pending` to `succeeded`. Default 1. */
    domainVerifyPolls?: number;
    /** Process types every new app gets (as if a slug with this Procfile were released). Default none. */
    processTypesOnCreate?: Record<string, string>;
    /** Seed for generated names, so runs are reproducible. */
    seed?: number;
    ownerEmail?: string;
    now?: () => Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;
const ATTACHMENT_NAME = /^[A-Z][A-Z0-9_]*$/;
const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;
const COLORS = ["AMBER", "AQUA", "BLUE", "BRONZE", "COBALT", "COPPER", "CRIMSON", "CYAN", "GOLD", "GRAY", "GREEN",
    "IVORY", "JADE", "LIME", "MAROON", "MAUVE", "NAVY", "OLIVE", "ONYX", "ORANGE", "PINK", "PUCE", "PURPLE", "RED",
    "ROSE", "SILVER", "TEAL", "VIOLET", "WHITE", "YELLOW"];
const ADJECTIVES = ["ancient", "brave", "calm", "curved", "damp", "eager", "fierce", "gentle", "hidden", "lively",
    "mighty", "polar", "quiet", "rugged", "shiny", "sleepy", "tranquil", "vast", "warm", "young"];
const NOUNS = ["anchor", "badlands", "beach", "castle", "cliffs", "coast", "dawn", "falls", "forest", "harbor",
    "island", "lake", "meadow", "mesa", "peak", "plains", "reef", "river", "savannah", "tundra"];

export class HerokuDoubleState {
    readonly apps = new Map<string, AppRecord>();
    readonly addons = new Map<string, AddonRecord>();
    readonly attachments = new Map<string, AttachmentRecord>();
    readonly domains = new Map<string, DomainRecord>();
    readonly owner = { id: randomUUID(), email: "owner@example.com" };
    readonly regions: Ref[] = [
        { id: randomUUID(), name: "us" },
        { id: randomUUID(), name: "eu" },
    ];
    readonly stacks: Ref[] = ["heroku-22", "heroku-24"].map((name) => ({ id: randomUUID(), name }));
    readonly dynoSizes: Ref[] = ["Eco", "Basic", "Standard-1X", "Standard-2X", "Performance-M", "Performance-L"].map(
        (name) => ({ id: randomUUID(), name }),
    );
    readonly services: AddonService[];
    addonProvisionPolls: number;
    domainVerifyPolls: number;
    processTypesOnCreate: Record<string, string>;

    private readonly random: () => number;
    private readonly now: () => Date;

    constructor(options: StateOptions = {}) {
        this.addonProvisionPolls = options.addonProvisionPolls ?? 2;
        this.domainVerifyPolls = options.domainVerifyPolls ?? 1;
        this.processTypesOnCreate = options.processTypesOnCreate ?? {};
        if (options.ownerEmail) this.owner.email = options.ownerEmail;
        this.random = seededRandom(options.seed ?? 42);
        this.now = options.now ?? (() => new Date());
        const service = (
            name: string,
            plans: string[],
            attachmentName: string,
            colorPrefix: string | undefined,
            url: AddonService["url"],
        ): AddonService => ({
            id: randomUUID(),
            name,
            defaultPlan: `${name}:${plans[0]}`,
            plans: plans.map((p) => ({ id: randomUUID(), name: `${name}:${p}` })),
            attachmentName,
            colorPrefix,
            url,
        });
        this.services = [
            service("heroku-postgresql", ["essential-0", "essential-1", "essential-2", "standard-0", "premium-0"],
                "DATABASE", "HEROKU_POSTGRESQL",
                (hex) => `postgres://u${hex(12)}:p${hex(32)}@c${hex(8)}.cluster.eu-west-1.rds.amazonaws.com:5432/d${hex(12)}`),
            service("heroku-redis", ["mini", "premium-0"], "REDIS", "HEROKU_REDIS",
                (hex) => `rediss://:p${hex(32)}@ec2-${hex(6)}.compute-1.amazonaws.com:6379`),
            service("papertrail", ["choklad", "fixa"], "PAPERTRAIL", undefined,
                (hex) => `https://papertrailapp.com/api/v1/${hex(16)}`),
        ];
    }

    // --- helpers ------------------------------------------------------------------------------

    timestamp(): string {
        // Heroku answers whole seconds: 2012-01-01T12:00:00Z.
        return this.now().toISOString().replace(/\.\d{3}Z$/, "Z");
    }

    hex(n: number): string {
        let out = "";
        for (let i = 0; i < n; i++) out += Math.floor(this.random() * 16).toString(16);
        return out;
    }

    private pick<T>(items: T[]): T {
        return items[Math.floor(this.random() * items.length)];
    }

    private byIdOrName<T extends { id: string; name: string }>(items: Iterable<T>, identity: string): T | undefined {
        const isId = UUID.test(identity);
        for (const item of items) {
            if (isId ? item.id === identity.toLowerCase() : item.name === identity) return item;
        }
        return undefined;
    }

    findApp(identity: string): AppRecord | undefined {
        return this.byIdOrName(this.apps.values(), identity);
    }

    app(identity: string): AppRecord {
        const app = this.findApp(identity);
        if (!app) throw notFound("app");
        return app;
    }

    private addRelease(app: AppRecord, description: string, slugId: string | null = null): ReleaseRecord {
        const at = this.timestamp();
        const release: ReleaseRecord = {
            id: randomUUID(),
            version: app.releases.length + 1,
            description,
            slugId,
            addonPlanNames: this.addonsOwnedBy(app).map((a) => a.plan.name),
            createdAt: at,
        };
        app.releases.push(release);
        app.releasedAt = at;
        app.updatedAt = at;
        return release;
    }

    private addonsOwnedBy(app: AppRecord): AddonRecord[] {
        return [...this.addons.values()].filter((a) => a.appId === app.id);
    }

    private attachmentsOf(app: AppRecord): AttachmentRecord[] {
        return [...this.attachments.values()].filter((a) => a.appId === app.id);
    }

    private findRef(items: Ref[], identity: string, what: string, caseInsensitive = false): Ref {
        const wanted = caseInsensitive ? identity.toLowerCase() : identity;
        const found = items.find((r) => r.id === identity || (caseInsensitive ? r.name.toLowerCase() : r.name) === wanted);
        if (!found) throw notFound(what);
        return found;
    }

    // --- apps ---------------------------------------------------------------------------------

    createApp(body: { name?: string; region?: string; stack?: string }): AppRecord {
        let name = body.name;
        if (name === undefined) {
            do {
                name = `${this.pick(ADJECTIVES)}-${this.pick(NOUNS)}-${10000 + Math.floor(this.random() * 89999)}`;
            } while (this.findApp(name));
        } else {
            if (!APP_NAME.test(name)) {
                throw invalid("Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.");
            }
            if (this.findApp(name)) throw invalid("Name is already taken");
        }
        const region = this.findRef(this.regions, body.region ?? "us", "region");
        const stack = this.findRef(this.stacks, body.stack ?? "heroku-24", "stack");
        const at = this.timestamp();
        const app: AppRecord = {
            id: randomUUID(),
            name,
            hostSuffix: this.hex(12),
            region,
            stack,
            buildStack: stack,
            maintenance: false,
            acm: false,
            createdAt: at,
            updatedAt: at,
            releasedAt: null,
            configVars: new Map(),
            formation: new Map(),
            releases: [],
            buildpacks: [],
        };
        this.apps.set(app.id, app);
        this.addRelease(app, "Initial release");
        const domain: DomainRecord = {
            id: randomUUID(),
            appId: app.id,
            hostname: `${app.name}-${app.hostSuffix}.herokuapp.com`,
            kind: "heroku",
            cname: null,
            status: "none",
            pollsLeft: 0,
            createdAt: at,
            updatedAt: at,
        };
        this.domains.set(domain.id, domain);
        if (Object.keys(this.processTypesOnCreate).length > 0) this.deploy(app.name, this.processTypesOnCreate);
        return app;
    }

    updateApp(identity: string, body: { name?: string; maintenance?: boolean; build_stack?: string }): AppRecord {
        const app = this.app(identity);
        if (body.name !== undefined && body.name !== app.name) {
            if (!APP_NAME.test(body.name)) throw invalid("Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.");
            if (this.findApp(body.name)) throw invalid("Name is already taken");
            app.name = body.name;
            app.hostSuffix = this.hex(12);
            for (const d of this.domains.values()) {
                if (d.appId === app.id && d.kind === "heroku") d.hostname = `${app.name}-${app.hostSuffix}.herokuapp.com`;
            }
        }
        if (body.maintenance !== undefined) app.maintenance = body.maintenance;
        if (body.build_stack !== undefined) app.buildStack = this.findRef(this.stacks, body.build_stack, "stack");
        app.updatedAt = this.timestamp();
        return app;
    }

    deleteApp(identity: string): AppRecord {
        const app = this.app(identity);
        for (const addon of this.addonsOwnedBy(app)) this.destroyAddon(addon);
        for (const att of this.attachmentsOf(app)) this.attachments.delete(att.id);
        for (const d of [...this.domains.values()]) if (d.appId === app.id) this.domains.delete(d.id);
        this.apps.delete(app.id);
        return app;
    }

    setAcm(identity: string, enabled: boolean): AppRecord {
        const app = this.app(identity);
        app.acm = enabled;
        app.updatedAt = this.timestamp();
        return app;
    }

    appJson(app: AppRecord): object {
        return {
            acm: app.acm,
            archived_at: null,
            buildpack_provided_description: app.releases.some((r) => r.slugId) ? "Node.js" : null,
            build_stack: { ...app.buildStack },
            created_at: app.createdAt,
            generation: { id: "1e3a2b5f-9c5d-4a0b-8a37-5c9e41a0b6d1", name: "cedar" },
            git_url: `https://git.heroku.com/${app.name}.git`,
            id: app.id,
            internal_routing: null,
            maintenance: app.maintenance,
            name: app.name,
            owner: { ...this.owner },
            organization: null,
            team: null,
            region: { ...app.region },
            released_at: app.releasedAt,
            repo_size: null,
            slug_size: null,
            space: null,
            stack: { ...app.stack },
            updated_at: app.updatedAt,
            web_url: `https://${app.name}-${app.hostSuffix}.herokuapp.com/`,
        };
    }

    // --- buildpacks ---------------------------------------------------------------------------

    /** PUT semantics: the list replaces the app's buildpacks (no release is cut, as on Heroku). */
    setBuildpacks(identity: string, updates: { buildpack: string }[]): AppRecord {
        const app = this.app(identity);
        app.buildpacks = updates.map((u) => u.buildpack);
        app.updatedAt = this.timestamp();
        return app;
    }

    buildpackInstallationsJson(app: AppRecord): object[] {
        // Registry names (`heroku/python`) come back as a URN plus the name; a URL is its own name.
        return app.buildpacks.map((b, ordinal) => ({
            ordinal,
            buildpack: { url: /^[a-z0-9-]+\/[a-z0-9-]+$/.test(b) ? `urn:buildpack:${b}` : b, name: b },
        }));
    }

    // --- config vars --------------------------------------------------------------------------

    configVarsJson(app: AppRecord): Record<string, string> {
        return Object.fromEntries(app.configVars);
    }

    /** PATCH semantics: strings set, null removes; a release is cut when anything changed. */
    patchConfigVars(identity: string, changes: Record<string, string | null>): AppRecord {
        const app = this.app(identity);
        const set: string[] = [];
        const removed: string[] = [];
        for (const [key, value] of Object.entries(changes)) {
            if (value === null) {
                if (app.configVars.delete(key)) removed.push(key);
            } else if (app.configVars.get(key) !== value) {
                app.configVars.set(key, value);
                set.push(key);
            }
        }
        const parts: string[] = [];
        if (set.length) parts.push(`Set ${set.join(", ")} config vars`);
        if (removed.length) parts.push(`Remove ${removed.join(", ")} config vars`);
        if (parts.length) this.addRelease(app, parts.join(" and "));
        return app;
    }

    // --- add-ons ------------------------------------------------------------------------------

    private resolvePlan(identity: string): { service: AddonService; plan: Ref } {
        for (const service of this.services) {
            const wanted = identity === service.name ? service.defaultPlan : identity;
            const plan = service.plans.find((p) => p.id === wanted || p.name === wanted);
            if (plan) return { service, plan };
        }
        throw notFound("add-on plan");
    }

    private freeAttachmentName(app: AppRecord, service: AddonService): string {
        const taken = new Set(this.attachmentsOf(app).map((a) => a.name));
        if (!taken.has(service.attachmentName)) return service.attachmentName;
        const prefix = service.colorPrefix ?? service.attachmentName;
        for (const color of COLORS) if (!taken.has(`${prefix}_${color}`)) return `${prefix}_${color}`;
        throw invalid("No attachment name left");
    }

    findAddon(identity: string): AddonRecord | undefined {
        return this.byIdOrName(this.addons.values(), identity);
    }

    /** An add-on the app owns or has attached, as `/apps/{app}/addons/{addon}` resolves it. */
    addonOfApp(appIdentity: string, identity: string): AddonRecord {
        const app = this.app(appIdentity);
        const addon = this.findAddon(identity);
        if (!addon) throw notFound("add-on");
        const attached = this.attachmentsOf(app).some((a) => a.addonId === addon.id);
        if (addon.appId !== app.id && !attached) throw notFound("add-on");
        return addon;
    }

    addon(identity: string): AddonRecord {
        const addon = this.findAddon(identity);
        if (!addon) throw notFound("add-on");
        return addon;
    }

    createAddon(
        appIdentity: string,
        body: { plan: string; name?: string; attachment?: { name?: string }; confirm?: string },
    ): AddonRecord {
        const app = this.app(appIdentity);
        const { service, plan } = this.resolvePlan(body.plan);
        let name = body.name;
        if (name !== undefined) {
            if (this.findAddon(name)) throw invalid("Name is already taken");
        } else {
            const base = service.name.replace(/^heroku-/, "");
            do {
                name = `${base}-${this.pick(ADJECTIVES)}-${10000 + Math.floor(this.random() * 89999)}`;
            } while (this.findAddon(name));
        }
        const attachmentName = body.attachment?.name ?? this.freeAttachmentName(app, service);
        this.checkAttachmentName(app, attachmentName, body.confirm);
        const at = this.timestamp();
        let colorVar: string | undefined;
        if (service.colorPrefix) {
            // Provisioning add-ons have not set their var yet, so their colours count as taken too.
            const used = new Set([...app.configVars.keys(), ...this.addonsOwnedBy(app).map((a) => a.colorVar)]);
            const color = COLORS.find((c) => !used.has(`${service.colorPrefix}_${c}_URL`)) ?? "BLACK";
            colorVar = `${service.colorPrefix}_${color}_URL`;
        }
        const addon: AddonRecord = {
            id: randomUUID(),
            name,
            appId: app.id,
            service,
            plan,
            state: this.addonProvisionPolls > 0 ? "provisioning" : "provisioned",
            pollsLeft: this.addonProvisionPolls,
            providerId: `resource${this.hex(10)}@heroku.com`,
            url: service.url((n) => this.hex(n)),
            colorVar,
            createdAt: at,
            updatedAt: at,
        };
        this.addons.set(addon.id, addon);
        this.attach(addon, app, attachmentName, null);
        if (addon.state === "provisioned") this.exposeConfigVars(addon);
        return addon;
    }

    /** Counts one GET of the add-on: the last poll finishes provisioning and sets config vars. */
    pollAddon(addon: AddonRecord): void {
        if (addon.state !== "provisioning") return;
        addon.pollsLeft--;
        if (addon.pollsLeft <= 0) {
            addon.state = "provisioned";
            addon.updatedAt = this.timestamp();
            this.exposeConfigVars(addon);
        }
    }

    /** Sets `<ATTACHMENT>_URL` (and the colour alias) on every app the add-on is attached to. */
    private exposeConfigVars(addon: AddonRecord): void {
        for (const att of this.attachments.values()) {
            if (att.addonId === addon.id) this.exposeAttachment(addon, att);
        }
    }

    private exposeAttachment(addon: AddonRecord, att: AttachmentRecord): void {
        const app = this.apps.get(att.appId);
        if (!app || addon.state !== "provisioned") return;
        const patch: Record<string, string> = { [`${att.name}_URL`]: addon.url };
        if (addon.colorVar && att.appId === addon.appId) patch[addon.colorVar] = addon.url;
        for (const [k, v] of Object.entries(patch)) app.configVars.set(k, v);
        this.addRelease(app, `Attach ${att.name} (@ref:${addon.name})`);
    }

    updateAddon(appIdentity: string, identity: string, body: { plan: string; name?: string }): AddonRecord {
        const addon = this.addonOfApp(appIdentity, identity);
        const { service, plan } = this.resolvePlan(body.plan);
        if (service.id !== addon.service.id) throw invalid(`Plan must belong to ${addon.service.name}`);
        if (body.name !== undefined && body.name !== addon.name) {
            if (this.findAddon(body.name)) throw invalid("Name is already taken");
            addon.name = body.name;
        }
        addon.plan = plan;
        addon.updatedAt = this.timestamp();
        return addon;
    }

    deleteAddon(appIdentity: string, identity: string): AddonRecord {
        const app = this.app(appIdentity);
        const addon = this.addon(identity);
        if (addon.appId !== app.id) throw notFound("add-on");
        this.destroyAddon(addon);
        return addon;
    }

    private destroyAddon(addon: AddonRecord): void {
        for (const att of [...this.attachments.values()]) {
            if (att.addonId === addon.id) this.detach(addon, att);
        }
        const owner = this.apps.get(addon.appId);
        if (owner && addon.colorVar && owner.configVars.delete(addon.colorVar)) {
            this.addRelease(owner, `Remove ${addon.colorVar} config vars`);
        }
        addon.state = "deprovisioned";
        addon.updatedAt = this.timestamp();
        this.addons.delete(addon.id);
    }

    addonConfigVarNames(addon: AddonRecord): string[] {
        const names = [...this.attachments.values()]
            .filter((a) => a.addonId === addon.id && a.appId === addon.appId)
            .map((a) => `${a.name}_URL`);
        if (addon.colorVar) names.unshift(addon.colorVar);
        return names;
    }

    addonJson(addon: AddonRecord): object {
        const app = this.apps.get(addon.appId);
        const appRef = { id: addon.appId, name: app?.name ?? "deleted-app" };
        return {
            actions: [],
            addon_service: { id: addon.service.id, name: addon.service.name },
            billing_entity: { id: appRef.id, name: appRef.name, type: "app" },
            app: appRef,
            billed_price: { cents: 0, contract: false, unit: "month" },
            config_vars: this.addonConfigVarNames(addon),
            created_at: addon.createdAt,
            id: addon.id,
            name: addon.name,
            plan: { ...addon.plan },
            provider_id: addon.providerId,
            state: addon.state,
            updated_at: addon.updatedAt,
            web_url: `https://addons-sso.heroku.com/apps/${addon.appId}/addons/${addon.id}`,
        };
    }

    // --- attachments --------------------------------------------------------------------------

    private checkAttachmentName(app: AppRecord, name: string, confirm: string | undefined): void {
        if (!ATTACHMENT_NAME.test(name)) {
            throw invalid("Attachment name must start with a letter and contain only uppercase letters, numbers, and underscores.");
        }
        const existing = this.attachmentsOf(app).find((a) => a.name === name);
        if (!existing) return;
        if (confirm !== app.name) {
            throw new DoubleHttpError(422, "confirmation_required",
                `This action will replace the attachment ${name} on ${app.name}. To proceed, confirm with the app name.`);
        }
        const old = this.addons.get(existing.addonId);
        if (old) this.detach(old, existing);
    }

    private attach(addon: AddonRecord, app: AppRecord, name: string, namespace: string | null): AttachmentRecord {
        const at = this.timestamp();
        const att: AttachmentRecord = { id: randomUUID(), name, addonId: addon.id, appId: app.id, namespace, createdAt: at, updatedAt: at };
        this.attachments.set(att.id, att);
        return att;
    }

    private detach(addon: AddonRecord, att: AttachmentRecord): void {
        this.attachments.delete(att.id);
        const app = this.apps.get(att.appId);
        if (app && app.configVars.delete(`${att.name}_URL`)) {
            this.addRelease(app, `Detach ${att.name} (@ref:${addon.name})`);
        }
    }

    createAttachment(body: { addon: string; app: string; name?: string; namespace?: string; confirm?: string }): AttachmentRecord {
        const addon = this.addon(body.addon);
        const app = this.app(body.app);
        const name = body.name ?? this.freeAttachmentName(app, addon.service);
        this.checkAttachmentName(app, name, body.confirm);
        const att = this.attach(addon, app, name, body.namespace ?? null);
        this.exposeAttachment(addon, att);
        return att;
    }

    attachment(id: string): AttachmentRecord {
        const att = UUID.test(id) ? this.attachments.get(id.toLowerCase()) : undefined;
        if (!att) throw notFound("add-on attachment");
        return att;
    }

    attachmentOfApp(appIdentity: string, identity: string): AttachmentRecord {
        const app = this.app(appIdentity);
        const att = this.byIdOrName(this.attachmentsOf(app), identity);
        if (!att) throw notFound("add-on attachment");
        return att;
    }

    deleteAttachment(id: string): AttachmentRecord {
        const att = this.attachment(id);
        const addon = this.addons.get(att.addonId);
        if (addon) this.detach(addon, att);
        else this.attachments.delete(att.id);
        return att;
    }

    attachmentsOfApp(appIdentity: string): AttachmentRecord[] {
        return this.attachmentsOf(this.app(appIdentity));
    }

    attachmentJson(att: AttachmentRecord): object {
        const addon = this.addons.get(att.addonId);
        const app = this.apps.get(att.appId);
        const owner = addon ? this.apps.get(addon.appId) : undefined;
        return {
            addon: {
                id: att.addonId,
                name: addon?.name ?? "deleted-addon",
                app: { id: addon?.appId ?? att.appId, name: owner?.name ?? "deleted-app" },
            },
            app: { id: att.appId, name: app?.name ?? "deleted-app" },
            created_at: att.createdAt,
            id: att.id,
            name: att.name,
            namespace: att.namespace,
            updated_at: att.updatedAt,
            web_url: `https://addons-sso.heroku.com/apps/${att.appId}/addons/${att.addonId}`,
            log_input_url: null,
        };
    }

    // --- domains ------------------------------------------------------------------------------

    createDomain(appIdentity: string, body: { hostname: string; sni_endpoint: string | null }): DomainRecord {
        const app = this.app(appIdentity);
        const hostname = body.hostname.toLowerCase();
        if (!HOSTNAME.test(hostname)) throw invalid(`${body.hostname} is not a valid hostname.`);
        if (hostname.endsWith(".herokuapp.com")) throw invalid("herokuapp.com domains cannot be added.");
        const taken = [...this.domains.values()].find((d) => d.hostname === hostname);
        if (taken) {
            throw invalid(taken.appId === app.id
                ? "Hostname is already taken"
                : `${hostname} is currently in use by another app.`);
        }
        if (body.sni_endpoint !== null) throw notFound("SNI endpoint");
        const at = this.timestamp();
        const domain: DomainRecord = {
            id: randomUUID(),
            appId: app.id,
            hostname,
            kind: "custom",
            cname: `${this.pick(ADJECTIVES)}-${this.pick(NOUNS)}-${this.hex(18)}.herokudns.com`,
            status: this.domainVerifyPolls > 0 ? "pending" : "succeeded",
            pollsLeft: this.domainVerifyPolls,
            createdAt: at,
            updatedAt: at,
        };
        this.domains.set(domain.id, domain);
        return domain;
    }

    domain(appIdentity: string, identity: string): DomainRecord {
        const app = this.app(appIdentity);
        const isId = UUID.test(identity);
        const found = [...this.domains.values()].find(
            (d) => d.appId === app.id && (isId ? d.id === identity.toLowerCase() : d.hostname === identity.toLowerCase()),
        );
        if (!found) throw notFound("domain");
        return found;
    }

    /** Counts one GET of the domain: DNS "verifies" after `domainVerifyPolls` reads. */
    pollDomain(domain: DomainRecord): void {
        if (domain.kind !== "custom" || domain.status !== "pending") return;
        domain.pollsLeft--;
        if (domain.pollsLeft <= 0) {
            domain.status = "succeeded";
            domain.updatedAt = this.timestamp();
        }
    }

    deleteDomain(appIdentity: string, identity: string): DomainRecord {
        const domain = this.domain(appIdentity, identity);
        if (domain.kind === "heroku") throw invalid("The default herokuapp.com domain cannot be removed.");
        this.domains.delete(domain.id);
        return domain;
    }

    domainsOfApp(appIdentity: string): DomainRecord[] {
        const app = this.app(appIdentity);
        return [...this.domains.values()].filter((d) => d.appId === app.id);
    }

    domainJson(domain: DomainRecord): object {
        const app = this.apps.get(domain.appId);
        const acm = domain.kind === "custom" && app?.acm === true;
        return {
            acm_status: acm ? (domain.status === "succeeded" ? "cert issued" : "pending") : null,
            acm_status_reason: null,
            app: { name: app?.name ?? "deleted-app", id: domain.appId },
            cname: domain.cname,
            created_at: domain.createdAt,
            hostname: domain.hostname,
            id: domain.id,
            kind: domain.kind,
            updated_at: domain.updatedAt,
            status: domain.status,
            sni_endpoint: null,
        };
    }

    // --- formation ----------------------------------------------------------------------------

    /**
     * Test helper standing in for a build: a slug with these Procfile entries is released, so
     * the app gets one formation entry per process type (web at 1 dyno, others at 0).
     */
    deploy(appIdentity: string, processTypes: Record<string, string>): ReleaseRecord {
        const app = this.app(appIdentity);
        const at = this.timestamp();
        for (const [type, command] of Object.entries(processTypes)) {
            const existing = app.formation.get(type);
            if (existing) {
                existing.command = command;
                existing.updatedAt = at;
                continue;
            }
            app.formation.set(type, {
                id: randomUUID(),
                type,
                quantity: type === "web" ? 1 : 0,
                size: this.findRef(this.dynoSizes, "Basic", "dyno size"),
                command,
                createdAt: at,
                updatedAt: at,
            });
        }
        return this.addRelease(app, `Deploy ${this.hex(8)}`, randomUUID());
    }

    formationEntry(appIdentity: string, identity: string): FormationRecord {
        const app = this.app(appIdentity);
        const entry = app.formation.get(identity) ?? [...app.formation.values()].find((f) => f.id === identity);
        if (!entry) throw new DoubleHttpError(404, "not_found", `Couldn't find that process type (${identity}).`);
        return entry;
    }

    /** Validates every update first, so a bad one changes nothing (as Heroku does). */
    updateFormation(
        appIdentity: string,
        updates: { type: string; quantity?: number; dyno_size?: { id?: string; name?: string } }[],
    ): FormationRecord[] {
        const planned = updates.map((u) => {
            const entry = this.formationEntry(appIdentity, u.type);
            let size = entry.size;
            if (u.dyno_size) {
                const wanted = u.dyno_size.id ?? u.dyno_size.name;
                if (wanted === undefined) throw invalid("dyno_size needs an id or a name");
                try {
                    size = this.findRef(this.dynoSizes, wanted, "dyno size", true);
                } catch {
                    throw invalid(`No such size as ${wanted}. Use ${this.dynoSizes.map((s) => s.name.toLowerCase()).join(", ")}.`);
                }
            }
            const quantity = u.quantity ?? entry.quantity;
            if (quantity < 0) throw invalid("Quantity must be zero or more.");
            if ((size.name === "Eco" || size.name === "Basic") && quantity > 1) {
                throw invalid(`Cannot update to more than 1 ${size.name} size dynos per process type.`);
            }
            return { entry, size, quantity };
        });
        const at = this.timestamp();
        return planned.map(({ entry, size, quantity }) => {
            entry.size = size;
            entry.quantity = quantity;
            entry.updatedAt = at;
            return entry;
        });
    }

    formationJson(app: AppRecord, f: FormationRecord): object {
        return {
            app: { name: app.name, id: app.id },
            command: f.command,
            created_at: f.createdAt,
            dyno_size: { ...f.size },
            id: f.id,
            quantity: f.quantity,
            size: f.size.name,
            type: f.type,
            updated_at: f.updatedAt,
        };
    }

    // --- releases -----------------------------------------------------------------------------

    release(appIdentity: string, identity: string): ReleaseRecord {
        const app = this.app(appIdentity);
        const found = app.releases.find((r) => r.id === identity.toLowerCase() || String(r.version) === identity);
        if (!found) throw notFound("release");
        return found;
    }

    releaseJson(app: AppRecord, r: ReleaseRecord): object {
        return {
            addon_plan_names: r.addonPlanNames,
            artifacts: r.slugId ? [{ type: "slug", id: r.slugId }] : [],
            app: { name: app.name, id: app.id },
            created_at: r.createdAt,
            description: r.description,
            id: r.id,
            updated_at: r.createdAt,
            slug: r.slugId ? { id: r.slugId } : null,
            status: "succeeded",
            user: { ...this.owner },
            version: r.version,
            current: r === app.releases[app.releases.length - 1],
            output_stream_url: null,
            eligible_for_rollback: r !== app.releases[app.releases.length - 1],
        };
    }
}

// herokuenv's guardrails as CrossGuard policies. This module only defines them (no PolicyPack, no gRPC server), so
// each policy is a plain object whose validate function the tests call directly; `index.ts` assembles the pack.
//
// Facts the policies rely on (see docs/workflows.md, "The policy pack"):
// - Dynamic resources have no class with a `__pulumiType`, so `validateResourceOfType` cannot match them: every
//   policy matches on `args.type` (`pulumi-nodejs:dynamic/herokuenv:<area>.<Name>`, or the type before the one naming
//   scheme, which old stacks' aliases still carry).
// - The stack's name is the third field of every URN (`urn:pulumi:<stack>::<project>::<type>::<name>`); stacks are
//   `production`, `staging` and `mini-<engineer>` sandboxes.
// - The engine hands policies secret values already unwrapped, so "is secret" cannot be read from a value: ConfigVars
//   marks its whole `secretVars` map secret (input and output), so a config var is secret exactly when it sits there.
// - During a preview, values not yet known throw `UnknownValueError` when read. Resource policies let it through
//   (the engine reports "can't run during preview" and runs them again, with known values, before the update);
//   stack policies catch it per value, so one unknown never hides every other check.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import {
    UnknownValueError,
    type PolicyResource,
    type ReportViolation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationArgs,
    type StackValidationPolicy,
} from "@pulumi/policy";

const DYNAMIC = "pulumi-nodejs:dynamic/herokuenv:";

/** The resource types the policies look at. */
export const TYPES = {
    app: `${DYNAMIC}heroku.App`,
    configVars: `${DYNAMIC}heroku.ConfigVars`,
    addon: `${DYNAMIC}heroku.Addon`,
    addonAttachment: `${DYNAMIC}heroku.AddonAttachment`,
    formation: `${DYNAMIC}heroku.Formation`,
    stackKind: `${DYNAMIC}config.StackKind`,
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketAcl: "aws:s3/bucketAcl:BucketAcl",
    bucketAclV2: "aws:s3/bucketAclV2:BucketAclV2",
} as const;

/** Types from before the one naming scheme (`pulumi-nodejs:dynamic/heroku:App`…), still valid for old stacks. */
const LEGACY_HEROKU = "pulumi-nodejs:dynamic/heroku:";

function isType(type: string, current: string): boolean {
    if (type === current) return true;
    const heroku = `${DYNAMIC}heroku.`;
    return current.startsWith(heroku) && type === `${LEGACY_HEROKU}${current.slice(heroku.length)}`;
}

/** Every data step, present and future (`data.MySqlToPostgres`, `data.FileSync`, `data.DatabaseCopy`…). */
/** The component whose data steps are production's declared migration (components/migration/heroku-migration.ts). */
export const MIGRATION_COMPONENT = "herokuenv:migration:HerokuMigration";

export function isDataStep(type: string): boolean {
    return type.startsWith(`${DYNAMIC}data.`) || type.startsWith("pulumi-nodejs:dynamic/data:");
}

function isBucket(type: string): boolean {
    return type === TYPES.bucket || type === TYPES.bucketV2;
}

/** The Pulumi stack tag the sandbox command sets to the engineer who owns the sandbox. */
export const OWNER_TAG = "herokuenv:owner";

export type StackKindName = "production" | "staging" | "sandbox";

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → `<stack>`. */
export function stackOf(urn: string): string {
    const m = /^urn:pulumi:(.+?)::/.exec(urn);
    if (!m) throw new Error(`not a Pulumi URN: ${urn}`);
    return m[1];
}

/** The kind a stack is by its name (the names `herokuenv` gives stacks). */
export function kindOfStackName(stack: string): StackKindName | undefined {
    if (stack === "production") return "production";
    if (stack === "staging") return "staging";
    if (/^mini-[a-z0-9-]+$/.test(stack)) return "sandbox";
    return undefined;
}

/** `mini-<engineer>` → `<engineer>`. */
export function engineerOfStack(stack: string): string | undefined {
    return /^mini-([a-z0-9-]+)$/.exec(stack)?.[1];
}

/** Reads a value that may be unknown during a preview: the value, or `undefined` when it is not known yet. */
function known<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (e) {
        if (e instanceof UnknownValueError) return undefined;
        throw e;
    }
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The stack a stack policy runs on, and its kind: the StackKind resource's `kind` when known, else by name. */
function stackOfResources(resources: PolicyResource[]): { stack: string; kind: StackKindName | undefined } | undefined {
    if (resources.length === 0) return undefined;
    const stack = stackOf(resources[0].urn);
    const kindResource = resources.find((r) => r.type === TYPES.stackKind || r.type === "pulumi-nodejs:dynamic/herokuenv:StackKind");
    const declared = kindResource ? known(() => kindResource.props.kind as unknown) : undefined;
    const kind = declared === "production" || declared === "staging" || declared === "sandbox" ? declared : kindOfStackName(stack);
    return { stack, kind };
}

// ---------------------------------------------------------------------------------------------------------------
// Production's identifiers: what "references production" means for the other stacks.

export interface ProductionIdentifiers {
    /** Heroku app names (and ids, when configured). */
    apps: string[];
    /** S3 bucket names. */
    buckets: string[];
    /** Database add-on names, ids or hosts (Heroku Postgres), when configured. */
    databases: string[];
}

/** Production's app and bucket names from its stack file's `config:` map (the names `Environment` derives). */
export function productionIdentifiersFromConfig(config: Record<string, unknown>): ProductionIdentifiers {
    const app = isRecord(config["herokuenv:app"]) ? config["herokuenv:app"] : {};
    const storage = isRecord(config["herokuenv:storage"]) ? config["herokuenv:storage"] : {};
    const appName = typeof app.name === "string" ? app.name : undefined;
    const prefix = typeof storage.bucketPrefix === "string" ? storage.bucketPrefix : appName;
    return {
        apps: appName ? [appName] : [],
        buckets: prefix ? [`${prefix}-files`, `${prefix}-static`] : [],
        databases: [],
    };
}

/** The production stack file beside this pack (`../Pulumi.production.yaml`). */
export const PRODUCTION_STACK_FILE = path.resolve(__dirname, "..", "Pulumi.production.yaml");

let defaults: ProductionIdentifiers | undefined;

/** Production's identifiers from `Pulumi.production.yaml`; none when the file is missing or unreadable. */
export function defaultProductionIdentifiers(): ProductionIdentifiers {
    if (defaults === undefined) {
        try {
            const doc = parseYaml(fs.readFileSync(PRODUCTION_STACK_FILE, "utf8")) as { config?: Record<string, unknown> } | null;
            defaults = productionIdentifiersFromConfig(doc?.config ?? {});
        } catch {
            defaults = { apps: [], buckets: [], databases: [] };
        }
    }
    return defaults;
}

/** Policy config (`--policy-pack-config`) adds identifiers to the stack file's. */
export interface ProductionIdentifiersConfig {
    productionApps?: string[];
    productionBuckets?: string[];
    productionDatabases?: string[];
}

const IDENTIFIER_SCHEMA = {
    productionApps: { type: "array", items: { type: "string" }, description: "production's Heroku app names or ids, besides the one in Pulumi.production.yaml" },
    productionBuckets: { type: "array", items: { type: "string" }, description: "production's S3 bucket names, besides the two derived from Pulumi.production.yaml" },
    productionDatabases: { type: "array", items: { type: "string" }, description: "production's database add-on names, ids or hosts" },
} as const;

function productionIdentifiers(config: ProductionIdentifiersConfig): ProductionIdentifiers {
    const d = defaultProductionIdentifiers();
    const union = (a: string[], b: string[] | undefined) => [...new Set([...a, ...(b ?? [])])].filter((s) => s !== "");
    return {
        apps: union(d.apps, config.productionApps),
        buckets: union(d.buckets, config.productionBuckets),
        databases: union(d.databases, config.productionDatabases),
    };
}

function escapeRegExp(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Which production identifier a string mentions, if any (whole names only: `sendhub-production-alice` is not it). */
export function mentionedProductionIdentifier(text: string, ids: ProductionIdentifiers): string | undefined {
    const lower = text.toLowerCase();
    const whole = (name: string) => new RegExp(`(^|[^a-z0-9.-])${escapeRegExp(name.toLowerCase())}($|[^a-z0-9-])`).test(lower);
    for (const bucket of ids.buckets) if (whole(bucket)) return `production's bucket ${bucket}`;
    for (const app of ids.apps) if (whole(app)) return `production's app ${app}`;
    for (const db of ids.databases) if (lower.includes(db.toLowerCase())) return `production's database ${db}`;
    return undefined;
}

export interface ProductionReference {
    /** Where in the properties, e.g. `vars.AWS_STORAGE_BUCKET_NAME`. */
    at: string;
    /** What it names, e.g. `production's bucket sendhub-production-files`. */
    what: string;
}

/**
 * Every place in a resource's properties that mentions a production identifier. Keys starting with `__` (the
 * serialized `__provider`) are skipped, and so are values not known yet.
 */
export function productionReferences(props: Record<string, unknown>, ids: ProductionIdentifiers, skipTopLevel: (key: string) => boolean = () => false): ProductionReference[] {
    const found: ProductionReference[] = [];
    const walk = (value: unknown, at: string, depth: number): void => {
        if (depth > 20) return;
        if (typeof value === "string") {
            const what = mentionedProductionIdentifier(value, ids);
            if (what) found.push({ at, what });
            return;
        }
        if (typeof value !== "object" || value === null) return;
        const keys = known(() => Object.keys(value)) ?? [];
        for (const key of keys) {
            if (depth === 0 && (key.startsWith("__") || skipTopLevel(key))) continue;
            const child = known(() => (value as Record<string, unknown>)[key]);
            walk(child, at === "" ? key : `${at}.${key}`, depth + 1);
        }
    };
    walk(props, "", 0);
    return found;
}

// ---------------------------------------------------------------------------------------------------------------
// The policies.

/** Production's app, database and buckets are protected (`protect: true`), so no update can delete them. */
export const productionResourcesProtected: ResourceValidationPolicy = {
    name: "production-resources-protected",
    description: "Production's Heroku app, Heroku Postgres database and S3 buckets are protected from deletion.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (kindOfStackName(stackOf(args.urn)) !== "production") return;
        let what: string | undefined;
        if (isType(args.type, TYPES.app)) what = "Heroku app";
        else if (isBucket(args.type)) what = "S3 bucket";
        else if (isType(args.type, TYPES.addon) && String(args.props.plan).startsWith("heroku-postgresql:")) what = "Heroku Postgres database";
        if (what !== undefined && args.opts.protect !== true) {
            reportViolation(`production's ${what} ${args.name} must be created with \`protect: true\` (see components/environment.ts)`);
        }
    },
};

const PUBLIC_ACLS = new Set(["public-read", "public-read-write", "authenticated-read"]);
const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** The grants of an ACL that open a bucket to everyone (AllUsers, AuthenticatedUsers). */
function publicGrants(grants: unknown): boolean {
    return JSON.stringify(grants ?? "").includes("acs.amazonaws.com/groups/global/");
}

/** No bucket allows public access: no public ACL, and each bucket has a public-access block with every flag on. */
export const noPublicBuckets: StackValidationPolicy = {
    name: "no-public-buckets",
    description: "No S3 bucket allows public access: no public ACL, and every bucket has a BucketPublicAccessBlock with all four flags true.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const blocks = args.resources.filter((r) => r.type === TYPES.publicAccessBlock);
        for (const block of blocks) {
            const off = BLOCK_FLAGS.filter((f) => known(() => block.props[f] as unknown) !== true);
            if (off.length > 0) reportViolation(`public-access block ${block.name} must set ${off.join(", ")} to true`, block.urn);
        }
        for (const r of args.resources) {
            if (r.type === TYPES.bucketAcl || r.type === TYPES.bucketAclV2) {
                const acl = known(() => r.props.acl as unknown);
                const grants = known(() => r.props.accessControlPolicy as unknown);
                if ((typeof acl === "string" && PUBLIC_ACLS.has(acl)) || publicGrants(grants)) {
                    reportViolation(`bucket ACL ${r.name} makes a bucket public`, r.urn);
                }
            }
            if (!isBucket(r.type)) continue;
            const acl = known(() => r.props.acl as unknown);
            if (typeof acl === "string" && PUBLIC_ACLS.has(acl)) reportViolation(`bucket ${r.name} has the public ACL ${acl}`, r.urn);
            if (publicGrants(known(() => r.props.grants as unknown))) reportViolation(`bucket ${r.name} grants access to all users`, r.urn);
            const names = [known(() => r.props.id as unknown), known(() => r.props.bucket as unknown)].filter((v) => typeof v === "string" && v !== "");
            const own = blocks.filter((b) =>
                (b.propertyDependencies?.bucket ?? []).some((d) => d.urn === r.urn) ||
                b.dependencies.some((d) => d.urn === r.urn) ||
                names.includes(known(() => b.props.bucket as unknown) as string));
            if (own.length === 0) reportViolation(`bucket ${r.name} has no BucketPublicAccessBlock; create one with all four flags true (see components/aws/storage.ts)`, r.urn);
        }
    },
};

/** `*_KEY`, `*_SECRET`, `*_PASSWORD`, `*_TOKEN` (and those words alone, e.g. `SECRET_KEY`, `PASSWORD`). */
export const SECRET_NAME = /(^|_)(KEY|SECRET|PASSWORD|TOKEN)$/i;
/** A URL with credentials: `scheme://user[:password]@host…`. */
export const CREDENTIAL_URL = /[a-z][a-z0-9+.-]*:\/\/[^\s/@]+@/i;

/** Config vars whose names or values look secret are in ConfigVars' `secretVars` (kept secret), not `vars`. */
export const secretConfigVars: ResourceValidationPolicy = {
    name: "secret-config-vars",
    description: "Config vars whose names (*_KEY, *_SECRET, *_PASSWORD, *_TOKEN) or values (URLs with credentials) look secret are set as secrets.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (!isType(args.type, TYPES.configVars)) return;
        const vars = args.props.vars as unknown;
        if (!isRecord(vars)) return;
        for (const key of Object.keys(vars)) {
            if (SECRET_NAME.test(key)) {
                reportViolation(`config var ${key} looks secret by its name: set it in secretConfigVars (pulumi config set --secret --path 'herokuenv:secretConfigVars.${key}' <value>)`);
                continue;
            }
            const value = known(() => vars[key]);
            // Never echo the value.
            if (typeof value === "string" && CREDENTIAL_URL.test(value)) {
                reportViolation(`config var ${key} holds a URL with credentials: set it in secretConfigVars (pulumi config set --secret --path 'herokuenv:secretConfigVars.${key}' <value>)`);
            }
        }
    },
};

/** Dyno sizes production must not run (`eco`, `basic`, and the retired free/hobby tiers). */
export const NON_PRODUCTION_DYNO_SIZES = ["eco", "basic", "free", "hobby"];
/** Heroku Postgres plans production must not use (`essential-*`, and the retired mini/basic/hobby plans). */
export const NON_PRODUCTION_DATABASE_PLAN = /^heroku-postgresql:(essential-\d+|mini|basic|hobby-dev|hobby-basic)$/i;

/** Production runs no eco/basic dynos and no essential database plan. */
export const productionPlans: ResourceValidationPolicy = {
    name: "production-plans",
    description: "Production runs no eco or basic dynos and no essential Heroku Postgres plan.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (kindOfStackName(stackOf(args.urn)) !== "production") return;
        if (isType(args.type, TYPES.formation)) {
            const processes = args.props.processes as unknown;
            if (!isRecord(processes)) return;
            for (const type of Object.keys(processes)) {
                const p = processes[type];
                const size = isRecord(p) ? p.size : undefined;
                if (typeof size === "string" && NON_PRODUCTION_DYNO_SIZES.includes(size.toLowerCase())) {
                    reportViolation(`production's ${type} dynos are ${size}; production runs standard or performance dynos`);
                }
            }
        }
        if (isType(args.type, TYPES.addon)) {
            const plan = args.props.plan as unknown;
            if (typeof plan === "string" && NON_PRODUCTION_DATABASE_PLAN.test(plan)) {
                reportViolation(`production's database ${args.name} is on ${plan}; production uses a standard, premium or larger plan`);
            }
        }
    },
};

/** A staging or sandbox stack references none of production's apps, buckets or databases. */
export const noProductionReferences: StackValidationPolicy = {
    name: "no-production-references",
    description: "A staging or sandbox stack references none of production's Heroku apps, S3 buckets or databases.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...IDENTIFIER_SCHEMA } },
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const stack = stackOfResources(args.resources);
        if (stack === undefined || stack.kind === "production" || stack.stack === "production") return;
        const ids = productionIdentifiers(args.getConfig<ProductionIdentifiersConfig>());
        for (const r of args.resources) {
            // Staging is seeded from production by design: a data step may read production (its `source…` inputs),
            // never anything else. A sandbox is seeded from staging and reads nothing of production's.
            const skip = stack.kind === "staging" && isDataStep(r.type) ? (key: string) => /^source/i.test(key) : undefined;
            for (const ref of productionReferences(r.props, ids, skip)) {
                reportViolation(`${stack.stack}'s ${r.name} references ${ref.what} (at ${ref.at}); only production may use it`, r.urn);
            }
        }
    },
};

export interface DataStepConfig extends ProductionIdentifiersConfig {
    /** Logical names of data steps allowed in the production stack (a reviewed one-time migration). */
    allowInProduction?: string[];
}

/** Inputs of a data step that name where it writes. */
const TARGET_KEY = /^(target|destination|dest|to)/i;

/** No data step (data.*) writes into production: none in the production stack, none aimed at production's resources. */
export const noDataStepTargetsProduction: ResourceValidationPolicy = {
    name: "no-data-step-targets-production",
    description: "No data step (pulumi-nodejs:dynamic/herokuenv:data.*) targets production: none runs in the production stack and none writes to production's apps, buckets or databases.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            ...IDENTIFIER_SCHEMA,
            allowInProduction: { type: "array", items: { type: "string" }, description: "logical names of data steps allowed in the production stack for one reviewed run (the one-time migration)" },
        },
    },
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (!isDataStep(args.type)) return;
        const config = args.getConfig<DataStepConfig>();
        const stack = stackOf(args.urn);
        if (kindOfStackName(stack) === "production") {
            // The migration night's steps write into production: that is their declared job (herokuenv:migration).
            if (args.urn.includes(`${MIGRATION_COMPONENT}$`)) return;
            if (!(config.allowInProduction ?? []).includes(args.name)) {
                reportViolation(`data step ${args.name} runs in the production stack; data steps copy into staging and sandboxes only (production's migration is declared with herokuenv:migration; another reviewed one-time step can be allowed with the policy config allowInProduction)`);
            }
            return;
        }
        const ids = productionIdentifiers(config);
        const targets = productionReferences(args.props, ids, (key) => !TARGET_KEY.test(key));
        for (const ref of targets) reportViolation(`data step ${args.name} writes to ${ref.what} (at ${ref.at}); data steps never target production`);
    },
};

/** Every sandbox stack carries its owner tag (`herokuenv:owner`, set by `herokuenv sandbox up`), naming its engineer. */
export const sandboxOwnerTag: StackValidationPolicy = {
    name: "sandbox-owner-tag",
    description: `Every sandbox stack (mini-<engineer>) carries the stack tag ${OWNER_TAG} naming its engineer.`,
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const stack = stackOfResources(args.resources);
        if (stack === undefined || stack.kind !== "sandbox") return;
        const owner = args.stackTags.get(OWNER_TAG);
        const engineer = engineerOfStack(stack.stack);
        const fix = `herokuenv sandbox up ${engineer ?? "<engineer>"} sets it (or: pulumi stack tag set ${OWNER_TAG} ${engineer ?? "<engineer>"} --stack ${stack.stack})`;
        if (owner === undefined || owner === "") {
            const none = args.stackTags.size === 0
                ? "; no stack tags reached the policy at all: this needs a Pulumi CLI that passes stack tags to policy packs (with a DIY backend, 3.211 or later)"
                : "";
            reportViolation(`sandbox stack ${stack.stack} has no ${OWNER_TAG} stack tag: ${fix}${none}`);
        } else if (engineer !== undefined && owner !== engineer) {
            reportViolation(`sandbox stack ${stack.stack} is tagged ${OWNER_TAG}=${owner}, but its name says it belongs to ${engineer}: ${fix}`);
        }
    },
};

/** Every policy of the pack, in the order the pack reports them. `index.ts` passes exactly this list. */
export const policies: Array<ResourceValidationPolicy | StackValidationPolicy> = [
    productionResourcesProtected,
    noPublicBuckets,
    secretConfigVars,
    productionPlans,
    noProductionReferences,
    noDataStepTargetsProduction,
    sandboxOwnerTag,
];

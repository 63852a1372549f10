// The environment model: one zod schema for the `herokuenv:*` stack configuration.
// Pure (no Pulumi, no I/O) so that every validation rule is unit-tested on its own.
import { z } from "zod";
import { seedConfigProblems } from "../data/scrub/config";
import { migrationProblems, migrationSchema } from "./migration";
import { ENCRYPTED } from "./encrypted";

export const ENVIRONMENT_KINDS = ["production", "staging", "sandbox"] as const;
export type EnvironmentKind = (typeof ENVIRONMENT_KINDS)[number];

/** Heroku dyno sizes (https://devcenter.heroku.com/articles/dyno-types), lower-case as the API returns them. */
export const DYNO_SIZES = [
    "eco", "basic", "standard-1x", "standard-2x",
    "performance-m", "performance-l", "performance-l-ram", "performance-xl", "performance-2xl",
    "private-s", "private-m", "private-l", "private-l-ram", "private-xl", "private-2xl",
    "shield-s", "shield-m", "shield-l", "shield-l-ram", "shield-xl", "shield-2xl",
] as const;
export type DynoSize = (typeof DYNO_SIZES)[number];
/** Eco and Basic dynos cannot be scaled past one per process type. */
export const SINGLE_DYNO_SIZES: readonly DynoSize[] = ["eco", "basic"];

/** Common Runtime regions, plus the Private Space regions a team app may use. */
export const HEROKU_REGIONS = [
    "us", "eu",
    "dublin", "frankfurt", "london", "montreal", "mumbai", "oregon", "singapore", "sydney", "tokyo", "virginia",
] as const;
export const HEROKU_STACKS = ["heroku-22", "heroku-24", "container"] as const;

const POSTGRES_PLAN = /^(essential-[0-2]|(standard|premium|private|shield)-(0|[2-9]|10))$/;
const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;
const BUILDPACK = /^([a-z0-9-]+\/[a-z0-9-]+|https:\/\/[^\s]+)$/;
const PROCESS_TYPE = /^[a-z][a-z0-9_-]{0,62}$/;
export const CONFIG_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CLOUDFLARE_ZONE_ID = /^[0-9a-f]{32}$/;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const BUCKET_PREFIX = /^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/;
export const ENGINEER_NAME = /^[a-z][a-z0-9]{1,19}$/;

/** Config vars that other components own: declaring them by hand would fight those components. */
export const MANAGED_CONFIG_VARS: Readonly<Record<string, string>> = {
    DATABASE_URL: "the Heroku Postgres add-on",
    AWS_ACCESS_KEY_ID: "the storage component",
    AWS_SECRET_ACCESS_KEY: "the storage component",
    AWS_STORAGE_BUCKET_NAME: "the storage component",
    AWS_STATIC_BUCKET_NAME: "the storage component",
    AWS_S3_REGION_NAME: "the storage component",
    AWS_LOCATION: "the storage component",
    AWS_STATIC_LOCATION: "the storage component",
};

/** Names that say "secret": such a var in plain `configVars` is a mistake, not a choice. */
export const SECRET_LOOKING_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIAL|DSN$)/i;
/** A URL carrying `user:password@` is a secret whatever its name. */
export const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

const oneOf = (values: readonly string[]) => values.join(", ");

const appSchema = z.strictObject({
    name: z.string().regex(APP_NAME, {
        error: "must be 3-30 characters: lower-case letters, digits and dashes, starting with a letter and not ending with a dash",
    }),
    region: z.enum(HEROKU_REGIONS, { error: `must be a Heroku region: ${oneOf(HEROKU_REGIONS)}` }).default("us"),
    stack: z.enum(HEROKU_STACKS, { error: `must be a Heroku stack: ${oneOf(HEROKU_STACKS)}` }).default("heroku-24"),
    buildpacks: z
        .array(z.string().regex(BUILDPACK, { error: "must be a registry buildpack like heroku/python or an https:// URL" }))
        .default([]),
    team: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: "must be a Heroku team name (lower-case letters, digits, dashes)" }).optional(),
});

const dynoSchema = z.strictObject({
    size: z.preprocess(
        (v) => (typeof v === "string" ? v.toLowerCase() : v),
        z.enum(DYNO_SIZES, { error: `must be a Heroku dyno size: ${oneOf(DYNO_SIZES)}` }),
    ),
    quantity: z
        .number({ error: "must be a whole number of dynos (0-100)" })
        .int({ error: "must be a whole number of dynos (0-100)" })
        .min(0, { error: "cannot be negative; use 0 to stop a process type" })
        .max(100, { error: "cannot exceed 100 dynos per process type" }),
});

const formationSchema = z
    .record(z.string().regex(PROCESS_TYPE, { error: "process types are lower-case names from the Procfile, like web or worker" }), dynoSchema)
    .superRefine((formation, ctx) => {
        if (!("web" in formation)) {
            ctx.addIssue({ code: "custom", message: "must declare a web process type", path: ["web"] });
        }
        for (const [type, dyno] of Object.entries(formation)) {
            if (SINGLE_DYNO_SIZES.includes(dyno.size) && dyno.quantity > 1) {
                ctx.addIssue({
                    code: "custom",
                    path: [type, "quantity"],
                    message: `${dyno.size} dynos cannot scale past 1; choose standard-1x or larger to run ${dyno.quantity}`,
                });
            }
        }
    });

const databaseSchema = z.strictObject({
    plan: z.preprocess(
        (v) => (typeof v === "string" ? v.replace(/^heroku-postgresql:/, "") : v),
        z.string().regex(POSTGRES_PLAN, {
            error: "must be a Heroku Postgres plan: essential-0..2, or standard-, premium-, private-, shield- with 0 or 2..10",
        }),
    ),
    attachmentName: z.string().regex(/^[A-Z][A-Z0-9_]*$/, { error: "must be an upper-case attachment name like DATABASE" }).default("DATABASE"),
});

const configVarsSchema = z.record(
    z.string().regex(CONFIG_VAR_NAME, { error: "config var names are letters, digits and underscores, not starting with a digit" }),
    z.string({ error: "config var values must be strings (quote numbers and booleans in YAML)" }),
);

const storageSchema = z.strictObject({
    region: z.string().regex(AWS_REGION, { error: "must be an AWS region like us-east-1" }),
    bucketPrefix: z
        .string()
        .regex(BUCKET_PREFIX, { error: "must be 3-50 characters of lower-case letters, digits and dashes (S3 bucket naming)" })
        .optional(),
    corsOrigins: z
        .array(z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d+)?$|^\*$/, { error: "must be an origin like https://www.example.com" }))
        .default([]),
    staticLocation: z.string().regex(/^[a-z0-9][a-z0-9_/-]*$/, { error: "must be a key prefix like static" }).default("static"),
    filesLocation: z.string().regex(/^[a-z0-9][a-z0-9_/-]*$/, { error: "must be a key prefix like files" }).default("files"),
});

const dnsRecordSchema = z.strictObject({
    hostname: z.string().regex(HOSTNAME, { error: "must be a lower-case fully qualified hostname like www.example.com" }),
    proxied: z.boolean({ error: "must be true or false" }).default(true),
    ttl: z
        .number({ error: "must be 1 (automatic) or 60-86400 seconds" })
        .int({ error: "must be 1 (automatic) or 60-86400 seconds" })
        .refine((t) => t === 1 || (t >= 60 && t <= 86400), { error: "must be 1 (automatic) or 60-86400 seconds" })
        .default(1),
});

const dnsSchema = z
    .strictObject({
        zone: z.string().regex(HOSTNAME, { error: "must be the Cloudflare zone's domain, like example.com" }),
        zoneId: z.string().regex(CLOUDFLARE_ZONE_ID, { error: "must be the 32-character hexadecimal Cloudflare zone id" }),
        records: z.array(dnsRecordSchema).default([]),
    })
    .superRefine((dns, ctx) => {
        const seen = new Set<string>();
        dns.records.forEach((record, i) => {
            if (record.hostname !== dns.zone && !record.hostname.endsWith(`.${dns.zone}`)) {
                ctx.addIssue({ code: "custom", path: ["records", i, "hostname"], message: `${record.hostname} is not inside the zone ${dns.zone}` });
            }
            if (seen.has(record.hostname)) {
                ctx.addIssue({ code: "custom", path: ["records", i, "hostname"], message: `${record.hostname} is declared twice` });
            }
            seen.add(record.hostname);
            if (record.proxied && record.ttl !== 1) {
                ctx.addIssue({ code: "custom", path: ["records", i, "ttl"], message: "proxied records always use the automatic TTL; set ttl: 1 or proxied: false" });
            }
        });
    });

export const environmentSchema = z
    .strictObject({
        kind: z.enum(ENVIRONMENT_KINDS, { error: `must be one of ${oneOf(ENVIRONMENT_KINDS)}` }),
        engineer: z
            .string()
            .regex(ENGINEER_NAME, { error: "must be 2-20 lower-case letters and digits, starting with a letter (it becomes part of app names and hostnames)" })
            .optional(),
        app: appSchema,
        formation: formationSchema,
        database: databaseSchema,
        configVars: configVarsSchema.default({}),
        secretConfigVars: configVarsSchema.default({}),
        storage: storageSchema,
        dns: dnsSchema.optional(),
        /** The move from the old host (production only): see ./migration.ts. */
        migration: migrationSchema.optional(),
        /**
         * Scrubbing and sampling rules for sandboxes' data (components/data/scrub: validated there, reported with the
         * rest), declared in staging's stack file and inherited by each sandbox, whose stack adds the secret seed.
         */
        seed: z.unknown().optional(),
        /** Staging and sandboxes: a new value copies the data again (staging from production, a sandbox from staging). */
        dataRefresh: z.string({ error: "must be a string, e.g. a date: 2026-12-01" }).min(1).optional(),
        allowKindChange: z.boolean({ error: "must be true or false" }).default(false),
    });

/**
 * Rules across sections. They run on the raw input, apart from the schema, so that they are reported together with
 * every other problem (zod skips an object's refinements once a field inside it failed).
 */
export function crossSectionProblems(raw: Readonly<Record<string, unknown>>): Array<{ path: PropertyKey[]; message: string }> {
    const problems: Array<{ path: PropertyKey[]; message: string }> = [];
    const record = (v: unknown): Record<string, unknown> =>
        typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    const configVars = record(raw.configVars);
    const secretConfigVars = record(raw.secretConfigVars);
    if (raw.kind === "sandbox" && raw.engineer === undefined) {
        problems.push({ path: ["engineer"], message: "is required for a sandbox stack" });
    }
    if (typeof raw.kind === "string" && raw.kind !== "sandbox" && raw.engineer !== undefined) {
        problems.push({ path: ["engineer"], message: `only applies to sandbox stacks, not ${raw.kind}` });
    }
    for (const [section, vars] of [["configVars", configVars], ["secretConfigVars", secretConfigVars]] as const) {
        for (const name of Object.keys(vars)) {
            const owner = MANAGED_CONFIG_VARS[name];
            if (owner !== undefined) problems.push({ path: [section, name], message: `is set by ${owner}; remove it from the stack config` });
        }
    }
    for (const name of Object.keys(secretConfigVars)) {
        if (name in configVars) problems.push({ path: ["configVars", name], message: "is declared both plain and secret; keep only the secret one" });
    }
    for (const [name, value] of Object.entries(configVars)) {
        if (SECRET_LOOKING_NAME.test(name) || (typeof value === "string" && URL_WITH_PASSWORD.test(value))) {
            problems.push({
                path: ["configVars", name],
                message:
                    "looks like a secret but is set in plain text; remove it from configVars and set it as a secret. " +
                    `Example: pulumi config set --secret --path 'herokuenv:secretConfigVars.${name}' <value>`,
            });
        }
    }
    problems.push(...migrationProblems(raw));
    for (const key of ["seed", "dataRefresh"] as const) {
        if (raw[key] !== undefined && raw.kind === "production") {
            problems.push({ path: [key], message: "production's data is never replaced by a copy: remove it (staging copies from production, sandboxes from staging)" });
        }
    }
    if (raw.seed !== undefined && raw.kind !== "production") {
        // Read from a stack file without its key (doctor, other stacks), the secret is a placeholder: check the rules.
        const seed = raw.seed as Record<string, unknown> | null;
        const checked = typeof seed === "object" && seed !== null && seed.secret === ENCRYPTED ? { ...seed, secret: undefined } : raw.seed;
        problems.push(...seedConfigProblems(checked));
    }
    return problems;
}

export type EnvironmentInput = z.input<typeof environmentSchema>;
export type ValidatedEnvironment = z.output<typeof environmentSchema>;

/** The top-level keys a stack may set under the `herokuenv:` namespace. */
export const TOP_LEVEL_KEYS = Object.keys(environmentSchema.shape);

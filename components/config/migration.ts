// The `herokuenv:migration` block: the move from the old host to Heroku, declared in the production stack. Pure:
// the schema and the rules across sections, unit-tested without Pulumi.
import { z } from "zod";

export const MIGRATION_PHASES = ["prepare", "migrate"] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

/** Cloudflare SSL/TLS modes that reach Heroku over HTTPS. Flexible is refused (see FLEXIBLE_REFUSAL). */
export const CUTOVER_SSL_MODES = ["strict", "full"] as const;
export type CutoverSslMode = (typeof CUTOVER_SSL_MODES)[number];

export const FLEXIBLE_REFUSAL =
    "must be strict or full: Flexible sends plain HTTP from Cloudflare to Heroku, and with Django's SECURE_SSL_REDIRECT " +
    "every request is redirected to HTTPS forever (a redirect loop). Heroku serves a valid certificate (ACM), so strict works";

const MYSQL_URL = /^(mysql|mariadb):\/\/[^\s]+$/;
const DUMP_FILE = /\.sql(\.gz)?$/;
const FILES_SOURCE = /^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?|[^\s].*)$/;
const HTTPS_URL = /^https?:\/\/[^\s]+$/;
const KEY_PREFIX = /^[a-z0-9][a-z0-9_/-]*$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const databaseSchema = z
    .strictObject({
        /** mysql://user:password@host:port/database of the old site's database: a secret. */
        url: z.string().regex(MYSQL_URL, { error: "must be a mysql:// (or mariadb://) URL of the old site's database" }).optional(),
        /** A mysqldump / mariadb-dump / SequelPro export, .sql or .sql.gz, read as a stream (no MySQL server needed). */
        dumpFile: z.string().regex(DUMP_FILE, { error: "must be a .sql or .sql.gz file written by mysqldump, mariadb-dump or SequelPro" }).optional(),
        /** create: translate the MySQL schema; existing: load data into the tables the app's migrations made. */
        schema: z.enum(["create", "existing"], { error: "must be create or existing" }).default("create"),
        /** Per-column overrides, as `herokuenv migrate-db --column`: `table.column: type[:transform]` or `skip`. */
        columns: z.record(z.string().regex(/^[^.\s]+\.[^.\s]+$/, { error: "keys are table.column" }), z.string()).default({}),
        sourceTimeZone: z.string().min(1).default("UTC"),
    })
    .superRefine((db, ctx) => {
        if ((db.url === undefined) === (db.dumpFile === undefined)) {
            ctx.addIssue({ code: "custom", path: [], message: "needs exactly one source: url (a secret mysql:// URL) or dumpFile (a .sql/.sql.gz export)" });
        }
    });

const filesSchema = z.strictObject({
    /** A directory, a .tar/.tar.gz archive, or s3://bucket/prefix of the old site's user files. */
    source: z.string().regex(FILES_SOURCE, { error: "must be a directory, a .tar/.tar.gz archive or s3://bucket/prefix" }),
    /** Key prefix in the files bucket; the storage's filesLocation when omitted. */
    prefix: z.string().regex(KEY_PREFIX, { error: "must be a key prefix like files" }).optional(),
});

const oldSiteSchema = z
    .strictObject({
        /** A shell command that puts the old site into maintenance (read-only), e.g. `ssh old-host ./maintenance on`. */
        command: z.string().min(1, { error: "must be a shell command" }).optional(),
        /** Or a URL that does it when POSTed to (a 2xx answer means done). */
        url: z.string().regex(HTTPS_URL, { error: "must be an http(s):// URL" }).optional(),
    })
    .superRefine((s, ctx) => {
        if (s.command === undefined && s.url === undefined) ctx.addIssue({ code: "custom", path: [], message: "needs command or url" });
    });

const maintenanceSchema = z.strictObject({
    /** Put the new Heroku app into maintenance for the night (default true). */
    app: z.boolean({ error: "must be true or false" }).default(true),
    oldSite: oldSiteSchema.optional(),
});

const cutoverSchema = z.strictObject({
    /** Hostnames whose Cloudflare records switch to the Heroku DNS targets; every `dns.records` hostname when omitted. */
    hostnames: z.array(z.string().regex(HOSTNAME, { error: "must be a hostname like www.example.com" })).optional(),
    /** The TTL the phase `prepare` sets on those records ahead of the night, in seconds. */
    ttl: z
        .number({ error: "must be 60-3600 seconds" })
        .int({ error: "must be 60-3600 seconds" })
        .min(60, { error: "must be 60-3600 seconds" })
        .max(3600, { error: "must be 60-3600 seconds" })
        .default(60),
    sslMode: z.enum(CUTOVER_SSL_MODES, { error: FLEXIBLE_REFUSAL }).default("strict"),
});

export const migrationSchema = z.strictObject({
    /** prepare: lower the records' TTLs and show the plan; migrate: run the night (maintenance → … → maintenance off). */
    phase: z.enum(MIGRATION_PHASES, { error: "must be prepare (lower TTLs ahead of the night) or migrate (run it)" }).default("prepare"),
    database: databaseSchema,
    files: filesSchema.optional(),
    maintenance: maintenanceSchema.default({ app: true }),
    cutover: cutoverSchema.default({ ttl: 60, sslMode: "strict" }),
});

export type MigrationConfig = z.output<typeof migrationSchema>;

/** Rules between the block and the rest of the stack config (run on raw input, with every other problem). */
export function migrationProblems(raw: Readonly<Record<string, unknown>>): Array<{ path: PropertyKey[]; message: string }> {
    if (raw.migration === undefined) return [];
    const problems: Array<{ path: PropertyKey[]; message: string }> = [];
    if (raw.kind !== "production") {
        problems.push({ path: ["migration"], message: `only the production stack migrates from the old host; remove it from this ${String(raw.kind)} stack` });
    }
    const migration = (typeof raw.migration === "object" && raw.migration !== null ? raw.migration : {}) as Record<string, unknown>;
    const cutover = (typeof migration.cutover === "object" && migration.cutover !== null ? migration.cutover : {}) as Record<string, unknown>;
    const dns = (typeof raw.dns === "object" && raw.dns !== null ? raw.dns : {}) as { records?: Array<{ hostname?: unknown }> };
    const declared = new Set((dns.records ?? []).map((r) => r.hostname));
    const hostnames = Array.isArray(cutover.hostnames) ? cutover.hostnames : [];
    const database = (typeof migration.database === "object" && migration.database !== null ? migration.database : {}) as Record<string, unknown>;
    const maintenance = (typeof migration.maintenance === "object" && migration.maintenance !== null ? migration.maintenance : {}) as Record<string, unknown>;
    if (database.url !== undefined && maintenance.oldSite === undefined) {
        problems.push({
            path: ["migration", "maintenance", "oldSite"],
            message:
                "a live source is copied while the old site is read-only: give its maintenance switch (command or url), " +
                "or copy from a dump file (database.dumpFile) taken once the old site was stopped",
        });
    }
    if (raw.dns === undefined) problems.push({ path: ["migration", "cutover"], message: "needs herokuenv:dns (the Cloudflare zone whose records switch to Heroku)" });
    hostnames.forEach((h, i) => {
        if (raw.dns !== undefined && !declared.has(h)) {
            problems.push({ path: ["migration", "cutover", "hostnames", i], message: `${String(h)} is not one of herokuenv:dns.records; declare it there first` });
        }
    });
    return problems;
}

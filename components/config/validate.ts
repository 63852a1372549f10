// Turns raw stack configuration into the validated environment model, or into a list of problems that each name
// the config key, say what is wrong and show a valid example. Pure: the Pulumi-facing reader is in ./stack.ts.
import { z } from "zod";
import { crossSectionProblems, environmentSchema, TOP_LEVEL_KEYS, type ValidatedEnvironment } from "./schema";

export const NAMESPACE = "herokuenv";

/** Valid examples, by key path; `*` stands for a map key (process type, config var name) or a list index. */
const EXAMPLES: ReadonlyArray<[string, string]> = [
    ["kind", "production"],
    ["engineer", "alice"],
    ["app", "{ name: acme-production, region: us, stack: heroku-24, buildpacks: [heroku/python] }"],
    ["app.name", "acme-production"],
    ["app.region", "us"],
    ["app.stack", "heroku-24"],
    ["app.buildpacks.*", "heroku/python"],
    ["app.team", "acme"],
    ["formation", "{ web: { size: standard-1x, quantity: 1 } }"],
    ["formation.*", "{ size: standard-1x, quantity: 1 }"],
    ["formation.*.size", "standard-1x"],
    ["formation.*.quantity", "2"],
    ["database", "{ plan: essential-0 }"],
    ["database.plan", "standard-0"],
    ["database.attachmentName", "DATABASE"],
    ["configVars.*", "DJANGO_SETTINGS_MODULE: acme.settings.production"],
    ["secretConfigVars", "pulumi config set --secret --path 'herokuenv:secretConfigVars.DJANGO_SECRET_KEY' <value>"],
    ["secretConfigVars.*", "pulumi config set --secret --path 'herokuenv:secretConfigVars.DJANGO_SECRET_KEY' <value>"],
    ["storage", "{ region: us-east-1 }"],
    ["storage.region", "us-east-1"],
    ["storage.bucketPrefix", "acme-production"],
    ["storage.corsOrigins.*", "https://www.example.com"],
    ["storage.staticLocation", "static"],
    ["storage.filesLocation", "files"],
    ["dns", "{ zone: example.com, zoneId: 023e105f4ecef8ad9ca31a8372d0c353, records: [{ hostname: www.example.com }] }"],
    ["dns.zone", "example.com"],
    ["dns.zoneId", "023e105f4ecef8ad9ca31a8372d0c353"],
    ["dns.records.*.hostname", "www.example.com"],
    ["dns.records.*.proxied", "true"],
    ["dns.records.*.ttl", "1"],
    ["allowKindChange", "true"],
    ["dataRefresh", "2026-12-01"],
    ["migration", "{ phase: prepare, database: { dumpFile: export/site.sql.gz }, files: { source: export/media.tar.gz } }"],
    ["migration.phase", "migrate"],
    ["migration.database", "{ dumpFile: export/site.sql.gz }"],
    ["migration.database.url", "pulumi config set --secret --path 'herokuenv:migration.database.url' mysql://user:password@old-host/site"],
    ["migration.database.dumpFile", "export/site.sql.gz"],
    ["migration.database.schema", "create"],
    ["migration.files.source", "export/media.tar.gz"],
    ["migration.maintenance.oldSite.command", "ssh old-host ./maintenance on"],
    ["migration.cutover.sslMode", "strict"],
    ["migration.cutover.ttl", "60"],
    ["migration.cutover.hostnames.*", "www.example.com"],
];

function exampleFor(path: readonly PropertyKey[]): string | undefined {
    const candidates = EXAMPLES.filter(([pattern]) => {
        const parts = pattern.split(".");
        return parts.length === path.length && parts.every((p, i) => p === "*" || p === String(path[i]));
    });
    // Prefer the most specific pattern (fewest wildcards).
    candidates.sort((a, b) => a[0].split("*").length - b[0].split("*").length);
    return candidates[0]?.[1];
}

/** `herokuenv:formation.web.size`, `herokuenv:dns.records[0].hostname` */
export function configKey(path: readonly PropertyKey[], namespace = NAMESPACE): string {
    let key = `${namespace}:`;
    path.forEach((part, i) => {
        if (typeof part === "number") key += `[${part}]`;
        else key += i === 0 ? String(part) : `.${String(part)}`;
    });
    return key;
}

/** Values under these keys may be secrets: never echo them back in an error. */
function mayEcho(path: readonly PropertyKey[]): boolean {
    return path[0] !== "secretConfigVars" && path[0] !== "configVars" && path[0] !== "seed" && !(path[0] === "migration" && path[1] === "database");
}

function describeReceived(input: unknown): string {
    if (input === undefined) return "";
    const text = JSON.stringify(input);
    return text === undefined ? "" : ` (got ${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}

function validKeysAt(path: readonly PropertyKey[]): string[] | undefined {
    let schema: z.ZodType = environmentSchema;
    for (const part of path) {
        const def = unwrap(schema);
        if (def instanceof z.ZodObject) schema = def.shape[String(part)];
        else if (def instanceof z.ZodArray) schema = def.element as z.ZodType;
        else if (def instanceof z.ZodRecord) schema = def.valueType as z.ZodType;
        else return undefined;
        if (schema === undefined) return undefined;
    }
    const def = unwrap(schema);
    return def instanceof z.ZodObject ? Object.keys(def.shape) : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
    let s = schema;
    while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPipe) {
        s = s instanceof z.ZodPipe ? (s.out as z.ZodType) : (s.unwrap() as z.ZodType);
    }
    return s;
}

function problemsFromIssue(issue: z.core.$ZodIssue): string[] {
    if (issue.code === "unrecognized_keys") {
        const valid = validKeysAt(issue.path) ?? [];
        return issue.keys.map(
            (k) => `${configKey([...issue.path, k])}: unknown key; valid keys here are ${valid.join(", ")}`,
        );
    }
    const missing = issue.code !== "custom" && issue.input === undefined;
    // A bad map key (process type, config var name): zod wraps the key's own issue.
    const message = issue.code === "invalid_key" && issue.issues.length > 0 ? issue.issues[0].message : issue.message;
    let text = `${configKey(issue.path)}: ${missing ? "is required" : message}`;
    // A custom rule's input is the whole parent object: echo only a field's own value.
    if (!missing && issue.code !== "custom" && mayEcho(issue.path)) text += describeReceived(issue.input);
    const example = exampleFor(issue.path);
    if (example !== undefined) {
        const last = issue.path[issue.path.length - 1];
        const standalone = example.startsWith("pulumi ") || /^[A-Z_]+: /.test(example);
        text += standalone ? `. Example: ${example}` : `. Example: ${String(last)}: ${example}`;
    }
    return [text];
}

export type ValidationResult =
    | { ok: true; environment: ValidatedEnvironment }
    | { ok: false; problems: string[] };

export interface ValidationOptions {
    /** Top-level `herokuenv:` keys the stack holds as secrets (`pulumi config set --secret`). */
    secretKeys: ReadonlySet<string>;
}

/**
 * Validates the `herokuenv:*` configuration of a stack. `raw` maps top-level key (without namespace) to its value
 * as Pulumi hands it over (objects already parsed from JSON).
 */
export function validateEnvironment(raw: Readonly<Record<string, unknown>>, options: ValidationOptions): ValidationResult {
    const problems: string[] = [];
    const parsed = environmentSchema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push(...problemsFromIssue(issue));
    }
    for (const { path, message } of crossSectionProblems(raw)) problems.push(`${configKey(path)}: ${message}`);
    if (raw.secretConfigVars !== undefined && !options.secretKeys.has("secretConfigVars")) {
        problems.push(
            `${configKey(["secretConfigVars"])}: is set in plain text; set each value as a secret. ` +
                `Example: pulumi config set --secret --path 'herokuenv:secretConfigVars.DJANGO_SECRET_KEY' <value>`,
        );
    }
    const seedSecret = (raw.seed as { secret?: unknown } | undefined)?.secret;
    if (seedSecret !== undefined && !options.secretKeys.has("seed")) {
        problems.push(`${configKey(["seed", "secret"])}: is set in plain text; set it as a secret. Example: pulumi config set --secret --path 'herokuenv:seed.secret' <value>`);
    }
    const migrationDatabase = (raw.migration as { database?: { url?: unknown } } | undefined)?.database;
    if (migrationDatabase?.url !== undefined && !options.secretKeys.has("migration")) {
        problems.push(
            `${configKey(["migration", "database", "url"])}: is set in plain text; the old database's URL holds its password. ` +
                "Example: pulumi config set --secret --path 'herokuenv:migration.database.url' mysql://user:password@old-host/site",
        );
    }
    // Keep the report stable and readable: one line per problem, no duplicates.
    const unique = [...new Set(problems)];
    if (unique.length > 0 || !parsed.success) return { ok: false, problems: unique };
    return { ok: true, environment: parsed.data };
}

export function formatProblems(stack: string, problems: readonly string[]): string {
    const heading = `herokuenv: the configuration of stack "${stack}" has ${problems.length} problem${problems.length === 1 ? "" : "s"}:`;
    const hint = `Known top-level keys: ${TOP_LEVEL_KEYS.map((k) => `${NAMESPACE}:${k}`).join(", ")}.`;
    return [heading, ...problems.map((p) => `  - ${p}`), hint].join("\n");
}

// Every option of a migration in one place: its default, its limits or choices, and the one validation the CLI
// (`herokuenv migrate-db`), the MySqlToPostgres resource (`check`) and the engine (`migrate`) all use, so each rejects
// the same values with the same words. Pure: no I/O.
import { checkPostgresUrl } from "./pg-target";
import { parseMySqlUrl } from "./mysql-url";
import type { ColumnOverride } from "./plan";
import type { Coercion, MigrationEvent, SchemaMode } from "./types";

/** Tables copied at once: the default and the allowed range. */
export const CONCURRENCY = { default: 2, min: 1, max: 16 } as const;

/** The closed choices of the options that take one. */
export const CHOICES = {
    schema: ["create", "existing"],
    enumAs: ["type", "check"],
    datetimeType: ["timestamptz", "timestamp"],
    identifierCase: ["preserve", "lower"],
} as const satisfies Record<string, readonly string[]>;

export type EnumAs = (typeof CHOICES.enumAs)[number];
export type DatetimeType = (typeof CHOICES.datetimeType)[number];
export type IdentifierCase = (typeof CHOICES.identifierCase)[number];

/** The conversions a column override may name (`--column table.column=TYPE:TRANSFORM`, resource `columns`). */
export const TRANSFORMS: readonly Coercion[] = ["hex-to-bytea", "inet-binary", "uuid-binary", "uuid-text", "interval-microseconds", "set-array", "text", "json", "bytea"];

/** The defaults of every option that has one. */
export const DEFAULTS = {
    schema: "create" as SchemaMode,
    overwrite: false,
    concurrency: CONCURRENCY.default as number,
    targetSchema: "public",
    sourceTimeZone: "UTC",
    enumAs: "type" as EnumAs,
    datetimeType: "timestamptz" as DatetimeType,
    identifierCase: "preserve" as IdentifierCase,
    verify: true,
};

export interface MigrateOptions {
    /** mysql://user:password@host:port/database */
    from: string;
    /** postgres://user:password@host:port/database */
    to: string;
    schema?: SchemaMode;
    overwrite?: boolean;
    /** Tables copied at once (default 2, 1–16). */
    concurrency?: number;
    /** Source tables to migrate (default: all base tables). */
    tables?: string[];
    /** PostgreSQL schema (default public). */
    targetSchema?: string;
    /** Zone of MySQL DATETIME wall-clock values (default UTC). TIMESTAMP values are read as UTC. */
    sourceTimeZone?: string;
    enumAs?: EnumAs;
    datetimeType?: DatetimeType;
    identifierCase?: IdentifierCase;
    columns?: Record<string, ColumnOverride>;
    /** Checksum verification (default on). */
    verify?: boolean;
    onEvent?: (event: MigrationEvent) => void;
}

/** MigrateOptions with every default applied (what the engine runs with). */
export interface ResolvedOptions {
    from: string;
    to: string;
    mode: SchemaMode;
    overwrite: boolean;
    concurrency: number;
    tables: string[] | undefined;
    targetSchema: string;
    sourceTimeZone: string;
    enumAs: EnumAs;
    datetimeType: DatetimeType;
    identifierCase: IdentifierCase;
    columns: Record<string, ColumnOverride>;
    verify: boolean;
    emit: (event: MigrationEvent) => void;
}

/** One rejected input: its name (as the caller spells it) and why, with what would be valid. */
export interface OptionProblem {
    property: string;
    reason: string;
}

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v === undefined ? "nothing" : JSON.stringify(v)));

/** True when a source names a dump file (dump.sql, dump.sql.gz, file://…) rather than a mysql:// (or mariadb://) URL. */
export function isDumpSource(from: string): boolean {
    return !/^[a-z][a-z0-9+.-]*:\/\//i.test(from) || /^file:\/\//i.test(from);
}

/** Why a connection string (or, for the source, a dump file's path) is unusable (never echoing it), or undefined. */
export function connectionProblem(side: "source" | "target", url: unknown): string | undefined {
    if (typeof url !== "string" || url === "") return `the ${side} connection string is required (${side === "source" ? "mysql://user:password@host:port/database, or a dump file" : "postgres://user:password@host:port/database"})`;
    try {
        if (side === "source" && isDumpSource(url)) return undefined;
        if (side === "source") parseMySqlUrl(url);
        else checkPostgresUrl(url);
    } catch (err) {
        return (err as Error).message;
    }
    return undefined;
}

/** Why an override key or value is unusable, or undefined. */
export function columnOverrideProblem(key: string, override: unknown): string | undefined {
    const dot = key.lastIndexOf(".");
    if (dot <= 0 || dot === key.length - 1) return `column override key ${JSON.stringify(key)} is not table.column`;
    if (typeof override !== "object" || override === null) return `column override ${key} must be an object { type, transform, name, skip }`;
    const o = override as ColumnOverride;
    if (o.transform !== undefined && !TRANSFORMS.includes(o.transform)) return `column override ${key}: unknown transform ${show(o.transform)} (one of ${TRANSFORMS.join(", ")})`;
    if (o.type !== undefined && (typeof o.type !== "string" || o.type.trim() === "")) return `column override ${key}: type must be a PostgreSQL type such as text or interval`;
    if (o.name !== undefined && (typeof o.name !== "string" || o.name === "")) return `column override ${key}: name must be a non-empty string`;
    return undefined;
}

/**
 * One override in the CLI's `--column` syntax (the value after "table.column="): `type[:transform]`, `:transform`
 * or `skip`. The resource's `columns` accepts the same strings (stack config: `{ "events.duration": "interval" }`).
 * Throws with the reason (the same words as columnOverrideProblem) when it is unusable.
 */
export function parseColumnSpec(key: string, value: string): ColumnOverride {
    const override: ColumnOverride = {};
    if (value === "skip") override.skip = true;
    else {
        const colon = value.lastIndexOf(":");
        const transform = colon >= 0 ? value.slice(colon + 1) : "";
        const type = colon >= 0 ? value.slice(0, colon) : value;
        if (transform !== "") override.transform = transform as Coercion;
        if (type !== "") override.type = type;
    }
    const problem = columnOverrideProblem(key, override);
    if (problem) throw new Error(problem);
    return override;
}

/** Column overrides with the string form (parseColumnSpec) turned into objects; objects pass unchanged. */
export function normalizeColumns(columns: Record<string, ColumnOverride | string> | undefined): Record<string, ColumnOverride> | undefined {
    if (columns === undefined || columns === null || typeof columns !== "object") return columns as undefined;
    return Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, typeof v === "string" ? parseColumnSpec(k, v) : v]));
}

type Validated = Omit<MigrateOptions, "from" | "to" | "onEvent">;

/**
 * Why one option's value is invalid — "<name> must be …, got …" — or undefined when it is valid (undefined values
 * take the default). `name` is how the caller spells the input (`concurrency`, `--concurrency`).
 */
export function optionProblem(key: keyof Validated, value: unknown, name: string = key): string | undefined {
    if (value === undefined) return undefined;
    switch (key) {
        case "schema":
        case "enumAs":
        case "datetimeType":
        case "identifierCase": {
            const choices: readonly string[] = CHOICES[key];
            return choices.includes(value as string) ? undefined : `${name} must be ${choices.join(" or ")}, got ${show(value)}`;
        }
        case "concurrency":
            return Number.isInteger(value) && (value as number) >= CONCURRENCY.min && (value as number) <= CONCURRENCY.max
                ? undefined
                : `${name} must be an integer from ${CONCURRENCY.min} to ${CONCURRENCY.max}, got ${show(value)}`;
        case "overwrite":
        case "verify":
            return typeof value === "boolean" ? undefined : `${name} must be true or false, got ${show(value)}`;
        case "targetSchema":
            return typeof value === "string" && value !== "" && Buffer.byteLength(value) <= 63 ? undefined : `${name} must be a PostgreSQL schema name (1 to 63 bytes), got ${show(value)}`;
        case "sourceTimeZone":
            return typeof value === "string" && value.trim() !== "" ? undefined : `${name} must be a time zone name such as UTC or Europe/Paris, got ${show(value)}`;
        case "tables":
            return Array.isArray(value) && value.every((t) => typeof t === "string" && t !== "") ? undefined : `${name} must be a list of source table names, got ${show(value)}`;
        case "columns": {
            if (typeof value !== "object" || value === null || Array.isArray(value)) return `${name} must map "table.column" to an override, got ${show(value)}`;
            for (const [k, o] of Object.entries(value)) {
                if (typeof o === "string") {
                    try {
                        parseColumnSpec(k, o);
                        continue;
                    } catch (err) {
                        return (err as Error).message;
                    }
                }
                const p = columnOverrideProblem(k, o);
                if (p) return p;
            }
            return undefined;
        }
        default:
            return undefined;
    }
}

const VALIDATED_KEYS = ["schema", "overwrite", "concurrency", "tables", "targetSchema", "sourceTimeZone", "enumAs", "datetimeType", "identifierCase", "columns", "verify"] as const;

/**
 * Every problem of a set of options. `skip(value)` leaves a value out of the check (the resource's `check` skips
 * values unknown during preview); `names` maps an option to how the caller spells it.
 */
export function optionProblems(options: Partial<Validated>, skip: (value: unknown) => boolean = () => false, names: Partial<Record<keyof Validated, string>> = {}): OptionProblem[] {
    const problems: OptionProblem[] = [];
    for (const key of VALIDATED_KEYS) {
        const value = options[key];
        if (skip(value)) continue;
        const reason = optionProblem(key, value, names[key] ?? key);
        if (reason) problems.push({ property: key, reason });
    }
    return problems;
}

/** The options with every default applied. Does not validate (see resolveOptions). */
export function withDefaults(options: MigrateOptions): ResolvedOptions {
    return {
        from: options.from,
        to: options.to,
        mode: options.schema ?? DEFAULTS.schema,
        overwrite: options.overwrite ?? DEFAULTS.overwrite,
        concurrency: options.concurrency ?? DEFAULTS.concurrency,
        tables: options.tables && options.tables.length > 0 ? options.tables : undefined,
        targetSchema: options.targetSchema ?? DEFAULTS.targetSchema,
        sourceTimeZone: options.sourceTimeZone ?? DEFAULTS.sourceTimeZone,
        enumAs: options.enumAs ?? DEFAULTS.enumAs,
        datetimeType: options.datetimeType ?? DEFAULTS.datetimeType,
        identifierCase: options.identifierCase ?? DEFAULTS.identifierCase,
        columns: options.columns ?? {},
        verify: options.verify ?? DEFAULTS.verify,
        emit: options.onEvent ?? (() => undefined),
    };
}

/** Every problem of a complete MigrateOptions (connection strings included). */
export function migrateOptionProblems(options: MigrateOptions): OptionProblem[] {
    const problems: OptionProblem[] = [];
    const from = connectionProblem("source", options.from);
    if (from) problems.push({ property: "from", reason: from });
    const to = connectionProblem("target", options.to);
    if (to) problems.push({ property: "to", reason: to });
    return [...problems, ...optionProblems(options)];
}

// MySqlToPostgres: the migration as a Pulumi dynamic resource (`pulumi-nodejs:dynamic/herokuenv:data.MySqlToPostgres`;
// before the one naming scheme, `pulumi-nodejs:dynamic/data:MySqlToPostgres`, kept as an alias). create runs the copy;
// diff replaces only when the source, the target or an option that shapes the data changes; read reports the
// verification state; delete leaves the migrated data in place.
//
// The provider is the project's thin shape (package-provider.ts): the serialized object holds two strings and loads
// `mySqlToPostgresProvider` from `herokuenv/data/mysql-to-postgres/resource` (the compiled package) in the provider
// host, which imports the engine like any module. Defaults, limits and their validation are the engine's own
// (options.ts), so `check` rejects exactly what `herokuenv migrate-db` and `migrate()` reject.
//
// The source is a live server (`source`, a secret mysql:// URL) or a dump file (`dumpFile`, made absolute here, at
// program time). The target is a URL (`target`), or a Heroku app and config var (`targetApp` + `targetConfigVar`,
// e.g. DATABASE_URL) that the provider reads from the Platform API at run time with the Heroku providers'
// connection (`heroku:apiKey` / HEROKU_API_KEY): that URL is never stored in the state, logged or put in an error.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias, type StepFailureHint } from "../../package-provider";
import { configureConnection, type HerokuConnection } from "../../heroku/provider";
import { databaseUrlOfApp } from "../../heroku/config-var-url";
import { fingerprintOfUrls, migrate, verificationState, type MigrateOptions } from "./engine";
import { DEFAULTS, connectionProblem, normalizeColumns, optionProblems, type DatetimeType, type EnumAs, type IdentifierCase } from "./options";
import type { ColumnOverride } from "./plan";
import type { SchemaMode } from "./types";

/** Bump when the engine's output changes in a way that should re-run existing migrations. */
export const MIGRATION_ENGINE_VERSION = "1";

export interface MySqlToPostgresArgs {
    /** mysql://user:password@host:port/database (stored as a secret). Exactly one of source and dumpFile. */
    source?: pulumi.Input<string>;
    /** A dump file (dump.sql or dump.sql.gz from mysqldump, mariadb-dump or SequelPro), made absolute at program time. */
    dumpFile?: pulumi.Input<string>;
    /** postgres://… of the target database (stored as a secret). Exactly one of target and targetApp + targetConfigVar. */
    target?: pulumi.Input<string>;
    /** The Heroku app whose config var holds the target URL, read at run time (never stored). */
    targetApp?: pulumi.Input<string>;
    /** That config var, e.g. DATABASE_URL. */
    targetConfigVar?: pulumi.Input<string>;
    /** As one step of a chain (the migration night): its name in errors and what to do when it fails. Not an input. */
    failureHint?: StepFailureHint;
    /** The source app's Maintenance resource `enabled` output: the copy runs only while the old site is read-only. */
    sourceMaintenance?: pulumi.Input<boolean>;
    /** Explicitly allow copying while the source still accepts writes (rehearsals); otherwise sourceMaintenance is required. */
    allowWritesDuringCopy?: pulumi.Input<boolean>;
    schema?: pulumi.Input<SchemaMode>;
    overwrite?: pulumi.Input<boolean>;
    concurrency?: pulumi.Input<number>;
    tables?: pulumi.Input<pulumi.Input<string>[]>;
    targetSchema?: pulumi.Input<string>;
    sourceTimeZone?: pulumi.Input<string>;
    enumAs?: pulumi.Input<EnumAs>;
    datetimeType?: pulumi.Input<DatetimeType>;
    identifierCase?: pulumi.Input<IdentifierCase>;
    /** Overrides: objects, or the CLI's `--column` strings (`"interval"`, `"bytea:hex-to-bytea"`, `"skip"`). */
    columns?: pulumi.Input<Record<string, ColumnOverride | string>>;
}

export interface MySqlToPostgresInputs {
    source?: string;
    dumpFile?: string;
    target?: string;
    targetApp?: string;
    targetConfigVar?: string;
    sourceMaintenance?: boolean;
    allowWritesDuringCopy?: boolean;
    schema: SchemaMode;
    overwrite: boolean;
    concurrency: number;
    tables: string[];
    targetSchema: string;
    sourceTimeZone: string;
    enumAs: EnumAs;
    datetimeType: DatetimeType;
    identifierCase: IdentifierCase;
    columns: Record<string, ColumnOverride>;
    engineVersion: string;
}

export interface MySqlToPostgresOutputs extends MySqlToPostgresInputs {
    verified: boolean;
    rows: number;
    bytes: number;
    tableResults: { source: string; target: string; rows: number; checksum: string }[];
    warnings: string[];
    sequencesReset: number;
    /** Duration of the copy, seconds. */
    seconds: number;
    completedAt: string;
}

/** Inputs whose change means a different copy: the resource is replaced (the migration runs again). */
export const REPLACE_ON = ["source", "dumpFile", "target", "targetApp", "targetConfigVar", "schema", "tables", "targetSchema", "sourceTimeZone", "enumAs", "datetimeType", "identifierCase", "columns", "engineVersion"] as const;

/** The engine's options for a resource's inputs and the resolved target URL. */
function optionsOf(i: MySqlToPostgresInputs, to: string): MigrateOptions {
    return {
        from: (i.source ?? i.dumpFile) as string,
        to,
        schema: i.schema,
        overwrite: i.overwrite,
        concurrency: i.concurrency,
        tables: i.tables.length > 0 ? i.tables : undefined,
        targetSchema: i.targetSchema,
        sourceTimeZone: i.sourceTimeZone,
        enumAs: i.enumAs,
        datetimeType: i.datetimeType,
        identifierCase: i.identifierCase,
        columns: i.columns,
    };
}

/** The target URL: the input, or the app's config var read from the Heroku Platform API (never stored or shown). */
async function targetUrl(i: MySqlToPostgresInputs, connection: HerokuConnection): Promise<string> {
    if (i.target !== undefined) return i.target;
    return databaseUrlOfApp(connection, i.targetApp as string, i.targetConfigVar as string, "target");
}

export function mySqlToPostgresProvider(): pulumi.dynamic.ResourceProvider<MySqlToPostgresInputs, MySqlToPostgresOutputs> {
    const connection: HerokuConnection = {};
    return {
        configure: configureConnection(connection),

        async check(_olds, news) {
            // In a preview, inputs computed from other resources (the Maintenance output, a database URL) arrive as
            // this marker: nothing to check about them yet.
            const isUnknown = (v: unknown): boolean => v === pulumi.runtime.unknownValue;
            const given = (v: unknown): boolean => v !== undefined && v !== null && v !== "";
            const failures: { property: string; reason: string }[] = [];
            if (given(news.source) === given(news.dumpFile)) {
                failures.push({ property: "source", reason: "give exactly one source: source (a mysql:// URL) or dumpFile (a dump file), not both and not neither" });
            } else if (given(news.source) && !isUnknown(news.source)) {
                const problem = connectionProblem("source", news.source);
                if (problem) failures.push({ property: "source", reason: problem });
            } else if (given(news.dumpFile) && !isUnknown(news.dumpFile) && !path.isAbsolute(news.dumpFile as string)) {
                failures.push({ property: "dumpFile", reason: `dumpFile must be an absolute path, got ${JSON.stringify(news.dumpFile)}` });
            }
            const byApp = given(news.targetApp) || given(news.targetConfigVar);
            if (given(news.target) === byApp) {
                failures.push({ property: "target", reason: "give exactly one target: target (a postgres:// URL) or targetApp with targetConfigVar (e.g. DATABASE_URL), not both and not neither" });
            } else if (byApp && !(given(news.targetApp) && given(news.targetConfigVar))) {
                failures.push({ property: given(news.targetApp) ? "targetConfigVar" : "targetApp", reason: "targetApp and targetConfigVar go together: the Heroku app and the config var holding the target URL" });
            } else if (given(news.target) && !isUnknown(news.target)) {
                const problem = connectionProblem("target", news.target);
                if (problem) failures.push({ property: "target", reason: problem });
            }
            // A dump is a snapshot already: no maintenance guard.
            const guarded = given(news.dumpFile) || news.sourceMaintenance === true || isUnknown(news.sourceMaintenance) || news.allowWritesDuringCopy === true || isUnknown(news.allowWritesDuringCopy);
            if (!guarded) {
                failures.push({
                    property: "sourceMaintenance",
                    reason: "the copy would run while the source still accepts writes: pass the source app's Maintenance `enabled` output as sourceMaintenance (or set allowWritesDuringCopy: true for a rehearsal)",
                });
            }
            let columns: unknown = news.columns;
            try {
                if (!isUnknown(columns)) columns = normalizeColumns(columns as Record<string, ColumnOverride | string> | undefined);
            } catch (err) {
                failures.push({ property: "columns", reason: (err as Error).message });
            }
            failures.push(...optionProblems({ ...news, columns: columns as Record<string, ColumnOverride> | undefined }, isUnknown));
            const inputs: MySqlToPostgresInputs = {
                ...(given(news.source) ? { source: news.source } : {}),
                ...(given(news.dumpFile) ? { dumpFile: news.dumpFile } : {}),
                ...(given(news.target) ? { target: news.target } : {}),
                ...(given(news.targetApp) ? { targetApp: news.targetApp } : {}),
                ...(given(news.targetConfigVar) ? { targetConfigVar: news.targetConfigVar } : {}),
                ...(news.sourceMaintenance !== undefined ? { sourceMaintenance: news.sourceMaintenance } : {}),
                ...(news.allowWritesDuringCopy !== undefined ? { allowWritesDuringCopy: news.allowWritesDuringCopy } : {}),
                schema: news.schema ?? DEFAULTS.schema,
                overwrite: news.overwrite ?? DEFAULTS.overwrite,
                concurrency: news.concurrency ?? DEFAULTS.concurrency,
                tables: news.tables ?? [],
                targetSchema: news.targetSchema ?? DEFAULTS.targetSchema,
                sourceTimeZone: news.sourceTimeZone ?? DEFAULTS.sourceTimeZone,
                enumAs: news.enumAs ?? DEFAULTS.enumAs,
                datetimeType: news.datetimeType ?? DEFAULTS.datetimeType,
                identifierCase: news.identifierCase ?? DEFAULTS.identifierCase,
                columns: (columns as Record<string, ColumnOverride> | undefined) ?? {},
                engineVersion: news.engineVersion ?? MIGRATION_ENGINE_VERSION,
            };
            return { inputs, failures };
        },

        async diff(_id, olds, news) {
            const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
            const replaces = REPLACE_ON.filter((k) => !same((olds as unknown as Record<string, unknown>)[k], (news as unknown as Record<string, unknown>)[k]));
            return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
        },

        async create(inputs) {
            if (inputs.dumpFile === undefined && !(inputs.sourceMaintenance === true || inputs.allowWritesDuringCopy === true)) {
                throw new Error("MySqlToPostgres: refusing to copy while the source is not in maintenance mode (sourceMaintenance is not true)");
            }
            const to = await targetUrl(inputs, connection);
            const report = await migrate(optionsOf(inputs, to));
            const outs: MySqlToPostgresOutputs = {
                ...inputs,
                verified: true,
                rows: report.rows,
                bytes: report.bytes,
                tableResults: report.tables.map((t) => ({ source: t.source, target: t.target, rows: t.rows, checksum: t.checksum })),
                warnings: report.warnings.map((w) => w.message),
                sequencesReset: report.sequences.length,
                seconds: report.seconds,
                completedAt: new Date().toISOString(),
            };
            const id = `mysql-to-postgres-${fingerprintOfUrls((inputs.source ?? inputs.dumpFile) as string, to)}`;
            return { id, outs };
        },

        async read(id, props) {
            if (!props) return { id, props };
            const state = await verificationState(optionsOf(props, await targetUrl(props, connection)));
            return {
                id,
                props: {
                    ...props,
                    verified: state.complete,
                    tableResults: state.tables.map((t) => ({ source: t.source, target: t.target, rows: t.targetRows ?? 0, checksum: t.checksum ?? "" })),
                },
            };
        },

        async update(_id, _olds, news) {
            // Only inputs that do not shape the data changed (e.g. concurrency): keep the migration's results.
            return { outs: { ..._olds, ...news } as MySqlToPostgresOutputs };
        },

        async delete() {
            // The migrated data belongs to the application now: deleting the resource does not drop it.
        },
    };
}

/** A MySQL/MariaDB → PostgreSQL migration step (`pulumi-nodejs:dynamic/herokuenv:data.MySqlToPostgres`). */
export class MySqlToPostgres extends pulumi.dynamic.Resource {
    public readonly verified!: pulumi.Output<boolean>;
    public readonly rows!: pulumi.Output<number>;
    public readonly bytes!: pulumi.Output<number>;
    public readonly tableResults!: pulumi.Output<MySqlToPostgresOutputs["tableResults"]>;
    public readonly warnings!: pulumi.Output<string[]>;
    public readonly seconds!: pulumi.Output<number>;

    constructor(name: string, resourceArgs: MySqlToPostgresArgs, opts?: pulumi.CustomResourceOptions) {
        const { failureHint, ...args } = resourceArgs;
        super(
            packageProvider<MySqlToPostgresInputs, MySqlToPostgresOutputs>("data/mysql-to-postgres/resource", "mySqlToPostgresProvider", failureHint),
            name,
            {
                ...args,
                source: args.source === undefined ? undefined : pulumi.secret(args.source),
                // Like FileSync's local paths: absolute here, so the provider host need not run in the program's directory.
                dumpFile: args.dumpFile === undefined ? undefined : pulumi.output(args.dumpFile).apply((f) => path.resolve(f)),
                target: args.target === undefined ? undefined : pulumi.secret(args.target),
                engineVersion: MIGRATION_ENGINE_VERSION,
                verified: undefined,
                rows: undefined,
                bytes: undefined,
                tableResults: undefined,
                warnings: undefined,
                sequencesReset: undefined,
                seconds: undefined,
                completedAt: undefined,
            },
            withTypeAlias({ ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "source", "target"] }, "pulumi-nodejs:dynamic/data:MySqlToPostgres"),
            "herokuenv",
            "data.MySqlToPostgres",
        );
    }
}

// MySqlToPostgres: the migration as a Pulumi dynamic resource (`pulumi-nodejs:dynamic/herokuenv:data.MySqlToPostgres`;
// before the one naming scheme, `pulumi-nodejs:dynamic/data:MySqlToPostgres`, kept as an alias). create runs the copy;
// diff replaces only when the source, the target or an option that shapes the data changes; read reports the
// verification state; delete leaves the migrated data in place.
//
// The provider is the project's thin shape (package-provider.ts): the serialized object holds two strings and loads
// `mySqlToPostgresProvider` from `herokuenv/data/mysql-to-postgres/resource` (the compiled package) in the provider
// host, which imports the engine like any module. Defaults, limits and their validation are the engine's own
// (options.ts), so `check` rejects exactly what `herokuenv migrate-db` and `migrate()` reject.
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias } from "../../package-provider";
import { fingerprintOfUrls, migrate, verificationState, type MigrateOptions } from "./engine";
import { DEFAULTS, connectionProblem, optionProblems, type DatetimeType, type EnumAs, type IdentifierCase } from "./options";
import type { ColumnOverride } from "./plan";
import type { SchemaMode } from "./types";

/** Bump when the engine's output changes in a way that should re-run existing migrations. */
export const MIGRATION_ENGINE_VERSION = "1";

export interface MySqlToPostgresArgs {
    /** mysql://user:password@host:port/database (stored as a secret). */
    source: pulumi.Input<string>;
    /** postgres://… of the target database (stored as a secret), e.g. the Heroku Postgres add-on's DATABASE_URL. */
    target: pulumi.Input<string>;
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
    columns?: pulumi.Input<Record<string, ColumnOverride>>;
}

export interface MySqlToPostgresInputs {
    source: string;
    target: string;
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
    completedAt: string;
}

/** Inputs whose change means a different copy: the resource is replaced (the migration runs again). */
export const REPLACE_ON = ["source", "target", "schema", "tables", "targetSchema", "sourceTimeZone", "enumAs", "datetimeType", "identifierCase", "columns", "engineVersion"] as const;

/** The engine's options for a resource's inputs. */
function optionsOf(i: MySqlToPostgresInputs): MigrateOptions {
    return {
        from: i.source,
        to: i.target,
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

export function mySqlToPostgresProvider(): pulumi.dynamic.ResourceProvider<MySqlToPostgresInputs, MySqlToPostgresOutputs> {
    return {
        async check(_olds, news) {
            // In a preview, inputs computed from other resources (the Maintenance output, a database URL) arrive as
            // this marker: nothing to check about them yet.
            const isUnknown = (v: unknown): boolean => v === pulumi.runtime.unknownValue;
            const failures: { property: string; reason: string }[] = [];
            for (const [property, side] of [["source", "source"], ["target", "target"]] as const) {
                const problem = isUnknown(news[property]) ? undefined : connectionProblem(side, news[property]);
                if (problem) failures.push({ property, reason: problem });
            }
            const guarded = news.sourceMaintenance === true || isUnknown(news.sourceMaintenance) || news.allowWritesDuringCopy === true || isUnknown(news.allowWritesDuringCopy);
            if (!guarded) {
                failures.push({
                    property: "sourceMaintenance",
                    reason: "the copy would run while the source still accepts writes: pass the source app's Maintenance `enabled` output as sourceMaintenance (or set allowWritesDuringCopy: true for a rehearsal)",
                });
            }
            failures.push(...optionProblems(news, isUnknown));
            const inputs: MySqlToPostgresInputs = {
                source: news.source,
                target: news.target,
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
                columns: news.columns ?? {},
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
            if (!(inputs.sourceMaintenance === true || inputs.allowWritesDuringCopy === true)) {
                throw new Error("MySqlToPostgres: refusing to copy while the source is not in maintenance mode (sourceMaintenance is not true)");
            }
            const report = await migrate(optionsOf(inputs));
            const outs: MySqlToPostgresOutputs = {
                ...inputs,
                verified: true,
                rows: report.rows,
                bytes: report.bytes,
                tableResults: report.tables.map((t) => ({ source: t.source, target: t.target, rows: t.rows, checksum: t.checksum })),
                warnings: report.warnings.map((w) => w.message),
                sequencesReset: report.sequences.length,
                completedAt: new Date().toISOString(),
            };
            const id = `mysql-to-postgres-${fingerprintOfUrls(inputs.source, inputs.target)}`;
            return { id, outs };
        },

        async read(id, props) {
            if (!props) return { id, props };
            const state = await verificationState(optionsOf(props));
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

    constructor(name: string, args: MySqlToPostgresArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            packageProvider<MySqlToPostgresInputs, MySqlToPostgresOutputs>("data/mysql-to-postgres/resource", "mySqlToPostgresProvider"),
            name,
            {
                ...args,
                source: pulumi.secret(args.source),
                target: pulumi.secret(args.target),
                engineVersion: MIGRATION_ENGINE_VERSION,
                verified: undefined,
                rows: undefined,
                bytes: undefined,
                tableResults: undefined,
                warnings: undefined,
                sequencesReset: undefined,
                completedAt: undefined,
            },
            withTypeAlias({ ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "source", "target"] }, "pulumi-nodejs:dynamic/data:MySqlToPostgres"),
            "herokuenv",
            "data.MySqlToPostgres",
        );
    }
}

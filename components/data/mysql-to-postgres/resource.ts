// MySqlToPostgres: the migration as a Pulumi dynamic resource. create runs the copy; diff replaces only when the
// source, the target or an option that shapes the data changes; read reports the verification state; delete leaves
// the migrated data in place.
//
// The provider is thin on purpose. Pulumi serializes it with its closure, capturing project modules by value; the
// engine (buffers, classes, drivers) is loaded at run time instead, from a path captured as a plain string, so the
// serialized text stays small and independent of how the engine is written. In a plain-Node provider host the
// TypeScript engine is loaded through the project's ts-node (transpile only), as bin/herokuenv does.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as EngineModule from "./engine";
import type { ColumnOverride } from "./plan";

/** Bump when the engine's output changes in a way that should re-run existing migrations. */
export const MIGRATION_ENGINE_VERSION = "1";

const ENGINE_DIR = __dirname;

export interface MySqlToPostgresArgs {
    /** mysql://user:password@host:port/database (stored as a secret). */
    source: pulumi.Input<string>;
    /** postgres://… of the target database (stored as a secret), e.g. the Heroku Postgres add-on's DATABASE_URL. */
    target: pulumi.Input<string>;
    /** The source app's Maintenance resource `enabled` output: the copy runs only while the old site is read-only. */
    sourceMaintenance?: pulumi.Input<boolean>;
    /** Explicitly allow copying while the source still accepts writes (rehearsals); otherwise sourceMaintenance is required. */
    allowWritesDuringCopy?: pulumi.Input<boolean>;
    schema?: pulumi.Input<"create" | "existing">;
    overwrite?: pulumi.Input<boolean>;
    concurrency?: pulumi.Input<number>;
    tables?: pulumi.Input<pulumi.Input<string>[]>;
    targetSchema?: pulumi.Input<string>;
    sourceTimeZone?: pulumi.Input<string>;
    enumAs?: pulumi.Input<"type" | "check">;
    datetimeType?: pulumi.Input<"timestamptz" | "timestamp">;
    identifierCase?: pulumi.Input<"preserve" | "lower">;
    columns?: pulumi.Input<Record<string, ColumnOverride>>;
}

export interface MySqlToPostgresInputs {
    source: string;
    target: string;
    sourceMaintenance?: boolean;
    allowWritesDuringCopy?: boolean;
    schema: "create" | "existing";
    overwrite: boolean;
    concurrency: number;
    tables: string[];
    targetSchema: string;
    sourceTimeZone: string;
    enumAs: "type" | "check";
    datetimeType: "timestamptz" | "timestamp";
    identifierCase: "preserve" | "lower";
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

/** Pulumi's marker for a value not known yet (during preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function mySqlToPostgresProvider(): pulumi.dynamic.ResourceProvider<MySqlToPostgresInputs, MySqlToPostgresOutputs> {
    const engineDir = ENGINE_DIR;
    const replaceOn = [...REPLACE_ON];
    const unknown = UNKNOWN;

    // Loads the engine in the provider host: compiled JavaScript when present, else TypeScript through ts-node.
    const loadEngine = (): typeof EngineModule => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const fs = require("fs") as typeof import("fs");
        const nodePath = require("path") as typeof import("path");
        const candidates = [engineDir, nodePath.join(process.cwd(), "components", "data", "mysql-to-postgres")];
        const dir = candidates.find((d) => fs.existsSync(nodePath.join(d, "engine.js")) || fs.existsSync(nodePath.join(d, "engine.ts")));
        if (!dir) throw new Error("MySqlToPostgres: the herokuenv migration engine was not found next to the program");
        if (!fs.existsSync(nodePath.join(dir, "engine.js")) && !require.extensions[".ts"]) {
            const root = nodePath.resolve(dir, "..", "..", "..");
            const tsNode = require(require.resolve("ts-node", { paths: [root, process.cwd()] })) as { register(o: object): void };
            tsNode.register({ transpileOnly: true, project: nodePath.join(root, "tsconfig.json") });
        }
        return require(nodePath.join(dir, "engine")) as typeof EngineModule;
        /* eslint-enable @typescript-eslint/no-require-imports */
    };

    const optionsOf = (i: MySqlToPostgresInputs) => ({
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
    });

    return {
        async check(_olds, news) {
            const failures: { property: string; reason: string }[] = [];
            const isUnknown = (v: unknown): boolean => v === unknown;
            for (const key of ["source", "target"] as const) {
                if (typeof news[key] !== "string" || news[key] === "") failures.push({ property: key, reason: `${key} connection string is required` });
            }
            if (typeof news.source === "string" && !isUnknown(news.source) && !/^(mysql|mariadb):\/\//.test(news.source)) failures.push({ property: "source", reason: "source must be a mysql:// URL" });
            if (typeof news.target === "string" && !isUnknown(news.target) && !/^postgres(ql)?:\/\//.test(news.target)) failures.push({ property: "target", reason: "target must be a postgres:// URL" });
            const guarded = news.sourceMaintenance === true || isUnknown(news.sourceMaintenance) || news.allowWritesDuringCopy === true;
            if (!guarded) {
                failures.push({
                    property: "sourceMaintenance",
                    reason: "the copy would run while the source still accepts writes: pass the source app's Maintenance `enabled` output as sourceMaintenance (or set allowWritesDuringCopy: true for a rehearsal)",
                });
            }
            const schema = news.schema ?? "create";
            if (schema !== "create" && schema !== "existing") failures.push({ property: "schema", reason: "schema must be create or existing" });
            const concurrency = news.concurrency ?? 2;
            if (!isUnknown(concurrency) && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)) failures.push({ property: "concurrency", reason: "concurrency must be an integer from 1 to 16" });
            const inputs: MySqlToPostgresInputs = {
                source: news.source,
                target: news.target,
                ...(news.sourceMaintenance !== undefined ? { sourceMaintenance: news.sourceMaintenance } : {}),
                ...(news.allowWritesDuringCopy !== undefined ? { allowWritesDuringCopy: news.allowWritesDuringCopy } : {}),
                schema,
                overwrite: news.overwrite ?? false,
                concurrency,
                tables: news.tables ?? [],
                targetSchema: news.targetSchema ?? "public",
                sourceTimeZone: news.sourceTimeZone ?? "UTC",
                enumAs: news.enumAs ?? "type",
                datetimeType: news.datetimeType ?? "timestamptz",
                identifierCase: news.identifierCase ?? "preserve",
                columns: news.columns ?? {},
                engineVersion: news.engineVersion ?? "1",
            };
            return { inputs, failures };
        },

        async diff(_id, olds, news) {
            const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
            const replaces = replaceOn.filter((k) => !same((olds as unknown as Record<string, unknown>)[k], (news as unknown as Record<string, unknown>)[k]));
            return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
        },

        async create(inputs) {
            if (!(inputs.sourceMaintenance === true || inputs.allowWritesDuringCopy === true)) {
                throw new Error("MySqlToPostgres: refusing to copy while the source is not in maintenance mode (sourceMaintenance is not true)");
            }
            const engine = loadEngine();
            const report = await engine.migrate(optionsOf(inputs));
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
            const id = `mysql-to-postgres-${engine.fingerprintOfUrls(inputs.source, inputs.target)}`;
            return { id, outs };
        },

        async read(id, props) {
            if (!props) return { id, props };
            const engine = loadEngine();
            const state = await engine.verificationState({ ...optionsOf(props), tables: props.tables.length > 0 ? props.tables : undefined });
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

/** A MySQL/MariaDB → PostgreSQL migration step (`pulumi-nodejs:dynamic/data:MySqlToPostgres`). */
export class MySqlToPostgres extends pulumi.dynamic.Resource {
    public readonly verified!: pulumi.Output<boolean>;
    public readonly rows!: pulumi.Output<number>;
    public readonly bytes!: pulumi.Output<number>;
    public readonly tableResults!: pulumi.Output<MySqlToPostgresOutputs["tableResults"]>;
    public readonly warnings!: pulumi.Output<string[]>;

    constructor(name: string, args: MySqlToPostgresArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            mySqlToPostgresProvider(),
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
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "source", "target"] },
            "data",
            "MySqlToPostgres",
        );
    }
}

/** Where the engine lives (for tests and documentation). */
export const engineDirectory = (): string => path.resolve(ENGINE_DIR);

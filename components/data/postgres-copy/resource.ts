// DatabaseCopy: a PostgreSQL → PostgreSQL copy as a Pulumi step. Staging declares one from production (a full copy,
// through Heroku's server-side transfer when it can be), each sandbox one from staging (scrubbed and sampled by the
// stack's `herokuenv:seed` rules). It runs on creation and again when `refreshToken` changes; deleting it leaves the
// data. Both databases are named by their Heroku apps; the URLs are read from the apps' config vars when it runs.
//
// Guards at this level (the engine checks the target database's own marker as well): a target of kind or stack
// production is refused at check, whatever the other inputs; a sandbox target needs scrubbing rules and a seed.
import { Client } from "pg";
import * as pulumi from "@pulumi/pulumi";
import { databaseUrlOfApp } from "../../heroku/config-var-url";
import { configureConnection, type HerokuConnection } from "../../heroku/provider";
import { packageProvider } from "../../package-provider";
import { syncFiles, type SyncSummary } from "../file-sync/engine";
import { readFileKeys, scrubFingerprint, scrubHooks, validateSeedConfig, type ScrubRules } from "../scrub";
import { copy } from "./engine";
import { markEnvironment, type EnvironmentKind } from "./guards";
import { queryOf } from "./session";

/** Bump when the engine's output changes in a way that must re-run existing copies. */
export const DATABASE_COPY_ENGINE_VERSION = "1";

export interface DatabaseCopyArgs {
    /** The Heroku app whose database is copied (name or id) and the config var of its URL. */
    sourceApp: pulumi.Input<string>;
    sourceConfigVar?: pulumi.Input<string>;
    /** The Heroku app whose database is replaced, its config var, and its add-on (for Heroku's transfer service). */
    targetApp: pulumi.Input<string>;
    targetConfigVar?: pulumi.Input<string>;
    targetAddon?: pulumi.Input<string>;
    /** The kind and stack of the target environment: production is refused. */
    targetKind: pulumi.Input<"staging" | "sandbox">;
    targetStack: pulumi.Input<string>;
    /** Scrubbing and sampling rules (the `herokuenv:seed` document, without its secret). */
    rules?: pulumi.Input<Record<string, unknown>>;
    /** The HMAC seed of the fakes (stored as a secret). */
    seed?: pulumi.Input<string>;
    /** Use Heroku's transfer service when nothing is scrubbed (default true). */
    serverSide?: pulumi.Input<boolean>;
    /** A new value copies again (replacing the target's data). */
    refreshToken?: pulumi.Input<string>;
    /**
     * With rules that list `files.keys`: after the copy, the user files the target's (sampled) rows name are copied
     * bucket to bucket (server-side CopyObject, the usual AWS credentials), and only those.
     */
    files?: pulumi.Input<DatabaseCopyFiles>;
}

/** Where a sampled copy's user files come from and go (s3://bucket/prefix each), and the S3 endpoint when not AWS. */
export interface DatabaseCopyFiles {
    source: string;
    destination: string;
    region?: string;
    endpoint?: string;
    forcePathStyle?: boolean;
}

export interface DatabaseCopyInputs {
    sourceApp: string;
    sourceConfigVar: string;
    targetApp: string;
    targetConfigVar: string;
    targetAddon?: string;
    targetKind: EnvironmentKind;
    targetStack: string;
    rules?: Record<string, unknown>;
    seed?: string;
    serverSide: boolean;
    refreshToken: string;
    engineVersion: string;
    files?: DatabaseCopyFiles;
}

export interface DatabaseCopyOutputs extends DatabaseCopyInputs {
    /** With `files`: the objects copied for the sampled rows, and the keys the rows name that the source lacks. */
    filesCopied?: number;
    filesNotFound?: number;
    mode: "stream" | "heroku-transfer";
    verification: string;
    tables: number;
    rows: number;
    bytes: number;
    seconds: number;
    scrubbed: boolean;
    completedAt: string;
}

/** Inputs whose change means another copy into another place: a replacement. */
const REPLACE_ON = ["sourceApp", "sourceConfigVar", "targetApp", "targetConfigVar", "targetKind", "targetStack"] as const;
/** Inputs whose change means the same target gets a new copy: an update that replaces its data. */
const RECOPY_ON = ["rules", "seed", "refreshToken", "engineVersion", "serverSide", "targetAddon", "files"] as const;

export function databaseCopyProvider(): pulumi.dynamic.ResourceProvider<DatabaseCopyInputs, DatabaseCopyOutputs> {
    const connection: HerokuConnection = {};
    const unknown = (v: unknown) => v === pulumi.runtime.unknownValue;

    const run = async (inputs: DatabaseCopyInputs, overwrite: boolean): Promise<DatabaseCopyOutputs> => {
        const from = await databaseUrlOfApp(connection, inputs.sourceApp, inputs.sourceConfigVar, "source");
        const to = await databaseUrlOfApp(connection, inputs.targetApp, inputs.targetConfigVar, "target");
        const scrub = inputs.rules !== undefined ? validateSeedConfig({ ...inputs.rules, secret: inputs.seed }) : undefined;
        const hooks = scrub ? scrubHooks(scrub.rules, scrub.secret as string) : undefined;
        const token = connection.apiKey ?? process.env.HEROKU_API_KEY;
        const report = await copy({
            from,
            to,
            overwrite,
            targetKind: inputs.targetKind,
            ...(hooks && scrub ? { hooks, hooksFingerprint: scrubFingerprint(scrub.rules, scrub.secret as string) } : {}),
            ...(!hooks && inputs.serverSide && inputs.targetAddon && token
                ? { heroku: { token, source: { app: inputs.sourceApp, addon: "DATABASE" }, target: { app: inputs.targetApp, addon: inputs.targetAddon } } }
                : {}),
        });
        // Heroku's transfer copies the whole database, the source's own marker included: the target is marked again
        // as what it is (a no-op after a streamed copy, which never copies the marker).
        const client = new Client({ connectionString: to });
        await client.connect();
        let files: SyncSummary | undefined;
        try {
            await markEnvironment(client, inputs.targetKind, inputs.targetStack);
            // Only the user files the sampled rows name, read from the target now that it holds them.
            const keyColumns = hooks ? scrub?.rules.files?.keys : undefined;
            if (keyColumns && inputs.files) {
                const onlyKeys = await readFileKeys(keyColumns, queryOf(client));
                const { source, destination, ...connection } = inputs.files;
                files = await syncFiles({ source, destination, connection, onlyKeys });
            }
        } finally {
            await client.end();
        }
        return {
            ...inputs,
            ...(files ? { filesCopied: files.files, filesNotFound: files.notFound ?? 0 } : {}),
            mode: report.mode,
            verification: report.verification,
            tables: report.tables.length,
            rows: report.rows,
            bytes: report.bytes,
            seconds: report.seconds,
            scrubbed: hooks !== undefined,
            completedAt: new Date().toISOString(),
        };
    };

    return {
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: Array<{ property: string; reason: string }> = [];
            const kind: unknown = news.targetKind;
            if (kind === "production" || news.targetStack === "production") {
                failures.push({ property: "targetKind", reason: "a database copy never writes into production: its target must be a staging or sandbox stack's database" });
            } else if (!unknown(kind) && kind !== "staging" && kind !== "sandbox") {
                failures.push({ property: "targetKind", reason: `must be staging or sandbox, got ${JSON.stringify(kind)}` });
            }
            for (const key of ["sourceApp", "targetApp", "targetStack"] as const) {
                if (!unknown(news[key]) && (typeof news[key] !== "string" || news[key] === "")) failures.push({ property: key, reason: `${key} is required` });
            }
            if (!unknown(news.sourceApp) && news.sourceApp === news.targetApp) failures.push({ property: "targetApp", reason: "source and target are the same app's database" });
            if (kind === "sandbox" && news.rules === undefined) {
                failures.push({ property: "rules", reason: "an unscrubbed copy into a sandbox is refused: declare herokuenv:seed (the scrubbing rules) in Pulumi.staging.yaml" });
            }
            let rules: ScrubRules | undefined;
            if (news.rules !== undefined && !unknown(news.rules) && !unknown(news.seed)) {
                if (typeof news.seed !== "string" || news.seed === "") {
                    failures.push({ property: "seed", reason: "scrubbing needs its secret seed: pulumi config set --secret --path 'herokuenv:seed.secret' <value>" });
                } else {
                    try {
                        rules = validateSeedConfig({ ...news.rules, secret: news.seed }).rules;
                    } catch (err) {
                        failures.push({ property: "rules", reason: (err as Error).message });
                    }
                }
            }
            if (news.files !== undefined && !unknown(news.files) && !unknown(news.rules) && (news.rules === undefined || (rules !== undefined && rules.files === undefined))) {
                failures.push({ property: "files", reason: "copying only the sampled rows' files needs the rules to name the columns that hold the file keys (files: { keys: [table.column] })" });
            }
            const inputs: DatabaseCopyInputs = {
                sourceApp: news.sourceApp,
                sourceConfigVar: news.sourceConfigVar ?? "DATABASE_URL",
                targetApp: news.targetApp,
                targetConfigVar: news.targetConfigVar ?? "DATABASE_URL",
                ...(news.targetAddon !== undefined ? { targetAddon: news.targetAddon } : {}),
                targetKind: news.targetKind,
                targetStack: news.targetStack,
                ...(news.rules !== undefined ? { rules: news.rules } : {}),
                ...(news.seed !== undefined ? { seed: news.seed } : {}),
                ...(news.files !== undefined ? { files: news.files } : {}),
                serverSide: news.serverSide ?? true,
                refreshToken: news.refreshToken ?? "",
                engineVersion: news.engineVersion ?? DATABASE_COPY_ENGINE_VERSION,
            };
            return { inputs, failures };
        },

        async diff(_id, olds, news) {
            const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
            const replaces = REPLACE_ON.filter((k) => !same(olds[k], news[k]));
            const recopy = RECOPY_ON.filter((k) => !same(olds[k], news[k]));
            return { changes: replaces.length + recopy.length > 0, replaces: [...replaces], deleteBeforeReplace: true };
        },

        async create(inputs) {
            // A new target: it holds the marker only; a non-empty one is refused by the engine.
            return { id: `${inputs.targetApp}/database-copy`, outs: await run(inputs, false) };
        },

        async update(_id, _olds, news) {
            // The refresh token (or the rules) changed: that is the explicit request to replace the target's data.
            return { outs: await run(news, true) };
        },

        async read(id, props) {
            return { id, props };
        },
    };
}

/** A PostgreSQL → PostgreSQL copy between two apps' databases (`pulumi-nodejs:dynamic/herokuenv:data.DatabaseCopy`). */
export class DatabaseCopy extends pulumi.dynamic.Resource {
    public readonly rows!: pulumi.Output<number>;
    public readonly bytes!: pulumi.Output<number>;
    public readonly tables!: pulumi.Output<number>;
    public readonly mode!: pulumi.Output<string>;
    public readonly scrubbed!: pulumi.Output<boolean>;
    public readonly completedAt!: pulumi.Output<string>;
    public readonly filesCopied!: pulumi.Output<number | undefined>;
    public readonly filesNotFound!: pulumi.Output<number | undefined>;

    constructor(name: string, args: DatabaseCopyArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            packageProvider<DatabaseCopyInputs, DatabaseCopyOutputs>("data/postgres-copy/resource", "databaseCopyProvider"),
            name,
            {
                ...args,
                ...(args.seed !== undefined ? { seed: pulumi.secret(args.seed) } : {}),
                engineVersion: DATABASE_COPY_ENGINE_VERSION,
                mode: undefined,
                verification: undefined,
                tables: undefined,
                rows: undefined,
                bytes: undefined,
                seconds: undefined,
                scrubbed: undefined,
                completedAt: undefined,
                filesCopied: undefined,
                filesNotFound: undefined,
            },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "seed"] },
            "herokuenv",
            "data.DatabaseCopy",
        );
    }
}

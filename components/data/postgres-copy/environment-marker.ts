// Marks the environment's own database with its kind and stack (a row in herokuenv.environment, see guards.ts), so
// that the copy engine itself, reading the target, refuses to write into production whatever its caller says. Every
// stack declares one; production's is what makes production's database impossible to aim a copy at.
import { Client } from "pg";
import * as pulumi from "@pulumi/pulumi";
import { databaseUrlOfApp } from "../../heroku/config-var-url";
import { configureConnection, type HerokuConnection } from "../../heroku/provider";
import { oneShotDiff, recordOnly } from "../../migration/one-shot";
import { packageProvider } from "../../package-provider";
import { ENVIRONMENT_KINDS, markEnvironment, type EnvironmentKind } from "./guards";

export interface EnvironmentMarkerArgs {
    /** The Heroku app whose database is marked (its id). */
    app: pulumi.Input<string>;
    /** The config var holding its URL (DATABASE_URL). */
    configVar: pulumi.Input<string>;
    kind: pulumi.Input<EnvironmentKind>;
    stack: pulumi.Input<string>;
}

export interface EnvironmentMarkerInputs {
    app: string;
    configVar: string;
    kind: EnvironmentKind;
    stack: string;
}

export interface EnvironmentMarkerOutputs extends EnvironmentMarkerInputs {
    markedAt: string;
}

export function environmentMarkerProvider(): pulumi.dynamic.ResourceProvider<EnvironmentMarkerInputs, EnvironmentMarkerOutputs> {
    const connection: HerokuConnection = {};
    return {
        configure: configureConnection(connection),
        async check(_olds, news) {
            const kind: unknown = news.kind;
            const failures = ENVIRONMENT_KINDS.includes(kind as EnvironmentKind) || kind === pulumi.runtime.unknownValue ? [] : [{ property: "kind", reason: `must be one of ${ENVIRONMENT_KINDS.join(", ")}` }];
            return { inputs: news, failures };
        },
        diff: oneShotDiff<EnvironmentMarkerInputs>(["app", "configVar", "kind", "stack"]),
        async create(inputs) {
            const url = await databaseUrlOfApp(connection, inputs.app, inputs.configVar, `${inputs.kind} environment's`);
            const client = new Client({ connectionString: url });
            await client.connect();
            try {
                await markEnvironment(client, inputs.kind, inputs.stack);
            } finally {
                await client.end();
            }
            return { id: `${inputs.app}/environment-marker`, outs: { ...inputs, markedAt: new Date().toISOString() } };
        },
        read: recordOnly,
    };
}

/** The environment marker in a stack's own database (`pulumi-nodejs:dynamic/herokuenv:data.EnvironmentMarker`). */
export class EnvironmentMarker extends pulumi.dynamic.Resource {
    public readonly markedAt!: pulumi.Output<string>;

    constructor(name: string, args: EnvironmentMarkerArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            packageProvider<EnvironmentMarkerInputs, EnvironmentMarkerOutputs>("data/postgres-copy/environment-marker", "environmentMarkerProvider"),
            name,
            { ...args, markedAt: undefined },
            opts,
            "herokuenv",
            "data.EnvironmentMarker",
        );
    }
}

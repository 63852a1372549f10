// The config vars one stack declares on a Heroku app. It owns only the keys it declares: add-on vars such as
// DATABASE_URL and anything set by hand stay untouched, on create, update and delete. Removing a key from the program
// unsets it (PATCH with null). Secret values live in `secretVars`, which Pulumi keeps encrypted in state and masks in
// diffs; no value ever goes into an error or a log line (errors carry the method and path only). Refresh reads the
// live values of the owned keys, so out-of-band edits show up as a diff and the next update puts them back.
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias } from "../package-provider";
import { isNotFound } from "./client";
import { configVarPatch, configVarsDiff, isUnknown, ownedConfigVars } from "./diff";
import { configureConnection, connect, gone, ignoreNotFound, withSafeErrors, type CheckFailure, type HerokuConnection } from "./provider";

export interface ConfigVarsArgs {
    /** App id or name. */
    app: pulumi.Input<string>;
    vars?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Marked secret whatever the caller passed. */
    secretVars?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface ConfigVarsInputs {
    app: string;
    vars: Record<string, string>;
    secretVars: Record<string, string>;
}

export type ConfigVarsOutputs = ConfigVarsInputs;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function allOwned(v: ConfigVarsInputs): Record<string, string> {
    return { ...v.vars, ...v.secretVars };
}

/** Ids are `<app>/config-vars`; an import may also give the app alone. */
function appOf(id: string): string {
    return id.replace(/\/config-vars$/, "");
}

export function configVarsProvider(): pulumi.dynamic.ResourceProvider<ConfigVarsInputs, ConfigVarsOutputs> {
    const connection: HerokuConnection = {};
    return withSafeErrors({
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            const vars = news.vars ?? {};
            const secretVars = news.secretVars ?? {};
            for (const [section, map] of [["vars", vars], ["secretVars", secretVars]] as const) {
                if (isUnknown(map)) continue;
                if (typeof map !== "object" || map === null || Array.isArray(map)) {
                    failures.push({ property: section, reason: "must be a map of config var names to string values" });
                    continue;
                }
                for (const [key, value] of Object.entries(map)) {
                    if (!NAME.test(key)) failures.push({ property: `${section}.${key}`, reason: "config var names are letters, digits and underscores, not starting with a digit" });
                    // Never echo the value: it may be a secret.
                    if (typeof value !== "string" && !isUnknown(value)) failures.push({ property: `${section}.${key}`, reason: "config var values must be strings" });
                }
            }
            if (!isUnknown(vars) && !isUnknown(secretVars)) {
                for (const key of Object.keys(secretVars)) {
                    if (key in vars) failures.push({ property: `vars.${key}`, reason: "declared both plain and secret" });
                }
            }
            return { inputs: { app: news.app, vars, secretVars }, failures };
        },

        async diff(_id, olds, news) {
            // Pure: key names only, no API request.
            const d = configVarsDiff(olds, news);
            return { changes: d.changes, replaces: d.replaces };
        },

        async create(inputs) {
            // Claims the declared keys (a value already there is overwritten); every other key stays as it is.
            const patch = configVarPatch({}, allOwned(inputs));
            if (Object.keys(patch).length > 0) await connect(connection).updateConfigVars(inputs.app, patch);
            return { id: `${inputs.app}/config-vars`, outs: inputs };
        },

        async read(id, props) {
            const api = connect(connection);
            const app = props?.app ?? appOf(id);
            let live: Record<string, string | null>;
            try {
                live = await api.getConfigVars(app);
            } catch (err) {
                if (isNotFound(err)) return gone();
                throw err;
            }
            if (props?.vars !== undefined || props?.secretVars !== undefined) {
                const outs: ConfigVarsOutputs = {
                    app,
                    vars: ownedConfigVars(live, Object.keys(props.vars ?? {})),
                    secretVars: ownedConfigVars(live, Object.keys(props.secretVars ?? {})),
                };
                return { id, props: outs };
            }
            // Import with nothing declared: adopt every var except those add-ons set, all as secrets (the safe guess;
            // declare a key under `vars` and the next update moves it, without an API request).
            const [addons, attachments] = await Promise.all([api.listAddOns(app), api.listAppAttachments(app)]);
            const addonVars = [...addons.flatMap((a) => a.config_vars), ...attachments.map((a) => `${a.name}_URL`)];
            const keys = Object.keys(live).filter((k) => !addonVars.includes(k));
            const outs: ConfigVarsOutputs = { app, vars: {}, secretVars: ownedConfigVars(live, keys) };
            // No `inputs` here: they would be stored without Pulumi's secret marking.
            return { id: `${app}/config-vars`, props: outs };
        },

        async update(_id, olds, news) {
            const patch = configVarPatch(allOwned(olds), allOwned(news));
            if (Object.keys(patch).length > 0) await connect(connection).updateConfigVars(news.app, patch);
            return { outs: news };
        },

        async delete(_id, props) {
            // Unsets the owned keys only; a deleted app has none left.
            const patch = configVarPatch(allOwned(props), {});
            if (Object.keys(patch).length > 0) await ignoreNotFound(connect(connection).updateConfigVars(props.app, patch));
        },
    });
}

/** Config vars on a Heroku app (`pulumi-nodejs:dynamic/herokuenv:heroku.ConfigVars`). */
export class ConfigVars extends pulumi.dynamic.Resource {
    public readonly app!: pulumi.Output<string>;
    public readonly vars!: pulumi.Output<Record<string, string>>;
    public readonly secretVars!: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: ConfigVarsArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            packageProvider<ConfigVarsInputs, ConfigVarsOutputs>("heroku/config-vars", "configVarsProvider"),
            name,
            { app: args.app, vars: args.vars ?? {}, secretVars: pulumi.secret(args.secretVars ?? {}) },
            withTypeAlias(pulumi.mergeOptions(opts, { additionalSecretOutputs: ["secretVars"] }), "pulumi-nodejs:dynamic/heroku:ConfigVars"),
            "herokuenv",
            "heroku.ConfigVars",
        );
    }
}

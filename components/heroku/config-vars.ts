// The config vars one stack declares on a Heroku app. It owns only the keys it declares: add-on vars such as
// DATABASE_URL and anything set by hand stay untouched. Secret values live in `secretVars`, which Pulumi keeps
// encrypted in state and masks in diffs; refresh reads the live values of owned keys so out-of-band edits show.
import * as pulumi from "@pulumi/pulumi";
import { configVarPatch, ownedConfigVars } from "./diff";
import { configureConnection, connect, ignoreNotFound, seg, type CheckFailure, type HerokuConnection } from "./provider";

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

export function configVarsProvider(): pulumi.dynamic.ResourceProvider<ConfigVarsInputs, ConfigVarsOutputs> {
    const connection: HerokuConnection = {};
    return {
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            const vars = news.vars ?? {};
            const secretVars = news.secretVars ?? {};
            for (const [section, map] of [["vars", vars], ["secretVars", secretVars]] as const) {
                for (const [key, value] of Object.entries(map)) {
                    if (!NAME.test(key)) failures.push({ property: `${section}.${key}`, reason: "config var names are letters, digits and underscores, not starting with a digit" });
                    // Never echo the value: it may be a secret.
                    if (typeof value !== "string") failures.push({ property: `${section}.${key}`, reason: "config var values must be strings" });
                }
            }
            for (const key of Object.keys(secretVars)) {
                if (key in vars) failures.push({ property: `vars.${key}`, reason: "declared both plain and secret" });
            }
            return { inputs: { app: news.app, vars, secretVars }, failures };
        },

        async diff(_id, olds, news) {
            const replaces = olds.app !== news.app ? ["app"] : [];
            const changes = replaces.length > 0 || Object.keys(configVarPatch(allOwned(olds), allOwned(news))).length > 0
                // A key moving between plain and secret changes how state stores it.
                || JSON.stringify(Object.keys(olds.secretVars).sort()) !== JSON.stringify(Object.keys(news.secretVars).sort());
            return { changes, replaces };
        },

        async create(inputs) {
            const patch = configVarPatch({}, allOwned(inputs));
            if (Object.keys(patch).length > 0) await connect(connection).patch(`/apps/${seg(inputs.app)}/config-vars`, patch);
            return { id: `${inputs.app}/config-vars`, outs: inputs };
        },

        async read(id, props) {
            const app = props?.app ?? id.replace(/\/config-vars$/, "");
            const live = await connect(connection).get<Record<string, string | null>>(`/apps/${seg(app)}/config-vars`);
            if (props === undefined) {
                // Import: nothing says which keys are ours or secret, so adopt all of them as secret.
                return { id, props: { app, vars: {}, secretVars: ownedConfigVars(live, Object.keys(live)) } };
            }
            return {
                id,
                props: {
                    app,
                    vars: ownedConfigVars(live, Object.keys(props.vars)),
                    secretVars: ownedConfigVars(live, Object.keys(props.secretVars)),
                },
            };
        },

        async update(_id, olds, news) {
            const patch = configVarPatch(allOwned(olds), allOwned(news));
            if (Object.keys(patch).length > 0) await connect(connection).patch(`/apps/${seg(news.app)}/config-vars`, patch);
            return { outs: news };
        },

        async delete(_id, props) {
            const patch = configVarPatch(allOwned(props), {});
            if (Object.keys(patch).length > 0) await ignoreNotFound(connect(connection).patch(`/apps/${seg(props.app)}/config-vars`, patch));
        },
    };
}

/** Config vars on a Heroku app (`herokuenv:heroku:ConfigVars`). */
export class ConfigVars extends pulumi.dynamic.Resource {
    public readonly app!: pulumi.Output<string>;
    public readonly vars!: pulumi.Output<Record<string, string>>;
    public readonly secretVars!: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: ConfigVarsArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            configVarsProvider(),
            name,
            { app: args.app, vars: args.vars ?? {}, secretVars: pulumi.secret(args.secretVars ?? {}) },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["secretVars"] }),
            "heroku",
            "ConfigVars",
        );
    }
}

// Automated Certificate Management on an app: Heroku issues and renews certificates for its custom domains. On while
// the resource exists, off when it is deleted; switched off by hand, it shows on refresh and the next update turns it
// back on.
import * as pulumi from "@pulumi/pulumi";
import { appToggleDiff } from "./diff";
import { configureConnection, connect, gone, ignoreNotFound, withSafeErrors, type HerokuConnection } from "./provider";

export interface AcmArgs {
    app: pulumi.Input<string>;
}

export interface AcmInputs {
    app: string;
}

export interface AcmOutputs extends AcmInputs {
    enabled: boolean;
}

export function acmProvider(): pulumi.dynamic.ResourceProvider<AcmInputs, AcmOutputs> {
    const connection: HerokuConnection = {};
    return withSafeErrors({
        configure: configureConnection(connection),

        async check(_olds, news) {
            return { inputs: { app: news.app }, failures: [] };
        },

        async diff(_id, olds, news) {
            // Someone switched it off by hand (seen by refresh): the update switches it back on.
            const d = appToggleDiff(olds, news);
            return { changes: d.changes, replaces: d.replaces };
        },

        async create(inputs) {
            // POST /apps/{app}/acm is sent as idempotent: enabling twice leaves ACM enabled.
            await connect(connection).enableAcm(inputs.app);
            return { id: `${inputs.app}/acm`, outs: { app: inputs.app, enabled: true } };
        },

        async read(id, props) {
            const app = props?.app ?? id.replace(/\/acm$/, "");
            const live = await connect(connection).findApp(app);
            if (live === undefined) return gone();
            return { id: `${app}/acm`, props: { app, enabled: live.acm }, ...(props?.app === undefined ? { inputs: { app } as AcmOutputs } : {}) };
        },

        async update(_id, _olds, news) {
            await connect(connection).enableAcm(news.app);
            return { outs: { app: news.app, enabled: true } };
        },

        async delete(_id, props) {
            await ignoreNotFound(connect(connection).disableAcm(props.app));
        },
    });
}

/** Automated Certificate Management on a Heroku app (`pulumi-nodejs:dynamic/heroku:Acm`). */
export class Acm extends pulumi.dynamic.Resource {
    public readonly enabled!: pulumi.Output<boolean>;

    constructor(name: string, args: AcmArgs, opts?: pulumi.CustomResourceOptions) {
        super(acmProvider(), name, { ...args, enabled: undefined }, opts, "heroku", "Acm");
    }
}

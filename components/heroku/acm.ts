// Automated Certificate Management on an app: Heroku issues and renews certificates for its custom domains.
import * as pulumi from "@pulumi/pulumi";
import { configureConnection, connect, ignoreNotFound, seg, type HerokuConnection } from "./provider";

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
    return {
        configure: configureConnection(connection),

        async diff(_id, olds, news) {
            return { changes: olds.app !== news.app || olds.enabled !== true, replaces: olds.app !== news.app ? ["app"] : [] };
        },

        async create(inputs) {
            await connect(connection).post(`/apps/${seg(inputs.app)}/acm`, undefined, { idempotent: true /* enabling twice is harmless */ });
            return { id: `${inputs.app}/acm`, outs: { app: inputs.app, enabled: true } };
        },

        async read(id, props) {
            const app = props?.app ?? id.replace(/\/acm$/, "");
            const live = await connect(connection).get<{ acm: boolean }>(`/apps/${seg(app)}`);
            return { id, props: { app, enabled: live.acm } };
        },

        async update(_id, _olds, news) {
            await connect(connection).post(`/apps/${seg(news.app)}/acm`, undefined, { idempotent: true });
            return { outs: { app: news.app, enabled: true } };
        },

        async delete(_id, props) {
            await ignoreNotFound(connect(connection).delete(`/apps/${seg(props.app)}/acm`));
        },
    };
}

/** Automated Certificate Management on a Heroku app (`herokuenv:heroku:Acm`). */
export class Acm extends pulumi.dynamic.Resource {
    public readonly enabled!: pulumi.Output<boolean>;

    constructor(name: string, args: AcmArgs, opts?: pulumi.CustomResourceOptions) {
        super(acmProvider(), name, { ...args, enabled: undefined }, opts, "heroku", "Acm");
    }
}

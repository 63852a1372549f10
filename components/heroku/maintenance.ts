// Maintenance mode on while this resource exists, off when it is deleted. Data steps take it as an input, so they
// cannot run while the old site still accepts writes.
import * as pulumi from "@pulumi/pulumi";
import { configureConnection, connect, ignoreNotFound, seg, type HerokuConnection } from "./provider";

export interface MaintenanceArgs {
    app: pulumi.Input<string>;
}

export interface MaintenanceInputs {
    app: string;
}

export interface MaintenanceOutputs extends MaintenanceInputs {
    enabled: boolean;
}

export function maintenanceProvider(): pulumi.dynamic.ResourceProvider<MaintenanceInputs, MaintenanceOutputs> {
    const connection: HerokuConnection = {};
    const set = (app: string, maintenance: boolean) => connect(connection).patch(`/apps/${seg(app)}`, { maintenance });
    return {
        configure: configureConnection(connection),

        async diff(_id, olds, news) {
            // Someone switched maintenance off by hand (seen by refresh): switch it back on.
            return { changes: olds.app !== news.app || olds.enabled !== true, replaces: olds.app !== news.app ? ["app"] : [] };
        },

        async create(inputs) {
            await set(inputs.app, true);
            return { id: `${inputs.app}/maintenance`, outs: { app: inputs.app, enabled: true } };
        },

        async read(id, props) {
            const app = props?.app ?? id.replace(/\/maintenance$/, "");
            const live = await connect(connection).get<{ maintenance: boolean }>(`/apps/${seg(app)}`);
            return { id, props: { app, enabled: live.maintenance } };
        },

        async update(_id, _olds, news) {
            await set(news.app, true);
            return { outs: { app: news.app, enabled: true } };
        },

        async delete(_id, props) {
            await ignoreNotFound(set(props.app, false));
        },
    };
}

/** Maintenance mode of a Heroku app, on while the resource exists (`herokuenv:heroku:Maintenance`). */
export class Maintenance extends pulumi.dynamic.Resource {
    public readonly app!: pulumi.Output<string>;
    public readonly enabled!: pulumi.Output<boolean>;

    constructor(name: string, args: MaintenanceArgs, opts?: pulumi.CustomResourceOptions) {
        super(maintenanceProvider(), name, { ...args, enabled: undefined }, opts, "heroku", "Maintenance");
    }
}

// Maintenance mode on while this resource exists, off when it is deleted. Data steps take it as an input, so they
// cannot run while the old site still accepts writes. Someone switching it off by hand shows on refresh (`enabled`
// false) and the next update switches it back on.
import * as pulumi from "@pulumi/pulumi";
import { appToggleDiff } from "./diff";
import { configureConnection, connect, gone, ignoreNotFound, withSafeErrors, type HerokuConnection } from "./provider";

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
    const set = (app: string, maintenance: boolean) => connect(connection).setMaintenance(app, maintenance);
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
            await set(inputs.app, true);
            return { id: `${inputs.app}/maintenance`, outs: { app: inputs.app, enabled: true } };
        },

        async read(id, props) {
            const app = props?.app ?? id.replace(/\/maintenance$/, "");
            const live = await connect(connection).findApp(app);
            if (live === undefined) return gone();
            return { id: `${app}/maintenance`, props: { app, enabled: live.maintenance }, ...(props?.app === undefined ? { inputs: { app } as MaintenanceOutputs } : {}) };
        },

        async update(_id, _olds, news) {
            await set(news.app, true);
            return { outs: { app: news.app, enabled: true } };
        },

        async delete(_id, props) {
            await ignoreNotFound(set(props.app, false));
        },
    });
}

/** Maintenance mode of a Heroku app, on while the resource exists (`pulumi-nodejs:dynamic/heroku:Maintenance`). */
export class Maintenance extends pulumi.dynamic.Resource {
    public readonly app!: pulumi.Output<string>;
    public readonly enabled!: pulumi.Output<boolean>;

    constructor(name: string, args: MaintenanceArgs, opts?: pulumi.CustomResourceOptions) {
        super(maintenanceProvider(), name, { ...args, enabled: undefined }, opts, "heroku", "Maintenance");
    }
}

// Maintenance mode on while this resource exists, off when it is deleted. Data steps take it as an input, so they
// cannot run while the old site still accepts writes. Someone switching it off by hand shows on refresh (`enabled`
// false) and the next update switches it back on.
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias } from "../package-provider";
import { appSwitchProvider, type AppSwitchInputs, type AppSwitchOutputs } from "./app-switch";

export interface MaintenanceArgs {
    app: pulumi.Input<string>;
}

export type MaintenanceInputs = AppSwitchInputs;
export type MaintenanceOutputs = AppSwitchOutputs;

export function maintenanceProvider(): pulumi.dynamic.ResourceProvider<MaintenanceInputs, MaintenanceOutputs> {
    return appSwitchProvider({
        idSuffix: "maintenance",
        turnOn: (api, app) => api.setMaintenance(app, true),
        turnOff: (api, app) => api.setMaintenance(app, false),
        isOn: (app) => app.maintenance,
    });
}

/** Maintenance mode of a Heroku app, on while the resource exists (`pulumi-nodejs:dynamic/herokuenv:heroku.Maintenance`). */
export class Maintenance extends pulumi.dynamic.Resource {
    public readonly app!: pulumi.Output<string>;
    public readonly enabled!: pulumi.Output<boolean>;

    constructor(name: string, args: MaintenanceArgs, opts?: pulumi.CustomResourceOptions) {
        super(packageProvider<MaintenanceInputs, MaintenanceOutputs>("heroku/maintenance", "maintenanceProvider"), name, { ...args, enabled: undefined }, withTypeAlias(opts, "pulumi-nodejs:dynamic/heroku:Maintenance"), "herokuenv", "heroku.Maintenance");
    }
}

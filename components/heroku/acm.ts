// Automated Certificate Management on an app: Heroku issues and renews certificates for its custom domains. On while
// the resource exists, off when it is deleted; switched off by hand, it shows on refresh and the next update turns it
// back on.
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias } from "../package-provider";
import { appSwitchProvider, type AppSwitchInputs, type AppSwitchOutputs } from "./app-switch";

export interface AcmArgs {
    app: pulumi.Input<string>;
}

export type AcmInputs = AppSwitchInputs;
export type AcmOutputs = AppSwitchOutputs;

export function acmProvider(): pulumi.dynamic.ResourceProvider<AcmInputs, AcmOutputs> {
    return appSwitchProvider({
        idSuffix: "acm",
        turnOn: (api, app) => api.enableAcm(app),
        turnOff: (api, app) => api.disableAcm(app),
        isOn: (app) => app.acm,
    });
}

/** Automated Certificate Management on a Heroku app (`pulumi-nodejs:dynamic/herokuenv:heroku.Acm`). */
export class Acm extends pulumi.dynamic.Resource {
    public readonly enabled!: pulumi.Output<boolean>;

    constructor(name: string, args: AcmArgs, opts?: pulumi.CustomResourceOptions) {
        super(packageProvider<AcmInputs, AcmOutputs>("heroku/acm", "acmProvider"), name, { ...args, enabled: undefined }, withTypeAlias(opts, "pulumi-nodejs:dynamic/heroku:Acm"), "herokuenv", "heroku.Acm");
    }
}

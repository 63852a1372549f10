// A setting of an app that is on while its resource exists and off when it is deleted (maintenance mode, ACM).
// Switched off by hand, it shows on refresh (`enabled` false) and the next update switches it back on.
import type * as pulumi from "@pulumi/pulumi";
import type { HerokuApi, HerokuApp } from "./api";
import { appToggleDiff } from "./diff";
import { configureConnection, connect, gone, ignoreNotFound, withSafeErrors, type HerokuConnection } from "./provider";

export interface AppSwitchInputs {
    app: string;
}

export interface AppSwitchOutputs extends AppSwitchInputs {
    enabled: boolean;
}

export interface AppSwitch {
    /** Suffix of the resource id, `<app>/<suffix>`. */
    idSuffix: string;
    turnOn(api: HerokuApi, app: string): Promise<unknown>;
    turnOff(api: HerokuApi, app: string): Promise<unknown>;
    isOn(app: HerokuApp): boolean;
}

export function appSwitchProvider(sw: AppSwitch): pulumi.dynamic.ResourceProvider<AppSwitchInputs, AppSwitchOutputs> {
    const connection: HerokuConnection = {};
    const idOf = (app: string) => `${app}/${sw.idSuffix}`;
    return withSafeErrors({
        configure: configureConnection(connection),

        async check(_olds, news) {
            return { inputs: { app: news.app }, failures: [] };
        },

        async diff(_id, olds, news) {
            const d = appToggleDiff(olds, news);
            return { changes: d.changes, replaces: d.replaces };
        },

        async create(inputs) {
            await sw.turnOn(connect(connection), inputs.app);
            return { id: idOf(inputs.app), outs: { app: inputs.app, enabled: true } };
        },

        async read(id, props) {
            const app = props?.app ?? id.slice(0, id.length - sw.idSuffix.length - 1);
            const live = await connect(connection).findApp(app);
            if (live === undefined) return gone();
            // Import (no recorded app): also hand back the inputs the program should declare.
            return { id: idOf(app), props: { app, enabled: sw.isOn(live) }, ...(props?.app === undefined ? { inputs: { app } as AppSwitchOutputs } : {}) };
        },

        async update(_id, _olds, news) {
            await sw.turnOn(connect(connection), news.app);
            return { outs: { app: news.app, enabled: true } };
        },

        async delete(_id, props) {
            await ignoreNotFound(sw.turnOff(connect(connection), props.app));
        },
    });
}

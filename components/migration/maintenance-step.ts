// Maintenance on (or off) as one step of the migration night: the new Heroku app's maintenance mode and, when
// enabling, the old host's own switch (a shell command or a URL). Unlike `Maintenance`, which keeps an app in
// maintenance while it exists, this acts once: the night turns it on first and off last.
import { spawn } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { configureConnection, connect, type HerokuConnection } from "../heroku/provider";
import { packageProvider, type StepFailureHint } from "../package-provider";
import { oneShotDiff, recordOnly } from "./one-shot";

export interface OldSiteSwitch {
    /** Run with `sh -c` on the machine running `pulumi up`; exit code 0 means the old site is read-only. */
    command?: string;
    /** POSTed to; a 2xx answer means the old site is read-only. */
    url?: string;
}

export interface MaintenanceStepArgs {
    /** The Heroku app's id (or name). */
    app?: pulumi.Input<string>;
    enabled: boolean;
    /** The old host's switch (only used when enabling: the old site stays read-only after the move). */
    oldSite?: OldSiteSwitch;
    /** As a step of the migration night: its name and what to do when it fails. */
    failure?: StepFailureHint;
}

export interface MaintenanceStepInputs {
    app?: string;
    enabled: boolean;
    oldSite?: OldSiteSwitch;
}

export interface MaintenanceStepOutputs extends MaintenanceStepInputs {
    doneAt: string;
    seconds: number;
}

const OLD_SITE_TIMEOUT_MS = 10 * 60_000;

function runCommand(command: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn("sh", ["-c", command], { stdio: ["ignore", "ignore", "pipe"], timeout: OLD_SITE_TIMEOUT_MS });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`the old site's maintenance command exited with ${code}: ${stderr.trim()}`))));
    });
}

async function postUrl(url: string): Promise<void> {
    const response = await fetch(url, { method: "POST", signal: AbortSignal.timeout(OLD_SITE_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`the old site's maintenance URL answered ${response.status}`);
}

export function maintenanceStepProvider(): pulumi.dynamic.ResourceProvider<MaintenanceStepInputs, MaintenanceStepOutputs> {
    const connection: HerokuConnection = {};
    return {
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: Array<{ property: string; reason: string }> = [];
            if (typeof news.enabled !== "boolean") failures.push({ property: "enabled", reason: "must be true (maintenance on) or false (off)" });
            if (news.app === undefined && news.oldSite === undefined) failures.push({ property: "app", reason: "give the Heroku app, the old site's switch, or both" });
            return { inputs: news, failures };
        },

        diff: oneShotDiff<MaintenanceStepInputs>(["app", "enabled", "oldSite"]),

        async create(inputs) {
            const started = Date.now();
            if (inputs.enabled && inputs.oldSite?.command) await runCommand(inputs.oldSite.command);
            if (inputs.enabled && inputs.oldSite?.url) await postUrl(inputs.oldSite.url);
            if (inputs.app !== undefined) await connect(connection).setMaintenance(inputs.app, inputs.enabled);
            const outs: MaintenanceStepOutputs = { ...inputs, doneAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000 };
            return { id: `${inputs.app ?? "old-site"}/maintenance-${inputs.enabled ? "on" : "off"}`, outs };
        },

        read: recordOnly,
    };
}

/** One maintenance switch of the migration night (`pulumi-nodejs:dynamic/herokuenv:migration.MaintenanceStep`). */
export class MaintenanceStep extends pulumi.dynamic.Resource {
    public readonly enabled!: pulumi.Output<boolean>;
    public readonly doneAt!: pulumi.Output<string>;
    public readonly seconds!: pulumi.Output<number>;

    constructor(name: string, args: MaintenanceStepArgs, opts?: pulumi.CustomResourceOptions) {
        const { failure, ...inputs } = args;
        super(
            packageProvider<MaintenanceStepInputs, MaintenanceStepOutputs>("migration/maintenance-step", "maintenanceStepProvider", failure),
            name,
            { ...inputs, doneAt: undefined, seconds: undefined },
            opts,
            "herokuenv",
            "migration.MaintenanceStep",
        );
    }
}


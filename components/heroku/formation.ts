// Dyno formation: size and quantity per process type, applied in one batch request
// (`PATCH /apps/{app}/formation` with `{updates: [{type, quantity, dyno_size: {name}}]}`). It owns only the process
// types it declares; a type no longer declared, and every owned type when the resource is deleted, is scaled to zero
// rather than left running unmanaged. Process types exist only once a release has a Procfile with them: a declared
// type the app does not have yet is listed in `waitingForDeploy` and applied by the first `pulumi up` after a deploy.
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias } from "../package-provider";
import type { HerokuApi } from "./api";
import { isNotFound } from "./client";
import { formationDiff, formationStops, formationUpdates, isUnknown, type FormationEntry, type FormationUpdateBody } from "./diff";
import { configureConnection, connect, gone, ignoreNotFound, log, withSafeErrors, type CheckFailure, type HerokuConnection } from "./provider";

export interface FormationArgs {
    app: pulumi.Input<string>;
    processes: pulumi.Input<Record<string, pulumi.Input<{ size: pulumi.Input<string>; quantity: pulumi.Input<number> }>>>;
}

export interface FormationInputs {
    app: string;
    processes: Record<string, FormationEntry>;
}

export interface FormationOutputs extends FormationInputs {
    /** Declared process types the app does not have yet (no release with them in its Procfile). */
    waitingForDeploy: string[];
}

/**
 * Sends one batch. Heroku refuses the whole batch (404) when a process type does not exist; then the types the app
 * has are sent in a second batch and the others are reported missing.
 */
async function applyFormation(api: HerokuApi, app: string, updates: FormationUpdateBody[]): Promise<string[]> {
    if (updates.length === 0) return [];
    try {
        await api.batchUpdateFormation(app, updates);
        return [];
    } catch (err) {
        if (!isNotFound(err)) throw err;
    }
    // A 404 for the app itself comes again from this GET and goes to the caller.
    const types = (await api.listFormation(app)).map((f) => f.type);
    const present = updates.filter((u) => types.includes(u.type));
    const missing = updates.filter((u) => !types.includes(u.type)).map((u) => u.type);
    if (present.length > 0) await api.batchUpdateFormation(app, present);
    if (missing.length > 0) log(`app ${app} has no process type ${missing.join(", ")} yet (deploy a Procfile with it): scaled on the next run`);
    return missing;
}

function without(processes: Record<string, FormationEntry>, types: readonly string[]): Record<string, FormationEntry> {
    return Object.fromEntries(Object.entries(processes).filter(([type]) => !types.includes(type)));
}

export function formationProvider(): pulumi.dynamic.ResourceProvider<FormationInputs, FormationOutputs> {
    const connection: HerokuConnection = {};
    return withSafeErrors({
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            const raw = news.processes ?? {};
            if (isUnknown(raw)) return { inputs: { app: news.app, processes: raw }, failures };
            const processes: Record<string, FormationEntry> = {};
            for (const [type, p] of Object.entries(raw)) {
                if (!/^[a-zA-Z0-9_-]+$/.test(type)) failures.push({ property: `processes.${type}`, reason: "process types are letters, digits, dashes and underscores" });
                if (typeof p !== "object" || p === null) {
                    failures.push({ property: `processes.${type}`, reason: "must be { size, quantity }" });
                    continue;
                }
                if (!isUnknown(p.quantity) && (!Number.isInteger(p.quantity) || p.quantity < 0)) {
                    failures.push({ property: `processes.${type}.quantity`, reason: `must be a whole number >= 0; got ${JSON.stringify(p.quantity)}` });
                }
                if (!isUnknown(p.size) && (typeof p.size !== "string" || p.size === "")) {
                    failures.push({ property: `processes.${type}.size`, reason: "must be a dyno size such as standard-1x" });
                }
                processes[type] = { size: isUnknown(p.size) ? p.size : String(p.size).toLowerCase(), quantity: p.quantity };
            }
            return { inputs: { app: news.app, processes }, failures };
        },

        async diff(_id, olds, news) {
            const d = formationDiff(olds, news);
            return { changes: d.changes, replaces: d.replaces };
        },

        async create(inputs) {
            const missing = await applyFormation(connect(connection), inputs.app, formationUpdates({}, inputs.processes));
            return { id: `${inputs.app}/formation`, outs: { app: inputs.app, processes: without(inputs.processes, missing), waitingForDeploy: missing } };
        },

        async read(id, props) {
            const app = props?.app ?? id.replace(/\/formation$/, "");
            let live;
            try {
                live = await connect(connection).listFormation(app);
            } catch (err) {
                if (isNotFound(err)) return gone();
                throw err;
            }
            const importing = props?.processes === undefined;
            const owned = importing ? live.map((f) => f.type) : [...Object.keys(props.processes), ...(props.waitingForDeploy ?? [])];
            const processes: Record<string, FormationEntry> = {};
            for (const f of live) {
                if (owned.includes(f.type)) processes[f.type] = { size: f.dyno_size.name.toLowerCase(), quantity: f.quantity };
            }
            const waitingForDeploy = owned.filter((t) => !(t in processes)).sort();
            const outs: FormationOutputs = { app, processes, waitingForDeploy };
            return importing ? { id: `${app}/formation`, props: outs, inputs: { app, processes } as FormationOutputs } : { id, props: outs };
        },

        async update(_id, olds, news) {
            const updates = [...formationUpdates(olds.processes, news.processes), ...formationStops(olds.processes, news.processes)];
            const missing = (await applyFormation(connect(connection), news.app, updates)).filter((t) => t in news.processes);
            return { outs: { app: news.app, processes: without(news.processes, missing), waitingForDeploy: missing } };
        },

        async delete(_id, props) {
            // Scales the owned process types to zero; the app's other process types stay as they are.
            await ignoreNotFound(applyFormation(connect(connection), props.app, formationStops(props.processes, {})));
        },
    });
}

/** Dyno formation of a Heroku app (`pulumi-nodejs:dynamic/herokuenv:heroku.Formation`). */
export class Formation extends pulumi.dynamic.Resource {
    public readonly processes!: pulumi.Output<Record<string, FormationEntry>>;
    public readonly waitingForDeploy!: pulumi.Output<string[]>;

    constructor(name: string, args: FormationArgs, opts?: pulumi.CustomResourceOptions) {
        super(packageProvider<FormationInputs, FormationOutputs>("heroku/formation", "formationProvider"), name, { ...args, waitingForDeploy: undefined }, withTypeAlias(opts, "pulumi-nodejs:dynamic/heroku:Formation"), "herokuenv", "heroku.Formation");
    }
}

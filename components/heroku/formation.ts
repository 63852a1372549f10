// Dyno formation: size and quantity per process type, applied in one batch request. It owns only the process types
// it declares; deleting it scales them to zero rather than leaving dynos billed.
import * as pulumi from "@pulumi/pulumi";
import { formationUpdates, type FormationEntry } from "./diff";
import { configureConnection, connect, ignoreNotFound, seg, type CheckFailure, type HerokuConnection } from "./provider";

export interface FormationArgs {
    app: pulumi.Input<string>;
    processes: pulumi.Input<Record<string, pulumi.Input<{ size: pulumi.Input<string>; quantity: pulumi.Input<number> }>>>;
}

export interface FormationInputs {
    app: string;
    processes: Record<string, FormationEntry>;
}

export type FormationOutputs = FormationInputs;

interface ApiFormation {
    type: string;
    quantity: number;
    size: string;
}

async function liveFormation(app: string, connection: HerokuConnection, owned: readonly string[]): Promise<Record<string, FormationEntry>> {
    const all = await connect(connection).list<ApiFormation>(`/apps/${seg(app)}/formation`);
    const live: Record<string, FormationEntry> = {};
    for (const f of all) if (owned.includes(f.type)) live[f.type] = { size: f.size.toLowerCase(), quantity: f.quantity };
    return live;
}

export function formationProvider(): pulumi.dynamic.ResourceProvider<FormationInputs, FormationOutputs> {
    const connection: HerokuConnection = {};
    const apply = async (app: string, updates: Array<{ type: string; size: string; quantity: number }>) => {
        if (updates.length > 0) await connect(connection).patch(`/apps/${seg(app)}/formation`, { updates });
    };
    return {
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            const processes: Record<string, FormationEntry> = {};
            for (const [type, p] of Object.entries(news.processes ?? {})) {
                if (!Number.isInteger(p.quantity) || p.quantity < 0) failures.push({ property: `processes.${type}.quantity`, reason: `must be a whole number >= 0; got ${JSON.stringify(p.quantity)}` });
                processes[type] = { size: String(p.size).toLowerCase(), quantity: p.quantity };
            }
            return { inputs: { app: news.app, processes }, failures };
        },

        async diff(_id, olds, news) {
            const replaces = olds.app !== news.app ? ["app"] : [];
            const removed = Object.keys(olds.processes).some((t) => !(t in news.processes));
            return { changes: replaces.length > 0 || removed || formationUpdates(olds.processes, news.processes).length > 0, replaces };
        },

        async create(inputs) {
            await apply(inputs.app, formationUpdates({}, inputs.processes));
            return { id: `${inputs.app}/formation`, outs: inputs };
        },

        async read(id, props) {
            const app = props?.app ?? id.replace(/\/formation$/, "");
            const owned = props ? Object.keys(props.processes) : (await connect(connection).list<ApiFormation>(`/apps/${seg(app)}/formation`)).map((f) => f.type);
            return { id, props: { app, processes: await liveFormation(app, connection, owned) } };
        },

        async update(_id, olds, news) {
            const stopped = Object.keys(olds.processes)
                .filter((t) => !(t in news.processes))
                .map((type) => ({ type, size: olds.processes[type].size, quantity: 0 }));
            await apply(news.app, [...formationUpdates(olds.processes, news.processes), ...stopped]);
            return { outs: news };
        },

        async delete(_id, props) {
            const updates = Object.entries(props.processes).map(([type, p]) => ({ type, size: p.size, quantity: 0 }));
            await ignoreNotFound(apply(props.app, updates));
        },
    };
}

/** Dyno formation of a Heroku app (`herokuenv:heroku:Formation`). */
export class Formation extends pulumi.dynamic.Resource {
    public readonly processes!: pulumi.Output<Record<string, FormationEntry>>;

    constructor(name: string, args: FormationArgs, opts?: pulumi.CustomResourceOptions) {
        super(formationProvider(), name, args, opts, "heroku", "Formation");
    }
}

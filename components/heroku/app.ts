// A Heroku app as a Pulumi dynamic resource. Its id is the app's UUID, so a rename is an in-place update; a region
// or team change needs a new app (Heroku cannot move an app between regions).
import * as pulumi from "@pulumi/pulumi";
import type { HerokuClient } from "./client";
import { isHerokuApiError } from "./client";
import { diffProperties } from "./diff";
import { configureConnection, connect, ignoreNotFound, seg, type CheckFailure, type HerokuConnection } from "./provider";

export interface AppArgs {
    name: pulumi.Input<string>;
    region?: pulumi.Input<string>;
    stack?: pulumi.Input<string>;
    buildpacks?: pulumi.Input<pulumi.Input<string>[]>;
    /** Heroku team owning the app; personal account when omitted. */
    team?: pulumi.Input<string>;
}

export interface AppInputs {
    name: string;
    region: string;
    stack: string;
    buildpacks: string[];
    team?: string;
}

export interface AppOutputs extends AppInputs {
    appId: string;
    webUrl: string;
    gitUrl: string;
}

interface ApiApp {
    id: string;
    name: string;
    region: { name: string };
    build_stack: { name: string };
    team: { name: string } | null;
    web_url: string | null;
    git_url: string;
}
interface ApiBuildpackInstallation {
    ordinal: number;
    buildpack: { url: string; name: string | null };
}

const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;
const PROPERTIES = ["name", "region", "stack", "buildpacks", "team"] as const;
const REPLACE_ON = ["region", "team"] as const;

async function readApp(client: HerokuClient, idOrName: string): Promise<AppOutputs> {
    const app = await client.get<ApiApp>(`/apps/${seg(idOrName)}`);
    const installs = await client.list<ApiBuildpackInstallation>(`/apps/${seg(app.id)}/buildpack-installations`);
    return {
        appId: app.id,
        name: app.name,
        region: app.region.name,
        stack: app.build_stack.name,
        buildpacks: installs.sort((a, b) => a.ordinal - b.ordinal).map((i) => i.buildpack.name ?? i.buildpack.url),
        ...(app.team ? { team: app.team.name } : {}),
        webUrl: app.web_url ?? `https://${app.name}.herokuapp.com/`,
        gitUrl: app.git_url,
    };
}

async function setBuildpacks(client: HerokuClient, appId: string, buildpacks: string[]): Promise<void> {
    await client.put(`/apps/${seg(appId)}/buildpack-installations`, { updates: buildpacks.map((buildpack) => ({ buildpack })) });
}

export function appProvider(): pulumi.dynamic.ResourceProvider<AppInputs, AppOutputs> {
    const connection: HerokuConnection = {};
    return {
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            if (typeof news.name !== "string" || !APP_NAME.test(news.name)) {
                failures.push({ property: "name", reason: `Heroku app names are 3-30 lower-case letters, digits and dashes, starting with a letter; got ${JSON.stringify(news.name)}` });
            }
            const inputs: AppInputs = {
                name: news.name,
                region: news.region ?? "us",
                stack: news.stack ?? "heroku-24",
                buildpacks: news.buildpacks ?? [],
                ...(news.team ? { team: news.team } : {}),
            };
            return { inputs, failures };
        },

        async diff(_id, olds, news) {
            const d = diffProperties<AppInputs>(olds, news, PROPERTIES, REPLACE_ON);
            return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.replaces.length > 0 && olds.name === news.name };
        },

        async create(inputs) {
            const client = connect(connection);
            const body = { name: inputs.name, region: inputs.region, stack: inputs.stack };
            let created: ApiApp;
            try {
                created = inputs.team
                    ? await client.post<ApiApp>("/teams/apps", { ...body, team: inputs.team })
                    : await client.post<ApiApp>("/apps", body);
            } catch (err) {
                // The request may have been applied before the answer was lost: the name is unique, so look it up.
                if (!(isHerokuApiError(err) && err.outcomeUnknown)) throw err;
                created = await client.get<ApiApp>(`/apps/${seg(inputs.name)}`);
            }
            if (inputs.buildpacks.length > 0) await setBuildpacks(client, created.id, inputs.buildpacks);
            const outs = await readApp(client, created.id);
            return { id: created.id, outs };
        },

        async read(id, props) {
            const outs = await readApp(connect(connection), id);
            return { id: outs.appId, props: { ...props, ...outs } };
        },

        async update(id, olds, news) {
            const client = connect(connection);
            const patch: Record<string, string> = {};
            if (olds.name !== news.name) patch.name = news.name;
            if (olds.stack !== news.stack) patch.build_stack = news.stack;
            if (Object.keys(patch).length > 0) await client.patch(`/apps/${seg(id)}`, patch);
            if (JSON.stringify(olds.buildpacks) !== JSON.stringify(news.buildpacks)) await setBuildpacks(client, id, news.buildpacks);
            return { outs: await readApp(client, id) };
        },

        async delete(id) {
            await ignoreNotFound(connect(connection).delete(`/apps/${seg(id)}`));
        },
    };
}

/** A Heroku app (`herokuenv:heroku:App`). */
export class App extends pulumi.dynamic.Resource {
    public readonly appId!: pulumi.Output<string>;
    public readonly name!: pulumi.Output<string>;
    public readonly region!: pulumi.Output<string>;
    public readonly stack!: pulumi.Output<string>;
    public readonly buildpacks!: pulumi.Output<string[]>;
    public readonly webUrl!: pulumi.Output<string>;
    public readonly gitUrl!: pulumi.Output<string>;

    constructor(name: string, args: AppArgs, opts?: pulumi.CustomResourceOptions) {
        super(appProvider(), name, { ...args, appId: undefined, webUrl: undefined, gitUrl: undefined }, opts, "heroku", "App");
    }
}

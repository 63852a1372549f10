// A Heroku app as a Pulumi dynamic resource. Its id is the app's UUID, so a rename is an in-place update; a region
// or team change needs a new app (Heroku cannot move an app between regions). Deleting an app deletes its add-ons,
// so a replacement is refused while the app owns add-ons, unless `allowReplace` says so.
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias } from "../package-provider";
import type { HerokuApi, HerokuApp, HerokuBuildpackInstallation } from "./api";
import { isHerokuApiError } from "./client";
import { appDiff, buildpacksToSet, isUnknown } from "./diff";
import { configureConnection, connect, createOnce, gone, ignoreNotFound, initFailed, withSafeErrors, type CheckFailure, type HerokuConnection } from "./provider";

export interface AppArgs {
    name: pulumi.Input<string>;
    region?: pulumi.Input<string>;
    stack?: pulumi.Input<string>;
    /** Buildpacks in order; managed only when declared (an empty list leaves Heroku's detection alone). */
    buildpacks?: pulumi.Input<pulumi.Input<string>[]>;
    /** Heroku team owning the app; personal account when omitted. */
    team?: pulumi.Input<string>;
    /** Allow replacing the app (region or team change) even though it owns add-ons, which are destroyed with it. */
    allowReplace?: pulumi.Input<boolean>;
}

export interface AppInputs {
    name: string;
    region: string;
    stack: string;
    buildpacks: string[];
    team?: string;
    allowReplace?: boolean;
}

export interface AppOutputs extends AppInputs {
    appId: string;
    webUrl: string;
    gitUrl: string;
}

const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

function buildpackNames(installs: HerokuBuildpackInstallation[]): string[] {
    return installs.map((i) => i.buildpack.name ?? i.buildpack.url);
}

function outputs(app: HerokuApp, buildpacks: string[], extra: Pick<AppInputs, "allowReplace">): AppOutputs {
    return {
        appId: app.id,
        name: app.name,
        region: app.region.name,
        // The stack the next build uses; `stack` is the one the current slug was built on.
        stack: app.build_stack.name,
        buildpacks,
        ...(app.team ? { team: app.team.name } : {}),
        ...(extra.allowReplace ? { allowReplace: true } : {}),
        webUrl: app.web_url ?? `https://${app.name}.herokuapp.com/`,
        gitUrl: app.git_url,
    };
}

export function appProvider(): pulumi.dynamic.ResourceProvider<AppInputs, AppOutputs> {
    const connection: HerokuConnection = {};

    /** Refuses to replace an app that owns add-ons (deleting the app would delete them and their data). */
    const guardReplacement = async (api: HerokuApi, id: string, olds: AppOutputs, news: AppInputs, replaces: string[]) => {
        if (news.allowReplace === true) return;
        const owned = (await api.listAddOns(id)).filter((a) => a.app.id === id);
        if (owned.length === 0) return;
        const names = owned.map((a) => `${a.name} (${a.plan.name})`).join(", ");
        throw new Error(
            `changing ${replaces.join(" and ")} of app ${olds.name} needs a new app, and deleting the old one would destroy its add-ons ${names} and their data. ` +
                "Move the data first and set allowReplace: true on the App to confirm",
        );
    };

    return withSafeErrors({
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            if (!isUnknown(news.name) && (typeof news.name !== "string" || !APP_NAME.test(news.name))) {
                failures.push({ property: "name", reason: `Heroku app names are 3-30 lower-case letters, digits and dashes, starting with a letter; got ${JSON.stringify(news.name)}` });
            }
            const buildpacks = news.buildpacks ?? [];
            if (!isUnknown(buildpacks) && (!Array.isArray(buildpacks) || buildpacks.some((b) => typeof b !== "string" || b === ""))) {
                failures.push({ property: "buildpacks", reason: "must be a list of buildpack names or URLs" });
            }
            const inputs: AppInputs = {
                name: news.name,
                region: news.region ?? "us",
                stack: news.stack ?? "heroku-24",
                buildpacks,
                ...(news.team ? { team: news.team } : {}),
                ...(news.allowReplace === true ? { allowReplace: true } : {}),
            };
            return { inputs, failures };
        },

        async diff(id, olds, news) {
            const d = appDiff(olds, news);
            const bookkeeping = (olds.allowReplace === true) !== (news.allowReplace === true);
            // Only a replacement costs API requests here: a no-op or in-place diff makes none.
            if (d.replaces.length > 0) await guardReplacement(connect(connection), id, olds, news, d.replaces);
            return { changes: d.changes || bookkeeping, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
        },

        async create(inputs) {
            const api = connect(connection);
            const body = { name: inputs.name, region: inputs.region, stack: inputs.stack };
            // Minus a margin for clock skew: an app older than this is somebody else's, never adopted.
            const since = Date.now() - 10 * 60_000;
            let created: HerokuApp;
            try {
                created = await createOnce(
                    () => (inputs.team ? api.createTeamApp({ ...body, team: inputs.team }) : api.createApp(body)),
                    // App names are unique: if the POST was applied although its answer was lost, this finds it.
                    async () => {
                        const found = await api.findApp(inputs.name);
                        return found && Date.parse(found.created_at) >= since ? found : undefined;
                    },
                );
            } catch (err) {
                if (isHerokuApiError(err) && err.status === 422 && /taken/i.test(err.herokuMessage)) {
                    throw new Error(
                        `Heroku app ${inputs.name} already exists. If it is yours (for example left by an interrupted run), ` +
                            `adopt it with the resource option import: "<app id>" or \`pulumi import\`; otherwise choose another name. (${err.message})`,
                    );
                }
                throw err;
            }
            let buildpacks: string[] = [];
            try {
                if (inputs.buildpacks.length > 0) buildpacks = buildpackNames(await api.setBuildpacks(created.id, inputs.buildpacks));
            } catch (err) {
                // The app exists: hand it to Pulumi so the next run sets the buildpacks instead of creating it again.
                throw initFailed(created.id, outputs(created, [], inputs), err);
            }
            return { id: created.id, outs: outputs(created, buildpacks, inputs) };
        },

        async read(id, props) {
            const api = connect(connection);
            const app = await api.findApp(id);
            if (app === undefined) return gone();
            // Import (no recorded outputs): adopt the live buildpacks; otherwise read them only when managed.
            const importing = props?.appId === undefined;
            const managed = importing || (props?.buildpacks ?? []).length > 0;
            const buildpacks = managed ? buildpackNames(await api.listBuildpacks(app.id)) : [];
            const outs = outputs(app, buildpacks, { allowReplace: props?.allowReplace });
            if (!importing) return { id: app.id, props: outs };
            const { appId: _appId, webUrl: _webUrl, gitUrl: _gitUrl, ...inputs } = outs;
            return { id: app.id, props: outs, inputs: inputs as AppOutputs };
        },

        async update(id, olds, news) {
            const api = connect(connection);
            const patch: { name?: string; build_stack?: string } = {};
            if (olds.name !== news.name) patch.name = news.name;
            if (olds.stack !== news.stack) patch.build_stack = news.stack;
            const app = Object.keys(patch).length > 0 ? await api.updateApp(id, patch) : undefined;
            const set = buildpacksToSet(olds.buildpacks, news.buildpacks);
            const buildpacks = set !== undefined ? buildpackNames(await api.setBuildpacks(id, set)) : (olds.buildpacks ?? []);
            if (app !== undefined) return { outs: outputs(app, buildpacks, news) };
            // Nothing the app answers changed (buildpacks or bookkeeping only): no GET needed.
            const { allowReplace: _allowReplace, ...rest } = olds;
            return { outs: { ...rest, buildpacks, ...(news.allowReplace === true ? { allowReplace: true } : {}) } };
        },

        async delete(id) {
            await ignoreNotFound(connect(connection).deleteApp(id));
        },
    });
}

/** A Heroku app (`pulumi-nodejs:dynamic/herokuenv:heroku.App`). */
export class App extends pulumi.dynamic.Resource {
    public readonly appId!: pulumi.Output<string>;
    public readonly name!: pulumi.Output<string>;
    public readonly region!: pulumi.Output<string>;
    public readonly stack!: pulumi.Output<string>;
    public readonly buildpacks!: pulumi.Output<string[]>;
    public readonly webUrl!: pulumi.Output<string>;
    public readonly gitUrl!: pulumi.Output<string>;

    constructor(name: string, args: AppArgs, opts?: pulumi.CustomResourceOptions) {
        super(packageProvider<AppInputs, AppOutputs>("heroku/app", "appProvider"), name, { ...args, appId: undefined, webUrl: undefined, gitUrl: undefined }, withTypeAlias(opts, "pulumi-nodejs:dynamic/heroku:App"), "herokuenv", "heroku.App");
    }
}

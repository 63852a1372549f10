// A Heroku add-on (Heroku Postgres first). It never destroys a database silently: a change that needs a new add-on
// (another app, service or name) is refused at check time unless `allowReplace` is set, and a plan change is an
// in-place PATCH, which Heroku performs where the plans allow it and otherwise refuses with its own message.
import * as pulumi from "@pulumi/pulumi";
import type { HerokuClient } from "./client";
import { isHerokuApiError } from "./client";
import { addonService, diffProperties } from "./diff";
import { configureConnection, connect, ignoreNotFound, seg, type CheckFailure, type HerokuConnection } from "./provider";

export interface AddonArgs {
    /** App id or name. */
    app: pulumi.Input<string>;
    /** `service:plan`, e.g. `heroku-postgresql:essential-0`. */
    plan: pulumi.Input<string>;
    /** Globally unique add-on name; Heroku picks one when omitted. */
    addonName?: pulumi.Input<string>;
    /** Name of the attachment created with the add-on, e.g. DATABASE (→ DATABASE_URL). */
    attachmentName?: pulumi.Input<string>;
    /** Opt in to destroying and re-creating the add-on (and its data) when a change needs it. */
    allowReplace?: pulumi.Input<boolean>;
    /** How long to wait for `provisioned`. Default 15 minutes. */
    provisionTimeoutSeconds?: pulumi.Input<number>;
}

export interface AddonInputs {
    app: string;
    plan: string;
    addonName?: string;
    attachmentName?: string;
    allowReplace: boolean;
    provisionTimeoutSeconds: number;
}

export interface AddonOutputs extends AddonInputs {
    addonId: string;
    addonName: string;
    state: string;
    /** Config vars the add-on sets on the app, e.g. DATABASE_URL and HEROKU_POSTGRESQL_<COLOR>_URL. */
    configVarNames: string[];
}

interface ApiAddon {
    id: string;
    name: string;
    app: { id: string; name: string };
    plan: { name: string };
    state: string;
    config_vars: string[];
}

const REPLACE_ON = ["app", "service", "addonName"] as const;

/** Polls until the add-on is provisioned: Heroku Postgres takes minutes on real plans. */
async function waitProvisioned(client: HerokuClient, app: string, addonId: string, timeoutSeconds: number): Promise<ApiAddon> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    let delay = Number(process.env.HEROKUENV_ADDON_POLL_MS) || 2000;
    for (;;) {
        const addon = await client.get<ApiAddon>(`/apps/${seg(app)}/addons/${seg(addonId)}`);
        if (addon.state === "provisioned") return addon;
        if (addon.state === "deprovisioned") throw new Error(`add-on ${addon.name} was deprovisioned while waiting for it`);
        if (Date.now() + delay > deadline) {
            throw new Error(`add-on ${addon.name} still ${addon.state} after ${timeoutSeconds}s; re-run to keep waiting (nothing will be created twice)`);
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 1.5, 15_000);
    }
}

function outputs(inputs: AddonInputs, addon: ApiAddon): AddonOutputs {
    return {
        ...inputs,
        addonId: addon.id,
        addonName: addon.name,
        plan: addon.plan.name,
        state: addon.state,
        configVarNames: [...addon.config_vars].sort(),
    };
}

export function addonProvider(): pulumi.dynamic.ResourceProvider<AddonInputs, AddonOutputs> {
    const connection: HerokuConnection = {};
    return {
        configure: configureConnection(connection),

        async check(olds, news) {
            const failures: CheckFailure[] = [];
            if (typeof news.plan !== "string" || !/^[a-z0-9-]+:[a-z0-9-]+$/.test(news.plan)) {
                failures.push({ property: "plan", reason: `must be service:plan, e.g. heroku-postgresql:essential-0; got ${JSON.stringify(news.plan)}` });
            }
            if (news.attachmentName !== undefined && !/^[A-Z][A-Z0-9_]*$/.test(news.attachmentName)) {
                failures.push({ property: "attachmentName", reason: "must be an upper-case name like DATABASE" });
            }
            const inputs: AddonInputs = {
                app: news.app,
                plan: news.plan,
                ...(news.addonName ? { addonName: news.addonName } : {}),
                ...(news.attachmentName ? { attachmentName: news.attachmentName } : {}),
                allowReplace: news.allowReplace === true,
                provisionTimeoutSeconds: news.provisionTimeoutSeconds ?? 900,
            };
            const existing = olds as Partial<AddonOutputs>;
            if (existing.addonId !== undefined && !inputs.allowReplace) {
                const before = { app: existing.app, service: addonService(existing.plan ?? ""), addonName: existing.addonName };
                const after = { app: inputs.app, service: addonService(inputs.plan), addonName: inputs.addonName ?? existing.addonName };
                for (const property of REPLACE_ON) {
                    if (before[property] !== after[property]) {
                        failures.push({
                            property: property === "service" ? "plan" : property,
                            reason: `changing ${property} from ${String(before[property])} to ${String(after[property])} would destroy add-on ${existing.addonName} and its data; set allowReplace: true to confirm`,
                        });
                    }
                }
            }
            return { inputs, failures };
        },

        async diff(_id, olds, news) {
            const before = { app: olds.app, service: addonService(olds.plan), addonName: olds.addonName, plan: olds.plan, attachmentName: olds.attachmentName };
            const after = { app: news.app, service: addonService(news.plan), addonName: news.addonName ?? olds.addonName, plan: news.plan, attachmentName: news.attachmentName };
            const d = diffProperties(before, after, ["app", "service", "addonName", "plan", "attachmentName"], [...REPLACE_ON, "attachmentName"]);
            const bookkeeping = olds.allowReplace !== news.allowReplace || olds.provisionTimeoutSeconds !== news.provisionTimeoutSeconds;
            return { changes: d.changes || bookkeeping, replaces: d.replaces };
        },

        async create(inputs) {
            const client = connect(connection);
            const body = {
                plan: inputs.plan,
                ...(inputs.addonName ? { name: inputs.addonName } : {}),
                ...(inputs.attachmentName ? { attachment: { name: inputs.attachmentName } } : {}),
            };
            let addon: ApiAddon;
            try {
                addon = await client.post<ApiAddon>(`/apps/${seg(inputs.app)}/addons`, body);
            } catch (err) {
                if (!(isHerokuApiError(err) && err.outcomeUnknown)) throw err;
                // The add-on may exist although the answer was lost: adopt the one on this app with this plan (and
                // name) rather than provisioning a second database.
                const existing = (await client.list<ApiAddon>(`/apps/${seg(inputs.app)}/addons`)).filter(
                    (a) => a.plan.name === inputs.plan && (inputs.addonName === undefined || a.name === inputs.addonName),
                );
                if (existing.length !== 1) throw err;
                addon = existing[0];
            }
            addon = await waitProvisioned(client, inputs.app, addon.id, inputs.provisionTimeoutSeconds);
            return { id: addon.id, outs: outputs(inputs, addon) };
        },

        async read(id, props) {
            const client = connect(connection);
            const app = props?.app;
            const addon = await client.get<ApiAddon>(app ? `/apps/${seg(app)}/addons/${seg(id)}` : `/addons/${seg(id)}`);
            const base: AddonInputs = props ?? { app: addon.app.name, plan: addon.plan.name, allowReplace: false, provisionTimeoutSeconds: 900 };
            return { id: addon.id, props: outputs({ ...base, app: props?.app ?? addon.app.name }, addon) };
        },

        async update(id, olds, news) {
            const client = connect(connection);
            if (olds.plan !== news.plan) {
                await client.patch(`/apps/${seg(news.app)}/addons/${seg(id)}`, { plan: news.plan });
            }
            const addon = await waitProvisioned(client, news.app, id, news.provisionTimeoutSeconds);
            return { outs: outputs({ ...news, addonName: olds.addonName }, addon) };
        },

        async delete(id, props) {
            await ignoreNotFound(connect(connection).delete(`/apps/${seg(props.app)}/addons/${seg(id)}`));
        },
    };
}

/** A Heroku add-on such as Heroku Postgres (`herokuenv:heroku:Addon`). */
export class Addon extends pulumi.dynamic.Resource {
    public readonly addonId!: pulumi.Output<string>;
    public readonly addonName!: pulumi.Output<string>;
    public readonly plan!: pulumi.Output<string>;
    public readonly state!: pulumi.Output<string>;
    public readonly configVarNames!: pulumi.Output<string[]>;

    constructor(name: string, args: AddonArgs, opts?: pulumi.CustomResourceOptions) {
        super(addonProvider(), name, { ...args, addonId: undefined, state: undefined, configVarNames: undefined }, opts, "heroku", "Addon");
    }
}

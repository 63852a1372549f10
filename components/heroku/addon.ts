// A Heroku add-on (Heroku Postgres first). It never destroys a database silently: a change that needs a new add-on
// (another app or another service) is refused at check time unless `allowReplace` is set, and a plan change is an
// in-place PATCH, which Heroku performs where the plans allow it and otherwise refuses (reported with what to do).
// A rename and a new attachment name are in place too. Creation waits for `provisioned`; if that takes longer than
// the timeout, the add-on is handed to Pulumi as "created, not initialized" and the next run keeps waiting for the
// same add-on instead of provisioning a second one.
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias } from "../package-provider";
import type { AddOnCreateBody, HerokuAddOn, HerokuApi } from "./api";
import { isHerokuApiError } from "./client";
import { addonDiff, addonReplacementRefusals, addonService, isUnknown } from "./diff";
import { configureConnection, connect, createOnce, gone, ignoreNotFound, initFailed, log, withSafeErrors, type CheckFailure, type HerokuConnection } from "./provider";

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
    /** The add-on's name, the one Heroku picked when none was declared. */
    addonName: string;
    state: string;
    /** Config vars the add-on sets on the app, e.g. DATABASE_URL and HEROKU_POSTGRESQL_<COLOR>_URL (names only). */
    configVarNames: string[];
}

const PLAN = /^[a-z0-9-]+:[a-z0-9-]+$/;
const ADDON_NAME = /^[a-zA-Z][A-Za-z0-9_-]+$/;
const ATTACHMENT_NAME = /^[A-Z][A-Z0-9_]*$/;

function outputs(inputs: AddonInputs, addon: HerokuAddOn): AddonOutputs {
    return {
        ...inputs,
        addonId: addon.id,
        addonName: addon.name,
        plan: addon.plan.name,
        state: addon.state,
        configVarNames: [...addon.config_vars].sort(),
    };
}

/** Polls until the add-on is provisioned (Heroku Postgres takes minutes on real plans), logging progress. */
async function waitProvisioned(api: HerokuApi, addon: HerokuAddOn, timeoutSeconds: number): Promise<HerokuAddOn> {
    const started = Date.now();
    const deadline = started + timeoutSeconds * 1000;
    const pollMs = Number(process.env.HEROKUENV_ADDON_POLL_MS);
    let delay = Number.isFinite(pollMs) && pollMs >= 0 ? pollMs : 2000;
    let current = addon;
    for (let polls = 0; ; polls++) {
        if (current.state === "provisioned") return current;
        if (current.state === "deprovisioned") throw new Error(`add-on ${current.name} was deprovisioned while waiting for it`);
        if (Date.now() + delay > deadline) {
            throw new Error(`add-on ${current.name} is still ${current.state} after ${timeoutSeconds} s`);
        }
        if (polls % 5 === 0) log(`add-on ${current.name} (${current.plan.name}) on app ${current.app.name}: ${current.state}, ${Math.round((Date.now() - started) / 1000)} s`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 1.5, 15_000);
        current = await api.getAddOnById(current.id);
    }
}

export function addonProvider(): pulumi.dynamic.ResourceProvider<AddonInputs, AddonOutputs> {
    const connection: HerokuConnection = {};
    return withSafeErrors({
        configure: configureConnection(connection),

        async check(olds, news) {
            const failures: CheckFailure[] = [];
            if (!isUnknown(news.plan) && (typeof news.plan !== "string" || !PLAN.test(news.plan))) {
                failures.push({ property: "plan", reason: `must be service:plan, e.g. heroku-postgresql:essential-0; got ${JSON.stringify(news.plan)}` });
            }
            if (news.addonName !== undefined && !isUnknown(news.addonName) && !ADDON_NAME.test(news.addonName)) {
                failures.push({ property: "addonName", reason: "must start with a letter and hold letters, digits, dashes and underscores" });
            }
            if (news.attachmentName !== undefined && !isUnknown(news.attachmentName) && !ATTACHMENT_NAME.test(news.attachmentName)) {
                failures.push({ property: "attachmentName", reason: "must be an upper-case name like DATABASE" });
            }
            const timeout = news.provisionTimeoutSeconds ?? 900;
            if (!isUnknown(timeout) && !(typeof timeout === "number" && timeout > 0)) {
                failures.push({ property: "provisionTimeoutSeconds", reason: "must be a number of seconds > 0" });
            }
            const inputs: AddonInputs = {
                app: news.app,
                plan: news.plan,
                ...(news.addonName ? { addonName: news.addonName } : {}),
                ...(news.attachmentName ? { attachmentName: news.attachmentName } : {}),
                allowReplace: news.allowReplace === true,
                provisionTimeoutSeconds: timeout,
            };
            // The safety rule: nothing that needs a new add-on (and loses the data) without allowReplace.
            failures.push(...addonReplacementRefusals(olds, inputs));
            return { inputs, failures };
        },

        async diff(_id, olds, news) {
            const d = addonDiff(olds, news);
            if (d.replaces.length > 0 && news.allowReplace !== true) {
                // check refuses this already; never let a replacement through if it was skipped (unknown values).
                throw new Error(`add-on ${olds.addonName}: changing ${d.replaces.join(" and ")} needs a new add-on and destroys this one's data; set allowReplace: true to confirm`);
            }
            const bookkeeping = olds.allowReplace !== news.allowReplace || olds.provisionTimeoutSeconds !== news.provisionTimeoutSeconds;
            // Still provisioning (a create that timed out, or seen so by refresh): the update waits for it.
            const unfinished = olds.state !== "provisioned";
            return { changes: d.changes || bookkeeping || unfinished, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
        },

        async create(inputs) {
            const api = connect(connection);
            const body: AddOnCreateBody = {
                plan: inputs.plan,
                ...(inputs.addonName ? { name: inputs.addonName } : {}),
                ...(inputs.attachmentName ? { attachment: { name: inputs.attachmentName } } : {}),
            };
            // Reconciliation after a lost answer adopts only an add-on made since now (minus clock skew) with our
            // plan's service, found by the add-on name, else the attachment name, else as the one new add-on.
            const since = Date.now() - 10 * 60_000;
            const ours = (a: HerokuAddOn | undefined) =>
                a !== undefined && addonService(a.plan.name) === addonService(inputs.plan) && Date.parse(a.created_at) >= since ? a : undefined;
            const before = inputs.addonName || inputs.attachmentName ? undefined : (await api.listAddOns(inputs.app)).map((a) => a.id);
            const find = async (): Promise<HerokuAddOn | undefined> => {
                if (inputs.addonName) return ours(await api.findAddOn(inputs.app, inputs.addonName));
                if (inputs.attachmentName) {
                    const attachment = await api.findAppAttachment(inputs.app, inputs.attachmentName);
                    return attachment && ours(await api.getAddOnById(attachment.addon.id));
                }
                const fresh = (await api.listAddOns(inputs.app)).filter((a) => !(before ?? []).includes(a.id) && ours(a));
                return fresh.length === 1 ? fresh[0] : undefined;
            };
            let addon: HerokuAddOn;
            try {
                addon = await createOnce(() => api.createAddOn(inputs.app, body), find);
            } catch (err) {
                if (isHerokuApiError(err) && err.status === 422) {
                    throw new Error(
                        `Heroku refused to create the add-on: ${err.herokuMessage}. If an add-on with this name or attachment already exists ` +
                            "(for example left by an interrupted run), adopt it with the resource option import: \"<add-on id>\" instead of creating another one",
                    );
                }
                throw err;
            }
            try {
                addon = await waitProvisioned(api, addon, inputs.provisionTimeoutSeconds);
            } catch (err) {
                throw initFailed(addon.id, outputs(inputs, addon), err);
            }
            return { id: addon.id, outs: outputs(inputs, addon) };
        },

        async read(id, props) {
            const addon = await connect(connection).findAddOnById(id);
            if (addon === undefined || addon.state === "deprovisioned") return gone();
            if (props?.addonId !== undefined) {
                // Refresh: live plan, name, state and config var names; the declared inputs stay as they were.
                return { id: addon.id, props: outputs(props, addon) };
            }
            // Import: what the add-on is, with the safe defaults.
            const inputs: AddonInputs = {
                app: props?.app ?? addon.app.id,
                plan: addon.plan.name,
                addonName: addon.name,
                ...(props?.attachmentName ? { attachmentName: props.attachmentName } : {}),
                allowReplace: false,
                provisionTimeoutSeconds: props?.provisionTimeoutSeconds ?? 900,
            };
            return { id: addon.id, props: outputs(inputs, addon), inputs: inputs as AddonOutputs };
        },

        async update(id, olds, news) {
            const api = connect(connection);
            const d = addonDiff(olds, news);
            let addon: HerokuAddOn | undefined;
            if (d.changed.includes("plan") || d.changed.includes("addonName")) {
                const rename = d.changed.includes("addonName") ? { name: news.addonName } : {};
                try {
                    addon = await api.updateAddOn(news.app, id, { plan: news.plan, ...rename });
                } catch (err) {
                    if (isHerokuApiError(err) && err.status === 422) {
                        throw new Error(
                            `Heroku refused to change add-on ${olds.addonName} from ${olds.plan} to ${news.plan} in place: ${err.herokuMessage}. ` +
                                "Nothing was changed. To move the data to a plan Heroku cannot switch to in place, create a second Addon and copy the data " +
                                "(heroku pg:copy), then promote it with an AddonAttachment named DATABASE",
                        );
                    }
                    throw err;
                }
            }
            if (d.changed.includes("attachmentName") && news.attachmentName) {
                const name = news.attachmentName;
                // Attachments cannot be renamed: attach under the new name, then drop the old attachment.
                await createOnce(
                    () => api.createAttachment({ addon: id, app: news.app, name }),
                    async () => {
                        const found = await api.findAppAttachment(news.app, name);
                        return found?.addon.id === id ? found : undefined;
                    },
                );
                if (olds.attachmentName) {
                    const old = await api.findAppAttachment(news.app, olds.attachmentName);
                    if (old?.addon.id === id) await ignoreNotFound(api.deleteAttachment(old.id));
                }
                addon = undefined;
            }
            if (addon === undefined && (olds.state !== "provisioned" || d.changed.includes("attachmentName"))) {
                addon = await api.getAddOnById(id);
            }
            if (addon !== undefined) {
                addon = await waitProvisioned(api, addon, news.provisionTimeoutSeconds);
                return { outs: outputs(news, addon) };
            }
            // Bookkeeping only (allowReplace, timeout): no API request.
            return { outs: { ...olds, ...news, addonName: olds.addonName } };
        },

        async delete(id, props) {
            await ignoreNotFound(connect(connection).deleteAddOn(props.app, id));
        },
    });
}

/** A Heroku add-on such as Heroku Postgres (`pulumi-nodejs:dynamic/herokuenv:heroku.Addon`). */
export class Addon extends pulumi.dynamic.Resource {
    public readonly addonId!: pulumi.Output<string>;
    public readonly addonName!: pulumi.Output<string>;
    public readonly plan!: pulumi.Output<string>;
    public readonly state!: pulumi.Output<string>;
    public readonly configVarNames!: pulumi.Output<string[]>;

    constructor(name: string, args: AddonArgs, opts?: pulumi.CustomResourceOptions) {
        super(packageProvider<AddonInputs, AddonOutputs>("heroku/addon", "addonProvider"), name, { ...args, addonId: undefined, state: undefined, configVarNames: undefined }, withTypeAlias(opts, "pulumi-nodejs:dynamic/heroku:Addon"), "herokuenv", "heroku.Addon");
    }
}

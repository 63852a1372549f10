// Attaches an add-on to an app under a name (DATABASE → DATABASE_URL). Attachments cannot be edited, so a change of
// app, add-on or name is a replacement. Promoting a database the way `heroku pg:promote` does is an attachment named
// DATABASE with `confirm` set to the app: Heroku moves the DATABASE name to this add-on (see docs/heroku.md).
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias } from "../package-provider";
import type { HerokuAddOnAttachment } from "./api";
import { diffProperties, isUnknown } from "./diff";
import { configureConnection, connect, createOnce, gone, ignoreNotFound, withSafeErrors, type CheckFailure, type HerokuConnection } from "./provider";

export interface AddonAttachmentArgs {
    /** App id or name the add-on is attached to. */
    app: pulumi.Input<string>;
    /** Add-on id or name. */
    addon: pulumi.Input<string>;
    /** Attachment name, e.g. DATABASE; the app gets `<NAME>_URL`. */
    name: pulumi.Input<string>;
    /** The app name, confirming that an existing attachment of that name may be moved (pg:promote). */
    confirm?: pulumi.Input<string>;
}

export interface AddonAttachmentInputs {
    app: string;
    addon: string;
    name: string;
    confirm?: string;
}

export interface AddonAttachmentOutputs extends AddonAttachmentInputs {
    attachmentId: string;
    addonId: string;
    /** Name of the add-on attached (useful when `addon` was given by id). */
    addonName: string;
}

const ATTACHMENT_NAME = /^[A-Z][A-Z0-9_]*$/;

function outputs(inputs: AddonAttachmentInputs, a: HerokuAddOnAttachment): AddonAttachmentOutputs {
    return { ...inputs, name: a.name, attachmentId: a.id, addonId: a.addon.id, addonName: a.addon.name };
}

export function addonAttachmentProvider(): pulumi.dynamic.ResourceProvider<AddonAttachmentInputs, AddonAttachmentOutputs> {
    const connection: HerokuConnection = {};
    return withSafeErrors({
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            if (!isUnknown(news.name) && (typeof news.name !== "string" || !ATTACHMENT_NAME.test(news.name))) {
                failures.push({ property: "name", reason: `must be an upper-case attachment name like DATABASE; got ${JSON.stringify(news.name)}` });
            }
            return { inputs: { app: news.app, addon: news.addon, name: news.name, ...(news.confirm ? { confirm: news.confirm } : {}) }, failures };
        },

        async diff(_id, olds, news) {
            const d = diffProperties<AddonAttachmentInputs>(olds, news, ["app", "addon", "name"], ["app", "addon", "name"]);
            // The add-on may be named by id or by name: the same add-on either way is no change.
            const sameAddon = news.addon === olds.addonId || news.addon === olds.addonName;
            const changed = d.changed.filter((p) => !(p === "addon" && sameAddon));
            const replaces = d.replaces.filter((p) => changed.includes(p));
            const confirmChanged = (olds.confirm ?? "") !== (news.confirm ?? "");
            // Names are unique per app: the old attachment must go before the new one takes the name.
            return {
                changes: changed.length > 0 || confirmChanged,
                replaces,
                deleteBeforeReplace: replaces.length > 0 && olds.app === news.app && olds.name === news.name,
            };
        },

        async create(inputs) {
            const api = connect(connection);
            const attachment = await createOnce(
                () =>
                    api.createAttachment({
                        app: inputs.app,
                        addon: inputs.addon,
                        name: inputs.name,
                        ...(inputs.confirm ? { confirm: inputs.confirm } : {}),
                    }),
                // The answer was lost: a name is unique per app, so look it up, and adopt it only if it is our add-on's.
                async () => {
                    const found = await api.findAppAttachment(inputs.app, inputs.name);
                    return found && (found.addon.id === inputs.addon || found.addon.name === inputs.addon) ? found : undefined;
                },
            );
            return { id: attachment.id, outs: outputs(inputs, attachment) };
        },

        async read(id, props) {
            const a = await connect(connection).findAttachment(id);
            if (a === undefined) return gone();
            if (props?.attachmentId !== undefined) return { id: a.id, props: outputs(props, a) };
            const inputs: AddonAttachmentInputs = {
                app: props?.app ?? a.app.id,
                addon: props?.addon ?? a.addon.id,
                name: a.name,
                ...(props?.confirm ? { confirm: props.confirm } : {}),
            };
            return { id: a.id, props: outputs(inputs, a), inputs: inputs as AddonAttachmentOutputs };
        },

        async update(_id, olds, news) {
            // Only `confirm` (or the add-on's spelling, id vs name) can change in place, and neither needs a request.
            const { confirm: _confirm, ...rest } = olds;
            return { outs: { ...rest, ...news, name: olds.name } };
        },

        async delete(id) {
            await ignoreNotFound(connect(connection).deleteAttachment(id));
        },
    });
}

/** An add-on attachment (`pulumi-nodejs:dynamic/herokuenv:heroku.AddonAttachment`). */
export class AddonAttachment extends pulumi.dynamic.Resource {
    public readonly attachmentId!: pulumi.Output<string>;
    public readonly addonId!: pulumi.Output<string>;
    public readonly name!: pulumi.Output<string>;

    constructor(name: string, args: AddonAttachmentArgs, opts?: pulumi.CustomResourceOptions) {
        super(packageProvider<AddonAttachmentInputs, AddonAttachmentOutputs>("heroku/addon-attachment", "addonAttachmentProvider"), name, { ...args, attachmentId: undefined, addonId: undefined }, withTypeAlias(opts, "pulumi-nodejs:dynamic/heroku:AddonAttachment"), "herokuenv", "heroku.AddonAttachment");
    }
}

// Attaches an add-on to an app under a name (DATABASE → DATABASE_URL). Attachments cannot be edited, so any change
// is a replacement. Promoting a database the way `heroku pg:promote` does is an attachment named DATABASE with
// `confirm` set to the app: Heroku moves the DATABASE name to the new add-on (see the README's recipe).
import * as pulumi from "@pulumi/pulumi";
import { isHerokuApiError } from "./client";
import { diffProperties } from "./diff";
import { configureConnection, connect, ignoreNotFound, seg, type CheckFailure, type HerokuConnection } from "./provider";

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
}

interface ApiAttachment {
    id: string;
    name: string;
    addon: { id: string; name: string; app: { id: string; name: string } };
    app: { id: string; name: string };
}

function outputs(inputs: AddonAttachmentInputs, a: ApiAttachment): AddonAttachmentOutputs {
    return { ...inputs, name: a.name, attachmentId: a.id, addonId: a.addon.id };
}

export function addonAttachmentProvider(): pulumi.dynamic.ResourceProvider<AddonAttachmentInputs, AddonAttachmentOutputs> {
    const connection: HerokuConnection = {};
    return {
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            if (typeof news.name !== "string" || !/^[A-Z][A-Z0-9_]*$/.test(news.name)) {
                failures.push({ property: "name", reason: `must be an upper-case attachment name like DATABASE; got ${JSON.stringify(news.name)}` });
            }
            return { inputs: { app: news.app, addon: news.addon, name: news.name, ...(news.confirm ? { confirm: news.confirm } : {}) }, failures };
        },

        async diff(_id, olds, news) {
            const d = diffProperties<AddonAttachmentInputs>(olds, news, ["app", "addon", "name"], ["app", "addon", "name"]);
            return { changes: d.changes || olds.confirm !== news.confirm, replaces: d.replaces, deleteBeforeReplace: d.replaces.length > 0 };
        },

        async create(inputs) {
            const client = connect(connection);
            let attachment: ApiAttachment;
            try {
                attachment = await client.post<ApiAttachment>("/addon-attachments", {
                    app: inputs.app,
                    addon: inputs.addon,
                    name: inputs.name,
                    ...(inputs.confirm ? { confirm: inputs.confirm } : {}),
                });
            } catch (err) {
                // The answer was lost: an attachment name is unique per app, so find it by name.
                if (!(isHerokuApiError(err) && err.outcomeUnknown)) throw err;
                attachment = await client.get<ApiAttachment>(`/apps/${seg(inputs.app)}/addon-attachments/${seg(inputs.name)}`);
            }
            return { id: attachment.id, outs: outputs(inputs, attachment) };
        },

        async read(id, props) {
            const a = await connect(connection).get<ApiAttachment>(`/addon-attachments/${seg(id)}`);
            const base = props ?? { app: a.app.name, addon: a.addon.name, name: a.name };
            return { id: a.id, props: outputs(base, a) };
        },

        async delete(id) {
            await ignoreNotFound(connect(connection).delete(`/addon-attachments/${seg(id)}`));
        },
    };
}

/** An add-on attachment (`herokuenv:heroku:AddonAttachment`). */
export class AddonAttachment extends pulumi.dynamic.Resource {
    public readonly attachmentId!: pulumi.Output<string>;
    public readonly addonId!: pulumi.Output<string>;
    public readonly name!: pulumi.Output<string>;

    constructor(name: string, args: AddonAttachmentArgs, opts?: pulumi.CustomResourceOptions) {
        super(addonAttachmentProvider(), name, { ...args, attachmentId: undefined, addonId: undefined }, opts, "heroku", "AddonAttachment");
    }
}

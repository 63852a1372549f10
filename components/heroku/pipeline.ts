// A Heroku pipeline: the one place staging's build is promoted to production from (see promotion.ts). Its id is the
// pipeline's UUID, so a rename is an in-place update. Apps join it through PipelineCoupling resources; deleting the
// pipeline uncouples them (the apps stay).
import * as pulumi from "@pulumi/pulumi";
import { packageProvider } from "../package-provider";
import type { HerokuPipeline } from "./api";
import { diffProperties, isUnknown } from "./diff";
import { configureConnection, connect, createOnce, gone, ignoreNotFound, withSafeErrors, type CheckFailure, type HerokuConnection } from "./provider";

export interface PipelineArgs {
    /** 3-30 lower-case letters, digits and dashes, starting with a letter (Heroku's rule), e.g. "sendhub". */
    name: pulumi.Input<string>;
}

export interface PipelineInputs {
    name: string;
}

export interface PipelineOutputs extends PipelineInputs {
    pipelineId: string;
    /** `user` or `team`. */
    ownerType: string;
}

export const PIPELINE_NAME = /^[a-z][a-z0-9-]{2,29}$/;

/**
 * The pipeline of a production app's environments: the app name without a trailing `-production`/`-prod`
 * ("sendhub-production" → "sendhub"), so staging and production find the same one.
 */
export function defaultPipelineName(productionApp: string): string {
    const base = productionApp.replace(/-(production|prod)$/, "");
    return PIPELINE_NAME.test(base) ? base : productionApp.slice(0, 30).replace(/-+$/, "");
}

function outputs(p: HerokuPipeline): PipelineOutputs {
    return { name: p.name, pipelineId: p.id, ownerType: p.owner?.type ?? "user" };
}

export function pipelineProvider(): pulumi.dynamic.ResourceProvider<PipelineInputs, PipelineOutputs> {
    const connection: HerokuConnection = {};
    return withSafeErrors({
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            if (!isUnknown(news.name) && (typeof news.name !== "string" || !PIPELINE_NAME.test(news.name))) {
                failures.push({ property: "name", reason: `Heroku pipeline names are 3-30 lower-case letters, digits and dashes, starting with a letter; got ${JSON.stringify(news.name)}` });
            }
            return { inputs: { name: news.name }, failures };
        },

        async diff(_id, olds, news) {
            const d = diffProperties<PipelineInputs>(olds, news, ["name"], []);
            return { changes: d.changes, replaces: d.replaces };
        },

        async create(inputs) {
            const api = connect(connection);
            // Minus a margin for clock skew: an older pipeline of that name is somebody else's, never adopted.
            const since = Date.now() - 10 * 60_000;
            const created = await createOnce(
                () => api.createPipeline({ name: inputs.name }),
                async () => {
                    const found = await api.findPipeline(inputs.name);
                    return found && Date.parse(found.created_at) >= since ? found : undefined;
                },
            ).catch((err: unknown) => {
                if (err instanceof Error && /taken/i.test(err.message)) {
                    throw new Error(
                        `a Heroku pipeline named ${inputs.name} already exists. If it is yours, adopt it with the resource option ` +
                            `import: "<pipeline id>" (heroku pipelines:info ${inputs.name}); otherwise choose another name. (${err.message})`,
                    );
                }
                throw err;
            });
            return { id: created.id, outs: outputs(created) };
        },

        async read(id, props) {
            const p = await connect(connection).findPipeline(id);
            if (p === undefined) return gone();
            const outs = outputs(p);
            if (props?.pipelineId !== undefined) return { id: p.id, props: outs };
            return { id: p.id, props: outs, inputs: { name: p.name } as PipelineOutputs };
        },

        async update(id, _olds, news) {
            return { outs: outputs(await connect(connection).updatePipeline(id, { name: news.name })) };
        },

        async delete(id) {
            await ignoreNotFound(connect(connection).deletePipeline(id));
        },
    });
}

/** A Heroku pipeline (`pulumi-nodejs:dynamic/herokuenv:heroku.Pipeline`). */
export class Pipeline extends pulumi.dynamic.Resource {
    public readonly name!: pulumi.Output<string>;
    public readonly pipelineId!: pulumi.Output<string>;
    public readonly ownerType!: pulumi.Output<string>;

    constructor(name: string, args: PipelineArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            packageProvider<PipelineInputs, PipelineOutputs>("heroku/pipeline", "pipelineProvider"),
            name,
            { ...args, pipelineId: undefined, ownerType: undefined },
            opts,
            "herokuenv",
            "heroku.Pipeline",
        );
    }
}

// An app's place in a pipeline: its stage (staging, production…). Heroku allows one coupling per app, so moving an
// app to another pipeline deletes the old coupling before creating the new one; a new stage is an in-place update.
import * as pulumi from "@pulumi/pulumi";
import { packageProvider } from "../package-provider";
import type { HerokuApi, HerokuPipelineCoupling, PipelineStage } from "./api";
import { isHerokuApiError } from "./client";
import { diffProperties, isUnknown } from "./diff";
import { configureConnection, connect, createOnce, gone, ignoreNotFound, withSafeErrors, type CheckFailure, type HerokuConnection } from "./provider";

export const PIPELINE_STAGES: readonly PipelineStage[] = ["test", "review", "development", "staging", "production"];

export interface PipelineCouplingArgs {
    /**
     * The pipeline's id (`Pipeline.pipelineId`) or name. A name lets another stack couple its app to a pipeline that
     * stack does not own (staging joins the pipeline production declares).
     */
    pipeline: pulumi.Input<string>;
    /** App name or id. */
    app: pulumi.Input<string>;
    stage: pulumi.Input<PipelineStage>;
}

export interface PipelineCouplingInputs {
    pipeline: string;
    app: string;
    stage: PipelineStage;
}

export interface PipelineCouplingOutputs extends PipelineCouplingInputs {
    couplingId: string;
    pipelineId: string;
    appId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function outputs(inputs: Pick<PipelineCouplingInputs, "app" | "pipeline">, c: HerokuPipelineCoupling): PipelineCouplingOutputs {
    return { pipeline: inputs.pipeline, app: inputs.app, stage: c.stage, couplingId: c.id, pipelineId: c.pipeline.id, appId: c.app.id };
}

/** The pipeline's id for a name or id; a clear error when no such pipeline exists. */
async function pipelineId(api: HerokuApi, pipeline: string): Promise<string> {
    if (UUID.test(pipeline)) return pipeline.toLowerCase();
    const found = await api.findPipeline(pipeline);
    if (found === undefined) {
        throw new Error(`the Heroku pipeline ${pipeline} does not exist yet: the stack that declares it (production) must be up first`);
    }
    return found.id;
}

export function pipelineCouplingProvider(): pulumi.dynamic.ResourceProvider<PipelineCouplingInputs, PipelineCouplingOutputs> {
    const connection: HerokuConnection = {};
    return withSafeErrors({
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            if (!isUnknown(news.stage) && !PIPELINE_STAGES.includes(news.stage)) {
                failures.push({ property: "stage", reason: `must be one of ${PIPELINE_STAGES.join(", ")}; got ${JSON.stringify(news.stage)}` });
            }
            if (!isUnknown(news.app) && (typeof news.app !== "string" || news.app === "")) failures.push({ property: "app", reason: "must be an app name or id" });
            if (!isUnknown(news.pipeline) && (typeof news.pipeline !== "string" || news.pipeline === "")) {
                failures.push({ property: "pipeline", reason: "must be the pipeline's id (Pipeline.pipelineId)" });
            }
            return { inputs: { pipeline: news.pipeline, app: news.app, stage: news.stage }, failures };
        },

        async diff(_id, olds, news) {
            // The pipeline named by its id instead of its name (or the other way round) is the same pipeline.
            const samePipeline = news.pipeline === olds.pipelineId || (typeof news.pipeline === "string" && news.pipeline.toLowerCase() === olds.pipelineId);
            const d = diffProperties<PipelineCouplingInputs>(samePipeline ? { ...olds, pipeline: news.pipeline } : olds, news, ["pipeline", "app", "stage"], ["pipeline", "app"]);
            // One pipeline per app: the same app moving to another pipeline must leave the old one first.
            return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.replaces.length > 0 && olds.app === news.app };
        },

        async create(inputs) {
            const api = connect(connection);
            const id = await pipelineId(api, inputs.pipeline);
            try {
                const c = await createOnce(
                    () => api.createPipelineCoupling({ app: inputs.app, pipeline: id, stage: inputs.stage }),
                    async () => {
                        const found = await api.findAppPipelineCoupling(inputs.app);
                        return found && found.pipeline.id === id ? found : undefined;
                    },
                );
                return { id: c.id, outs: outputs(inputs, c) };
            } catch (err) {
                if (isHerokuApiError(err) && err.status === 422) {
                    const existing = await api.findAppPipelineCoupling(inputs.app).catch(() => undefined);
                    if (existing !== undefined) {
                        throw new Error(
                            `app ${inputs.app} is already in a pipeline (${existing.pipeline.id}, stage ${existing.stage}): Heroku allows one per app. ` +
                                `Remove it there (heroku pipelines:remove -a ${inputs.app}) or adopt the coupling with import: "${existing.id}". (${err.message})`,
                        );
                    }
                }
                throw err;
            }
        },

        async read(id, props) {
            const c = await connect(connection).findPipelineCoupling(id);
            if (c === undefined) return gone();
            const outs = outputs({ app: props?.app ?? c.app.id, pipeline: props?.pipeline ?? c.pipeline.id }, c);
            if (props?.couplingId !== undefined) return { id: c.id, props: outs };
            return { id: c.id, props: outs, inputs: { pipeline: outs.pipeline, app: outs.app, stage: outs.stage } as PipelineCouplingOutputs };
        },

        async update(id, _olds, news) {
            const c = await connect(connection).updatePipelineCoupling(id, { stage: news.stage });
            return { outs: outputs({ app: news.app, pipeline: news.pipeline }, c) };
        },

        async delete(id) {
            await ignoreNotFound(connect(connection).deletePipelineCoupling(id));
        },
    });
}

/** An app coupled to a Heroku pipeline at a stage (`pulumi-nodejs:dynamic/herokuenv:heroku.PipelineCoupling`). */
export class PipelineCoupling extends pulumi.dynamic.Resource {
    public readonly couplingId!: pulumi.Output<string>;
    public readonly pipelineId!: pulumi.Output<string>;
    public readonly appId!: pulumi.Output<string>;
    public readonly stage!: pulumi.Output<PipelineStage>;

    constructor(name: string, args: PipelineCouplingArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            packageProvider<PipelineCouplingInputs, PipelineCouplingOutputs>("heroku/pipeline-coupling", "pipelineCouplingProvider"),
            name,
            { ...args, couplingId: undefined, pipelineId: undefined, appId: undefined },
            opts,
            "herokuenv",
            "heroku.PipelineCoupling",
        );
    }
}

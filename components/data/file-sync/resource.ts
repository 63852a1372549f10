// FileSync: user files -> S3 as a Pulumi dynamic resource (`pulumi-nodejs:dynamic/herokuenv:data.FileSync`; before
// the one naming scheme, `pulumi-nodejs:dynamic/data:FileSync`, kept as an alias). The program fingerprints the source
// at preview time; a new fingerprint is a change, and the update runs the sync engine, which uploads only what differs.
// Destroying the resource keeps the files unless `deleteOnDestroy` is set: user files outlive the step that copied them.
//
// The provider is the project's thin shape (package-provider.ts): the serialized object holds two strings and loads
// `fileSyncProvider` from `herokuenv/data/file-sync/resource` (the compiled package) in the provider host.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { S3Client } from "@aws-sdk/client-s3";
import { packageProvider, withTypeAlias, type StepFailureHint } from "../../package-provider";
import { syncFiles, type SyncSummary } from "./engine";
import { sourceFingerprint } from "./fingerprint";
import { isS3Url, manifestKey, parseS3Url, type S3Location } from "./keys";
import { DEFAULT_CONCURRENCY, concurrencyProblem } from "./options";
import { driftedKeys, parseManifest } from "./plan";
import { createS3Client, deleteObjects, getSmallObject, listAll, type S3ConnectionOptions } from "./s3";

/** Bump when the engine's behaviour changes in a way that must re-run existing syncs. */
const ENGINE_VERSION = 1;
const DRIFT_MARK = "drifted:";

export interface FileSyncArgs {
    /** A local directory, a .tar/.tar.gz archive (resolved against the program's directory), or s3://bucket/prefix. */
    source: pulumi.Input<string>;
    /** s3://bucket/prefix */
    destination: pulumi.Input<string>;
    /** S3-compatible endpoint; AWS when omitted. */
    endpoint?: pulumi.Input<string>;
    region?: pulumi.Input<string>;
    forcePathStyle?: pulumi.Input<boolean>;
    /** With `secretAccessKey`, e.g. the Storage component's outputs; else the usual AWS environment. */
    accessKeyId?: pulumi.Input<string>;
    /** Always stored as a secret. */
    secretAccessKey?: pulumi.Input<string>;
    concurrency?: pulumi.Input<number>;
    /** Delete objects under the prefix that the source lacks. Default false. */
    deleteExtraneous?: pulumi.Input<boolean>;
    /** Delete the synced objects (those in the manifest) when the resource is destroyed. Default false. */
    deleteOnDestroy?: pulumi.Input<boolean>;
    /** Overrides the computed source fingerprint (e.g. a release number). */
    fingerprint?: pulumi.Input<string>;
    /** As a step of a chain (the migration night): its name and what to do when it fails. */
    failureHint?: StepFailureHint;
}

export interface FileSyncInputs {
    source: string;
    destination: string;
    endpoint?: string;
    region?: string;
    forcePathStyle: boolean;
    accessKeyId?: string;
    secretAccessKey?: string;
    concurrency: number;
    deleteExtraneous: boolean;
    deleteOnDestroy: boolean;
    fingerprint: string;
    engineVersion: number;
}

export interface FileSyncOutputs extends FileSyncInputs {
    files: number;
    bytes: number;
    uploaded: number;
    skipped: number;
    deleted: number;
    /** How long the last sync took. */
    seconds: number;
}

const PROPERTIES = [
    "source", "destination", "endpoint", "region", "forcePathStyle", "accessKeyId", "secretAccessKey",
    "concurrency", "deleteExtraneous", "deleteOnDestroy", "fingerprint", "engineVersion",
] as const;

function connectionOf(inputs: FileSyncInputs): S3ConnectionOptions {
    return {
        endpoint: inputs.endpoint,
        region: inputs.region,
        forcePathStyle: inputs.forcePathStyle,
        credentials:
            inputs.accessKeyId && inputs.secretAccessKey ? { accessKeyId: inputs.accessKeyId, secretAccessKey: inputs.secretAccessKey } : undefined,
    };
}

function outputsOf(inputs: FileSyncInputs, summary: SyncSummary): FileSyncOutputs {
    return {
        ...inputs,
        files: summary.files,
        bytes: summary.bytes,
        uploaded: summary.uploaded,
        skipped: summary.skipped,
        deleted: summary.deleted,
        seconds: summary.durationMs / 1000,
    };
}

function runSync(inputs: FileSyncInputs): Promise<SyncSummary> {
    return syncFiles({
        source: inputs.source,
        destination: inputs.destination,
        connection: connectionOf(inputs),
        concurrency: inputs.concurrency,
        deleteExtraneous: inputs.deleteExtraneous,
        // refresh and delete read the manifest: keep it present and exact even when nothing was uploaded.
        checkManifest: true,
    });
}

/** True when every object the last manifest recorded is still there, unchanged. One listing plus one GET. */
async function destinationIntact(props: FileSyncOutputs): Promise<boolean> {
    const destination = parseS3Url(props.destination);
    const connection = connectionOf(props);
    const client = createS3Client(connection, 4);
    try {
        const listing = await listAll(client, destination.bucket, destination.prefix, { endpoint: connection.endpoint });
        const body = await getSmallObject(client, destination.bucket, manifestKey(destination.prefix), { endpoint: connection.endpoint });
        if (!body) return false;
        const manifest = parseManifest(destination.prefix, body);
        return manifest.size === props.files && driftedKeys(manifest, listing).length === 0;
    } catch {
        return false;
    } finally {
        client.destroy();
    }
}

export function fileSyncProvider(): pulumi.dynamic.ResourceProvider<FileSyncInputs, FileSyncOutputs> {
    return {
        async check(_olds, news) {
            // In a preview, inputs computed from other resources arrive as this marker: nothing to check yet.
            const isUnknown = (value: unknown): boolean => value === pulumi.runtime.unknownValue;
            const failures: Array<{ property: string; reason: string }> = [];
            const url = (property: "source" | "destination", value: string): void => {
                try {
                    parseS3Url(value);
                } catch (error) {
                    failures.push({ property, reason: (error as Error).message });
                }
            };
            if (!isUnknown(news.destination)) url("destination", String(news.destination));
            if (isUnknown(news.source)) {
                // checked once known
            } else if (typeof news.source !== "string" || news.source === "") {
                failures.push({ property: "source", reason: "a directory, a .tar/.tar.gz archive or s3://bucket/prefix is required" });
            } else if (isS3Url(news.source)) url("source", news.source);
            const concurrency = news.concurrency ?? DEFAULT_CONCURRENCY;
            const problem = isUnknown(concurrency) ? undefined : concurrencyProblem(concurrency);
            if (problem) failures.push({ property: "concurrency", reason: problem });
            if (!isUnknown(news.accessKeyId) && !isUnknown(news.secretAccessKey) && Boolean(news.accessKeyId) !== Boolean(news.secretAccessKey)) {
                failures.push({ property: "accessKeyId", reason: "give both accessKeyId and secretAccessKey, or neither" });
            }
            const inputs: FileSyncInputs = {
                source: news.source,
                destination: news.destination,
                ...(news.endpoint ? { endpoint: news.endpoint } : {}),
                ...(news.region ? { region: news.region } : {}),
                forcePathStyle: news.forcePathStyle ?? false,
                ...(news.accessKeyId ? { accessKeyId: news.accessKeyId } : {}),
                ...(news.secretAccessKey ? { secretAccessKey: news.secretAccessKey } : {}),
                concurrency,
                deleteExtraneous: news.deleteExtraneous ?? false,
                deleteOnDestroy: news.deleteOnDestroy ?? false,
                fingerprint: news.fingerprint,
                engineVersion: news.engineVersion ?? ENGINE_VERSION,
            };
            return { inputs, failures };
        },

        async diff(_id, olds, news) {
            const changed = PROPERTIES.filter((p) => JSON.stringify(olds[p] ?? null) !== JSON.stringify(news[p] ?? null));
            // A new destination is a new set of objects; the old one is left (or cleaned) by delete.
            const replaces = changed.filter((p) => p === "destination");
            return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
        },

        async create(inputs) {
            const summary = await runSync(inputs);
            return { id: summary.destination, outs: outputsOf(inputs, summary) };
        },

        /** Refresh: if the objects the last run wrote changed or vanished, mark the fingerprint so the next up syncs. */
        async read(id, props) {
            if (!props) throw new Error(`FileSync ${id} cannot be imported: declare it and let it sync`);
            if (props.fingerprint.startsWith(DRIFT_MARK) || (await destinationIntact(props))) return { id, props };
            return { id, props: { ...props, fingerprint: `${DRIFT_MARK}${props.fingerprint}` } };
        },

        async update(_id, _olds, news) {
            return { outs: outputsOf(news, await runSync(news)) };
        },

        async delete(_id, props) {
            if (!props.deleteOnDestroy) return;
            const connection = connectionOf(props);
            const client = createS3Client(connection, 4);
            try {
                await deleteSyncedObjects(client, parseS3Url(props.destination), connection.endpoint);
            } finally {
                client.destroy();
            }
        },
    };
}

/**
 * Deletes what the destination's manifest lists, and the manifest itself; objects the sync did not write stay. Fails,
 * naming the first few keys, when S3 did not delete some of them.
 */
export async function deleteSyncedObjects(client: Pick<S3Client, "send">, destination: S3Location, endpoint?: string): Promise<void> {
    const key = manifestKey(destination.prefix);
    const body = await getSmallObject(client, destination.bucket, key, { endpoint });
    const keys = [...(body ? parseManifest(destination.prefix, body).keys() : []), key];
    await deleteObjects(client, destination.bucket, keys, { endpoint, action: "deleting the synced objects from" });
}

/** Syncs user files to S3 (`pulumi-nodejs:dynamic/herokuenv:data.FileSync`). */
export class FileSync extends pulumi.dynamic.Resource {
    public readonly source!: pulumi.Output<string>;
    public readonly destination!: pulumi.Output<string>;
    public readonly fingerprint!: pulumi.Output<string>;
    public readonly files!: pulumi.Output<number>;
    public readonly bytes!: pulumi.Output<number>;
    public readonly uploaded!: pulumi.Output<number>;
    public readonly skipped!: pulumi.Output<number>;
    public readonly deleted!: pulumi.Output<number>;
    public readonly seconds!: pulumi.Output<number>;

    constructor(name: string, fileSyncArgs: FileSyncArgs, opts?: pulumi.CustomResourceOptions) {
        const { failureHint, ...args } = fileSyncArgs;
        // Local paths are made absolute here: the provider host need not run in the program's directory.
        const source = pulumi.output(args.source).apply((s) => (isS3Url(s) ? s : path.resolve(s)));
        const secretAccessKey = args.secretAccessKey === undefined ? undefined : pulumi.secret(args.secretAccessKey);
        // Only an S3 source needs the credentials to fingerprint: a local one must not become secret through them.
        const fingerprint =
            args.fingerprint ??
            source.apply((s) =>
                isS3Url(s)
                    ? pulumi
                          .all([args.endpoint, args.region, args.forcePathStyle, args.accessKeyId, secretAccessKey])
                          .apply(([endpoint, region, forcePathStyle, accessKeyId, secret]) =>
                              sourceFingerprint(s, {
                                  endpoint,
                                  region,
                                  forcePathStyle,
                                  credentials: accessKeyId && secret ? { accessKeyId, secretAccessKey: secret } : undefined,
                              }),
                          )
                    : sourceFingerprint(s),
            );
        super(
            packageProvider<FileSyncInputs, FileSyncOutputs>("data/file-sync/resource", "fileSyncProvider", failureHint),
            name,
            {
                ...args,
                source,
                secretAccessKey,
                fingerprint,
                engineVersion: ENGINE_VERSION,
                files: undefined,
                bytes: undefined,
                uploaded: undefined,
                skipped: undefined,
                deleted: undefined,
                seconds: undefined,
            },
            withTypeAlias({ ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secretAccessKey"] }, "pulumi-nodejs:dynamic/data:FileSync"),
            "herokuenv",
            "data.FileSync",
        );
    }
}

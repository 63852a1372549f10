// FileSync: user files -> S3 as a Pulumi dynamic resource (`pulumi-nodejs:dynamic/data:FileSync`). The program
// fingerprints the source at preview time; a new fingerprint is a change, and the update runs the sync engine, which
// uploads only what differs. Destroying the resource keeps the files unless `deleteOnDestroy` is set: user files
// outlive the step that copied them.
//
// Pulumi serializes this provider with its closure: the engine (a project module) is captured by value, the AWS SDK
// and other node_modules are `require`d by the dynamic provider host.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DeleteObjectsCommand } from "@aws-sdk/client-s3";
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY } from "./file-sync/defaults";
import { syncFiles, type SyncSummary } from "./file-sync/engine";
import { sourceFingerprint } from "./file-sync/fingerprint";
import { isS3Url, manifestKey, parseS3Url } from "./file-sync/keys";
import { driftedKeys, parseManifest } from "./file-sync/plan";
import { createS3Client, getSmallObject, listAll, type S3ConnectionOptions } from "./file-sync/s3";

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
    return { ...inputs, files: summary.files, bytes: summary.bytes, uploaded: summary.uploaded, skipped: summary.skipped, deleted: summary.deleted };
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
            const failures: Array<{ property: string; reason: string }> = [];
            try {
                parseS3Url(String(news.destination));
            } catch (error) {
                failures.push({ property: "destination", reason: (error as Error).message });
            }
            if (typeof news.source !== "string" || news.source === "") failures.push({ property: "source", reason: "a directory, a .tar/.tar.gz archive or s3://bucket/prefix is required" });
            else if (isS3Url(news.source)) {
                try {
                    parseS3Url(news.source);
                } catch (error) {
                    failures.push({ property: "source", reason: (error as Error).message });
                }
            }
            const concurrency = news.concurrency ?? DEFAULT_CONCURRENCY;
            if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
                failures.push({ property: "concurrency", reason: `a whole number from 1 to ${MAX_CONCURRENCY}; got ${concurrency}` });
            }
            if (Boolean(news.accessKeyId) !== Boolean(news.secretAccessKey)) failures.push({ property: "accessKeyId", reason: "give both accessKeyId and secretAccessKey, or neither" });
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
            const destination = parseS3Url(props.destination);
            const connection = connectionOf(props);
            const client = createS3Client(connection, 4);
            try {
                const key = manifestKey(destination.prefix);
                const body = await getSmallObject(client, destination.bucket, key, { endpoint: connection.endpoint });
                const keys = [...(body ? parseManifest(destination.prefix, body).keys() : []), key];
                for (let start = 0; start < keys.length; start += 1000) {
                    const batch = keys.slice(start, start + 1000).map((Key) => ({ Key }));
                    await client.send(new DeleteObjectsCommand({ Bucket: destination.bucket, Delete: { Objects: batch, Quiet: true } }));
                }
            } finally {
                client.destroy();
            }
        },
    };
}

/** Syncs user files to S3 (`pulumi-nodejs:dynamic/data:FileSync`). */
export class FileSync extends pulumi.dynamic.Resource {
    public readonly source!: pulumi.Output<string>;
    public readonly destination!: pulumi.Output<string>;
    public readonly fingerprint!: pulumi.Output<string>;
    public readonly files!: pulumi.Output<number>;
    public readonly bytes!: pulumi.Output<number>;
    public readonly uploaded!: pulumi.Output<number>;
    public readonly skipped!: pulumi.Output<number>;
    public readonly deleted!: pulumi.Output<number>;

    constructor(name: string, args: FileSyncArgs, opts?: pulumi.CustomResourceOptions) {
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
            fileSyncProvider(),
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
            },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secretAccessKey"] },
            "data",
            "FileSync",
        );
    }
}

// The S3 side of the sync: a client for AWS or an S3-compatible store, full listings, batched deletes and a request
// counter.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { describeS3Error, fileSyncError } from "./errors";
import { DELETE_BATCH, DELETE_ERRORS_SHOWN } from "./options";
import { normalizeEtag, type ListedObject } from "./plan";

export interface S3Credentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
}

export interface S3ConnectionOptions {
    /** An S3-compatible endpoint (e.g. http://127.0.0.1:4568); AWS when omitted. */
    endpoint?: string;
    /** AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. */
    region?: string;
    /** Path-style addressing (endpoint/bucket/key), which most S3-compatible stores need. */
    forcePathStyle?: boolean;
    /** The usual AWS chain (environment, profile, instance role) when omitted. */
    credentials?: S3Credentials;
}

/** Keep-alive connection pools, shared by the SDK client and the direct PUT path. */
export interface HttpAgents {
    httpAgent: HttpAgent;
    httpsAgent: HttpsAgent;
}

export function createHttpAgents(maxSockets: number): HttpAgents {
    const agentOptions = { keepAlive: true, maxSockets };
    return { httpAgent: new HttpAgent(agentOptions), httpsAgent: new HttpsAgent(agentOptions) };
}

export function createS3Client(connection: S3ConnectionOptions, agents: HttpAgents | number): S3Client {
    const { httpAgent, httpsAgent } = typeof agents === "number" ? createHttpAgents(agents) : agents;
    return new S3Client({
        endpoint: connection.endpoint,
        region: connection.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
        forcePathStyle: connection.forcePathStyle ?? false,
        credentials: connection.credentials,
        // Integrity comes from Content-MD5 on every single-part PUT and from comparing ETags afterwards. The SDK's
        // default (CRC32 trailers in aws-chunked bodies) is not understood by many S3-compatible stores.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        requestHandler: { httpAgent, httpsAgent, connectionTimeout: 10_000 },
    });
}

/**
 * Reports every HTTP request the client sends, retries included (the hook sits inside the retry step), with the
 * operation ("ListObjectsV2") and key if any. Returns a function that removes the hook.
 */
export function countRequests(client: S3Client, onRequest: (operation: string, key?: string) => void): () => void {
    const name = `herokuenvRequestCounter${Math.random().toString(36).slice(2)}`;
    client.middlewareStack.add(
        (next, context) => async (args) => {
            onRequest((context.commandName ?? "unknown").replace(/Command$/, ""), (args.input as { Key?: string } | undefined)?.Key);
            return next(args);
        },
        { step: "deserialize", name },
    );
    return () => {
        client.middlewareStack.remove(name);
    };
}

interface ListedPage {
    objects: ListedObject[];
    truncated: boolean;
    nextToken?: string;
}

/** One ListObjectsV2 request under the prefix, from a continuation token or from after a key. */
async function listObjectsPage(
    client: S3Client,
    bucket: string,
    prefix: string,
    from: { token?: string; startAfter?: string },
    context: { endpoint?: string; signal?: AbortSignal },
): Promise<ListedPage> {
    let page: ListObjectsV2CommandOutput;
    try {
        page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix === "" ? undefined : prefix, ContinuationToken: from.token, StartAfter: from.startAfter }),
            { abortSignal: context.signal },
        );
    } catch (error) {
        throw describeS3Error(error, { bucket, endpoint: context.endpoint, action: "listing" });
    }
    const objects = (page.Contents ?? []).flatMap((item) => (item.Key === undefined ? [] : [{ key: item.Key, size: item.Size ?? 0, etag: normalizeEtag(item.ETag) }]));
    return { objects, truncated: page.IsTruncated === true, nextToken: page.NextContinuationToken };
}

/** Every object under the prefix, keyed by key: one request per 1,000 objects. */
export async function listAll(
    client: S3Client,
    bucket: string,
    prefix: string,
    context: { endpoint?: string; signal?: AbortSignal },
): Promise<Map<string, ListedObject>> {
    const objects = new Map<string, ListedObject>();
    let token: string | undefined;
    do {
        const page = await listObjectsPage(client, bucket, prefix, { token }, context);
        for (const object of page.objects) objects.set(object.key, object);
        token = page.truncated ? page.nextToken : undefined;
    } while (token);
    return objects;
}

/** One page (up to 1,000 objects) of the prefix, from after `startAfter` in listing order. */
export async function listPage(
    client: S3Client,
    bucket: string,
    prefix: string,
    startAfter: string | undefined,
    context: { endpoint?: string; signal?: AbortSignal },
): Promise<{ objects: ListedObject[]; truncated: boolean }> {
    const { objects, truncated } = await listObjectsPage(client, bucket, prefix, { startAfter }, context);
    return { objects, truncated };
}

/** The whole body of a small object, or undefined when it does not exist. */
export async function getSmallObject(
    client: Pick<S3Client, "send">,
    bucket: string,
    key: string,
    context: { endpoint?: string; signal?: AbortSignal },
): Promise<Uint8Array | undefined> {
    try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: context.signal });
        return response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
        if ((error as { name?: string }).name === "NoSuchKey") return undefined;
        throw describeS3Error(error, { bucket, key, endpoint: context.endpoint, action: "reading" });
    }
}

/**
 * Deletes the keys in batches of DELETE_BATCH (one DeleteObjects request each), calling `onBatch` with the number
 * deleted after each. DeleteObjects answers 200 even when some keys were not deleted: its `Errors` are checked, and
 * the first few keys that failed, with S3's code for each, are named in the error.
 */
export async function deleteObjects(
    client: Pick<S3Client, "send">,
    bucket: string,
    keys: readonly string[],
    context: { endpoint?: string; signal?: AbortSignal; action: string; onBatch?: (deleted: number) => void },
): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        if (context.signal?.aborted) throw describeS3Error({ name: "AbortError" }, { bucket, endpoint: context.endpoint, action: context.action });
        const batch = keys.slice(start, start + DELETE_BATCH);
        let errors: Array<{ Key?: string; Code?: string; Message?: string }> | undefined;
        try {
            const response = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), {
                abortSignal: context.signal,
            });
            errors = response.Errors;
        } catch (error) {
            throw describeS3Error(error, { bucket, endpoint: context.endpoint, action: context.action });
        }
        if (errors && errors.length > 0) {
            const named = errors.slice(0, DELETE_ERRORS_SHOWN).map((e) => `s3://${bucket}/${e.Key ?? "(no key)"} (${e.Code ?? e.Message ?? "no code"})`);
            const more = errors.length > DELETE_ERRORS_SHOWN ? ` and ${errors.length - DELETE_ERRORS_SHOWN} more` : "";
            const noun = errors.length === 1 ? "1 object" : `${errors.length} objects`;
            throw fileSyncError("s3", `S3 did not delete ${noun} while ${context.action} bucket "${bucket}": ${named.join(", ")}${more}`);
        }
        context.onBatch?.(batch.length);
    }
}

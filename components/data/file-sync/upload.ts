// The ways content goes up: one PUT of bytes in memory, one PUT streamed from a source, and a multipart upload. A single
// PUT goes through the lean path (direct-put.ts) when it is on, else through the SDK's PutObjectCommand. Streamed
// bodies, single or multipart, are hashed while they are sent (HashedBody): if the source changed after it was hashed,
// the object is deleted again and the run fails, so an object's stored MD5 metadata can never lie.
import type { Readable } from "node:stream";
import { DeleteObjectsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { StreamedBody } from "./direct-put";
import { fileSyncError } from "./errors";
import { HashedBody, type ContentDigest } from "./hash";
import { PART_QUEUE } from "./options";
import { MD5_METADATA_KEY, normalizeEtag } from "./plan";
import { sourceError, uploadError, type Run } from "./run";

export interface PutContent {
    key: string;
    /** The hex MD5 of the body: sent as Content-MD5, so S3 refuses any other body (BadDigest). */
    md5: string;
    contentType: string;
    /** Record the MD5 in the object's metadata (every synced file; not the manifest). Default true. */
    md5Metadata?: boolean;
}

/** One PutObject, through the lean path when it is on and knows the bucket's address, else the SDK. Returns the ETag. */
async function putObject(run: Run, content: PutContent, body: Buffer | StreamedBody): Promise<string> {
    const md5Base64 = Buffer.from(content.md5, "hex").toString("base64");
    const metadata: Record<string, string> = content.md5Metadata === false ? {} : { [MD5_METADATA_KEY]: content.md5 };
    const address = run.direct?.addressOf(run.destination.bucket);
    if (run.direct && address) {
        run.onRequest("PutObject", content.key);
        const headers: Record<string, string> = { "content-type": content.contentType };
        for (const [name, value] of Object.entries(metadata)) headers[`x-amz-meta-${name}`] = value;
        return normalizeEtag(await run.direct.put.put({ address, key: content.key, body, md5Base64, headers, signal: run.signal }));
    }
    const response = await run.client.send(
        new PutObjectCommand({
            Bucket: run.destination.bucket,
            Key: content.key,
            Body: Buffer.isBuffer(body) ? body : body.open(),
            ContentLength: body.length,
            ContentMD5: md5Base64,
            ContentType: content.contentType,
            Metadata: metadata,
        }),
        { abortSignal: run.signal },
    );
    return normalizeEtag(response.ETag);
}

/** One PUT of bytes in memory (small files, small archive members, the manifest). Returns the ETag. */
export async function putBuffer(run: Run, content: PutContent, body: Buffer): Promise<string> {
    try {
        return await putObject(run, content, body);
    } catch (error) {
        throw uploadError(run, content.key, error);
    }
}

/** What a streamed upload sends: read by `open`, named `label` in errors, hashed earlier as `digest`. */
export interface StreamedContent {
    key: string;
    label: string;
    contentType: string;
    digest: ContentDigest;
    open: () => Readable;
}

async function deleteQuietly(run: Run, key: string): Promise<void> {
    try {
        await run.client.send(new DeleteObjectsCommand({ Bucket: run.destination.bucket, Delete: { Objects: [{ Key: key }], Quiet: true } }));
    } catch {
        // Best effort: the manifest is not written, so the next run re-checks this object anyway.
    }
}

/** True for errors raised by reading a local file rather than by S3. */
function isLocalReadError(error: unknown): boolean {
    const e = error as NodeJS.ErrnoException;
    return typeof e?.syscall === "string" && ["open", "read", "fstat", "stat"].includes(e.syscall);
}

function changedWhileUploading(label: string): Error {
    return fileSyncError("source", `${label}: changed while being uploaded; run again`);
}

/**
 * Sends a streamed body with `send`, then checks that what was read is what was hashed when deciding; if not, deletes
 * the object and fails. Errors name the source when reading it failed, else the object.
 */
async function sendHashed(run: Run, content: StreamedContent, send: (body: HashedBody) => Promise<string>): Promise<string> {
    const body = new HashedBody(content.open, run.partSize);
    let etag: string;
    try {
        etag = await send(body);
    } catch (error) {
        if (body.readFailure !== undefined || isLocalReadError(error)) throw sourceError(content.label, body.readFailure?.error ?? error);
        // S3 checked the body against the Content-MD5 from the hashing pass (s3rver and some other stores do not).
        if ((error as { name?: string }).name === "BadDigest") throw changedWhileUploading(content.label);
        throw uploadError(run, content.key, error);
    }
    if (!body.matches(content.digest)) {
        await deleteQuietly(run, content.key);
        throw changedWhileUploading(content.label);
    }
    return etag;
}

/** One PUT whose body is streamed from the source (opened afresh for each attempt). Returns the ETag. */
export function putStreamed(run: Run, content: StreamedContent): Promise<string> {
    return sendHashed(run, content, (body) =>
        putObject(run, { key: content.key, md5: content.digest.md5, contentType: content.contentType }, { length: content.digest.size, open: body.open }),
    );
}

/** A multipart upload with flat memory (at most PART_QUEUE parts buffered, MULTIPART_UPLOADS_AT_ONCE at once). */
export async function putMultipart(run: Run, content: StreamedContent): Promise<string> {
    await run.multipartSlots.acquire();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    run.signal?.addEventListener("abort", onAbort);
    try {
        return await sendHashed(run, content, async (body) => {
            const { digest } = content;
            const upload = new Upload({
                client: run.client,
                params: {
                    Bucket: run.destination.bucket,
                    Key: content.key,
                    Body: body.open(),
                    ContentLength: digest.size,
                    ContentType: content.contentType,
                    Metadata: { [MD5_METADATA_KEY]: digest.md5 },
                },
                partSize: run.partSize,
                queueSize: PART_QUEUE,
                leavePartsOnError: false,
                abortController: controller,
            });
            let reported = 0;
            upload.on("httpUploadProgress", (event) => {
                const loaded = Math.min(event.loaded ?? 0, digest.size);
                run.progress.bytesDone += loaded - reported;
                reported = loaded;
                run.report();
            });
            try {
                return normalizeEtag((await upload.done()).ETag);
            } finally {
                run.progress.bytesDone -= reported; // transfer() adds the whole size once done.
            }
        });
    } finally {
        run.signal?.removeEventListener("abort", onAbort);
        run.multipartSlots.release();
    }
}

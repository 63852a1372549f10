// The file sync engine: a local directory, a .tar/.tar.gz archive or another bucket+prefix, to a bucket+prefix.
// One engine behind both the CLI (`herokuenv sync-files`) and the FileSync dynamic resource.
//
// A run: list the destination (and read the source) -> decide per file (plan.ts) -> transfer with bounded
// concurrency -> delete extraneous objects if asked -> verify with a second listing -> write the manifest. A run that
// fails or is interrupted writes no manifest and reports nothing done; the next run redoes only what is missing.
import { promises as fsp, createReadStream, type Stats } from "node:fs";
import { Transform, type Readable } from "node:stream";
import {
    CopyObjectCommand,
    DeleteObjectsCommand,
    GetObjectCommand,
    HeadObjectCommand,
    PutObjectCommand,
    type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { isArchivePath, readArchive, toNodeStream, type ArchiveMember } from "./archive";
import { contentTypeFor } from "./content-type";
import { scanDirectory, type LocalFile } from "./directory";
import { RangeVerifier } from "./verify";
import { DEFAULT_CONCURRENCY, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, MAX_CONCURRENCY } from "./defaults";
import { describeS3Error, fileSyncError, isFileSyncError, listProblems, type FileSyncError } from "./errors";
import { PartHasher, hashFile, md5Hex, type ContentDigest } from "./hash";
import { MANIFEST_SUFFIX, formatS3Url, isManifestKey, isS3Url, joinKey, keyProblem, manifestKey, parseS3Url, type S3Location } from "./keys";
import {
    MD5_METADATA_KEY,
    decide,
    decideFromMetadata,
    extraneousKeys,
    isPlainMd5,
    normalizeEtag,
    parseManifest,
    sameManifest,
    serializeManifest,
    verificationProblems,
    type ExpectedObject,
    type KnownObject,
    type ListedObject,
    type SourceFacts,
    type UploadReason,
} from "./plan";
import { Semaphore, TaskGroup, forEachLimited } from "../shared/pool";
import { countRequests, createHttpAgents, createS3Client, getSmallObject, listAll, listPage, type S3ConnectionOptions } from "./s3";
import { DirectPut, watchBucketAddresses, type BucketAddress } from "./direct-put";

const MIN_PART_SIZE = 5 * 1024 * 1024;
/**
 * Local files below this are read whole (concurrency x 1 MiB of memory at most); larger ones are hashed in one pass
 * and streamed in a second. It is also the size from which an object nothing proves is checked with a HEAD rather
 * than uploaded again.
 */
const BUFFERED_MAX = 1024 * 1024;
/** Multipart uploads at once, each with PART_QUEUE parts in flight: memory stays under 2 x 4 x part size for them. */
const MULTIPART_UPLOADS_AT_ONCE = 2;
const PART_QUEUE = 4;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;

export type SourceKind = "directory" | "archive" | "bucket";
export type SyncPhase = "scanning" | "transferring" | "deleting" | "verifying" | "done";

export interface SyncProgress {
    phase: SyncPhase;
    /** Known once scanning is over. */
    filesTotal: number;
    bytesTotal: number;
    filesDone: number;
    bytesDone: number;
    uploaded: number;
    uploadedBytes: number;
    skipped: number;
    deleted: number;
}

export interface SyncOptions {
    /** A local directory, a .tar/.tar.gz/.tgz file, or s3://bucket/prefix (same endpoint and credentials). */
    source: string;
    /** s3://bucket/prefix */
    destination: string;
    connection?: S3ConnectionOptions;
    /** A client to use instead of one built from `connection` (it is not destroyed). */
    client?: S3Client;
    /** Transfers at once; default 16. */
    concurrency?: number;
    /** Delete objects under the destination prefix that the source does not have. Off by default. */
    deleteExtraneous?: boolean;
    /** Decide everything, write nothing. */
    dryRun?: boolean;
    /** After the listing check, download every transferred object and compare its MD5 (one GET each). */
    verifyContent?: boolean;
    /** Multipart part size (>= 5 MiB); archive members at least this large are streamed in parts. */
    partSize?: number;
    /**
     * Local files at least this large go up in multipart (default 32 MiB); smaller ones in one streamed PUT, which
     * costs one request and lets S3 check the whole body against its Content-MD5.
     */
    multipartThreshold?: number;
    signal?: AbortSignal;
    onProgress?: (progress: Readonly<SyncProgress>) => void;
    /**
     * Read the manifest even when the listing proves everything (one more GET), so that a missing or stale one is
     * rewritten; the FileSync resource relies on it for refresh and delete. Default false.
     */
    checkManifest?: boolean;
    /** Called for every HTTP request sent to S3 (retries included), e.g. ("PutObject", key). */
    onRequest?: (operation: string, key?: string) => void;
    /**
     * Upload small files with the lean PUT path (direct-put.ts) rather than the SDK's PutObjectCommand. Default true;
     * the SDK path is there for stores where the lean one misbehaves.
     */
    directPut?: boolean;
}

export interface PlannedUpload {
    key: string;
    size: number;
    reason: UploadReason;
}

export interface SyncSummary {
    source: string;
    sourceKind: SourceKind;
    destination: string;
    files: number;
    bytes: number;
    uploaded: number;
    uploadedBytes: number;
    skipped: number;
    deleted: number;
    /** Objects under the prefix that the source lacks and that were left in place (no deleteExtraneous). */
    extraneous: number;
    /** HTTP requests sent to S3, retries included. */
    requests: number;
    durationMs: number;
    dryRun: boolean;
    manifestWritten: boolean;
    /** Dry runs only: what a real run would transfer and delete. */
    plannedUploads?: PlannedUpload[];
    plannedDeletes?: string[];
}

/** Everything one run shares. */
interface Run {
    client: S3Client;
    destination: S3Location;
    endpoint?: string;
    signal?: AbortSignal;
    concurrency: number;
    partSize: number;
    multipartThreshold: number;
    dryRun: boolean;
    listing: Map<string, ListedObject>;
    manifest?: Map<string, KnownObject>;
    manifestLoading?: Promise<Map<string, KnownObject>>;
    /** Key -> what this run wrote or proved: the next manifest. */
    known: Map<string, KnownObject>;
    /** Key -> what the verification listing must show. */
    expected: Map<string, ExpectedObject>;
    transferredKeys: string[];
    planned: PlannedUpload[];
    progress: SyncProgress;
    multipartSlots: Semaphore;
    report: () => void;
    /** Checks the destination range by range while the transfers go on; undefined in dry runs and with deletes. */
    verifier?: RangeVerifier;
    verifyWhileTransferring: boolean;
    /** The lean PUT path and the bucket addresses it needs; undefined when the SDK is to be used. */
    direct?: { put: DirectPut; addressOf: (bucket: string) => BucketAddress | undefined };
    onRequest: (operation: string, key?: string) => void;
}

type Decided = { upload: false; etag: string } | { upload: true; reason: UploadReason };

// ---------------------------------------------------------------------------------------------------------------
// Helpers shared by every source kind.

function interrupted(run: Run): FileSyncError {
    return fileSyncError(
        "interrupted",
        `interrupted after ${run.progress.uploaded} of ${run.progress.filesTotal} files were uploaded; nothing is reported done: run again to complete`,
    );
}

function throwIfAborted(run: Run): void {
    if (run.signal?.aborted) throw interrupted(run);
}

function sourceError(what: string, error: unknown): FileSyncError {
    if (isFileSyncError(error)) return error;
    const code = (error as NodeJS.ErrnoException).code;
    return fileSyncError("source", `${what}: cannot read (${code ?? (error as Error).message ?? String(error)})`);
}

/** True for errors raised by reading a local file rather than by S3. */
function isLocalReadError(error: unknown): boolean {
    const e = error as NodeJS.ErrnoException;
    return typeof e?.syscall === "string" && ["open", "read", "fstat", "stat"].includes(e.syscall);
}

/** The destination's manifest, read once per run and only when needed (absent: an empty one). */
async function loadManifest(run: Run): Promise<Map<string, KnownObject>> {
    run.manifestLoading ??= getSmallObject(run.client, run.destination.bucket, manifestKey(run.destination.prefix), {
        endpoint: run.endpoint,
        signal: run.signal,
    }).then((body) => (body ? parseManifest(run.destination.prefix, body) : new Map<string, KnownObject>()));
    run.manifest = await run.manifestLoading;
    return run.manifest;
}

interface HeadFacts {
    size: number;
    etag: string;
    md5?: string;
}

async function headObject(run: Run, bucket: string, key: string): Promise<HeadFacts | undefined> {
    try {
        const head = await run.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: run.signal });
        return { size: head.ContentLength ?? 0, etag: normalizeEtag(head.ETag), md5: head.Metadata?.[MD5_METADATA_KEY]?.toLowerCase() };
    } catch (error) {
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) return undefined;
        throw describeS3Error(error, { bucket, key, endpoint: run.endpoint, action: "reading the metadata of" });
    }
}

/** Upload or skip, from the listing, else the manifest (one GET per run), else one HEAD for a large object. */
async function decideUpload(run: Run, facts: SourceFacts): Promise<Decided> {
    const listed = run.listing.get(facts.key);
    const options = { manifest: run.manifest, metadataCheckMinBytes: BUFFERED_MAX };
    let decision = decide(facts, listed, options);
    if (decision.action === "need-manifest") decision = decide(facts, listed, { ...options, manifest: await loadManifest(run) });
    if (decision.action === "check-metadata") {
        const head = await headObject(run, run.destination.bucket, facts.key);
        decision = head ? decideFromMetadata(facts, head) : { action: "upload", reason: "new" };
    }
    if (decision.action === "skip") return { upload: false, etag: decision.etag };
    if (decision.action === "upload") return { upload: true, reason: decision.reason };
    throw new Error(`unexpected decision ${decision.action} for ${facts.key}`);
}

function recordSkip(run: Run, facts: SourceFacts, etag: string): void {
    run.known.set(facts.key, { size: facts.size, etag, md5: facts.md5 });
    run.expected.set(facts.key, { size: facts.size, etags: [etag] });
    run.verifier?.settle(facts.key, false);
    run.progress.skipped++;
    run.progress.filesDone++;
    run.progress.bytesDone += facts.size;
    run.report();
}

/** Sends and records a transfer; in a dry run only plans it. `send` returns the ETag the store gave. */
async function transfer(run: Run, facts: SourceFacts, reason: UploadReason, acceptedEtags: string[], send: () => Promise<string>): Promise<void> {
    throwIfAborted(run);
    if (run.dryRun) {
        run.planned.push({ key: facts.key, size: facts.size, reason });
    } else {
        const etag = await send();
        if (!acceptedEtags.includes(etag)) {
            throw fileSyncError(
                "verification",
                `s3://${run.destination.bucket}/${facts.key}: the store answered ETag ${etag || "(none)"}, which matches none of the content sent (MD5 ${facts.md5})`,
            );
        }
        run.known.set(facts.key, { size: facts.size, etag, md5: facts.md5 });
        run.expected.set(facts.key, { size: facts.size, etags: acceptedEtags });
        run.transferredKeys.push(facts.key);
        run.verifier?.settle(facts.key, true);
        run.progress.uploaded++;
        run.progress.uploadedBytes += facts.size;
    }
    run.progress.filesDone++;
    run.progress.bytesDone += facts.size;
    run.report();
}

function uploadError(run: Run, key: string, error: unknown): FileSyncError {
    if (run.signal?.aborted) return interrupted(run);
    return describeS3Error(error, { bucket: run.destination.bucket, key, endpoint: run.endpoint, action: "uploading" });
}

async function putSmall(run: Run, key: string, body: Buffer, md5: string, contentType: string): Promise<string> {
    const md5Base64 = Buffer.from(md5, "hex").toString("base64");
    const address = run.direct?.addressOf(run.destination.bucket);
    try {
        if (run.direct && address) {
            run.onRequest("PutObject", key);
            const etag = await run.direct.put.put({
                address,
                key,
                body,
                md5Base64,
                headers: { "content-type": contentType, [`x-amz-meta-${MD5_METADATA_KEY}`]: md5 },
                signal: run.signal,
            });
            return normalizeEtag(etag);
        }
        const response = await run.client.send(
            new PutObjectCommand({
                Bucket: run.destination.bucket,
                Key: key,
                Body: body,
                ContentLength: body.length,
                // S3 refuses the body if it does not hash to this (BadDigest): nothing corrupt is stored.
                ContentMD5: md5Base64,
                ContentType: contentType,
                Metadata: { [MD5_METADATA_KEY]: md5 },
            }),
            { abortSignal: run.signal },
        );
        return normalizeEtag(response.ETag);
    } catch (error) {
        throw uploadError(run, key, error);
    }
}

async function deleteQuietly(run: Run, key: string): Promise<void> {
    try {
        await run.client.send(new DeleteObjectsCommand({ Bucket: run.destination.bucket, Delete: { Objects: [{ Key: key }], Quiet: true } }));
    } catch {
        // Best effort: the manifest is not written, so the next run re-checks this object anyway.
    }
}

/**
 * One PUT whose body is streamed from the file (opened afresh for each attempt), with the MD5 from the hashing pass
 * as Content-MD5. The bytes actually sent are hashed too: if the file changed meanwhile, the object is deleted and the
 * run fails (S3 itself would refuse the body; s3rver and some other stores do not check).
 */
async function putStreamed(run: Run, key: string, label: string, open: () => Readable, digest: ContentDigest, contentType: string): Promise<string> {
    let sent = new PartHasher(run.partSize);
    let readFailure: unknown;
    const openHashed = (): Readable => {
        sent = new PartHasher(run.partSize);
        const hasher = sent;
        const source = open();
        const hashed = source.pipe(
            new Transform({
                transform(chunk: Buffer, _encoding, callback) {
                    hasher.update(chunk);
                    callback(null, chunk);
                },
            }),
        );
        // pipe() does not forward errors: without this a read failure would leave the request waiting forever.
        source.on("error", (error) => {
            readFailure = error;
            hashed.destroy(error);
        });
        return hashed;
    };
    const md5Base64 = Buffer.from(digest.md5, "hex").toString("base64");
    const address = run.direct?.addressOf(run.destination.bucket);
    let etag: string;
    try {
        if (run.direct && address) {
            run.onRequest("PutObject", key);
            etag = await run.direct.put.put({
                address,
                key,
                body: { length: digest.size, open: openHashed },
                md5Base64,
                headers: { "content-type": contentType, [`x-amz-meta-${MD5_METADATA_KEY}`]: digest.md5 },
                signal: run.signal,
            });
        } else {
            const response = await run.client.send(
                new PutObjectCommand({
                    Bucket: run.destination.bucket,
                    Key: key,
                    Body: openHashed(),
                    ContentLength: digest.size,
                    ContentMD5: md5Base64,
                    ContentType: contentType,
                    Metadata: { [MD5_METADATA_KEY]: digest.md5 },
                }),
                { abortSignal: run.signal },
            );
            etag = response.ETag ?? "";
        }
    } catch (error) {
        if (readFailure !== undefined || isLocalReadError(error)) throw sourceError(label, readFailure ?? error);
        if ((error as { name?: string }).name === "BadDigest") throw fileSyncError("source", `${label}: changed while being uploaded; run again`);
        throw uploadError(run, key, error);
    }
    const actual = sent.digest();
    if (actual.md5 !== digest.md5 || actual.size !== digest.size) {
        await deleteQuietly(run, key);
        throw fileSyncError("source", `${label}: changed while being uploaded; run again`);
    }
    return normalizeEtag(etag);
}

/**
 * Streams a large file in multipart (flat memory: at most PART_QUEUE parts buffered), hashing what is actually sent.
 * If the bytes sent differ from those hashed when deciding (the file changed meanwhile), the object is deleted and
 * the run fails, so its stored MD5 metadata can never lie.
 */
async function putLarge(run: Run, key: string, label: string, open: () => Readable, digest: ContentDigest, contentType: string): Promise<string> {
    await run.multipartSlots.acquire();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    run.signal?.addEventListener("abort", onAbort);
    try {
        const sent = new PartHasher(run.partSize);
        let readFailure: unknown;
        const source = open();
        const body = source.pipe(
            new Transform({
                transform(chunk: Buffer, _encoding, callback) {
                    sent.update(chunk);
                    callback(null, chunk);
                },
            }),
        );
        source.on("error", (error) => {
            readFailure = error;
            body.destroy(error);
        });
        let reported = 0;
        const upload = new Upload({
            client: run.client,
            params: { Bucket: run.destination.bucket, Key: key, Body: body, ContentLength: digest.size, ContentType: contentType, Metadata: { [MD5_METADATA_KEY]: digest.md5 } },
            partSize: run.partSize,
            queueSize: PART_QUEUE,
            leavePartsOnError: false,
            abortController: controller,
        });
        upload.on("httpUploadProgress", (event) => {
            const loaded = Math.min(event.loaded ?? 0, digest.size);
            run.progress.bytesDone += loaded - reported;
            reported = loaded;
            run.report();
        });
        let etag: string;
        try {
            etag = normalizeEtag((await upload.done()).ETag);
        } catch (error) {
            if (readFailure !== undefined || isLocalReadError(error)) throw sourceError(label, readFailure ?? error);
            throw uploadError(run, key, error);
        } finally {
            run.progress.bytesDone -= reported; // transfer() adds the whole size once done.
        }
        const actual = sent.digest();
        if (actual.md5 !== digest.md5 || actual.size !== digest.size) {
            await deleteQuietly(run, key);
            throw fileSyncError("source", `${label}: changed while being uploaded; run again`);
        }
        return etag;
    } finally {
        run.signal?.removeEventListener("abort", onAbort);
        run.multipartSlots.release();
    }
}

function checkKeys(keys: ReadonlyArray<{ label: string; key: string }>, problems: string[]): void {
    for (const { label, key } of keys) {
        const problem = keyProblem(key);
        if (problem) problems.push(`${label}: ${problem}`);
        else if (isManifestKey(key)) problems.push(`${label}: names ending in ${MANIFEST_SUFFIX} are reserved for herokuenv's manifest`);
    }
}

function throwSourceProblems(source: string, problems: readonly string[]): void {
    if (problems.length === 0) return;
    const noun = problems.length === 1 ? "1 file" : `${problems.length} files`;
    throw fileSyncError("source", `cannot sync ${source}: ${noun} cannot be synced (nothing was uploaded):\n${listProblems(problems)}`);
}

/** Reads the source and lists the destination at once; a source problem is reported before an S3 one. */
async function scanAndList<T>(run: Run, scan: () => Promise<T>): Promise<T> {
    const [scanned, listed] = await Promise.allSettled([
        scan(),
        listAll(run.client, run.destination.bucket, run.destination.prefix, { endpoint: run.endpoint, signal: run.signal }),
    ]);
    if (scanned.status === "rejected") throw scanned.reason;
    if (listed.status === "rejected") throw listed.reason;
    run.listing = listed.value;
    return scanned.value;
}

/** Once the source is read: totals for the progress, and the range checks (see verify.ts) when they apply. */
function beginTransfers(run: Run, keys: string[], bytes: number): void {
    run.progress.filesTotal = keys.length;
    run.progress.bytesTotal = bytes;
    run.progress.phase = "transferring";
    if (run.verifyWhileTransferring) {
        const { bucket, prefix } = run.destination;
        const context = { endpoint: run.endpoint, signal: run.signal };
        run.verifier = new RangeVerifier(keys, (startAfter) => listPage(run.client, bucket, prefix, startAfter, context));
    }
    run.report();
}

// ---------------------------------------------------------------------------------------------------------------
// Sources.

async function syncDirectory(run: Run, root: string): Promise<Set<string>> {
    const scan = await scanAndList(run, () => scanDirectory(root));
    const entries = scan.files.map((file) => ({ file, key: joinKey(run.destination.prefix, file.relativePath) }));
    const problems = [...scan.problems];
    checkKeys(entries.map(({ file, key }) => ({ label: file.relativePath, key })), problems);
    throwSourceProblems(root, problems);
    beginTransfers(run, entries.map(({ key }) => key), entries.reduce((sum, { file }) => sum + file.size, 0));

    await forEachLimited(entries, run.concurrency, async ({ file, key }) => {
        throwIfAborted(run);
        if (file.size < BUFFERED_MAX) await syncSmallFile(run, file, key);
        else await syncLargeFile(run, file, key);
    });
    return new Set(entries.map(({ key }) => key));
}

async function syncSmallFile(run: Run, file: LocalFile, key: string): Promise<void> {
    let body: Buffer;
    try {
        body = await fsp.readFile(file.path, { signal: run.signal });
    } catch (error) {
        if (run.signal?.aborted) throw interrupted(run);
        throw sourceError(file.relativePath, error);
    }
    const md5 = md5Hex(body);
    const facts = { key, size: body.length, md5 };
    const decided = await decideUpload(run, facts);
    if (!decided.upload) return recordSkip(run, facts, decided.etag);
    await transfer(run, facts, decided.reason, [md5], () => putSmall(run, key, body, md5, contentTypeFor(file.relativePath)));
}

async function syncLargeFile(run: Run, file: LocalFile, key: string): Promise<void> {
    let digest: ContentDigest;
    try {
        digest = await hashFile(file.path, run.partSize, run.signal);
    } catch (error) {
        if (run.signal?.aborted) throw interrupted(run);
        throw sourceError(file.relativePath, error);
    }
    const facts = { key, size: digest.size, md5: digest.md5 };
    const decided = await decideUpload(run, facts);
    if (!decided.upload) return recordSkip(run, facts, decided.etag);
    const open = (): Readable => createReadStream(file.path, { highWaterMark: 1024 * 1024 });
    const contentType = contentTypeFor(file.relativePath);
    if (digest.size < run.multipartThreshold) {
        await transfer(run, facts, decided.reason, [digest.md5], () => putStreamed(run, key, file.relativePath, open, digest, contentType));
    } else {
        const accepted = [digest.md5, ...(digest.multipartEtag ? [digest.multipartEtag] : [])];
        await transfer(run, facts, decided.reason, accepted, () => putLarge(run, key, file.relativePath, open, digest, contentType));
    }
}

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return Buffer.concat(chunks);
}

/**
 * Two passes over the archive stream: the first hashes every member (and finds every bad path before anything is
 * written); the second, only if something must be uploaded, streams exactly those members.
 */
async function syncArchive(run: Run, archive: string): Promise<Set<string>> {
    const members = new Map<string, { member: ArchiveMember; digest: ContentDigest }>();
    const problems = await scanAndList(run, () =>
        readArchive(
            archive,
            async (member, body) => {
                const hasher = new PartHasher(run.partSize);
                for await (const chunk of body) hasher.update(chunk);
                members.set(member.relativePath, { member, digest: hasher.digest() });
            },
            run.signal,
        ).catch((error: unknown) => {
            if (run.signal?.aborted) throw interrupted(run);
            throw isFileSyncError(error) ? error : fileSyncError("source", (error as Error).message);
        }),
    );
    const entries = [...members.values()].map(({ member, digest }) => ({ member, digest, key: joinKey(run.destination.prefix, member.relativePath) }));
    checkKeys(entries.map(({ member, key }) => ({ label: member.relativePath, key })), problems);
    throwSourceProblems(archive, problems);
    beginTransfers(run, entries.map(({ key }) => key), entries.reduce((sum, { digest }) => sum + digest.size, 0));

    type Pending = { key: string; digest: ContentDigest; relativePath: string; reason: UploadReason };
    const pending = new Map<number, Pending>();
    await forEachLimited(entries, run.concurrency, async ({ member, digest, key }) => {
        const facts = { key, size: digest.size, md5: digest.md5 };
        const decided = await decideUpload(run, facts);
        if (!decided.upload) recordSkip(run, facts, decided.etag);
        else pending.set(member.index, { key, digest, relativePath: member.relativePath, reason: decided.reason });
    });

    if (run.dryRun) {
        for (const job of pending.values()) await transfer(run, { key: job.key, size: job.digest.size, md5: job.digest.md5 }, job.reason, [], async () => "");
    } else if (pending.size > 0) {
        const group = new TaskGroup(run.concurrency);
        const onMember = async (member: ArchiveMember, body: AsyncIterable<Buffer>): Promise<void> => {
            const job = pending.get(member.index);
            if (!job) return;
            pending.delete(member.index);
            const facts = { key: job.key, size: job.digest.size, md5: job.digest.md5 };
            const contentType = contentTypeFor(job.relativePath);
            if (job.digest.size < run.partSize) {
                const data = await collect(body);
                if (md5Hex(data) !== job.digest.md5) throw fileSyncError("source", `${job.relativePath}: the archive changed while being synced; run again`);
                await group.spawn(() => transfer(run, facts, job.reason, [job.digest.md5], () => putSmall(run, job.key, data, job.digest.md5, contentType)));
            } else {
                const accepted = [job.digest.md5, ...(job.digest.multipartEtag ? [job.digest.multipartEtag] : [])];
                await transfer(run, facts, job.reason, accepted, () => putLarge(run, job.key, job.relativePath, () => toNodeStream(body), job.digest, contentType));
            }
        };
        try {
            await readArchive(archive, onMember, run.signal);
        } catch (error) {
            await group.wait().catch(() => undefined);
            if (run.signal?.aborted) throw interrupted(run);
            throw isFileSyncError(error) ? error : fileSyncError("source", (error as Error).message);
        }
        await group.wait();
        if (pending.size > 0) throw fileSyncError("source", `${archive}: the archive changed while being synced (${[...pending.values()][0].relativePath} is gone); run again`);
    }
    return new Set(entries.map(({ key }) => key));
}

/** Same bucket, prefixes nested either way: a copy would read its own output, and a delete could wipe the source. */
function overlaps(a: S3Location, b: S3Location): boolean {
    return a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));
}

function copySource(bucket: string, key: string): string {
    return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`;
}

/** Server-side copies from another bucket+prefix on the same store; MD5s come from ETags, the source's manifest or metadata. */
async function syncBucket(run: Run, source: S3Location): Promise<Set<string>> {
    if (overlaps(source, run.destination)) {
        throw fileSyncError("usage", `source ${formatS3Url(source)} and destination ${formatS3Url(run.destination)} overlap: pick prefixes that do not contain each other`);
    }
    const context = { endpoint: run.endpoint, signal: run.signal };
    const sourceListing = await scanAndList(run, () => listAll(run.client, source.bucket, source.prefix, context));
    const sourceManifestKey = manifestKey(source.prefix);
    let sourceManifest: Promise<Map<string, KnownObject>> | undefined;
    const loadSourceManifest = (): Promise<Map<string, KnownObject>> =>
        (sourceManifest ??= getSmallObject(run.client, source.bucket, sourceManifestKey, context).then((body) =>
            body ? parseManifest(source.prefix, body) : new Map<string, KnownObject>(),
        ));

    const entries = [...sourceListing.values()]
        .filter((object) => !isManifestKey(object.key))
        .map((object) => ({ object, key: joinKey(run.destination.prefix, object.key.slice(source.prefix.length)) }));
    const problems: string[] = [];
    checkKeys(entries.map(({ object, key }) => ({ label: `s3://${source.bucket}/${object.key}`, key })), problems);
    throwSourceProblems(formatS3Url(source), problems);
    beginTransfers(run, entries.map(({ key }) => key), entries.reduce((sum, { object }) => sum + object.size, 0));

    const sourceMd5 = async (object: ListedObject): Promise<string> => {
        if (isPlainMd5(object.etag)) return object.etag;
        const known = (await loadSourceManifest()).get(object.key);
        if (known && known.size === object.size && known.etag === object.etag) return known.md5;
        const head = await headObject(run, source.bucket, object.key);
        if (head?.md5 && head.etag === object.etag) return head.md5;
        // Nothing records its MD5 (a multipart object written by another tool): read it once.
        try {
            const response = await run.client.send(new GetObjectCommand({ Bucket: source.bucket, Key: object.key }), { abortSignal: run.signal });
            const hasher = new PartHasher(run.partSize);
            for await (const chunk of response.Body as AsyncIterable<Uint8Array>) hasher.update(chunk);
            return hasher.digest().md5;
        } catch (error) {
            throw describeS3Error(error, { bucket: source.bucket, key: object.key, endpoint: run.endpoint, action: "reading" });
        }
    };

    await forEachLimited(entries, run.concurrency, async ({ object, key }) => {
        throwIfAborted(run);
        const facts = { key, size: object.size, md5: await sourceMd5(object) };
        const decided = await decideUpload(run, facts);
        if (!decided.upload) return recordSkip(run, facts, decided.etag);
        await transfer(run, facts, decided.reason, [facts.md5, object.etag], async () => {
            try {
                const response = await run.client.send(
                    new CopyObjectCommand({ Bucket: run.destination.bucket, Key: key, CopySource: copySource(source.bucket, object.key), MetadataDirective: "COPY" }),
                    { abortSignal: run.signal },
                );
                return normalizeEtag(response.CopyObjectResult?.ETag);
            } catch (error) {
                throw uploadError(run, key, error);
            }
        });
    });
    return new Set(entries.map(({ key }) => key));
}

// ---------------------------------------------------------------------------------------------------------------
// After the transfers.

async function deleteKeys(run: Run, keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        throwIfAborted(run);
        const batch = keys.slice(start, start + DELETE_BATCH);
        let errors: Array<{ Key?: string; Code?: string }> | undefined;
        try {
            const response = await run.client.send(
                new DeleteObjectsCommand({ Bucket: run.destination.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
                { abortSignal: run.signal },
            );
            errors = response.Errors;
        } catch (error) {
            throw describeS3Error(error, { bucket: run.destination.bucket, endpoint: run.endpoint, action: "deleting extraneous objects from" });
        }
        if (errors && errors.length > 0) {
            throw fileSyncError("s3", `could not delete s3://${run.destination.bucket}/${errors[0].Key} (${errors[0].Code})${errors.length > 1 ? ` and ${errors.length - 1} more` : ""}`);
        }
        run.progress.deleted += batch.length;
        run.report();
    }
}

async function verifyListing(run: Run, deletedKeys: readonly string[]): Promise<void> {
    let problems: string[];
    const ranges = run.verifier ? await run.verifier.finish(run.expected) : undefined;
    if (ranges && ranges.problems.length === 0 && ranges.unconfirmed.length === 0) return;
    if (ranges && ranges.problems.length > 0) {
        problems = ranges.problems;
    } else {
        // No range checks, or keys they did not show: the whole prefix, listed once more, decides.
        const listing = await listAll(run.client, run.destination.bucket, run.destination.prefix, { endpoint: run.endpoint, signal: run.signal });
        problems = verificationProblems(run.expected, listing, deletedKeys);
    }
    if (problems.length > 0) {
        throw fileSyncError("verification", `verification of ${formatS3Url(run.destination)} failed; run again:\n${listProblems(problems)}`);
    }
}

async function verifyContent(run: Run): Promise<void> {
    await forEachLimited(run.transferredKeys, run.concurrency, async (key) => {
        throwIfAborted(run);
        const want = run.known.get(key) as KnownObject;
        let md5: string;
        try {
            const response = await run.client.send(new GetObjectCommand({ Bucket: run.destination.bucket, Key: key }), { abortSignal: run.signal });
            const hasher = new PartHasher(run.partSize);
            for await (const chunk of response.Body as AsyncIterable<Uint8Array>) hasher.update(chunk);
            md5 = hasher.digest().md5;
        } catch (error) {
            throw describeS3Error(error, { bucket: run.destination.bucket, key, endpoint: run.endpoint, action: "downloading for verification" });
        }
        if (md5 !== want.md5) throw fileSyncError("verification", `s3://${run.destination.bucket}/${key}: downloaded MD5 ${md5} differs from the source's ${want.md5}; run again`);
    });
}

async function writeManifest(run: Run): Promise<void> {
    const key = manifestKey(run.destination.prefix);
    const body = serializeManifest(run.destination.prefix, run.known);
    try {
        await run.client.send(
            new PutObjectCommand({
                Bucket: run.destination.bucket,
                Key: key,
                Body: body,
                ContentLength: body.length,
                ContentMD5: Buffer.from(md5Hex(body), "hex").toString("base64"),
                ContentType: "application/gzip",
            }),
            { abortSignal: run.signal },
        );
    } catch (error) {
        throw uploadError(run, key, error);
    }
}

// ---------------------------------------------------------------------------------------------------------------

async function sourceKindOf(source: string): Promise<SourceKind> {
    if (isS3Url(source)) return "bucket";
    let stats: Stats;
    try {
        stats = await fsp.stat(source);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") throw fileSyncError("source", `source not found: ${source}`);
        throw fileSyncError("source", `source ${source}: cannot read (${code ?? String(error)})`);
    }
    if (stats.isDirectory()) return "directory";
    if (stats.isFile() && isArchivePath(source)) return "archive";
    throw fileSyncError("source", `source ${source} is neither a directory nor a .tar/.tar.gz/.tgz archive`);
}

function checkOptions(options: SyncOptions): { concurrency: number; partSize: number; multipartThreshold: number } {
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
        throw fileSyncError("usage", `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}; got ${concurrency}`);
    }
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) {
        throw fileSyncError("usage", `part size must be at least ${MIN_PART_SIZE} bytes (S3's minimum); got ${partSize}`);
    }
    const multipartThreshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    if (!Number.isInteger(multipartThreshold) || multipartThreshold < BUFFERED_MAX) {
        throw fileSyncError("usage", `multipart threshold must be at least ${BUFFERED_MAX} bytes; got ${multipartThreshold}`);
    }
    return { concurrency, partSize, multipartThreshold };
}

function parseLocation(url: string, role: string): S3Location {
    try {
        return parseS3Url(url);
    } catch (error) {
        throw fileSyncError("usage", `${role}: ${(error as Error).message}`);
    }
}

/** Syncs the source to the destination; throws a FileSyncError naming the file or bucket at fault. */
export async function syncFiles(options: SyncOptions): Promise<SyncSummary> {
    const started = Date.now();
    const { concurrency, partSize, multipartThreshold } = checkOptions(options);
    const destination = parseLocation(options.destination, "destination");
    const sourceLocation = isS3Url(options.source) ? parseLocation(options.source, "source") : undefined;
    const sourceKind = await sourceKindOf(options.source);

    const agents = createHttpAgents(concurrency + MULTIPART_UPLOADS_AT_ONCE * PART_QUEUE);
    const client = options.client ?? createS3Client(options.connection ?? {}, agents);
    let requests = 0;
    const onRequest = (operation: string, key?: string): void => {
        requests++;
        options.onRequest?.(operation, key);
    };
    const stopCounting = countRequests(client, onRequest);
    const addresses = watchBucketAddresses(client);
    const progress: SyncProgress = { phase: "scanning", filesTotal: 0, bytesTotal: 0, filesDone: 0, bytesDone: 0, uploaded: 0, uploadedBytes: 0, skipped: 0, deleted: 0 };
    const run: Run = {
        client,
        destination,
        endpoint: options.connection?.endpoint,
        signal: options.signal,
        concurrency,
        partSize,
        multipartThreshold,
        dryRun: options.dryRun ?? false,
        // With deletes the final listing must also show the deleted keys gone, so it checks everything at once.
        verifyWhileTransferring: options.dryRun !== true && options.deleteExtraneous !== true,
        listing: new Map(),
        known: new Map(),
        expected: new Map(),
        transferredKeys: [],
        planned: [],
        progress,
        multipartSlots: new Semaphore(MULTIPART_UPLOADS_AT_ONCE),
        report: () => options.onProgress?.(progress),
        direct: options.directPut === false ? undefined : { put: new DirectPut({ client, ...agents }), addressOf: addresses.addressOf },
        onRequest,
    };

    try {
        run.report();
        const sourceKeys =
            sourceKind === "directory"
                ? await syncDirectory(run, options.source)
                : sourceKind === "archive"
                  ? await syncArchive(run, options.source)
                  : await syncBucket(run, sourceLocation as S3Location);

        const extraneous = extraneousKeys(run.listing.values(), sourceKeys);
        const deleting = options.deleteExtraneous === true ? extraneous : [];
        if (deleting.length > 0 && !run.dryRun) {
            progress.phase = "deleting";
            run.report();
            await deleteKeys(run, deleting);
        }

        let manifestWritten = false;
        if (!run.dryRun) {
            progress.phase = "verifying";
            run.report();
            // A run that wrote nothing was verified by its own first listing.
            if (run.transferredKeys.length > 0 || deleting.length > 0) await verifyListing(run, deleting);
            if (options.verifyContent) await verifyContent(run);
            if (options.checkManifest) await loadManifest(run);
            // A manifest read this run (absent = empty) that does not say exactly what is there is rewritten.
            const manifestStale = run.manifest !== undefined && !sameManifest(run.manifest, run.known);
            if (run.transferredKeys.length > 0 || deleting.length > 0 || manifestStale) {
                await writeManifest(run);
                manifestWritten = true;
            }
        }

        progress.phase = "done";
        run.report();
        return {
            source: options.source,
            sourceKind,
            destination: formatS3Url(destination),
            files: progress.filesTotal,
            bytes: progress.bytesTotal,
            uploaded: run.dryRun ? 0 : progress.uploaded,
            uploadedBytes: run.dryRun ? 0 : progress.uploadedBytes,
            skipped: progress.skipped,
            deleted: run.dryRun ? 0 : progress.deleted,
            extraneous: extraneous.length - (run.dryRun ? 0 : progress.deleted),
            requests,
            durationMs: Date.now() - started,
            dryRun: run.dryRun,
            manifestWritten,
            ...(run.dryRun ? { plannedUploads: [...run.planned].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), plannedDeletes: deleting } : {}),
        };
    } catch (error) {
        run.verifier?.stop();
        if (options.signal?.aborted) throw interrupted(run);
        throw error;
    } finally {
        stopCounting();
        addresses.stop();
        if (!options.client) client.destroy();
        agents.httpAgent.destroy();
        agents.httpsAgent.destroy();
    }
}

// The file sync engine: a local directory, a .tar/.tar.gz archive or another bucket+prefix, to a bucket+prefix.
// One engine behind both the CLI (`herokuenv sync-files`) and the FileSync dynamic resource.
//
// A run: list the destination (and read the source: sources.ts) -> decide per file (plan.ts, run.ts) -> transfer with
// bounded concurrency (upload.ts) -> delete extraneous objects if asked, verify with a second listing, write the
// manifest (finish.ts). A run that fails or is interrupted writes no manifest and reports nothing done; the next run
// redoes only what is missing.
import type { S3Client } from "@aws-sdk/client-s3";
import { DirectPut, watchBucketAddresses } from "./direct-put";
import { fileSyncError } from "./errors";
import { finish } from "./finish";
import { formatS3Url, isS3Url, parseS3Url, type S3Location } from "./keys";
import { MULTIPART_UPLOADS_AT_ONCE, PART_QUEUE, checkTransferOptions } from "./options";
import { extraneousKeys, type UploadReason } from "./plan";
import { Semaphore } from "../shared/pool";
import { interrupted, type Run } from "./run";
import { countRequests, createHttpAgents, createS3Client, type S3ConnectionOptions } from "./s3";
import { sourceKindOf, syncArchive, syncBucket, syncDirectory } from "./sources";

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
    /** Transfers at once: 1 to MAX_CONCURRENCY (256), default DEFAULT_CONCURRENCY (32); see options.ts. */
    concurrency?: number;
    /** Delete objects under the destination prefix that the source does not have. Off by default. */
    deleteExtraneous?: boolean;
    /** Decide everything, write nothing. */
    dryRun?: boolean;
    /** After the listing check, download every transferred object and compare its MD5 (one GET each). */
    verifyContent?: boolean;
    /** Multipart part size (at least 5 MiB, default 8 MiB); archive members at least this large are streamed in parts. */
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
    /**
     * s3:// sources only: copy just these keys (relative to the source prefix), e.g. the files a sampled sandbox's
     * rows name; the other source objects are neither copied nor counted. Keys the source lacks are counted in
     * the summary's `notFound`.
     */
    onlyKeys?: ReadonlySet<string>;
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
    /** With onlyKeys: the keys asked for that the source does not have. */
    notFound?: number;
    /** Dry runs only: what a real run would transfer and delete. */
    plannedUploads?: PlannedUpload[];
    plannedDeletes?: string[];
}

function parseLocation(url: string, role: string): S3Location {
    try {
        return parseS3Url(url);
    } catch (error) {
        throw fileSyncError("usage", `${role}: ${(error as Error).message}`);
    }
}

/** The options' values with their defaults; the first problem, as the CLI and the resource word it, is a usage error. */
function checkOptions(options: SyncOptions): { concurrency: number; partSize: number; multipartThreshold: number } {
    const { values, problems } = checkTransferOptions(options);
    if (problems.length > 0) throw fileSyncError("usage", problems[0].message);
    return values;
}

/** Syncs the source to the destination; throws a FileSyncError naming the file or bucket at fault. */
export async function syncFiles(options: SyncOptions): Promise<SyncSummary> {
    const started = Date.now();
    const { concurrency, partSize, multipartThreshold } = checkOptions(options);
    const destination = parseLocation(options.destination, "destination");
    const sourceLocation = isS3Url(options.source) ? parseLocation(options.source, "source") : undefined;
    const sourceKind = await sourceKindOf(options.source);
    if (options.onlyKeys !== undefined && sourceKind !== "bucket") throw fileSyncError("usage", `onlyKeys picks objects of an s3:// source; ${options.source} is a ${sourceKind}`);

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
        ...(options.onlyKeys !== undefined ? { only: { keys: options.onlyKeys, found: 0 } } : {}),
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
        const manifestWritten = run.dryRun ? false : await finish(run, { deleting, verifyContent: options.verifyContent, checkManifest: options.checkManifest });

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
            ...(run.only ? { notFound: run.only.keys.size - run.only.found } : {}),
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

// What one sync run shares, and the steps every source kind takes per file: decide (listing, else manifest, else one
// HEAD), record a skip or a transfer, report progress, stop when interrupted.
import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { DirectPut, BucketAddress } from "./direct-put";
import type { PlannedUpload, SyncProgress } from "./engine";
import { describeS3Error, fileSyncError, isFileSyncError, listProblems, type FileSyncError } from "./errors";
import { hashChunks, type ContentDigest } from "./hash";
import { MANIFEST_SUFFIX, isManifestKey, keyProblem, manifestKey, type S3Location } from "./keys";
import { SMALL_FILE_MAX } from "./options";
import {
    MD5_METADATA_KEY,
    decide,
    decideFromMetadata,
    normalizeEtag,
    parseManifest,
    type ExpectedObject,
    type KnownObject,
    type ListedObject,
    type SourceFacts,
    type UploadReason,
} from "./plan";
import type { Semaphore } from "../shared/pool";
import { getSmallObject, listAll, listPage } from "./s3";
import { RangeVerifier } from "./verify";

/** Everything one run shares. */
export interface Run {
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
    /** Only these keys (relative to the source location) are copied; the others are left alone. */
    only?: { keys: ReadonlySet<string>; found: number };
}

type Decided = { upload: false; etag: string } | { upload: true; reason: UploadReason };

export function interrupted(run: Run): FileSyncError {
    return fileSyncError(
        "interrupted",
        `interrupted after ${run.progress.uploaded} of ${run.progress.filesTotal} files were uploaded; nothing is reported done: run again to complete`,
    );
}

export function throwIfAborted(run: Run): void {
    if (run.signal?.aborted) throw interrupted(run);
}

export function sourceError(what: string, error: unknown): FileSyncError {
    if (isFileSyncError(error)) return error;
    const code = (error as NodeJS.ErrnoException).code;
    return fileSyncError("source", `${what}: cannot read (${code ?? (error as Error).message ?? String(error)})`);
}

/** A failure reading the source: "interrupted" when the run was, else one naming what could not be read. */
export function readFailed(run: Run, what: string, error: unknown): FileSyncError {
    return run.signal?.aborted ? interrupted(run) : sourceError(what, error);
}

/** An S3 failure while writing `key`: "interrupted" when the run was, else one naming the object. */
export function uploadError(run: Run, key: string, error: unknown): FileSyncError {
    if (run.signal?.aborted) return interrupted(run);
    return describeS3Error(error, { bucket: run.destination.bucket, key, endpoint: run.endpoint, action: "uploading" });
}

/** The destination's manifest, read once per run and only when needed (absent: an empty one). */
export async function loadManifest(run: Run): Promise<Map<string, KnownObject>> {
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

export async function headObject(run: Run, bucket: string, key: string): Promise<HeadFacts | undefined> {
    try {
        const head = await run.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: run.signal });
        return { size: head.ContentLength ?? 0, etag: normalizeEtag(head.ETag), md5: head.Metadata?.[MD5_METADATA_KEY]?.toLowerCase() };
    } catch (error) {
        const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) return undefined;
        throw describeS3Error(error, { bucket, key, endpoint: run.endpoint, action: "reading the metadata of" });
    }
}

/** Downloads an object and hashes it as it arrives; `action` names why in an error ("reading"). */
export async function downloadDigest(run: Run, bucket: string, key: string, action: string): Promise<ContentDigest> {
    try {
        const response = await run.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: run.signal });
        return await hashChunks(response.Body as AsyncIterable<Uint8Array>, run.partSize);
    } catch (error) {
        throw describeS3Error(error, { bucket, key, endpoint: run.endpoint, action });
    }
}

/** Upload or skip, from the listing, else the manifest (one GET per run), else one HEAD for a large object. */
export async function decideUpload(run: Run, facts: SourceFacts): Promise<Decided> {
    const listed = run.listing.get(facts.key);
    const options = { manifest: run.manifest, metadataCheckMinBytes: SMALL_FILE_MAX };
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

export function recordSkip(run: Run, facts: SourceFacts, etag: string): void {
    run.known.set(facts.key, { size: facts.size, etag, md5: facts.md5 });
    run.expected.set(facts.key, { size: facts.size, etags: [etag] });
    run.verifier?.settle(facts.key, false);
    run.progress.skipped++;
    run.progress.filesDone++;
    run.progress.bytesDone += facts.size;
    run.report();
}

/** Decides one file and skips it or transfers it; `send` is called only if it must go up. */
export async function syncOne(run: Run, facts: SourceFacts, accepted: readonly string[], send: () => Promise<string>): Promise<void> {
    const decided = await decideUpload(run, facts);
    if (!decided.upload) return recordSkip(run, facts, decided.etag);
    await transfer(run, facts, decided.reason, accepted, send);
}

/** The ETags a store may answer for content with this digest: its MD5, or the multipart ETag for these parts. */
export function acceptedEtags(digest: ContentDigest): string[] {
    return [digest.md5, ...(digest.multipartEtag ? [digest.multipartEtag] : [])];
}

/** Sends and records a transfer; in a dry run only plans it. `send` returns the ETag the store gave. */
export async function transfer(run: Run, facts: SourceFacts, reason: UploadReason, accepted: readonly string[], send: () => Promise<string>): Promise<void> {
    throwIfAborted(run);
    if (run.dryRun) {
        run.planned.push({ key: facts.key, size: facts.size, reason });
    } else {
        const etag = await send();
        if (!accepted.includes(etag)) {
            throw fileSyncError(
                "verification",
                `s3://${run.destination.bucket}/${facts.key}: the store answered ETag ${etag || "(none)"}, which matches none of the content sent (MD5 ${facts.md5})`,
            );
        }
        run.known.set(facts.key, { size: facts.size, etag, md5: facts.md5 });
        run.expected.set(facts.key, { size: facts.size, etags: [...accepted] });
        run.transferredKeys.push(facts.key);
        run.verifier?.settle(facts.key, true);
        run.progress.uploaded++;
        run.progress.uploadedBytes += facts.size;
    }
    run.progress.filesDone++;
    run.progress.bytesDone += facts.size;
    run.report();
}

/** Adds a line to `problems` for every key S3 cannot take or that herokuenv reserves. */
export function checkKeys(keys: ReadonlyArray<{ label: string; key: string }>, problems: string[]): void {
    for (const { label, key } of keys) {
        const problem = keyProblem(key);
        if (problem) problems.push(`${label}: ${problem}`);
        else if (isManifestKey(key)) problems.push(`${label}: names ending in ${MANIFEST_SUFFIX} are reserved for herokuenv's manifest`);
    }
}

export function throwSourceProblems(source: string, problems: readonly string[]): void {
    if (problems.length === 0) return;
    const noun = problems.length === 1 ? "1 file" : `${problems.length} files`;
    throw fileSyncError("source", `cannot sync ${source}: ${noun} cannot be synced (nothing was uploaded):\n${listProblems(problems)}`);
}

/** Reads the source and lists the destination at once; a source problem is reported before an S3 one. */
export async function scanAndList<T>(run: Run, scan: () => Promise<T>): Promise<T> {
    const [scanned, listed] = await Promise.allSettled([
        scan(),
        listAll(run.client, run.destination.bucket, run.destination.prefix, { endpoint: run.endpoint, signal: run.signal }),
    ]);
    if (scanned.status === "rejected") throw scanned.reason;
    if (listed.status === "rejected") throw listed.reason;
    run.listing = listed.value;
    return scanned.value;
}

/**
 * Once the source is read: checks every key (any problem fails the run before anything is written), sets the totals
 * for the progress and starts the range checks (see verify.ts) when they apply. Returns the destination keys.
 */
export function beginTransfers(run: Run, source: string, entries: ReadonlyArray<{ label: string; key: string; size: number }>, problems: string[] = []): Set<string> {
    checkKeys(entries, problems);
    throwSourceProblems(source, problems);
    const keys = entries.map(({ key }) => key);
    run.progress.filesTotal = keys.length;
    run.progress.bytesTotal = entries.reduce((sum, { size }) => sum + size, 0);
    run.progress.phase = "transferring";
    if (run.verifyWhileTransferring) {
        const { bucket, prefix } = run.destination;
        const context = { endpoint: run.endpoint, signal: run.signal };
        run.verifier = new RangeVerifier(keys, (startAfter) => listPage(run.client, bucket, prefix, startAfter, context));
    }
    run.report();
    return new Set(keys);
}

// The three kinds of source, each read once, decided per file and transferred with bounded concurrency: a local
// directory (directory.ts walks it), a .tar/.tar.gz archive (archive.ts streams it) and another bucket+prefix on the
// same store (server-side copies). Each returns the destination keys the source has.
import { promises as fsp, createReadStream, type Stats } from "node:fs";
import { CopyObjectCommand } from "@aws-sdk/client-s3";
import { isArchivePath, readArchive, toNodeStream, type ArchiveMember } from "./archive";
import { contentTypeFor } from "./content-type";
import { scanDirectory, type LocalFile } from "./directory";
import type { SourceKind } from "./engine";
import { fileSyncError, isFileSyncError } from "./errors";
import { hashChunks, hashFile, md5Hex, type ContentDigest } from "./hash";
import { formatS3Url, isManifestKey, isS3Url, joinKey, manifestKey, type S3Location } from "./keys";
import { SMALL_FILE_MAX } from "./options";
import { isPlainMd5, normalizeEtag, parseManifest, type KnownObject, type ListedObject, type UploadReason } from "./plan";
import { TaskGroup, forEachLimited } from "../shared/pool";
import { acceptedEtags, beginTransfers, decideUpload, downloadDigest, headObject, interrupted, readFailed, recordSkip, scanAndList, syncOne, throwIfAborted, transfer, uploadError, type Run } from "./run";
import { getSmallObject, listAll } from "./s3";
import { putBuffer, putMultipart, putStreamed } from "./upload";

export async function sourceKindOf(source: string): Promise<SourceKind> {
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

// ---------------------------------------------------------------------------------------------------------------
// A local directory.

export async function syncDirectory(run: Run, root: string): Promise<Set<string>> {
    const scan = await scanAndList(run, () => scanDirectory(root));
    const entries = scan.files.map((file) => ({ file, label: file.relativePath, size: file.size, key: joinKey(run.destination.prefix, file.relativePath) }));
    const keys = beginTransfers(run, root, entries, [...scan.problems]);
    await forEachLimited(entries, run.concurrency, async ({ file, key }) => {
        throwIfAborted(run);
        if (file.size < SMALL_FILE_MAX) await syncSmallFile(run, file, key);
        else await syncLargeFile(run, file, key);
    });
    return keys;
}

async function syncSmallFile(run: Run, file: LocalFile, key: string): Promise<void> {
    let body: Buffer;
    try {
        body = await fsp.readFile(file.path, { signal: run.signal });
    } catch (error) {
        throw readFailed(run, file.relativePath, error);
    }
    const md5 = md5Hex(body);
    await syncOne(run, { key, size: body.length, md5 }, [md5], () => putBuffer(run, { key, md5, contentType: contentTypeFor(file.relativePath) }, body));
}

async function syncLargeFile(run: Run, file: LocalFile, key: string): Promise<void> {
    let digest: ContentDigest;
    try {
        digest = await hashFile(file.path, run.partSize, run.signal);
    } catch (error) {
        throw readFailed(run, file.relativePath, error);
    }
    const content = {
        key,
        label: file.relativePath,
        contentType: contentTypeFor(file.relativePath),
        digest,
        open: () => createReadStream(file.path, { highWaterMark: 1024 * 1024 }),
    };
    const multipart = digest.size >= run.multipartThreshold;
    await syncOne(run, { key, size: digest.size, md5: digest.md5 }, multipart ? acceptedEtags(digest) : [digest.md5], () =>
        multipart ? putMultipart(run, content) : putStreamed(run, content),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// A .tar / .tar.gz archive.

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return Buffer.concat(chunks);
}

function archiveError(run: Run, error: unknown): Error {
    if (run.signal?.aborted) return interrupted(run);
    return isFileSyncError(error) ? error : fileSyncError("source", (error as Error).message);
}

interface PendingMember {
    key: string;
    digest: ContentDigest;
    relativePath: string;
    reason: UploadReason;
}

/**
 * Two passes over the archive stream: the first hashes every member (and finds every bad path before anything is
 * written); the second, only if something must be uploaded, streams exactly those members.
 */
export async function syncArchive(run: Run, archive: string): Promise<Set<string>> {
    const members = new Map<string, { member: ArchiveMember; digest: ContentDigest }>();
    const problems = await scanAndList(run, () =>
        readArchive(
            archive,
            async (member, body) => void members.set(member.relativePath, { member, digest: await hashChunks(body, run.partSize) }),
            run.signal,
        ).catch((error: unknown) => {
            throw archiveError(run, error);
        }),
    );
    const entries = [...members.values()].map(({ member, digest }) => ({
        member,
        digest,
        label: member.relativePath,
        size: digest.size,
        key: joinKey(run.destination.prefix, member.relativePath),
    }));
    const keys = beginTransfers(run, archive, entries, problems);

    const pending = new Map<number, PendingMember>();
    await forEachLimited(entries, run.concurrency, async ({ member, digest, key }) => {
        const facts = { key, size: digest.size, md5: digest.md5 };
        const decided = await decideUpload(run, facts);
        if (!decided.upload) recordSkip(run, facts, decided.etag);
        else pending.set(member.index, { key, digest, relativePath: member.relativePath, reason: decided.reason });
    });

    if (run.dryRun) {
        for (const job of pending.values()) await transfer(run, { key: job.key, size: job.digest.size, md5: job.digest.md5 }, job.reason, [], async () => "");
    } else if (pending.size > 0) {
        await uploadMembers(run, archive, pending);
    }
    return keys;
}

/** The second pass: small members are read whole and uploaded in parallel, large ones streamed in parts in turn. */
async function uploadMembers(run: Run, archive: string, pending: Map<number, PendingMember>): Promise<void> {
    const group = new TaskGroup(run.concurrency);
    const onMember = async (member: ArchiveMember, body: AsyncIterable<Buffer>): Promise<void> => {
        const job = pending.get(member.index);
        if (!job) return;
        pending.delete(member.index);
        const { key, digest, relativePath, reason } = job;
        const facts = { key, size: digest.size, md5: digest.md5 };
        const contentType = contentTypeFor(relativePath);
        if (digest.size < run.partSize) {
            const data = await collect(body);
            if (md5Hex(data) !== digest.md5) throw fileSyncError("source", `${relativePath}: the archive changed while being synced; run again`);
            await group.spawn(() => transfer(run, facts, reason, [digest.md5], () => putBuffer(run, { key, md5: digest.md5, contentType }, data)));
        } else {
            const content = { key, label: relativePath, contentType, digest, open: () => toNodeStream(body) };
            await transfer(run, facts, reason, acceptedEtags(digest), () => putMultipart(run, content));
        }
    };
    try {
        await readArchive(archive, onMember, run.signal);
    } catch (error) {
        await group.wait().catch(() => undefined);
        throw archiveError(run, error);
    }
    await group.wait();
    if (pending.size > 0) throw fileSyncError("source", `${archive}: the archive changed while being synced (${[...pending.values()][0].relativePath} is gone); run again`);
}

// ---------------------------------------------------------------------------------------------------------------
// Another bucket+prefix.

/** Same bucket, prefixes nested either way: a copy would read its own output, and a delete could wipe the source. */
function overlaps(a: S3Location, b: S3Location): boolean {
    return a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));
}

function copySource(bucket: string, key: string): string {
    return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`;
}

/** Server-side copies from another bucket+prefix on the same store; MD5s come from ETags, the source's manifest or metadata. */
export async function syncBucket(run: Run, source: S3Location): Promise<Set<string>> {
    if (overlaps(source, run.destination)) {
        throw fileSyncError("usage", `source ${formatS3Url(source)} and destination ${formatS3Url(run.destination)} overlap: pick prefixes that do not contain each other`);
    }
    const context = { endpoint: run.endpoint, signal: run.signal };
    const sourceListing = await scanAndList(run, () => listAll(run.client, source.bucket, source.prefix, context));
    let sourceManifest: Promise<Map<string, KnownObject>> | undefined;
    const loadSourceManifest = (): Promise<Map<string, KnownObject>> =>
        (sourceManifest ??= getSmallObject(run.client, source.bucket, manifestKey(source.prefix), context).then((body) =>
            body ? parseManifest(source.prefix, body) : new Map<string, KnownObject>(),
        ));

    const only = run.only;
    const entries = [...sourceListing.values()]
        .filter((object) => !isManifestKey(object.key))
        .filter((object) => only === undefined || only.keys.has(object.key.slice(source.prefix.length)))
        .map((object) => ({ object, label: `s3://${source.bucket}/${object.key}`, size: object.size, key: joinKey(run.destination.prefix, object.key.slice(source.prefix.length)) }));
    if (only) only.found = entries.length;
    const keys = beginTransfers(run, formatS3Url(source), entries);

    const sourceMd5 = async (object: ListedObject): Promise<string> => {
        if (isPlainMd5(object.etag)) return object.etag;
        const known = (await loadSourceManifest()).get(object.key);
        if (known && known.size === object.size && known.etag === object.etag) return known.md5;
        const head = await headObject(run, source.bucket, object.key);
        if (head?.md5 && head.etag === object.etag) return head.md5;
        // Nothing records its MD5 (a multipart object written by another tool): read it once.
        return (await downloadDigest(run, source.bucket, object.key, "reading")).md5;
    };

    await forEachLimited(entries, run.concurrency, async ({ object, key }) => {
        throwIfAborted(run);
        const facts = { key, size: object.size, md5: await sourceMd5(object) };
        await syncOne(run, facts, [facts.md5, object.etag], async () => {
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
    return keys;
}

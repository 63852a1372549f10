// A cheap fingerprint of a sync source, computed by the Pulumi program at preview time: when it changes, the FileSync
// resource syncs again. It only has to change when the content may have; a spurious change costs one idempotent run.
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { scanDirectory } from "./directory";
import { fileSyncError, listProblems } from "./errors";
import { isS3Url, parseS3Url } from "./keys";
import { countRequests, createS3Client, listAll, type S3ConnectionOptions } from "./s3";

/**
 * - directory: SHA-256 of every file's relative path, size and mtime (no file is read);
 * - archive: SHA-256 of its size and mtime;
 * - s3://bucket/prefix: SHA-256 of the source listing's keys, sizes and ETags.
 * Problems that would make the sync fail (missing source, unsyncable names) fail here, at preview.
 */
export async function sourceFingerprint(source: string, connection: S3ConnectionOptions = {}): Promise<string> {
    const hash = createHash("sha256");
    if (isS3Url(source)) {
        const location = parseS3Url(source);
        const client = createS3Client(connection, 4);
        const stop = countRequests(client, () => undefined);
        try {
            const listing = await listAll(client, location.bucket, location.prefix, { endpoint: connection.endpoint });
            hash.update("bucket\n");
            for (const key of [...listing.keys()].sort()) {
                const object = listing.get(key);
                hash.update(`${key}\0${object?.size}\0${object?.etag}\n`);
            }
        } finally {
            stop();
            client.destroy();
        }
        return `sha256:${hash.digest("hex")}`;
    }
    let stats;
    try {
        stats = await fsp.stat(source);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw fileSyncError("source", code === "ENOENT" ? `source not found: ${source}` : `source ${source}: cannot read (${code})`);
    }
    if (stats.isDirectory()) {
        const scan = await scanDirectory(source);
        if (scan.problems.length > 0) throw fileSyncError("source", `cannot sync ${source}:\n${listProblems(scan.problems)}`);
        hash.update("directory\n");
        for (const file of scan.files) hash.update(`${file.relativePath}\0${file.size}\0${file.mtimeMs}\n`);
    } else {
        hash.update(`file\n${stats.size}\0${stats.mtimeMs}\n`);
    }
    return `sha256:${hash.digest("hex")}`;
}

// After the transfers: delete what the source lacks (if asked), verify the destination, and write the manifest. A run
// that fails anywhere here writes no manifest, so the next run checks everything again.
import { fileSyncError, listProblems } from "./errors";
import { md5Hex } from "./hash";
import { formatS3Url, manifestKey } from "./keys";
import { sameManifest, serializeManifest, verificationProblems, type KnownObject } from "./plan";
import { forEachLimited } from "../shared/pool";
import { downloadDigest, loadManifest, throwIfAborted, type Run } from "./run";
import { deleteObjects, listAll } from "./s3";
import { putBuffer } from "./upload";

export interface FinishOptions {
    /** Keys to delete (extraneous objects, when deletes were asked for); none in a dry run. */
    deleting: readonly string[];
    verifyContent?: boolean;
    checkManifest?: boolean;
}

/** Deletes, verifies and writes the manifest when anything changed; returns whether the manifest was written. */
export async function finish(run: Run, options: FinishOptions): Promise<boolean> {
    const { deleting } = options;
    if (deleting.length > 0) {
        run.progress.phase = "deleting";
        run.report();
        await deleteObjects(run.client, run.destination.bucket, deleting, {
            endpoint: run.endpoint,
            signal: run.signal,
            action: "deleting extraneous objects from",
            onBatch: (deleted) => {
                run.progress.deleted += deleted;
                run.report();
            },
        });
    }
    run.progress.phase = "verifying";
    run.report();
    // A run that wrote nothing was verified by its own first listing.
    if (run.transferredKeys.length > 0 || deleting.length > 0) await verifyListing(run, deleting);
    if (options.verifyContent) await verifyContent(run);
    if (options.checkManifest) await loadManifest(run);
    // A manifest read this run (absent = empty) that does not say exactly what is there is rewritten.
    const manifestStale = run.manifest !== undefined && !sameManifest(run.manifest, run.known);
    if (run.transferredKeys.length === 0 && deleting.length === 0 && !manifestStale) return false;
    await writeManifest(run);
    return true;
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

/** Downloads every transferred object and compares its MD5 with the source's (one GET each). */
async function verifyContent(run: Run): Promise<void> {
    await forEachLimited(run.transferredKeys, run.concurrency, async (key) => {
        throwIfAborted(run);
        const want = run.known.get(key) as KnownObject;
        const { md5 } = await downloadDigest(run, run.destination.bucket, key, "downloading for verification");
        if (md5 !== want.md5) throw fileSyncError("verification", `s3://${run.destination.bucket}/${key}: downloaded MD5 ${md5} differs from the source's ${want.md5}; run again`);
    });
}

async function writeManifest(run: Run): Promise<void> {
    const body = serializeManifest(run.destination.prefix, run.known);
    await putBuffer(run, { key: manifestKey(run.destination.prefix), md5: md5Hex(body), contentType: "application/gzip", md5Metadata: false }, body);
}

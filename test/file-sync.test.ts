// The file sync engine against a real s3rver: what it uploads, what it skips, how it recovers, what it refuses.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { isFileSyncError, manifestKey, syncFiles, type SyncOptions, type SyncSummary } from "../components/data/file-sync";
import { countingClient, downloadedMd5s, listKeys, md5, randomContent, requestLog, sortedEntries, tarGz, tempDir, treeMd5s, writeTree } from "./helpers/file-sync";
import type { S3Client } from "@aws-sdk/client-s3";
import { startS3rver, type S3Server } from "./helpers/servers";

const MB = 1024 * 1024;
/** The manifest of a sync into files/: beside the prefix, so that its listing holds only user files. */
const MANIFEST = manifestKey("files/");

describe("file sync engine @servers", () => {
    let s3: S3Server;
    let client: S3Client;
    /** Every request the engine sent, SDK or lean PUT path. */
    const sent = requestLog();
    const dirs: string[] = [];
    let bucketNumber = 0;

    before(async () => {
        s3 = await startS3rver();
        client = s3.s3Client();
    });
    after(async () => {
        await s3?.stop();
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => sent.reset());

    function dir(kind = "src"): string {
        const created = tempDir(`sync-${kind}`);
        dirs.push(created);
        return created;
    }

    async function bucket(): Promise<string> {
        const name = `sync-test-${++bucketNumber}`;
        await s3.createBucket(name);
        return name;
    }

    function sync(source: string, destination: string, options: Partial<SyncOptions> = {}): Promise<SyncSummary> {
        return syncFiles({ source, destination, client, onRequest: sent.onRequest, ...options });
    }

    async function assertSameBytes(root: string, bucketName: string, prefix: string): Promise<void> {
        assert.deepEqual(sortedEntries(await downloadedMd5s(client, bucketName, prefix)), sortedEntries(treeMd5s(root)));
    }

    it("uploads unicode and space-named keys, empty files, nested dirs, followed symlinks and a 50 MB multipart file, byte for byte", async () => {
        const root = dir();
        const outside = dir("outside");
        writeTree(root, {
            "photos/été 2024/naïve café.jpg": randomContent(10_000),
            "docs/日本語 ファイル.pdf": randomContent(3_000),
            "with space/file name.txt": "hello world",
            "emoji 🙂/ok.png": randomContent(100),
            "empty.txt": "",
            "punctuation !'()*&$@=;:+,?#[]% ~.txt": "special",
            "a/b/c/d/e/deep.bin": randomContent(1),
            "big/video 50MB.bin": randomContent(50 * MB),
        });
        writeTree(outside, { "target.jpg": randomContent(2_000), "shared/inner.txt": "inner" });
        fs.symlinkSync(path.join(outside, "target.jpg"), path.join(root, "link to target.jpg"));
        fs.symlinkSync(path.join(outside, "shared"), path.join(root, "shared dir"));
        const target = await bucket();

        const summary = await sync(root, `s3://${target}/files`);

        assert.equal(summary.files, 10);
        assert.equal(summary.uploaded, 10);
        assert.equal(summary.skipped, 0);
        assert.equal(summary.manifestWritten, true);
        // 50 MB in 8 MiB parts: 7 parts, one multipart upload.
        assert.equal(sent.counts.get("CreateMultipartUpload"), 1);
        assert.equal(sent.counts.get("UploadPart"), 7);
        assert.equal(sent.counts.get("CompleteMultipartUpload"), 1);
        await assertSameBytes(root, target, "files/");
        assert.ok((await listKeys(client, target)).includes(MANIFEST));

        const jpg = await client.send(new HeadObjectCommand({ Bucket: target, Key: "files/photos/été 2024/naïve café.jpg" }));
        assert.equal(jpg.ContentType, "image/jpeg");
        const big = await client.send(new HeadObjectCommand({ Bucket: target, Key: "files/big/video 50MB.bin" }));
        assert.equal(big.Metadata?.md5, md5(fs.readFileSync(path.join(root, "big/video 50MB.bin"))));
        const empty = await client.send(new HeadObjectCommand({ Bucket: target, Key: "files/empty.txt" }));
        assert.equal(empty.ContentLength, 0);
    });

    it("uploads nothing on a second run with nothing changed (one listing request per 1,000 objects), and verifies a changed file with one range listing", async () => {
        const root = dir();
        writeTree(root, Object.fromEntries(Array.from({ length: 1_100 }, (_, i) => [`d${i % 7}/file ${i}.txt`, `content ${i}`])));
        writeTree(root, { "z/big.bin": randomContent(9 * MB) }); // last in key order: the first range holds small files only
        const target = await bucket();
        const order: string[] = [];
        const first = await sync(root, `s3://${target}/files/`, { onRequest: (operation, key) => (sent.onRequest(operation, key), order.push(operation)) });
        // Verified range by range while uploading: 1 listing to plan (empty), then 2 ranges (1,000 + 101 keys), the
        // first of them before the last upload.
        assert.equal(first.uploaded, 1_101);
        assert.equal(sent.counts.get("ListObjectsV2"), 3);
        const uploadsAfterFirstCheck = order.slice(order.indexOf("ListObjectsV2", 1)).filter((operation) => operation === "PutObject").length - 1; // - the manifest
        assert.ok(uploadsAfterFirstCheck >= 32, `the first range is checked while files still upload (${uploadsAfterFirstCheck} uploads after it)`);
        sent.reset();

        const again = await sync(root, `s3://${target}/files/`);

        assert.equal(again.uploaded, 0);
        assert.equal(again.skipped, 1_101);
        assert.equal(again.manifestWritten, false);
        // 1,101 objects under the prefix (the manifest is beside it): two pages, and nothing else.
        assert.deepEqual([...sent.counts.entries()], [["ListObjectsV2", 2]]);
        assert.equal(again.requests, 2);

        // One file changed: two pages to plan, its upload, one range listed to verify it (not the whole prefix), the manifest.
        sent.reset();
        writeTree(root, { "d3/file 3.txt": "changed 3" });
        const oneChanged = await sync(root, `s3://${target}/files/`);
        assert.equal(oneChanged.uploaded, 1);
        assert.deepEqual(sent.keys.get("PutObject"), ["files/d3/file 3.txt", MANIFEST]);
        assert.equal(sent.counts.get("ListObjectsV2"), 3);
        await assertSameBytes(root, target, "files/");
    });

    it("uploads a changed file again and nothing else", async () => {
        const root = dir();
        writeTree(root, { "a.txt": "aaaa", "b.txt": "bbbb", "c/d.txt": "dddd", "big.bin": randomContent(20 * MB) });
        const target = await bucket();
        await sync(root, `s3://${target}/files/`);

        sent.reset();
        writeTree(root, { "b.txt": "BBBB" }); // same size, new content
        const sameSize = await sync(root, `s3://${target}/files/`);
        assert.equal(sameSize.uploaded, 1);
        assert.deepEqual(sent.keys.get("PutObject"), ["files/b.txt", MANIFEST]);

        sent.reset();
        const big = randomContent(20 * MB);
        writeTree(root, { "big.bin": big });
        const bigChanged = await sync(root, `s3://${target}/files/`);
        assert.equal(bigChanged.uploaded, 1);
        assert.equal(bigChanged.uploadedBytes, 20 * MB);
        // Below the multipart threshold (32 MiB): one streamed PUT.
        assert.deepEqual(sent.keys.get("PutObject"), ["files/big.bin", MANIFEST]);
        assert.equal(sent.counts.get("CreateMultipartUpload"), undefined);
        await assertSameBytes(root, target, "files/");
    });

    it("completes on a re-run after an upload interrupted midway, redoing only what is missing", async () => {
        const root = dir();
        writeTree(root, Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f/${i}.bin`, randomContent(1_000 + i)])));
        writeTree(root, { "big.bin": randomContent(20 * MB) });
        const target = await bucket();
        const controller = new AbortController();

        await assert.rejects(
            sync(root, `s3://${target}/files/`, {
                concurrency: 4,
                signal: controller.signal,
                onProgress: (progress) => {
                    if (progress.uploaded >= 50) controller.abort();
                },
            }),
            (error: Error) => isFileSyncError(error) && error.kind === "interrupted" && /run again to complete/.test(error.message),
        );
        const partial = await listKeys(client, target, "files/");
        assert.ok(partial.length >= 50 && partial.length < 301, `${partial.length} objects after the interruption`);
        assert.ok(!(await listKeys(client, target)).includes(MANIFEST), "an interrupted run must not write the manifest");

        const rerun = await sync(root, `s3://${target}/files/`);
        assert.equal(rerun.files, 301);
        assert.ok(rerun.skipped >= 50, `skipped ${rerun.skipped}`);
        assert.equal(rerun.uploaded + rerun.skipped, 301);
        await assertSameBytes(root, target, "files/");
        assert.equal((await sync(root, `s3://${target}/files/`)).uploaded, 0);
    });

    it("uploads a .tar.gz read as a stream (multipart member included), then nothing on a re-run", async () => {
        const work = dir();
        const members = {
            "./uploads/été/naïve café.jpg": randomContent(5_000),
            "./uploads/with space/file.txt": "hello",
            "./uploads/empty": "",
            "./uploads/a/b/c/deep.bin": randomContent(10),
            "./uploads/big.bin": randomContent(12 * MB),
        };
        const archive = path.join(work, "user files.tar.gz");
        fs.writeFileSync(archive, await tarGz(members));
        const target = await bucket();

        const first = await sync(archive, `s3://${target}/files/`);
        assert.equal(first.sourceKind, "archive");
        assert.equal(first.uploaded, 5);
        assert.equal(sent.counts.get("CreateMultipartUpload"), 1);
        const expected = new Map(Object.entries(members).map(([name, content]) => [name.slice(2), md5(Buffer.from(content))]));
        assert.deepEqual(sortedEntries(await downloadedMd5s(client, target, "files/")), sortedEntries(expected));

        sent.reset();
        const again = await sync(archive, `s3://${target}/files/`);
        assert.equal(again.uploaded, 0);
        assert.deepEqual([...sent.counts.entries()], [["ListObjectsV2", 1]]);
    });

    it("refuses an archive with .. or absolute paths before writing anything, naming the members", async () => {
        const work = dir();
        const archive = path.join(work, "evil.tar.gz");
        fs.writeFileSync(archive, await tarGz({ "ok.txt": "ok", "../escape.txt": "x", "/etc/evil": "x" }));
        const target = await bucket();

        await assert.rejects(sync(archive, `s3://${target}/files/`), (error: Error) => {
            assert.ok(isFileSyncError(error) && error.kind === "source");
            assert.match(error.message, /2 files cannot be synced \(nothing was uploaded\)/);
            assert.match(error.message, /\.\.\/escape\.txt: path contains "\.\."/);
            assert.match(error.message, /\/etc\/evil: absolute path/);
            return true;
        });
        assert.deepEqual(await listKeys(client, target), []);
    });

    it("copies another bucket+prefix server-side, then nothing on a re-run", async () => {
        const root = dir();
        writeTree(root, { "été/a b.txt": "one", "empty": "", "big.bin": randomContent(9 * MB) });
        const staging = await bucket();
        const production = await bucket();
        await sync(root, `s3://${staging}/files/`);
        sent.reset();

        const copy = await sync(`s3://${staging}/files/`, `s3://${production}/user-files/`);
        assert.equal(copy.sourceKind, "bucket");
        assert.equal(copy.uploaded, 3);
        assert.equal(sent.counts.get("CopyObject"), 3);
        assert.equal(sent.counts.get("PutObject"), 1); // the manifest
        await assertSameBytes(root, production, "user-files/");

        sent.reset();
        assert.equal((await sync(`s3://${staging}/files/`, `s3://${production}/user-files/`)).uploaded, 0);
        assert.equal(sent.counts.get("CopyObject"), undefined);
        await assert.rejects(sync(`s3://${staging}/files/`, `s3://${staging}/files/sub/`), /overlap/);
    });

    it("copies only the keys asked for (a sampled sandbox's files) and counts the ones the source lacks; not for local sources", async () => {
        const root = dir();
        writeTree(root, { "u/1/avatar.png": "one", "u/2/avatar.png": "two", "docs/3.pdf": "three", "docs/4.pdf": "four" });
        const staging = await bucket();
        const sandbox = await bucket();
        await sync(root, `s3://${staging}/files/`);
        sent.reset();
        const copy = await sync(`s3://${staging}/files/`, `s3://${sandbox}/files/`, { onlyKeys: new Set(["u/2/avatar.png", "docs/3.pdf", "docs/gone.pdf"]) });
        assert.equal(copy.uploaded, 2);
        assert.equal(copy.files, 2);
        assert.equal(copy.notFound, 1);
        assert.equal(sent.counts.get("CopyObject"), 2);
        assert.deepEqual((await listKeys(client, sandbox)).filter((k) => k !== MANIFEST), ["files/docs/3.pdf", "files/u/2/avatar.png"]);
        // A re-run with another sample: the new key is copied, the old ones stay (nothing is deleted without deleteExtraneous).
        const again = await sync(`s3://${staging}/files/`, `s3://${sandbox}/files/`, { onlyKeys: new Set(["u/1/avatar.png", "docs/3.pdf"]) });
        assert.equal(again.uploaded, 1);
        assert.equal(again.skipped, 1);
        await assert.rejects(sync(root, `s3://${sandbox}/files/`, { onlyKeys: new Set(["x"]) }), /onlyKeys picks objects of an s3:\/\/ source/);
    });

    it("deletes objects the source lacks only when asked, never the manifest", async () => {
        const root = dir();
        writeTree(root, { "keep.txt": "keep" });
        const target = await bucket();
        await client.send(new PutObjectCommand({ Bucket: target, Key: "files/stale.txt", Body: "old" }));

        const kept = await sync(root, `s3://${target}/files/`);
        assert.equal(kept.extraneous, 1);
        assert.deepEqual(await listKeys(client, target), [MANIFEST, "files/keep.txt", "files/stale.txt"]);

        const dryRun = await sync(root, `s3://${target}/files/`, { deleteExtraneous: true, dryRun: true });
        assert.deepEqual(dryRun.plannedDeletes, ["files/stale.txt"]);
        assert.ok((await listKeys(client, target)).includes("files/stale.txt"), "a dry run deletes nothing");

        const deleted = await sync(root, `s3://${target}/files/`, { deleteExtraneous: true });
        assert.equal(deleted.deleted, 1);
        assert.deepEqual(await listKeys(client, target), [MANIFEST, "files/keep.txt"]);
    });

    it("plans without writing in a dry run", async () => {
        const root = dir();
        writeTree(root, { "a.txt": "a", "b.txt": "b" });
        const target = await bucket();
        const summary = await sync(root, `s3://${target}/files/`, { dryRun: true });
        assert.deepEqual(summary.plannedUploads?.map((u) => [u.key, u.reason]), [["files/a.txt", "new"], ["files/b.txt", "new"]]);
        assert.equal(summary.uploaded, 0);
        assert.deepEqual(await listKeys(client, target), []);
    });

    it("reports every request it sends: a client middleware sees the same when the SDK sends them all", async () => {
        const root = dir();
        writeTree(root, { "a.txt": "a", "été/b c.txt": "b", "big.bin": randomContent(9 * MB) });
        const target = await bucket();
        const counted = countingClient(s3);
        const summary = await syncFiles({ source: root, destination: `s3://${target}/files/`, client: counted.client, onRequest: sent.onRequest, directPut: false });
        const bySdk = new Map([...counted.counts].map(([name, n]) => [name.replace(/Command$/, ""), n]));
        assert.deepEqual(bySdk, sent.counts);
        assert.equal(summary.requests, sent.total());
        assert.equal(bySdk.get("PutObject"), 4); // two small files, the 9 MB one (below the multipart threshold), the manifest
        await assertSameBytes(root, target, "files/");
    });

    it("verifies every transferred object by downloading it when asked", async () => {
        const root = dir();
        writeTree(root, { "a.txt": "a", "big.bin": randomContent(9 * MB) });
        const target = await bucket();
        await sync(root, `s3://${target}/files/`, { verifyContent: true });
        assert.equal(sent.counts.get("GetObject"), 2);
    });

    describe("bad input: one clear error naming the file or bucket, nothing uploaded", () => {
        it("a missing source", async () => {
            const missing = path.join(dir(), "no such dir");
            await assert.rejects(sync(missing, "s3://whatever/files/"), { message: `source not found: ${missing}` });
        });

        it("a file whose key would exceed 1,024 bytes", async () => {
            const root = dir();
            const long = Array.from({ length: 5 }, (_, i) => `${i}${"x".repeat(220)}`).join("/");
            writeTree(root, { [`${long}/file.txt`]: "x", "fine.txt": "fine" });
            const target = await bucket();
            await assert.rejects(sync(root, `s3://${target}/files/`), (error: Error) => {
                assert.match(error.message, /1 file cannot be synced \(nothing was uploaded\)/);
                assert.ok(error.message.includes(`${long}/file.txt: the key is 1124 bytes of UTF-8; S3 takes at most 1024`), error.message);
                return true;
            });
            assert.deepEqual(await listKeys(client, target), []);
        });

        it("a file name that is not valid UTF-8", async () => {
            const root = dir();
            fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/r`), Buffer.from([0xe9]), Buffer.from("sum\u00e9.pdf")]), "x");
            const target = await bucket();
            await assert.rejects(sync(root, `s3://${target}/files/`), /r\\xe9sumé\.pdf: the file name is not valid UTF-8/);
            assert.deepEqual(await listKeys(client, target), []);
        });

        it("a bucket that does not exist", async () => {
            const root = dir();
            writeTree(root, { "a.txt": "a" });
            await assert.rejects(sync(root, "s3://no-such-bucket/files/"), { message: 'bucket "no-such-bucket" does not exist' });
        });

        it("wrong credentials, without quoting the secret", async () => {
            const root = dir();
            writeTree(root, { "a.txt": "a" });
            const target = await bucket();
            const connection = { endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: "WRONG-KEY-ID", secretAccessKey: "do-not-print-me" } };
            await assert.rejects(syncFiles({ source: root, destination: `s3://${target}/files/`, connection }), (error: Error) => {
                assert.match(error.message, new RegExp(`does not know the access key id used for bucket "${target}" \\(InvalidAccessKeyId\\)`));
                assert.doesNotMatch(error.message + String(error.stack), /do-not-print-me/);
                return true;
            });
        });

        it("a destination that is not an S3 URL, as a usage error", async () => {
            await assert.rejects(sync(dir(), "/tmp/out"), (error: Error) => isFileSyncError(error) && error.kind === "usage" && /destination: not an S3 URL/.test(error.message));
        });
    });
});

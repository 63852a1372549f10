// The one hash-while-sending stream (HashedBody) and the one changed-while-uploading check that every streamed upload
// path shares (a single streamed PUT and a multipart upload), against a fake S3 client; no servers needed.
import * as assert from "node:assert/strict";
import { Readable } from "node:stream";
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectsCommand, PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import { HashedBody, PartHasher, md5Hex } from "./hash";
import { MIN_PART_SIZE } from "./options";
import { multipartEtag } from "./plan";
import { Semaphore } from "../shared/pool";
import type { Run } from "./run";
import { putBuffer, putMultipart, putStreamed, type StreamedContent } from "./upload";

async function drain(stream: Readable): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
}

function digestOf(data: Buffer, partSize: number) {
    const hasher = new PartHasher(partSize);
    hasher.update(data);
    return hasher.digest();
}

/** A fake S3 client: reads every body it is sent, answers ETags as S3 would, records the commands. */
function fakeS3(): { client: Run["client"]; sent: string[]; bodies: Map<string, Buffer>; deleted: string[] } {
    const sent: string[] = [];
    const bodies = new Map<string, Buffer>();
    const deleted: string[] = [];
    const parts = new Map<number, Buffer>();
    const read = async (body: unknown): Promise<Buffer> => (Buffer.isBuffer(body) ? body : body instanceof Uint8Array ? Buffer.from(body) : drain(body as Readable));
    const client = {
        config: { requestChecksumCalculation: async () => "WHEN_REQUIRED" },
        async send(command: { input: Record<string, unknown> }) {
            sent.push(command.constructor.name);
            const input = command.input;
            if (command instanceof PutObjectCommand) {
                const body = await read(input.Body);
                bodies.set(input.Key as string, body);
                return { ETag: `"${md5Hex(body)}"` };
            }
            if (command instanceof CreateMultipartUploadCommand) return { UploadId: "upload-1" };
            if (command instanceof UploadPartCommand) {
                const body = await read(input.Body);
                parts.set(input.PartNumber as number, body);
                return { ETag: `"${md5Hex(body)}"` };
            }
            if (command instanceof CompleteMultipartUploadCommand) {
                const ordered = [...parts.entries()].sort(([a], [b]) => a - b).map(([, b]) => b);
                bodies.set(input.Key as string, Buffer.concat(ordered));
                return { ETag: `"${multipartEtag(ordered.map((p) => Buffer.from(md5Hex(p), "hex")))}"` };
            }
            if (command instanceof DeleteObjectsCommand) {
                for (const { Key } of (input.Delete as { Objects: Array<{ Key: string }> }).Objects) deleted.push(Key);
                return {};
            }
            throw new Error(`unexpected ${command.constructor.name}`);
        },
    };
    return { client: client as unknown as Run["client"], sent, bodies, deleted };
}

function fakeRun(client: Run["client"], partSize = MIN_PART_SIZE): Run {
    return {
        client,
        destination: { bucket: "b", prefix: "files/" },
        concurrency: 4,
        partSize,
        multipartThreshold: 2 * partSize,
        dryRun: false,
        listing: new Map(),
        known: new Map(),
        expected: new Map(),
        transferredKeys: [],
        planned: [],
        progress: { phase: "transferring", filesTotal: 1, bytesTotal: 0, filesDone: 0, bytesDone: 0, uploaded: 0, uploadedBytes: 0, skipped: 0, deleted: 0 },
        multipartSlots: new Semaphore(2),
        report: () => undefined,
        verifyWhileTransferring: false,
        onRequest: () => undefined,
    };
}

/** Content hashed as `hashed`, but whose source yields `sent` (a file changed between hashing and sending). */
function content(hashed: Buffer, sent: Buffer = hashed, partSize = MIN_PART_SIZE): StreamedContent {
    return { key: "files/a.bin", label: "a.bin", contentType: "application/octet-stream", digest: digestOf(hashed, partSize), open: () => Readable.from([sent]) };
}

describe("HashedBody: the hash-while-sending stream", () => {
    it("passes the bytes through unchanged and hashes exactly them, whole and per part", async () => {
        const data = Buffer.from("x".repeat(10_000));
        const body = new HashedBody(() => Readable.from([data.subarray(0, 3), data.subarray(3)]), 4096);
        assert.deepEqual(await drain(body.open()), data);
        assert.deepEqual(body.sent(), digestOf(data, 4096));
        assert.ok(body.sent().multipartEtag, "three parts of 4 KiB: a multipart ETag");
        assert.equal(body.matches({ md5: md5Hex(data), size: data.length }), true);
        assert.equal(body.readFailure, undefined);
    });

    it("hashes afresh on every open (a retry), and tells when what was read differs from what was hashed", async () => {
        let reads = 0;
        const body = new HashedBody(() => Readable.from([Buffer.from(++reads === 1 ? "first" : "second")]), MIN_PART_SIZE);
        await drain(body.open());
        assert.equal(body.sent().md5, md5Hex(Buffer.from("first")));
        await drain(body.open());
        assert.equal(body.sent().md5, md5Hex(Buffer.from("second")));
        assert.equal(body.matches({ md5: md5Hex(Buffer.from("first")), size: 5 }), false);
    });

    it("fails the stream it returns when the source fails, and records that the source was at fault", async () => {
        const failure = Object.assign(new Error("EIO: i/o error, read"), { code: "EIO", syscall: "read" });
        const body = new HashedBody(
            () =>
                new Readable({
                    read() {
                        this.destroy(failure);
                    },
                }),
            MIN_PART_SIZE,
        );
        await assert.rejects(drain(body.open()), /EIO/);
        assert.equal(body.readFailure?.error, failure);
    });
});

describe("upload paths", () => {
    it("a single streamed PUT stores what was hashed and returns its ETag", async () => {
        const s3 = fakeS3();
        const data = Buffer.from("hello");
        assert.equal(await putStreamed(fakeRun(s3.client), content(data)), md5Hex(data));
        assert.deepEqual(s3.bodies.get("files/a.bin"), data);
    });

    it("one PUT of a buffer: the manifest's path, without the MD5 metadata", async () => {
        const s3 = fakeS3();
        const data = Buffer.from("manifest");
        assert.equal(await putBuffer(fakeRun(s3.client), { key: "files.m", md5: md5Hex(data), contentType: "application/gzip", md5Metadata: false }, data), md5Hex(data));
        assert.deepEqual(s3.sent, ["PutObjectCommand"]);
    });

    for (const [name, put, size] of [
        ["a single streamed PUT", putStreamed, 1000],
        ["a multipart upload", putMultipart, MIN_PART_SIZE + 1000],
    ] as const) {
        it(`${name}: a source that changed after hashing is deleted again and fails the run, naming the file`, async () => {
            const s3 = fakeS3();
            const hashed = Buffer.alloc(size, 1);
            const changed = Buffer.alloc(size, 2);
            await assert.rejects(put(fakeRun(s3.client), content(hashed, changed)), {
                name: "FileSyncError",
                message: "a.bin: changed while being uploaded; run again",
            });
            assert.deepEqual(s3.deleted, ["files/a.bin"]);
        });

        it(`${name}: a source that fails to read is reported as the source's fault`, async () => {
            const s3 = fakeS3();
            const failing: StreamedContent = {
                ...content(Buffer.alloc(size)),
                open: () =>
                    new Readable({
                        read() {
                            this.destroy(Object.assign(new Error("EIO: i/o error, read"), { code: "EIO", syscall: "read" }));
                        },
                    }),
            };
            await assert.rejects(put(fakeRun(s3.client), failing), { name: "FileSyncError", message: "a.bin: cannot read (EIO)" });
        });
    }

    it("a multipart upload of what was hashed succeeds with the multipart ETag", async () => {
        const s3 = fakeS3();
        const data = Buffer.alloc(MIN_PART_SIZE + 1000, 7);
        const etag = await putMultipart(fakeRun(s3.client), content(data));
        assert.equal(etag, digestOf(data, MIN_PART_SIZE).multipartEtag);
        assert.ok(s3.sent.includes("CompleteMultipartUploadCommand"));
        assert.deepEqual(s3.bodies.get("files/a.bin"), data);
    });
});

// MD5s as S3 computes them: of the whole content, and per part for the ETag of a multipart upload.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform, type Readable } from "node:stream";
import { multipartEtag } from "./plan";

export interface ContentDigest {
    size: number;
    /** Hex MD5 of the whole content. */
    md5: string;
    /** The ETag a multipart upload with this part size gets on AWS; undefined when it fits in one part. */
    multipartEtag?: string;
}

export function md5Hex(data: Uint8Array): string {
    return createHash("md5").update(data).digest("hex");
}

/** Hashes content fed in chunks of any size, cutting parts exactly where the multipart uploader cuts them. */
export class PartHasher {
    private readonly whole: Hash = createHash("md5");
    private part: Hash = createHash("md5");
    private partBytes = 0;
    private readonly partDigests: Buffer[] = [];
    private size = 0;

    constructor(private readonly partSize: number) {}

    update(chunk: Uint8Array): void {
        this.whole.update(chunk);
        this.size += chunk.length;
        let offset = 0;
        while (offset < chunk.length) {
            const take = Math.min(this.partSize - this.partBytes, chunk.length - offset);
            this.part.update(chunk.subarray(offset, offset + take));
            this.partBytes += take;
            offset += take;
            if (this.partBytes === this.partSize) {
                this.partDigests.push(this.part.digest());
                this.part = createHash("md5");
                this.partBytes = 0;
            }
        }
    }

    digest(): ContentDigest {
        const parts = [...this.partDigests];
        if (this.partBytes > 0) parts.push(this.part.digest());
        const md5 = this.whole.digest("hex");
        return { size: this.size, md5, ...(parts.length > 1 ? { multipartEtag: multipartEtag(parts) } : {}) };
    }
}

/** Reads chunks to the end and returns their digest. */
export async function hashChunks(chunks: AsyncIterable<Uint8Array>, partSize: number): Promise<ContentDigest> {
    const hasher = new PartHasher(partSize);
    for await (const chunk of chunks) hasher.update(chunk);
    return hasher.digest();
}

/** Reads a file once and returns its digest. */
export function hashFile(path: string, partSize: number, signal?: AbortSignal): Promise<ContentDigest> {
    return hashChunks(createReadStream(path, { highWaterMark: 1024 * 1024, signal }), partSize);
}

/**
 * A body hashed while it is sent: every upload path streams through one of these, so that what was actually sent can
 * be compared with what was hashed when deciding (a file may change in between). `open` may be called once per
 * attempt (a retry reads the source afresh); `sent()` is the digest of what the last attempt read.
 */
export class HashedBody {
    private hasher: PartHasher;
    private digested: ContentDigest | undefined;
    private failure: { error: unknown } | undefined;

    constructor(
        private readonly source: () => Readable,
        private readonly partSize: number,
    ) {
        this.hasher = new PartHasher(partSize);
    }

    /** Opens the source afresh, hashing what passes through; a read error fails the returned stream too. */
    readonly open = (): Readable => {
        const hasher = new PartHasher(this.partSize);
        this.hasher = hasher;
        this.digested = undefined;
        const source = this.source();
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
            this.failure = { error };
            hashed.destroy(error);
        });
        return hashed;
    };

    /** The error reading the source raised, if it did: the upload failed because of the source, not the store. */
    get readFailure(): { error: unknown } | undefined {
        return this.failure;
    }

    /** The digest of what the last `open` read. */
    sent(): ContentDigest {
        this.digested ??= this.hasher.digest();
        return this.digested;
    }

    /** True when what was read is exactly the content described by `digest`. */
    matches(digest: Pick<ContentDigest, "md5" | "size">): boolean {
        const sent = this.sent();
        return sent.md5 === digest.md5 && sent.size === digest.size;
    }
}

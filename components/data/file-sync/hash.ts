// MD5s as S3 computes them: of the whole content, and per part for the ETag of a multipart upload.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
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

/** Reads a file once and returns its digest. */
export async function hashFile(path: string, partSize: number, signal?: AbortSignal): Promise<ContentDigest> {
    const hasher = new PartHasher(partSize);
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) hasher.update(chunk as Buffer);
    return hasher.digest();
}

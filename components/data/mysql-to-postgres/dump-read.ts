// Reading a dump file's bytes: whether it is gzip, its fingerprint, and one byte range of its (decompressed)
// content streamed into a parser. A plain file is read at its offsets into one reused buffer (no allocation per
// chunk: the dump is hundreds of MiB and every chunk would be garbage); gzip cannot seek, so a range of it is read
// by decompressing from the start.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createGunzip } from "node:zlib";
import type { RowStream } from "./source";

/** Bytes per read: small enough to keep memory flat, large enough that per-chunk work does not show. */
const CHUNK = 256 * 1024;

export type RangeReading = RowStream & { destroy(): void };

export function isGzip(file: string): boolean {
    const fd = fs.openSync(file, "r");
    try {
        const head = Buffer.alloc(2);
        fs.readSync(fd, head, 0, 2, 0);
        return head[0] === 0x1f && head[1] === 0x8b;
    } finally {
        fs.closeSync(fd);
    }
}

/** Size plus the hash of the file's first and last 64 KiB: the same dump wherever it is copied. */
export function fingerprintOf(file: string): string {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, "r");
    try {
        const h = createHash("sha256").update(`dump:${size}:`);
        const n = Math.min(size, 64 * 1024);
        const buf = Buffer.alloc(n);
        fs.readSync(fd, buf, 0, n, 0);
        h.update(buf);
        fs.readSync(fd, buf, 0, n, Math.max(0, size - n));
        h.update(buf);
        return h.digest("hex").slice(0, 16);
    } finally {
        fs.closeSync(fd);
    }
}

/**
 * Streams bytes [start, end) of the decompressed dump into `onChunk`, which must not keep the chunk once it returns
 * (the buffer is reused; the parser copies what it has not read). An error thrown by `onChunk` (a statement the
 * parser cannot read) stops the reading and rejects `done` with it. pause()/resume() hold the reading between
 * chunks (backpressure from the target); destroy() stops it.
 */
export function readRange(file: string, gzip: boolean, start: number, end: number, onChunk: (chunk: Buffer) => void): RangeReading {
    return gzip ? readGzipRange(file, start, end, onChunk) : readPlainRange(file, start, end, onChunk);
}

function readPlainRange(file: string, start: number, end: number, onChunk: (chunk: Buffer) => void): RangeReading {
    let paused = false;
    let destroyed = false;
    let wake: (() => void) | undefined;
    const resumeNow = (): void => {
        const w = wake;
        wake = undefined;
        w?.();
    };
    const done = (async () => {
        const handle = await fs.promises.open(file, "r");
        try {
            // Two buffers: the next read is in flight while the parser works on the current chunk.
            let current = Buffer.allocUnsafe(CHUNK);
            let spare = Buffer.allocUnsafe(CHUNK);
            let offset = start;
            const readAt = (buf: Buffer, at: number): Promise<number> =>
                at >= end ? Promise.resolve(0) : handle.read(buf, 0, Math.min(CHUNK, end - at), at).then((r) => r.bytesRead);
            let pending = readAt(current, offset);
            while (!destroyed) {
                const bytesRead = await pending;
                if (bytesRead === 0 || destroyed) return;
                offset += bytesRead;
                const chunk = current.subarray(0, bytesRead);
                pending = readAt(spare, offset);
                [current, spare] = [spare, current];
                while (paused && !destroyed) await new Promise<void>((resolve) => (wake = resolve));
                if (destroyed) break;
                onChunk(chunk);
            }
            await pending.catch(() => 0); // Never leave a read in flight on a closed handle.
        } finally {
            await handle.close();
        }
    })();
    return {
        done,
        pause: () => void (paused = true),
        resume: () => {
            paused = false;
            resumeNow();
        },
        destroy: () => {
            destroyed = true;
            resumeNow();
        },
    };
}

function readGzipRange(file: string, start: number, end: number, onChunk: (chunk: Buffer) => void): RangeReading {
    const raw = fs.createReadStream(file, { highWaterMark: CHUNK });
    const stream = raw.pipe(createGunzip({ chunkSize: CHUNK }));
    let offset = 0;
    let finished = false;
    const done = new Promise<void>((resolve, reject) => {
        raw.on("error", reject);
        stream.on("error", reject);
        stream.on("data", (chunk: Buffer) => {
            if (finished) return;
            const from = offset;
            offset += chunk.length;
            if (offset <= start) return;
            const s = Math.max(0, start - from);
            const e = Math.min(chunk.length, end - from);
            try {
                if (e > s) onChunk(s === 0 && e === chunk.length ? chunk : chunk.subarray(s, e));
            } catch (err) {
                finished = true;
                raw.destroy();
                reject(err);
                return;
            }
            if (offset >= end) {
                finished = true;
                raw.destroy();
                resolve();
            }
        });
        stream.on("end", () => resolve());
    });
    return {
        done,
        pause: () => stream.pause(),
        resume: () => stream.resume(),
        destroy: () => raw.destroy(),
    };
}

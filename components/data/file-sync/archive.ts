// Reads a .tar or .tar.gz archive as a stream, member by member; nothing is extracted to disk. Gzip is recognised by
// its magic bytes, not the file name. Symlinks and hard links inside archives are refused: their targets may lie
// outside the archive or earlier in a stream that cannot be rewound.
import { createReadStream, promises as fsp } from "node:fs";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract, type Header } from "tar-stream";
import { fileSyncError, isFileSyncError } from "./errors";
import { archiveMemberPath, decodeFileName, printableFileName } from "./keys";

export function isArchivePath(path: string): boolean {
    return /\.(tar|tar\.gz|tgz)$/i.test(path);
}

/** A regular file in the archive. */
export interface ArchiveMember {
    /** Position among all headers: when a path occurs twice, the later member wins, as on extraction. */
    index: number;
    relativePath: string;
    size: number;
}

/** Called for every safe regular member; must consume `body` or leave it (it is drained afterwards). */
export type MemberHandler = (member: ArchiveMember, body: AsyncIterable<Buffer>) => Promise<void>;

const GZIP_MAGIC = [0x1f, 0x8b];

async function isGzip(path: string): Promise<boolean> {
    const handle = await fsp.open(path, "r");
    try {
        const head = Buffer.alloc(2);
        const { bytesRead } = await handle.read(head, 0, 2, 0);
        return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    } finally {
        await handle.close();
    }
}

/** The member's path as UTF-8, or why it is not valid: ustar names are read as latin1 to see their bytes. */
function memberName(header: Header): { name: string } | { problem: string; shown: string } {
    const paxPath = (header.pax as Record<string, string> | undefined)?.path;
    if (paxPath !== undefined) {
        // tar-stream decodes PAX records as UTF-8, replacing invalid bytes with U+FFFD.
        return paxPath.includes("\ufffd") ? { problem: "the path is not valid UTF-8", shown: paxPath } : { name: paxPath };
    }
    const bytes = Buffer.from(header.name, "latin1");
    const name = decodeFileName(bytes);
    return name === undefined ? { problem: "the path is not valid UTF-8", shown: printableFileName(bytes) } : { name };
}

function archiveReadError(path: string, error: unknown): Error {
    if ((error as Error).name === "AbortError" || isFileSyncError(error)) return error as Error;
    return fileSyncError("source", `cannot read archive ${path}: ${(error as Error).message}`);
}

/** A member's body whose read errors (truncated or corrupt archive) name the archive, unlike the handler's own. */
async function* guardedBody(path: string, body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    try {
        for await (const chunk of body) yield chunk;
    } catch (error) {
        throw archiveReadError(path, error);
    }
}

/**
 * Streams the archive, calling `onMember` for each regular file in order and collecting a problem (naming the member)
 * for each member that cannot be synced. A corrupt or truncated archive rejects with an error naming the archive.
 */
export async function readArchive(path: string, onMember: MemberHandler, signal?: AbortSignal): Promise<string[]> {
    const problems: string[] = [];
    const gzip = await isGzip(path);
    // tar-stream's own types omit this option; latin1 keeps every byte of ustar names so invalid UTF-8 shows.
    const reader = extract({ filenameEncoding: "latin1" } as Parameters<typeof extract>[0]);
    const source = createReadStream(path, { highWaterMark: 1024 * 1024, signal });
    const input = gzip ? source.pipe(createGunzip()) : source;
    // pipe() does not forward errors: a read or gunzip failure must end the member loop below.
    const fail = (error: Error): void => void reader.destroy(error);
    source.on("error", fail);
    input.on("error", fail);
    input.pipe(reader as unknown as NodeJS.WritableStream);
    let index = 0;
    let handlerFailure: { error: unknown } | undefined;
    try {
        for await (const entry of reader) {
            const header = entry.header;
            const at = index++;
            const named = memberName(header);
            const type = header.type ?? "file";
            if ("problem" in named) {
                problems.push(`${named.shown}: ${named.problem}`);
            } else if (type === "file" || type === "contiguous-file") {
                const safe = archiveMemberPath(named.name);
                if ("problem" in safe) {
                    problems.push(`${named.name}: ${safe.problem}`);
                } else {
                    try {
                        await onMember({ index: at, relativePath: safe.path, size: header.size ?? 0 }, guardedBody(path, entry as AsyncIterable<Buffer>));
                    } catch (error) {
                        handlerFailure = { error };
                        throw error;
                    }
                }
            } else if (type === "symlink" || type === "link") {
                problems.push(`${named.name}: ${type === "symlink" ? "symlink" : "hard link"} in an archive (refused; only regular files are synced)`);
            } else if (type !== "directory") {
                problems.push(`${named.name}: ${type} member, not a regular file`);
            }
            // Whatever the handler did not read must be drained before the next header arrives.
            entry.resume();
        }
    } catch (error) {
        source.destroy();
        if (handlerFailure) throw handlerFailure.error;
        throw archiveReadError(path, error);
    }
    return problems;
}

/** An async iterable as a Node stream, for uploaders that want one. */
export function toNodeStream(body: AsyncIterable<Buffer>): Readable {
    return Readable.from(body, { objectMode: false });
}

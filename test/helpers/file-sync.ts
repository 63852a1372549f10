// Helpers for the file sync tests: trees of files, tarballs, S3 clients that count what they send, MD5 checks.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { pack } from "tar-stream";
import type { S3Server } from "./servers";

export function tempDir(kind: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `herokuenv-${kind}-`));
}

export function md5(data: Uint8Array): string {
    return createHash("md5").update(data).digest("hex");
}

/** Writes `files` (relative path -> content) under `root`, creating directories. */
export function writeTree(root: string, files: Record<string, string | Buffer>): void {
    for (const [relative, content] of Object.entries(files)) {
        const file = path.join(root, relative);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
    }
}

/** Every regular file under `root` (symlinks followed) as relative path -> MD5. */
export function treeMd5s(root: string, relative = ""): Map<string, string> {
    const out = new Map<string, string>();
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
        const rel = relative === "" ? entry.name : `${relative}/${entry.name}`;
        const stats = fs.statSync(path.join(root, rel));
        if (stats.isDirectory()) for (const [k, v] of treeMd5s(root, rel)) out.set(k, v);
        else out.set(rel, md5(fs.readFileSync(path.join(root, rel))));
    }
    return out;
}

/** Deterministic pseudo-random bytes (fast, incompressible). */
export function randomContent(size: number): Buffer {
    return randomBytes(size);
}

export async function tarGz(members: Record<string, string | Buffer>): Promise<Buffer> {
    const packer = pack();
    const chunks: Buffer[] = [];
    const done = (async () => {
        for await (const chunk of packer) chunks.push(chunk as Buffer);
    })();
    for (const [name, content] of Object.entries(members)) {
        await new Promise<void>((resolve, reject) => packer.entry({ name }, content, (error) => (error ? reject(error) : resolve())));
    }
    packer.finalize();
    await done;
    return gzipSync(Buffer.concat(chunks));
}

/**
 * What the engine sent, from its onRequest hook (every HTTP request, retries included, whether through the SDK or the
 * lean PUT path, which a client middleware would not see).
 */
export interface RequestLog {
    onRequest: (operation: string, key?: string) => void;
    /** Operation ("PutObject") -> requests sent. */
    counts: Map<string, number>;
    /** Operation -> keys it was sent for, in order. */
    keys: Map<string, string[]>;
    total: () => number;
    reset: () => void;
}

export function requestLog(): RequestLog {
    const counts = new Map<string, number>();
    const keys = new Map<string, string[]>();
    return {
        onRequest: (operation, key) => {
            counts.set(operation, (counts.get(operation) ?? 0) + 1);
            if (key !== undefined) keys.set(operation, [...(keys.get(operation) ?? []), key]);
        },
        counts,
        keys,
        total: () => [...counts.values()].reduce((a, b) => a + b, 0),
        reset: () => {
            counts.clear();
            keys.clear();
        },
    };
}

/** A client for the server that counts, per command, the requests sent through it. */
export function countingClient(server: S3Server): { client: S3Client; counts: Map<string, number> } {
    const client = server.s3Client();
    const counts = new Map<string, number>();
    client.middlewareStack.add(
        (next, context) => async (args) => {
            const name = context.commandName ?? "unknown";
            counts.set(name, (counts.get(name) ?? 0) + 1);
            return next(args);
        },
        { step: "deserialize", name: "testRequestCounter" },
    );
    return { client, counts };
}

export async function listKeys(client: S3Client, bucket: string, prefix = ""): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
        for (const item of page.Contents ?? []) keys.push(item.Key as string);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
}

/** Downloads every object under the prefix (manifests excluded) and returns relative key -> MD5 of the bytes. */
export async function downloadedMd5s(client: S3Client, bucket: string, prefix: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const key of await listKeys(client, bucket, prefix)) {
        if (key.endsWith(".herokuenv-sync-manifest.json.gz")) continue;
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const hash = createHash("md5");
        for await (const chunk of response.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
        out.set(key.slice(prefix.length), hash.digest("hex"));
    }
    return out;
}

export function sortedEntries(map: Map<string, string>): Array<[string, string]> {
    return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// Pure rules about names: S3 URLs, prefixes, which object keys S3 can take, and which archive member paths are safe.
// No I/O here; every rule is unit-tested.

/** S3 refuses keys longer than this many bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** How the object recording what a successful run wrote (see plan.ts) ends; reserved in sources. */
export const MANIFEST_SUFFIX = ".herokuenv-sync-manifest.json.gz";

export interface S3Location {
    bucket: string;
    /** "" for the whole bucket, else ends with "/". */
    prefix: string;
}

export function isS3Url(text: string): boolean {
    return /^s3:\/\//i.test(text);
}

// Loose on purpose: S3-compatible stores accept more than AWS (upper case, underscores); the store has the last word.
const BUCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$/;

/** Parses `s3://bucket/prefix`; throws a message fit for the user when it is not one. */
export function parseS3Url(url: string): S3Location {
    const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(url);
    if (!match) throw new Error(`not an S3 URL: ${JSON.stringify(url)} (expected s3://bucket/prefix)`);
    const bucket = match[1];
    if (!BUCKET_NAME.test(bucket)) {
        throw new Error(`invalid bucket name ${JSON.stringify(bucket)} in ${JSON.stringify(url)}: 3-63 letters, digits, dots, dashes`);
    }
    const prefix = normalizePrefix(match[2] ?? "");
    const problem = prefix === "" ? undefined : keyProblem(prefix);
    if (problem) throw new Error(`invalid prefix in ${JSON.stringify(url)}: ${problem}`);
    return { bucket, prefix };
}

export function formatS3Url(location: S3Location): string {
    return `s3://${location.bucket}/${location.prefix}`;
}

/** "files" and "/files/" both mean the folder "files/"; "" and "/" mean the whole bucket. */
export function normalizePrefix(prefix: string): string {
    const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
    return trimmed === "" ? "" : `${trimmed}/`;
}

/** Joins a prefix and a relative path that uses "/" as separator. */
export function joinKey(prefix: string, relativePath: string): string {
    return prefix + relativePath;
}

/**
 * Beside the prefix, not under it: "files/" -> "files.herokuenv-sync-manifest.json.gz". The prefix then holds only
 * user files, and its listing (one request per 1,000 keys) carries no extra key. The whole bucket's manifest is at
 * its root.
 */
export function manifestKey(prefix: string): string {
    return prefix === "" ? MANIFEST_SUFFIX : prefix.slice(0, -1) + MANIFEST_SUFFIX;
}

/** True for any herokuenv manifest, e.g. that of a sync into a sub-prefix, which a sync of the parent must leave. */
export function isManifestKey(key: string): boolean {
    return key.endsWith(MANIFEST_SUFFIX);
}

// C0 controls and DEL: S3 stores them, but ListObjects answers in XML 1.0, which cannot carry most of them and
// normalises \r, so such keys do not survive a listing intact.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Why S3 (or a listing of it) cannot take this key, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
    if (key === "") return "the key is empty";
    const bytes = Buffer.byteLength(key, "utf8");
    if (bytes > MAX_KEY_BYTES) return `the key is ${bytes} bytes of UTF-8; S3 takes at most ${MAX_KEY_BYTES}`;
    if (/[\ud800-\udfff]/.test(key.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) return "the key has a lone UTF-16 surrogate (not valid UTF-8)";
    const control = CONTROL_CHARACTERS.exec(key);
    if (control) return `the key contains the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}, which S3 listings cannot return intact`;
    return undefined;
}

/**
 * Decodes a file name's bytes; undefined when they are not valid UTF-8 (S3 keys must be). Checked by round trip, as
 * invalid sequences decode to U+FFFD; a module-level TextDecoder would not survive Pulumi's closure serialization.
 */
export function decodeFileName(bytes: Uint8Array): string | undefined {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const decoded = buffer.toString("utf8");
    return Buffer.from(decoded, "utf8").equals(buffer) ? decoded : undefined;
}

/** A file name for messages: valid UTF-8 as is, other bytes as \xNN. */
export function printableFileName(bytes: Uint8Array): string {
    let out = "";
    let i = 0;
    while (i < bytes.length) {
        let length = 1;
        // A UTF-8 sequence is 1 to 4 bytes: take the shortest that decodes, else show the byte escaped.
        while (length <= 4 && i + length <= bytes.length && decodeFileName(bytes.subarray(i, i + length)) === undefined) length++;
        if (length <= 4 && i + length <= bytes.length) {
            out += decodeFileName(bytes.subarray(i, i + length));
            i += length;
        } else {
            out += `\\x${bytes[i].toString(16).padStart(2, "0")}`;
            i++;
        }
    }
    return out;
}

/**
 * The relative path an archive member may be stored under, or why it may not: absolute paths and ".." would write
 * outside the destination when the archive is extracted by anyone else, so they are refused rather than rewritten.
 * "./" and empty segments are dropped.
 */
export function archiveMemberPath(name: string): { path: string } | { problem: string } {
    if (name.startsWith("/") || /^[A-Za-z]:[\\/]/.test(name)) return { problem: "absolute path" };
    const segments = name.split("/");
    if (segments.includes("..")) return { problem: 'path contains ".."' };
    const kept = segments.filter((segment) => segment !== "" && segment !== ".");
    if (kept.length === 0) return { problem: "empty path" };
    return { path: kept.join("/") };
}

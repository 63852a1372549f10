// Pure decisions of the sync: upload or skip each file, which objects are extraneous, whether a listing proves the
// upload, and the manifest's format. No I/O here, so every rule is unit-tested.
//
// Skipping is decided from ListObjectsV2 listings (one request per 1,000 objects), never from a HEAD per object:
// - a listed ETag that is a plain MD5 equal to the source's MD5 proves the content (single-part uploads);
// - otherwise (multipart ETags "md5-of-part-md5s-N", encrypted objects) the manifest written at the end of the last
//   successful run maps key -> size, ETag, MD5; its MD5 is trusted only while the listing still shows that same
//   size and ETag, so an object changed by anyone else since is never trusted;
// - a large object proven by neither is checked with one HEAD (its x-amz-meta-md5), cheaper than uploading it again.
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { isManifestKey } from "./keys";

/** One object as ListObjectsV2 reports it (ETag without quotes). */
export interface ListedObject {
    key: string;
    size: number;
    etag: string;
}

/** What a run knows about an object it wrote or proved: the manifest's entry. */
export interface KnownObject {
    size: number;
    etag: string;
    md5: string;
}

export type Manifest = ReadonlyMap<string, KnownObject>;

/** A source file as the planner sees it. */
export interface SourceFacts {
    key: string;
    size: number;
    /** Hex MD5 of the content. */
    md5: string;
}

export type UploadReason = "new" | "size differs" | "content differs" | "content unproven";

export type Decision =
    | { action: "upload"; reason: UploadReason }
    | { action: "skip"; etag: string }
    /** The listing alone cannot decide: load the manifest (once per run) and decide again. */
    | { action: "need-manifest" }
    /** Neither listing nor manifest proves a large object: read its stored MD5 with a HEAD. */
    | { action: "check-metadata" };

export interface DecideOptions {
    /** undefined while not loaded; an empty map when there is none. */
    manifest: Manifest | undefined;
    /** Objects at least this large are checked with a HEAD rather than uploaded again when nothing proves them. */
    metadataCheckMinBytes: number;
}

/** The user metadata key (x-amz-meta-md5) holding the hex MD5 of every object herokuenv writes. */
export const MD5_METADATA_KEY = "md5";

/** True for an ETag that is an MD5 as S3 computes it for single-part uploads. */
export function isPlainMd5(etag: string): boolean {
    return /^[0-9a-f]{32}$/.test(etag);
}

/** ETags as S3 sends them ("\"abc\"", sometimes upper case from other stores) to the form compared here. */
export function normalizeEtag(etag: string | undefined): string {
    return (etag ?? "").replace(/"/g, "").toLowerCase();
}

export function decide(source: SourceFacts, listed: ListedObject | undefined, options: DecideOptions): Decision {
    if (!listed) return { action: "upload", reason: "new" };
    if (listed.size !== source.size) return { action: "upload", reason: "size differs" };
    if (isPlainMd5(listed.etag) && listed.etag === source.md5) return { action: "skip", etag: listed.etag };
    if (options.manifest === undefined) return { action: "need-manifest" };
    const known = options.manifest.get(source.key);
    if (known && known.size === listed.size && known.etag === listed.etag) {
        return known.md5 === source.md5 ? { action: "skip", etag: listed.etag } : { action: "upload", reason: "content differs" };
    }
    if (isPlainMd5(listed.etag)) return { action: "upload", reason: "content differs" };
    if (source.size >= options.metadataCheckMinBytes) return { action: "check-metadata" };
    return { action: "upload", reason: "content unproven" };
}

/** The decision once a HEAD has returned the object's size, ETag and stored MD5 (if any). */
export function decideFromMetadata(source: SourceFacts, head: { size: number; etag: string; md5?: string }): Decision {
    if (head.size === source.size && head.md5 !== undefined && head.md5.toLowerCase() === source.md5) {
        return { action: "skip", etag: head.etag };
    }
    return { action: "upload", reason: head.md5 === undefined ? "content unproven" : "content differs" };
}

/**
 * The ETag S3 gives a multipart upload: MD5 of the concatenated binary MD5s of its parts, then "-" and the number
 * of parts. `partDigests` are the raw 16-byte digests of the parts in order.
 */
export function multipartEtag(partDigests: readonly Uint8Array[]): string {
    const hash = createHash("md5");
    for (const digest of partDigests) hash.update(digest);
    return `${hash.digest("hex")}-${partDigests.length}`;
}

/** Keys under the prefix that the source does not have; manifests are never extraneous. */
export function extraneousKeys(listed: Iterable<ListedObject>, sourceKeys: ReadonlySet<string>): string[] {
    const keys: string[] = [];
    for (const object of listed) {
        if (!sourceKeys.has(object.key) && !isManifestKey(object.key)) keys.push(object.key);
    }
    return keys.sort();
}

/** What the verification listing must show for one key. */
export interface ExpectedObject {
    size: number;
    /** ETags the upload may legitimately have produced (e.g. the MD5, or the multipart ETag of the same bytes). */
    etags: readonly string[];
}

/** Every difference between what a run wrote and what the verification listing shows; empty when all is there. */
export function verificationProblems(
    expected: ReadonlyMap<string, ExpectedObject>,
    listing: ReadonlyMap<string, ListedObject>,
    deletedKeys: readonly string[],
): string[] {
    const problems: string[] = [];
    for (const [key, want] of expected) {
        const got = listing.get(key);
        if (!got) problems.push(`${key}: missing after upload`);
        else if (got.size !== want.size) problems.push(`${key}: ${got.size} bytes stored, ${want.size} sent`);
        else if (!want.etags.includes(got.etag)) problems.push(`${key}: stored ETag ${got.etag} matches none of the content sent (${want.etags.join(", ")})`);
    }
    for (const key of deletedKeys) {
        if (listing.has(key)) problems.push(`${key}: still present after delete`);
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// The manifest: gzipped JSON, keys relative to the prefix, one [size, etag, md5] triple each.

const MANIFEST_FORMAT = "herokuenv-file-sync-manifest";
const MANIFEST_VERSION = 1;

interface ManifestDocument {
    format: string;
    version: number;
    objects: Record<string, [number, string, string]>;
}

export function serializeManifest(prefix: string, objects: ReadonlyMap<string, KnownObject>): Buffer {
    const entries: Record<string, [number, string, string]> = {};
    for (const key of [...objects.keys()].sort()) {
        if (!key.startsWith(prefix)) continue;
        const known = objects.get(key) as KnownObject;
        entries[key.slice(prefix.length)] = [known.size, known.etag, known.md5];
    }
    const document: ManifestDocument = { format: MANIFEST_FORMAT, version: MANIFEST_VERSION, objects: entries };
    return gzipSync(Buffer.from(JSON.stringify(document)));
}

/**
 * Reads a manifest; anything unreadable counts as no manifest, because it is only a shortcut: without it the
 * listing and HEADs still decide correctly, at the cost of more uploads or requests.
 */
export function parseManifest(prefix: string, body: Uint8Array): Map<string, KnownObject> {
    const manifest = new Map<string, KnownObject>();
    let document: ManifestDocument;
    try {
        document = JSON.parse(gunzipSync(body).toString("utf8")) as ManifestDocument;
    } catch {
        return manifest;
    }
    if (document?.format !== MANIFEST_FORMAT || document.version !== MANIFEST_VERSION || typeof document.objects !== "object" || document.objects === null) {
        return manifest;
    }
    for (const [relativeKey, entry] of Object.entries(document.objects)) {
        if (!Array.isArray(entry) || entry.length !== 3) continue;
        const [size, etag, md5] = entry;
        if (typeof size === "number" && typeof etag === "string" && typeof md5 === "string" && isPlainMd5(md5)) {
            manifest.set(prefix + relativeKey, { size, etag, md5 });
        }
    }
    return manifest;
}

/** Keys the manifest records that the listing no longer shows with the same size and ETag. */
export function driftedKeys(manifest: Manifest, listing: ReadonlyMap<string, ListedObject>): string[] {
    const drifted: string[] = [];
    for (const [key, known] of manifest) {
        const listed = listing.get(key);
        if (!listed || listed.size !== known.size || listed.etag !== known.etag) drifted.push(key);
    }
    return drifted;
}

/** True when the manifest already says exactly this; a re-run that changed nothing then writes nothing. */
export function sameManifest(a: ReadonlyMap<string, KnownObject>, b: ReadonlyMap<string, KnownObject>): boolean {
    if (a.size !== b.size) return false;
    for (const [key, x] of a) {
        const y = b.get(key);
        if (!y || y.size !== x.size || y.etag !== x.etag || y.md5 !== x.md5) return false;
    }
    return true;
}

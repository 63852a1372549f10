import * as assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { PartHasher, md5Hex } from "./hash";
import {
    decide,
    decideFromMetadata,
    driftedKeys,
    extraneousKeys,
    isPlainMd5,
    multipartEtag,
    normalizeEtag,
    parseManifest,
    sameManifest,
    serializeManifest,
    verificationProblems,
    type KnownObject,
    type ListedObject,
} from "./plan";

const MD5_A = "0cc175b9c0f1b6a831c399e269772661"; // md5("a")
const MD5_B = "92eb5ffee6ae2fec3ad71c777531578f"; // md5("b")
const MULTIPART = "a1b2c3d4e5f60718293a4b5c6d7e8f90-3";
const BIG = 20 * 1024 * 1024;
const options = (manifest?: Map<string, KnownObject>) => ({ manifest, metadataCheckMinBytes: 8 * 1024 * 1024 });

describe("file sync: deciding from listings", () => {
    const source = { key: "files/a", size: 1, md5: MD5_A };

    it("uploads what the destination lacks", () => {
        assert.deepEqual(decide(source, undefined, options()), { action: "upload", reason: "new" });
    });

    it("uploads when the size differs, without needing the manifest", () => {
        assert.deepEqual(decide(source, { key: "files/a", size: 2, etag: MD5_A }, options()), { action: "upload", reason: "size differs" });
    });

    it("skips when the listed ETag is the source's MD5, without needing the manifest", () => {
        assert.deepEqual(decide(source, { key: "files/a", size: 1, etag: MD5_A }, options()), { action: "skip", etag: MD5_A });
    });

    it("asks for the manifest only when the listing cannot decide", () => {
        assert.deepEqual(decide(source, { key: "files/a", size: 1, etag: MD5_B }, options()), { action: "need-manifest" });
        const big = { key: "files/big", size: BIG, md5: MD5_A };
        assert.deepEqual(decide(big, { key: "files/big", size: BIG, etag: MULTIPART }, options()), { action: "need-manifest" });
    });

    it("trusts the manifest's MD5 while the listing shows the same size and ETag", () => {
        const big = { key: "files/big", size: BIG, md5: MD5_A };
        const listed = { key: "files/big", size: BIG, etag: MULTIPART };
        const manifest = new Map([["files/big", { size: BIG, etag: MULTIPART, md5: MD5_A }]]);
        assert.deepEqual(decide(big, listed, options(manifest)), { action: "skip", etag: MULTIPART });
        assert.deepEqual(decide({ ...big, md5: MD5_B }, listed, options(manifest)), { action: "upload", reason: "content differs" });
    });

    it("distrusts a manifest entry whose ETag no longer matches the listing (changed by someone else)", () => {
        const big = { key: "files/big", size: BIG, md5: MD5_A };
        const manifest = new Map([["files/big", { size: BIG, etag: "ffffffffffffffffffffffffffffffff-3", md5: MD5_A }]]);
        assert.deepEqual(decide(big, { key: "files/big", size: BIG, etag: MULTIPART }, options(manifest)), { action: "check-metadata" });
    });

    it("re-uploads a small object that nothing proves rather than send a HEAD for it", () => {
        const small = { key: "files/s", size: 10, md5: MD5_A };
        assert.deepEqual(decide(small, { key: "files/s", size: 10, etag: "abc-1" }, options(new Map())), { action: "upload", reason: "content unproven" });
    });

    it("treats a plain ETag that is not the source's MD5 as changed content", () => {
        assert.deepEqual(decide(source, { key: "files/a", size: 1, etag: MD5_B }, options(new Map())), { action: "upload", reason: "content differs" });
    });

    it("decides from a HEAD's stored MD5", () => {
        const big = { key: "files/big", size: BIG, md5: MD5_A };
        assert.deepEqual(decideFromMetadata(big, { size: BIG, etag: MULTIPART, md5: MD5_A }), { action: "skip", etag: MULTIPART });
        assert.deepEqual(decideFromMetadata(big, { size: BIG, etag: MULTIPART, md5: MD5_B }), { action: "upload", reason: "content differs" });
        assert.deepEqual(decideFromMetadata(big, { size: BIG, etag: MULTIPART }), { action: "upload", reason: "content unproven" });
    });
});

describe("file sync: ETags", () => {
    it("recognises plain MD5 ETags and not multipart ones", () => {
        assert.equal(isPlainMd5(MD5_A), true);
        assert.equal(isPlainMd5(MULTIPART), false);
        assert.equal(isPlainMd5(""), false);
    });

    it("strips quotes and lower-cases", () => {
        assert.equal(normalizeEtag('"0CC175B9C0F1B6A831C399E269772661"'), MD5_A);
        assert.equal(normalizeEtag(undefined), "");
    });

    it("computes the multipart ETag as S3 does: MD5 of the parts' binary MD5s, then -N", () => {
        const parts = [Buffer.from("part one"), Buffer.from("part two")];
        const digests = parts.map((p) => createHash("md5").update(p).digest());
        const expected = `${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-2`;
        assert.equal(multipartEtag(digests), expected);
    });

    it("cuts parts at the same offsets however the content arrives", () => {
        const partSize = 5 * 1024 * 1024;
        const data = randomBytes(2 * partSize + 12345);
        const whole = new PartHasher(partSize);
        whole.update(data);
        const chunked = new PartHasher(partSize);
        for (let offset = 0; offset < data.length; offset += 777_777) chunked.update(data.subarray(offset, offset + 777_777));
        const a = whole.digest();
        const b = chunked.digest();
        assert.deepEqual(a, b);
        assert.equal(a.md5, md5Hex(data));
        assert.match(a.multipartEtag ?? "", /^[0-9a-f]{32}-3$/);
    });

    it("gives no multipart ETag to content that fits in one part", () => {
        const hasher = new PartHasher(5 * 1024 * 1024);
        hasher.update(Buffer.from("small"));
        assert.equal(hasher.digest().multipartEtag, undefined);
    });
});

describe("file sync: extraneous objects and verification", () => {
    const listed = (key: string, size = 1, etag = MD5_A): ListedObject => ({ key, size, etag });

    it("lists objects the source lacks, never manifests", () => {
        const listing = [listed("files/a"), listed("files/old"), listed("files/.herokuenv-sync-manifest.json.gz"), listed("files/sub/.herokuenv-sync-manifest.json.gz")];
        assert.deepEqual(extraneousKeys(listing, new Set(["files/a"])), ["files/old"]);
    });

    it("passes when every expected object is listed with its size and an accepted ETag", () => {
        const expected = new Map([["files/a", { size: 1, etags: [MD5_A] }], ["files/big", { size: BIG, etags: [MD5_B, MULTIPART] }]]);
        const listing = new Map([["files/a", listed("files/a")], ["files/big", listed("files/big", BIG, MULTIPART)]]);
        assert.deepEqual(verificationProblems(expected, listing, []), []);
    });

    it("names every missing, truncated, altered or undeleted object", () => {
        const expected = new Map([
            ["files/missing", { size: 1, etags: [MD5_A] }],
            ["files/short", { size: 2, etags: [MD5_A] }],
            ["files/altered", { size: 1, etags: [MD5_A] }],
        ]);
        const listing = new Map([["files/short", listed("files/short", 1)], ["files/altered", listed("files/altered", 1, MD5_B)], ["files/gone", listed("files/gone")]]);
        const problems = verificationProblems(expected, listing, ["files/gone"]);
        assert.equal(problems.length, 4);
        assert.match(problems[0], /^files\/missing: missing after upload$/);
        assert.match(problems[1], /^files\/short: 1 bytes stored, 2 sent$/);
        assert.match(problems[2], /^files\/altered: stored ETag/);
        assert.match(problems[3], /^files\/gone: still present after delete$/);
    });
});

describe("file sync: the manifest", () => {
    const objects = new Map<string, KnownObject>([
        ["files/a", { size: 1, etag: MD5_A, md5: MD5_A }],
        ["files/été/big file.bin", { size: BIG, etag: MULTIPART, md5: MD5_B }],
    ]);

    it("round-trips through its gzipped form, keys relative to the prefix", () => {
        const body = serializeManifest("files/", objects);
        assert.deepEqual(parseManifest("files/", body), objects);
        // Moving the prefix moves every key: the manifest describes the objects under its own prefix.
        assert.deepEqual([...parseManifest("copy/", body).keys()], ["copy/a", "copy/été/big file.bin"]);
    });

    it("counts anything unreadable as no manifest", () => {
        assert.equal(parseManifest("files/", Buffer.from("not gzip")).size, 0);
        assert.equal(parseManifest("files/", serializeManifest("files/", new Map())).size, 0);
    });

    it("compares manifests entry by entry", () => {
        assert.equal(sameManifest(objects, new Map(objects)), true);
        const changed = new Map(objects);
        changed.set("files/a", { size: 1, etag: MD5_A, md5: MD5_B });
        assert.equal(sameManifest(objects, changed), false);
    });

    it("finds recorded objects the listing no longer shows unchanged", () => {
        const listing = new Map([["files/a", listed2("files/a", 1, MD5_A)]]);
        assert.deepEqual(driftedKeys(objects, listing), ["files/été/big file.bin"]);
        listing.set("files/été/big file.bin", listed2("files/été/big file.bin", BIG, MULTIPART));
        assert.deepEqual(driftedKeys(objects, listing), []);
    });

    function listed2(key: string, size: number, etag: string): ListedObject {
        return { key, size, etag };
    }
});

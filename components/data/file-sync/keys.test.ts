import * as assert from "node:assert/strict";
import { contentTypeFor } from "./content-type";
import {
    archiveMemberPath,
    decodeFileName,
    isManifestKey,
    keyProblem,
    manifestKey,
    normalizePrefix,
    parseS3Url,
    printableFileName,
} from "./keys";

describe("file sync: S3 URLs and prefixes", () => {
    it("reads bucket and prefix, giving the prefix exactly one trailing slash", () => {
        assert.deepEqual(parseS3Url("s3://acme-files/files"), { bucket: "acme-files", prefix: "files/" });
        assert.deepEqual(parseS3Url("s3://acme-files/files/"), { bucket: "acme-files", prefix: "files/" });
        assert.deepEqual(parseS3Url("s3://acme-files/a/b//"), { bucket: "acme-files", prefix: "a/b/" });
    });

    it("means the whole bucket when there is no prefix", () => {
        assert.deepEqual(parseS3Url("s3://acme-files"), { bucket: "acme-files", prefix: "" });
        assert.deepEqual(parseS3Url("s3://acme-files/"), { bucket: "acme-files", prefix: "" });
    });

    it("keeps unicode and spaces in prefixes", () => {
        assert.deepEqual(parseS3Url("s3://b1b/fichiers été/"), { bucket: "b1b", prefix: "fichiers été/" });
    });

    it("refuses what is not an s3:// URL, naming it", () => {
        assert.throws(() => parseS3Url("/tmp/files"), /not an S3 URL: "\/tmp\/files"/);
        assert.throws(() => parseS3Url("https://bucket/x"), /not an S3 URL/);
    });

    it("refuses bucket names S3 cannot have", () => {
        assert.throws(() => parseS3Url("s3://ab/x"), /invalid bucket name "ab"/);
        assert.throws(() => parseS3Url("s3:///x"), /invalid bucket name ""/);
        assert.throws(() => parseS3Url("s3://bad bucket/x"), /invalid bucket name "bad bucket"/);
    });

    it("normalises prefixes", () => {
        assert.equal(normalizePrefix(""), "");
        assert.equal(normalizePrefix("/"), "");
        assert.equal(normalizePrefix("/files"), "files/");
        assert.equal(normalizePrefix("files///"), "files/");
    });

    it("puts the manifest beside the prefix, not in it, and recognises manifests of sub-prefixes", () => {
        assert.equal(manifestKey("files/"), "files.herokuenv-sync-manifest.json.gz");
        assert.equal(manifestKey("a/b/"), "a/b.herokuenv-sync-manifest.json.gz");
        assert.equal(manifestKey(""), ".herokuenv-sync-manifest.json.gz");
        assert.equal(isManifestKey("files/sub.herokuenv-sync-manifest.json.gz"), true);
        assert.equal(isManifestKey("files/sub.herokuenv-sync-manifest.json"), false);
    });
});

describe("file sync: keys S3 can take", () => {
    it("accepts unicode, spaces and punctuation", () => {
        assert.equal(keyProblem("files/été/naïve file (1).JPG"), undefined);
        assert.equal(keyProblem("files/日本語/🙂.png"), undefined);
    });

    it("counts the 1024-byte limit in UTF-8 bytes, not characters", () => {
        assert.equal(keyProblem("a".repeat(1024)), undefined);
        assert.match(keyProblem("a".repeat(1025)) ?? "", /1025 bytes of UTF-8; S3 takes at most 1024/);
        // 342 x "é" is 342 characters but 684 bytes; 513 of them are 1026 bytes.
        assert.equal(keyProblem("é".repeat(512)), undefined);
        assert.match(keyProblem("é".repeat(513)) ?? "", /1026 bytes/);
    });

    it("refuses control characters that listings cannot return", () => {
        assert.match(keyProblem("files/a\nb") ?? "", /U\+000A/);
        assert.match(keyProblem("files/a\rb") ?? "", /U\+000D/);
        assert.match(keyProblem("files/a\u007fb") ?? "", /U\+007F/);
    });

    it("refuses lone surrogates, which have no UTF-8 form", () => {
        assert.match(keyProblem("files/\ud800x") ?? "", /surrogate/);
        assert.equal(keyProblem("files/\ud83d\ude42"), undefined);
    });

    it("refuses the empty key", () => {
        assert.match(keyProblem("") ?? "", /empty/);
    });
});

describe("file sync: file names as bytes", () => {
    it("decodes valid UTF-8 and rejects invalid sequences", () => {
        assert.equal(decodeFileName(Buffer.from("été.txt")), "été.txt");
        assert.equal(decodeFileName(Buffer.from([0x66, 0xe9, 0x2e, 0x74])), undefined); // latin1 "fé.t"
        assert.equal(decodeFileName(Buffer.from([0xc3])), undefined); // truncated sequence
    });

    it("shows invalid bytes escaped and keeps the valid characters around them", () => {
        assert.equal(printableFileName(Buffer.from([0x66, 0xe9, 0x2e, 0x74])), "f\\xe9.t");
        assert.equal(printableFileName(Buffer.concat([Buffer.from("été"), Buffer.from([0xff])])), "été\\xff");
    });
});

describe("file sync: archive member paths", () => {
    it("keeps relative paths, dropping ./ and empty segments", () => {
        assert.deepEqual(archiveMemberPath("a/b.txt"), { path: "a/b.txt" });
        assert.deepEqual(archiveMemberPath("./a/./b.txt"), { path: "a/b.txt" });
        assert.deepEqual(archiveMemberPath("a//b.txt"), { path: "a/b.txt" });
    });

    it("refuses absolute paths and drive letters", () => {
        assert.deepEqual(archiveMemberPath("/etc/passwd"), { problem: "absolute path" });
        assert.deepEqual(archiveMemberPath("C:\\x"), { problem: "absolute path" });
    });

    it('refuses ".." anywhere, even when it would stay inside', () => {
        assert.deepEqual(archiveMemberPath("../x"), { problem: 'path contains ".."' });
        assert.deepEqual(archiveMemberPath("a/../b"), { problem: 'path contains ".."' });
    });

    it("refuses paths that name nothing", () => {
        assert.deepEqual(archiveMemberPath("./"), { problem: "empty path" });
    });
});

describe("file sync: Content-Type from the file name", () => {
    it("maps common user-file extensions, case-insensitively", () => {
        assert.equal(contentTypeFor("files/photo.JPG"), "image/jpeg");
        assert.equal(contentTypeFor("a/b.png"), "image/png");
        assert.equal(contentTypeFor("doc.pdf"), "application/pdf");
        assert.equal(contentTypeFor("page.html"), "text/html");
        assert.equal(contentTypeFor("x.svg"), "image/svg+xml");
    });

    it("adds no charset, since user files are not known to be UTF-8", () => {
        assert.equal(contentTypeFor("notes.txt"), "text/plain");
    });

    it("falls back to application/octet-stream", () => {
        assert.equal(contentTypeFor("README"), "application/octet-stream");
        assert.equal(contentTypeFor("x.unknown-ext"), "application/octet-stream");
        assert.equal(contentTypeFor("dir.png/file"), "application/octet-stream");
    });
});

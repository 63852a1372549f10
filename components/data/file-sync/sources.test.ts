// The local sources (directory walk, archive stream), the concurrency pool and error messages; no servers needed.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { readArchive } from "./archive";
import { encodeKeyPath } from "./direct-put";
import { scanDirectory } from "./directory";
import { describeS3Error, fileSyncError, isFileSyncError } from "./errors";
import { forEachLimited } from "../shared/pool";

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-sync-unit-"));
}

interface TarMember {
    name: string;
    type?: "file" | "directory" | "symlink" | "link";
    content?: string;
    linkname?: string;
    pax?: Record<string, string>;
}

/** Builds a tar (optionally gzipped) in memory with tar-stream's packer. */
async function tarball(members: TarMember[], gzip: boolean): Promise<Buffer> {
    const packer = pack();
    const chunks: Buffer[] = [];
    const done = (async () => {
        for await (const chunk of packer) chunks.push(chunk as Buffer);
    })();
    for (const member of members) {
        await new Promise<void>((resolve, reject) =>
            packer.entry(
                { name: member.name, type: member.type ?? "file", linkname: member.linkname, ...(member.pax ? { pax: member.pax } : {}) },
                member.content ?? "",
                (error) => (error ? reject(error) : resolve()),
            ),
        );
    }
    packer.finalize();
    await done;
    const tar = Buffer.concat(chunks);
    return gzip ? gzipSync(tar) : tar;
}

async function readAll(file: string): Promise<{ members: Record<string, string>; problems: string[] }> {
    const members: Record<string, string> = {};
    const problems = await readArchive(file, async (member, body) => {
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk);
        members[member.relativePath] = Buffer.concat(chunks).toString();
    });
    return { members, problems };
}

describe("file sync: walking a directory", () => {
    let root: string;
    beforeEach(() => {
        root = tempDir();
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("lists nested files with unicode and spaces, empty files included, sorted", async () => {
        fs.mkdirSync(path.join(root, "a/été dir"), { recursive: true });
        fs.writeFileSync(path.join(root, "a/été dir/naïve file.txt"), "x");
        fs.writeFileSync(path.join(root, "empty"), "");
        fs.mkdirSync(path.join(root, "empty dir"));
        const scan = await scanDirectory(root);
        assert.deepEqual(scan.problems, []);
        assert.deepEqual(scan.files.map((f) => [f.relativePath, f.size]), [["a/été dir/naïve file.txt", 1], ["empty", 0]]);
    });

    it("follows symlinks to files and directories, keyed by the link's path", async () => {
        const outside = tempDir();
        try {
            fs.writeFileSync(path.join(outside, "target.txt"), "hello");
            fs.mkdirSync(path.join(outside, "shared"));
            fs.writeFileSync(path.join(outside, "shared/inner.txt"), "inner");
            fs.symlinkSync(path.join(outside, "target.txt"), path.join(root, "link.txt"));
            fs.symlinkSync(path.join(outside, "shared"), path.join(root, "linked dir"));
            const scan = await scanDirectory(root);
            assert.deepEqual(scan.problems, []);
            assert.deepEqual(scan.files.map((f) => [f.relativePath, f.size]), [["link.txt", 5], ["linked dir/inner.txt", 5]]);
        } finally {
            fs.rmSync(outside, { recursive: true, force: true });
        }
    });

    it("names a dangling symlink and a symlink loop", async () => {
        fs.symlinkSync(path.join(root, "nowhere"), path.join(root, "dangling"));
        fs.mkdirSync(path.join(root, "sub"));
        fs.symlinkSync("..", path.join(root, "sub/loop"));
        fs.writeFileSync(path.join(root, "ok.txt"), "ok");
        const scan = await scanDirectory(root);
        assert.deepEqual(scan.problems, ["dangling: symlink to a missing file", "sub/loop: symlink loop (points to a directory that contains it)"]);
        assert.deepEqual(scan.files.map((f) => f.relativePath), ["ok.txt"]);
    });

    it("refuses FIFOs and names that are not UTF-8", async function () {
        try {
            execFileSync("mkfifo", [path.join(root, "pipe")]);
        } catch {
            this.skip(); // no mkfifo on this machine
        }
        fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9]), Buffer.from(".txt")]), "latin1 name");
        const scan = await scanDirectory(root);
        assert.deepEqual(scan.problems, ["caf\\xe9.txt: the file name is not valid UTF-8, which S3 keys must be", "pipe: a FIFO, not a regular file"]);
    });

    it("reports an unreadable file or directory when not running as root", async function () {
        if (process.getuid?.() === 0) this.skip(); // root reads everything; the CLI test covers this as nobody
        fs.writeFileSync(path.join(root, "secret.txt"), "x");
        fs.chmodSync(path.join(root, "secret.txt"), 0o000);
        const scan = await scanDirectory(root);
        assert.deepEqual(scan.problems, ["secret.txt: cannot read (EACCES)"]);
    });
});

describe("file sync: reading archives as a stream", () => {
    let dir: string;
    before(() => {
        dir = tempDir();
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const gzip of [false, true]) {
        it(`reads regular members of a ${gzip ? ".tar.gz" : ".tar"}, skipping directories and dropping ./`, async () => {
            const file = path.join(dir, `ok${gzip ? ".tar.gz" : ".tar"}`);
            fs.writeFileSync(
                file,
                await tarball(
                    [
                        { name: "./files/", type: "directory" },
                        { name: "./files/été/naïve file.txt", content: "été" },
                        { name: "./files/empty", content: "" },
                    ],
                    gzip,
                ),
            );
            assert.deepEqual(await readAll(file), { members: { "files/été/naïve file.txt": "été", "files/empty": "" }, problems: [] });
        });
    }

    it("refuses .. and absolute paths, and links, naming each member, but reads the rest", async () => {
        const file = path.join(dir, "evil.tar.gz");
        fs.writeFileSync(
            file,
            await tarball(
                [
                    { name: "good.txt", content: "good" },
                    { name: "../escape.txt", content: "x" },
                    { name: "/etc/cron.d/evil", content: "x" },
                    { name: "a/../../b", content: "x" },
                    { name: "link", type: "symlink", linkname: "/etc/passwd" },
                    { name: "hard", type: "link", linkname: "good.txt" },
                ],
                true,
            ),
        );
        const { members, problems } = await readAll(file);
        assert.deepEqual(members, { "good.txt": "good" });
        assert.deepEqual(problems, [
            '../escape.txt: path contains ".."',
            "/etc/cron.d/evil: absolute path",
            'a/../../b: path contains ".."',
            "link: symlink in an archive (refused; only regular files are synced)",
            "hard: hard link in an archive (refused; only regular files are synced)",
        ]);
    });

    it("reads long PAX paths", async () => {
        const long = `${"d".repeat(120)}/${"f".repeat(120)}.txt`;
        const file = path.join(dir, "pax.tar");
        fs.writeFileSync(file, await tarball([{ name: long, content: "long" }], false));
        assert.deepEqual(await readAll(file), { members: { [long]: "long" }, problems: [] });
    });

    it("names the archive when it is truncated", async () => {
        const whole = await tarball([{ name: "a.txt", content: "x".repeat(5000) }], true);
        const file = path.join(dir, "truncated.tar.gz");
        fs.writeFileSync(file, whole.subarray(0, whole.length - 20));
        await assert.rejects(readAll(file), (error: Error) => isFileSyncError(error) && error.message.startsWith(`cannot read archive ${file}:`));
    });
});

describe("file sync: bounded concurrency", () => {
    it("never runs more than the limit at once and runs everything", async () => {
        let running = 0;
        let peak = 0;
        const done: number[] = [];
        await forEachLimited([...Array(50).keys()], 4, async (n) => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((resolve) => setImmediate(resolve));
            running--;
            done.push(n);
        });
        assert.equal(peak, 4);
        assert.equal(done.length, 50);
    });

    it("reports the first failure and starts nothing after it", async () => {
        const started: number[] = [];
        await assert.rejects(
            forEachLimited([...Array(50).keys()], 2, async (n) => {
                started.push(n);
                await new Promise((resolve) => setImmediate(resolve));
                if (n === 3) throw new Error("file 3 failed");
            }),
            /file 3 failed/,
        );
        assert.ok(started.length <= 6, `started ${started.length}`);
    });
});

describe("file sync: S3 error messages", () => {
    const context = { bucket: "acme-files", endpoint: "http://127.0.0.1:4568", action: "listing" };
    const sdkError = (name: string, message = "S3 says so", status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

    it("names the missing bucket and the endpoint", () => {
        assert.equal(describeS3Error(sdkError("NoSuchBucket", "x", 404), context).message, 'bucket "acme-files" does not exist at http://127.0.0.1:4568');
    });

    it("says which credential is wrong, never quoting S3's text (it carries the string to sign)", () => {
        const signature = describeS3Error(sdkError("SignatureDoesNotMatch", "StringToSign: AWS4-HMAC-SHA256 secret-ish", 403), context);
        assert.match(signature.message, /rejected the secret access key used for bucket "acme-files"/);
        assert.doesNotMatch(signature.message, /StringToSign|secret-ish/);
        assert.match(describeS3Error(sdkError("InvalidAccessKeyId", "x", 403), context).message, /does not know the access key id/);
    });

    it("names the object when access is denied on it", () => {
        const error = describeS3Error(sdkError("AccessDenied", "x", 403), { ...context, key: "files/a.jpg", action: "uploading" });
        assert.match(error.message, /access denied while uploading s3:\/\/acme-files\/files\/a\.jpg/);
    });

    it("names the endpoint it cannot reach", () => {
        const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        assert.match(describeS3Error(refused, context).message, /cannot reach S3 at http:\/\/127\.0\.0\.1:4568 while listing bucket "acme-files": ECONNREFUSED/);
    });

    it("passes its own errors through and keeps their kind", () => {
        const own = fileSyncError("source", "x: cannot read");
        assert.equal(describeS3Error(own, context), own);
        assert.equal(isFileSyncError(own), true);
        assert.equal(isFileSyncError(new Error("plain")), false);
    });
});

describe("file sync: keys in request paths", () => {
    it("percent-encodes each segment as S3 does (RFC 3986), keeping the slashes", () => {
        assert.equal(encodeKeyPath("files/été/a b.txt"), "files/%C3%A9t%C3%A9/a%20b.txt");
        assert.equal(encodeKeyPath("p/!'()*&$@=;:+,?#[]%~.txt"), "p/%21%27%28%29%2A%26%24%40%3D%3B%3A%2B%2C%3F%23%5B%5D%25~.txt");
        assert.equal(encodeKeyPath("🙂"), "%F0%9F%99%82");
    });
});

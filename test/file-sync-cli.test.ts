// `herokuenv sync-files` as a user runs it: a child process against s3rver, its output and its exit codes.
import * as assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { manifestKey } from "../components/data/file-sync";
import { downloadedMd5s, listKeys, randomContent, sortedEntries, tempDir, treeMd5s, writeTree } from "./helpers/file-sync";
import { startS3rver, type S3Server } from "./helpers/servers";

const BIN = path.join(__dirname, "..", "bin", "herokuenv");
const MB = 1024 * 1024;

interface CliResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

describe("herokuenv sync-files @servers", () => {
    let s3: S3Server;
    const dirs: string[] = [];
    let bucketNumber = 0;

    before(async () => {
        s3 = await startS3rver();
    });
    after(async () => {
        await s3?.stop();
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    function dir(): string {
        const created = tempDir("sync-cli");
        dirs.push(created);
        return created;
    }

    async function bucket(): Promise<string> {
        const name = `cli-test-${++bucketNumber}`;
        await s3.createBucket(name);
        return name;
    }

    const env = (): NodeJS.ProcessEnv => ({ ...process.env, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", NODE_NO_WARNINGS: "1" });
    const s3Flags = (): string[] => ["--endpoint", s3.endpoint, "--path-style"];

    function start(args: string[], prefix: string[] = []): ChildProcess {
        const [file, ...rest] = [...prefix, process.execPath, BIN, "sync-files", ...args];
        return spawn(file, rest, { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    }

    function cli(args: string[], prefix: string[] = []): Promise<CliResult> {
        const child = start(args, prefix);
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
    }

    it("plans in a dry run, then syncs a directory with progress and a summary, and uploads nothing the second time", async () => {
        const root = dir();
        writeTree(root, { "été/naïve café.jpg": randomContent(2_000), "with space.txt": "x", "empty": "" });
        const target = await bucket();

        const dryRun = await cli([root, `s3://${target}/files/`, ...s3Flags(), "--dry-run"]);
        assert.equal(dryRun.code, 0, dryRun.stderr);
        assert.match(dryRun.stdout, /^dry run: /m);
        assert.match(dryRun.stdout, /^ {2}upload files\/with space\.txt \(1 B, new\)$/m);
        assert.deepEqual(await listKeys(s3.s3Client(), target), []);

        const first = await cli([root, `s3://${target}/files/`, ...s3Flags()]);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stderr, /^scanning$/m);
        assert.match(first.stderr, /^transferring 3 files \(2\.0 KB\)$/m);
        assert.match(first.stderr, /^ {2}3\/3 files/m);
        assert.match(first.stdout, new RegExp(`^${root.replace(/[/\\.]/g, "\\$&")} -> s3://${target}/files/$`, "m"));
        assert.match(first.stdout, /^ {2}files {6}3 \(2\.0 KB\)$/m);
        assert.match(first.stdout, /^ {2}uploaded {3}3 /m);

        const second = await cli([root, `s3://${target}/files/`, ...s3Flags()]);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /^ {2}uploaded {3}0 \(0 B\)$/m);
        assert.match(second.stdout, /^ {2}skipped {4}3 unchanged$/m);
        assert.match(second.stdout, /^ {2}requests {3}1$/m);
        assert.deepEqual(sortedEntries(await downloadedMd5s(s3.s3Client(), target, "files/")), sortedEntries(treeMd5s(root)));
    });

    it("completes on a re-run after being killed midway", async () => {
        const root = dir();
        writeTree(root, Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`f/${i}.bin`, randomContent(2_000)])));
        writeTree(root, { "big.bin": randomContent(20 * MB) });
        const target = await bucket();

        // Killed at the first progress line (a tenth of the files done): no chance to clean up or write anything.
        const child = start([root, `s3://${target}/files/`, ...s3Flags(), "--concurrency", "2"]);
        const killed = new Promise<void>((resolve) => child.on("close", () => resolve()));
        readline.createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
            if (/^ {2}\d+\/401 files/.test(line)) child.kill("SIGKILL");
        });
        await killed;
        assert.equal(child.signalCode, "SIGKILL");
        const partial = await listKeys(s3.s3Client(), target, "files/");
        assert.ok(partial.length < 401, `${partial.length} objects after the kill`);
        assert.ok(!(await listKeys(s3.s3Client(), target)).includes(manifestKey("files/")));

        const rerun = await cli([root, `s3://${target}/files/`, ...s3Flags()]);
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.match(rerun.stdout, /^ {2}files {6}401 /m);
        assert.deepEqual(sortedEntries(await downloadedMd5s(s3.s3Client(), target, "files/")), sortedEntries(treeMd5s(root)));
    });

    it("exits 1 naming an unreadable file, and uploads nothing", async function () {
        const root = dir();
        fs.chmodSync(root, 0o755);
        writeTree(root, { "readable.txt": "ok", "private/secret.txt": "no" });
        fs.chmodSync(path.join(root, "readable.txt"), 0o644);
        fs.chmodSync(path.join(root, "private"), 0o755);
        fs.chmodSync(path.join(root, "private/secret.txt"), 0o000);
        const target = await bucket();
        // Root reads everything: run the CLI as nobody to make the file truly unreadable.
        const asNobody = process.getuid?.() === 0;
        if (asNobody && spawnSync("runuser", ["-u", "nobody", "--", "true"]).status !== 0) this.skip();
        const result = await cli([root, `s3://${target}/files/`, ...s3Flags()], asNobody ? ["runuser", "-u", "nobody", "--"] : []);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /herokuenv: sync-files failed: cannot sync .*: 1 file cannot be synced \(nothing was uploaded\):\n {2}private\/secret\.txt: cannot read \(EACCES\)/);
        assert.deepEqual(await listKeys(s3.s3Client(), target), []);
    });

    it("exits 1 naming a bucket that does not exist, and where", async () => {
        const noBucket = await cli([dir(), "s3://no-such-bucket/files/", ...s3Flags()]);
        assert.equal(noBucket.code, 1);
        assert.match(noBucket.stderr, new RegExp(`bucket "no-such-bucket" does not exist at ${s3.endpoint}`));
    });

    it("exits 2 on bad usage", async () => {
        // One error of commander's own, one of the engine's: both are usage errors.
        for (const args of [[dir(), "s3://ok-bucket/x", "--concurrency", "0"], [dir(), "not-a-url"]]) {
            const result = await cli(args);
            assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
            assert.match(result.stderr, /^error: /m);
        }
    });
});

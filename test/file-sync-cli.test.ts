// `herokuenv sync-files` as a user runs it: a child process against s3rver, its output and its exit codes.
import * as assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { manifestKey } from "../components/data/file-sync";
import { formatBytes, formatCount, formatDuration, formatFields, formatRate, formatTable } from "../cli/format";
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
        assert.match(first.stderr, /^transferring 3 files \(2\.0 KiB\)$/m);
        assert.match(first.stderr, /^ {2}3\/3 files/m);
        assert.match(first.stdout, new RegExp(`^${root.replace(/[/\\.]/g, "\\$&")} -> s3://${target}/files/$`, "m"));
        assert.match(first.stdout, /^ {2}files {6}3 \(2\.0 KiB\)$/m);
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
        writeTree(root, { "readable.txt": "ok", "private/secret.txt": "no" });
        fs.chmodSync(path.join(root, "private/secret.txt"), 0o000);
        const target = await bucket();
        // Root reads every file whatever its mode, through the capabilities CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH:
        // run the CLI as root without them (setpriv drops them from the bounding set, so the exec'd node never has
        // them). It stays root, so it still reads the checkout wherever that lives (another user could not enter a
        // checkout in a private directory).
        const asRoot = process.getuid?.() === 0;
        const dropDac = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"];
        if (asRoot && spawnSync(dropDac[0], [...dropDac.slice(1), "true"]).status !== 0) this.skip();
        const result = await cli([root, `s3://${target}/files/`, ...s3Flags()], asRoot ? dropDac : []);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /herokuenv: sync-files failed: cannot sync .*: 1 file cannot be synced \(nothing was uploaded\):\n {2}private\/secret\.txt: cannot read \(EACCES\)/);
        assert.deepEqual(await listKeys(s3.s3Client(), target), []);
    });

    it("prints a machine-readable summary with --json and no progress", async () => {
        const root = dir();
        writeTree(root, { "a.txt": "a", "b/c.txt": randomContent(3_000) });
        const target = await bucket();
        const result = await cli([root, `s3://${target}/files/`, ...s3Flags(), "--json"]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stderr, "", "no progress on stderr with --json");
        const summary = JSON.parse(result.stdout) as Record<string, unknown>;
        assert.equal(summary.source, root);
        assert.equal(summary.destination, `s3://${target}/files/`);
        assert.equal(summary.files, 2);
        assert.equal(summary.bytes, 3_001);
        assert.equal(summary.uploaded, 2);
        assert.equal(summary.manifestWritten, true);
        assert.equal(typeof summary.durationMs, "number");

        const failed = await cli([root, "s3://no-such-bucket/files/", ...s3Flags(), "--json"]);
        assert.equal(failed.code, 1);
        const error = (JSON.parse(failed.stdout) as { error: { kind: string; message: string } }).error;
        assert.equal(error.kind, "s3");
        assert.match(error.message, /bucket "no-such-bucket" does not exist/);
    });

    it("stops cleanly on Ctrl-C: exit code 130, a clear message, no manifest; a re-run completes", async () => {
        const root = dir();
        writeTree(root, Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`f/${i}.bin`, randomContent(2_000)])));
        const target = await bucket();
        const child = start([root, `s3://${target}/files/`, ...s3Flags(), "--concurrency", "2"]);
        let stderr = "";
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
        let sent = false;
        readline.createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
            if (!sent && /^ {2}\d+\/400 files/.test(line)) {
                sent = true;
                child.kill("SIGINT");
            }
        });
        const code = await closed;
        assert.ok(sent, `no progress line seen:\n${stderr}`);
        assert.equal(code, 130, stderr);
        assert.match(stderr, /sync-files: interrupted; waiting for transfers in flight to stop/);
        assert.match(stderr, /^herokuenv sync-files: interrupted: after \d+ of 400 files were uploaded; .*\(no manifest was written\)$/m);
        const keys = await listKeys(s3.s3Client(), target);
        assert.ok(keys.length < 400, `${keys.length} objects after Ctrl-C`);
        assert.ok(!keys.includes(manifestKey("files/")), "no manifest after an interrupted run");

        const rerun = await cli([root, `s3://${target}/files/`, ...s3Flags()]);
        assert.equal(rerun.code, 0, rerun.stderr);
        assert.ok((await listKeys(s3.s3Client(), target)).includes(manifestKey("files/")));
        assert.deepEqual(sortedEntries(await downloadedMd5s(s3.s3Client(), target, "files/")), sortedEntries(treeMd5s(root)));
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
        // The CLI refuses what the engine refuses, in the engine's words.
        const tooMany = await cli([dir(), "s3://ok-bucket/x", "--concurrency", "1000"]);
        assert.equal(tooMany.code, 2);
        assert.match(tooMany.stderr, /concurrency must be a whole number from 1 to 256; got "1000"/);
    });
});

describe("cli/format", () => {
    it("formats sizes in binary units, counts, durations and rates", () => {
        assert.equal(formatBytes(0), "0 B");
        assert.equal(formatBytes(1023), "1023 B");
        assert.equal(formatBytes(2048), "2.0 KiB");
        assert.equal(formatBytes(1.5 * MB), "1.5 MiB");
        assert.equal(formatBytes(3 * 1024 * MB), "3.0 GiB");
        assert.equal(formatCount(12345), "12,345");
        assert.equal(formatDuration(400), "0.4 s");
        assert.equal(formatDuration(75_500), "1 min 15.5 s");
        assert.equal(formatDuration(2 * 3600_000 + 5 * 60_000), "2 h 05 min");
        assert.equal(formatRate(10 * MB, 2000), "5.0 MiB/s");
        assert.equal(formatRate(10, 0), undefined);
    });

    it("lays out fields and tables", () => {
        assert.equal(formatFields([["files", "3"], ["uploaded", "1"]]), "  files      3\n  uploaded   1");
        assert.equal(
            formatTable(["table", "rows"], [["users", "3"], ["a", "10"]], { alignRight: [1], footer: ["total", "13"] }),
            ["table  rows", "-----  ----", "users     3", "a        10", "-----  ----", "total    13"].join("\n"),
        );
    });
});

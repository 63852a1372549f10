// Benchmark (not a test): herokuenv sync-files vs `rclone copy` vs `s3cmd sync` on one s3rver and the same files.
//
//   npm run bench -- file-sync [--reps N] [--small N] [--large N] [--store-dir DIR]
//   node -r ts-node/register/transpile-only bench/file-sync.ts [--reps N] [--small N] [--large N] [--store-dir DIR]
//
// Datasets: `--small` files of 4-64 KB (default 5,000) and `--large` files of 30 MB (default 5), each synced by every
// tool into a fresh bucket (first upload), then again with nothing changed (re-run). For each: wall time and
// throughput, requests received by s3rver (counted in its process), peak RSS of the tool's process (/usr/bin/time -v),
// and ratios to herokuenv. Medians over the repetitions; tools are interleaved within a repetition so background load
// hits them alike. rclone and s3cmd run with their defaults (rclone: 4 transfers; s3cmd: one at a time), plus rclone
// with 16 transfers (herokuenv's default concurrency) for a like-for-like row.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(__dirname, "..");
const KB = 1024;
const MB = 1024 * KB;

interface Settings {
    reps: number;
    small: number;
    large: number;
    /** Where s3rver keeps its objects. */
    storeDir: string;
    /** Added to every s3rver response: the round trip to a remote S3 region, which a local s3rver lacks. */
    latencyMs: number;
}

const USAGE = "usage: bench/file-sync.ts [--reps N] [--small N] [--large N] [--store-dir DIR] [--latency-ms N]";

/**
 * s3rver's objects go to memory (/dev/shm) by default: S3 does not write to the machine the tool runs on, while an
 * s3rver store on the local disk makes every upload compete with the tool's own reads for one disk and its journal
 * (s3rver's system time then varies 3x from run to run). `--store-dir /tmp` measures that setting instead.
 */
function defaultStoreDir(): string {
    try {
        fs.accessSync("/dev/shm", fs.constants.W_OK);
        return "/dev/shm";
    } catch {
        return os.tmpdir();
    }
}

function parseArgs(argv: string[]): Settings {
    const settings: Settings = { reps: 3, small: 5_000, large: 5, storeDir: defaultStoreDir(), latencyMs: 0 };
    const numeric = { "--reps": "reps", "--small": "small", "--large": "large", "--latency-ms": "latencyMs" } as const;
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = Number(argv[i + 1]);
        if (flag in numeric) {
            if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} needs a whole number; ${USAGE}`);
            settings[numeric[flag as keyof typeof numeric]] = value;
            i++;
        } else if (flag === "--store-dir") {
            const dir = argv[++i];
            if (!dir || !fs.existsSync(dir)) throw new Error(`--store-dir needs an existing directory; ${USAGE}`);
            settings.storeDir = dir;
        } else if (flag !== "file-sync") {
            throw new Error(`unknown argument ${flag}; ${USAGE}`);
        }
    }
    return settings;
}

function requireTool(name: string, install: string): string {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, name);
        if (fs.existsSync(candidate)) return candidate;
    }
    throw new Error(`${name} not found: install it with \`${install}\``);
}

// ---------------------------------------------------------------------------------------------------------------
// s3rver with a request counter, in its own process (as the tests run it, with the legacy OpenSSL provider).

const S3RVER_SCRIPT = `
const fs = require("fs");
const path = require("path");
const S3rver = require(process.env.BENCH_S3RVER_MODULE);
const dir = process.env.BENCH_S3RVER_DIR;
const latencyMs = Number(process.env.BENCH_S3RVER_LATENCY_MS || 0);
const server = new S3rver({ address: "127.0.0.1", port: 0, directory: dir, silent: true });
const counts = { total: 0 };
if (latencyMs > 0) {
  // The round trip a remote S3 adds: each request waits that long before s3rver (a Koa app) handles it.
  const callback = server.callback.bind(server);
  server.callback = () => {
    const handle = callback();
    return (req, res) => setTimeout(handle, latencyMs, req, res);
  };
}
server.run().then((address) => {
  server.httpServer.on("request", (req) => {
    counts.total++;
    counts[req.method] = (counts[req.method] || 0) + 1;
  });
  process.send({ type: "ready", port: address.port });
});
process.on("message", (message) => {
  if (message.type === "count") {
    const cpu = process.cpuUsage();
    process.send({ type: "count", counts: { ...counts, cpuMs: (cpu.user + cpu.system) / 1000 } });
  }
  if (message.type === "drop") {
    fs.rmSync(path.join(dir, message.bucket), { recursive: true, force: true });
    process.send({ type: "dropped" });
  }
});
process.on("disconnect", () => process.exit(0));
`;

type Counts = Record<string, number> & { total: number; cpuMs: number };

class CountingS3rver {
    private constructor(
        private readonly child: ChildProcess,
        readonly port: number,
        readonly dir: string,
    ) {}

    static async start(storeDir: string, latencyMs: number): Promise<CountingS3rver> {
        const dir = fs.mkdtempSync(path.join(storeDir, "herokuenv-bench-s3rver-"));
        const child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", S3RVER_SCRIPT], {
            env: { ...process.env, BENCH_S3RVER_MODULE: require.resolve("s3rver"), BENCH_S3RVER_DIR: dir, BENCH_S3RVER_LATENCY_MS: String(latencyMs) },
            stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        const port = await new Promise<number>((resolve, reject) => {
            child.once("message", (message: { type: string; port: number }) => resolve(message.port));
            child.once("exit", (code) => reject(new Error(`s3rver exited (${code})`)));
        });
        return new CountingS3rver(child, port, dir);
    }

    get endpoint(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    private ask<T>(message: object, reply: string): Promise<T> {
        return new Promise((resolve) => {
            const onMessage = (answer: { type: string } & T): void => {
                if (answer.type !== reply) return;
                this.child.off("message", onMessage);
                resolve(answer);
            };
            this.child.on("message", onMessage);
            this.child.send(message);
        });
    }

    async counts(): Promise<Counts> {
        return (await this.ask<{ counts: Counts }>({ type: "count" }, "count")).counts;
    }

    async dropBucket(bucket: string): Promise<void> {
        await this.ask({ type: "drop", bucket }, "dropped");
    }

    stop(): void {
        this.child.kill("SIGKILL");
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Datasets

interface Dataset {
    name: string;
    dir: string;
    files: number;
    bytes: number;
}

function makeDataset(parent: string, name: string, count: number, size: () => number, perDir: number): Dataset {
    const dir = path.join(parent, name);
    let bytes = 0;
    for (let i = 0; i < count; i++) {
        const sub = path.join(dir, `d${String(Math.floor(i / perDir)).padStart(3, "0")}`);
        if (i % perDir === 0) fs.mkdirSync(sub, { recursive: true });
        const content = randomBytes(size());
        fs.writeFileSync(path.join(sub, `file ${i}.bin`), content);
        bytes += content.length;
    }
    return { name, dir, files: count, bytes };
}

// ---------------------------------------------------------------------------------------------------------------
// Tools

interface Tool {
    name: string;
    /** The command that syncs `dir` into s3://bucket/prefix/. */
    command(dir: string, bucket: string): Command;
}

interface Command {
    file: string;
    args: string[];
    env?: NodeJS.ProcessEnv;
    /** Environment variables to remove. */
    unset?: string[];
}

/** rclone's AWS SDK fails on a CA bundle it cannot use with its own transport (and the endpoint is plain HTTP). */
const RCLONE_UNSET = ["AWS_CA_BUNDLE"];

function tools(server: CountingS3rver, work: string): Tool[] {
    const rclone = requireTool("rclone", "apt-get install -y rclone");
    const s3cmd = requireTool("s3cmd", "apt-get install -y s3cmd");
    const s3cmdConfig = path.join(work, "s3cmd.cfg");
    fs.writeFileSync(
        s3cmdConfig,
        [
            "[default]",
            "access_key = S3RVER",
            "secret_key = S3RVER",
            `host_base = 127.0.0.1:${server.port}`,
            `host_bucket = 127.0.0.1:${server.port}`, // no %(bucket)s: path-style
            "use_https = False",
            "bucket_location = us-east-1",
            "",
        ].join("\n"),
    );
    const rcloneEnv = {
        RCLONE_CONFIG_BENCH_TYPE: "s3",
        RCLONE_CONFIG_BENCH_PROVIDER: "Other",
        RCLONE_CONFIG_BENCH_ENDPOINT: server.endpoint,
        RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: "S3RVER",
        RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: "S3RVER",
        RCLONE_CONFIG_BENCH_REGION: "us-east-1",
        RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: "true",
        RCLONE_CONFIG: path.join(work, "rclone.conf"), // empty: everything comes from the environment
    };
    fs.writeFileSync(rcloneEnv.RCLONE_CONFIG, "");
    return [
        {
            name: "herokuenv",
            command: (dir, bucket) => ({
                file: process.execPath,
                args: [path.join(ROOT, "bin", "herokuenv"), "sync-files", dir, `s3://${bucket}/files/`, "--endpoint", server.endpoint, "--path-style", "--json"],
                env: { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", NODE_NO_WARNINGS: "1" },
            }),
        },
        {
            name: "rclone copy",
            command: (dir, bucket) => ({ file: rclone, args: ["copy", dir, `bench:${bucket}/files`], env: rcloneEnv, unset: RCLONE_UNSET }),
        },
        {
            name: "rclone --transfers 16",
            command: (dir, bucket) => ({ file: rclone, args: ["copy", "--transfers", "16", "--checkers", "16", dir, `bench:${bucket}/files`], env: rcloneEnv, unset: RCLONE_UNSET }),
        },
        {
            name: "s3cmd sync",
            command: (dir, bucket) => ({ file: s3cmd, args: ["-c", s3cmdConfig, "--no-progress", "--quiet", "sync", `${dir}/`, `s3://${bucket}/files/`] }),
        },
    ];
}

interface Measure {
    /** Wall time of the tool's process, start-up included. */
    seconds: number;
    requests: number;
    peakRssMb: number;
    /** CPU time of the tool's process (user + system). */
    toolCpuSeconds: number;
    /** CPU time s3rver spent meanwhile. */
    serverCpuSeconds: number;
    /** herokuenv only: the sync's own time from its summary, i.e. without Node/ts-node start-up. */
    syncSeconds?: number;
}

/** The sync's own duration from herokuenv's `--json` summary (its whole stdout). */
function syncDurationMs(output: string): number | undefined {
    try {
        const summary = JSON.parse(output.slice(output.indexOf("{"))) as { durationMs?: unknown };
        return typeof summary.durationMs === "number" ? summary.durationMs : undefined;
    } catch {
        return undefined;
    }
}

/** Runs one command under /usr/bin/time -v; returns wall time and peak RSS. Throws with its output on failure. */
async function timed(command: Command, work: string): Promise<{ seconds: number; peakRssMb: number; cpuSeconds: number; output: string }> {
    const timeFile = path.join(work, "time.txt");
    const started = performance.now();
    const env = { ...process.env, ...command.env };
    for (const name of command.unset ?? []) delete env[name];
    const child = spawn("/usr/bin/time", ["-v", "-o", timeFile, command.file, ...command.args], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`${path.basename(command.file)} ${command.args.join(" ")} exited with ${code}:\n${output.slice(-3000)}`);
    const report = fs.readFileSync(timeFile, "utf8");
    const field = (name: string): number => Number(new RegExp(`${name}: ([\\d.]+)`).exec(report)?.[1] ?? NaN);
    return {
        seconds,
        peakRssMb: field("Maximum resident set size \\(kbytes\\)") / 1024,
        cpuSeconds: field("User time \\(seconds\\)") + field("System time \\(seconds\\)"),
        output,
    };
}

async function createBucket(server: CountingS3rver, bucket: string): Promise<void> {
    // Made outside the measured runs, by the same SDK the tests use.
    const { CreateBucketCommand, S3Client } = await import("@aws-sdk/client-s3");
    const client = new S3Client({
        endpoint: server.endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    try {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
        client.destroy();
    }
}

function countObjects(server: CountingS3rver, bucket: string): number {
    // Read from s3rver's store on disk (each object is a dir holding object, metadata and md5 files), so that
    // checking costs no request.
    let count = 0;
    const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            if (entry.isDirectory()) walk(path.join(dir, entry.name));
            else if (entry.name.endsWith("._S3rver_object")) count++;
        }
    };
    walk(path.join(server.dir, bucket));
    return count;
}

const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
    const settings = parseArgs(process.argv.slice(2));
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-bench-sync-"));
    const server = await CountingS3rver.start(settings.storeDir, settings.latencyMs);
    try {
        process.stdout.write(
            `machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; s3rver at ${server.endpoint}, ` +
                `store in ${server.dir}, ${settings.latencyMs} ms added to each response\n`,
        );
        process.stdout.write(`generating ${settings.small} files of 4-64 KB and ${settings.large} of 30 MB...\n`);
        const datasets = [
            makeDataset(work, "small", settings.small, () => 4 * KB + Math.floor(Math.random() * 60 * KB), 100),
            makeDataset(work, "large", settings.large, () => 30 * MB, 10),
        ].filter((d) => d.files > 0);
        const all = tools(server, work);
        const results = new Map<string, Measure[]>(); // "dataset|phase|tool" -> one per repetition
        let bucketNumber = 0;

        for (let rep = 1; rep <= settings.reps; rep++) {
            for (const dataset of datasets) {
                for (const tool of all) {
                    const bucket = `bench-${++bucketNumber}`;
                    await createBucket(server, bucket);
                    for (const phase of ["first upload", "re-run"]) {
                        const before = await server.counts();
                        const run = await timed(tool.command(dataset.dir, bucket), work);
                        const after = await server.counts();
                        const syncMs = tool.name === "herokuenv" ? syncDurationMs(run.output) : undefined;
                        const measure: Measure = {
                            seconds: run.seconds,
                            requests: after.total - before.total,
                            peakRssMb: run.peakRssMb,
                            toolCpuSeconds: run.cpuSeconds,
                            serverCpuSeconds: (after.cpuMs - before.cpuMs) / 1000,
                            ...(syncMs === undefined ? {} : { syncSeconds: syncMs / 1000 }),
                        };
                        const key = `${dataset.name}|${phase}|${tool.name}`;
                        results.set(key, [...(results.get(key) ?? []), measure]);
                        process.stdout.write(
                            `rep ${rep} ${dataset.name.padEnd(5)} ${phase.padEnd(12)} ${tool.name.padEnd(22)} ${measure.seconds.toFixed(2).padStart(7)} s` +
                                `${measure.syncSeconds === undefined ? "" : ` (sync ${measure.syncSeconds.toFixed(1)} s)`} ${String(measure.requests).padStart(6)} requests ` +
                                `${measure.peakRssMb.toFixed(0).padStart(5)} MB RSS, cpu ${measure.toolCpuSeconds.toFixed(1)} s, s3rver cpu ${measure.serverCpuSeconds.toFixed(1)} s\n`,
                        );
                    }
                    const stored = countObjects(server, bucket);
                    const expected = tool.name === "herokuenv" ? dataset.files + 1 : dataset.files; // + the manifest
                    if (stored !== expected) throw new Error(`${tool.name} left ${stored} objects in ${bucket}; expected ${expected}`);
                    await server.dropBucket(bucket);
                }
            }
        }

        process.stdout.write(`\nmedians of ${settings.reps} repetitions; "x" columns are the other tool's figure over herokuenv's (>1: herokuenv better)\n`);
        const columns = ["tool", "wall s", "sync s", "MB/s", "files/s", "requests", "req/1k files", "RSS MB", "cpu s", "s3rver cpu s", "time x", "requests x", "s3rver cpu x", "RSS x"];
        const widths = [22, 7, 7, 7, 8, 9, 12, 7, 6, 12, 7, 10, 12, 6];
        const row = (cells: string[]): string => `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(" ")}\n`;
        for (const dataset of datasets) {
            for (const phase of ["first upload", "re-run"]) {
                process.stdout.write(`\n${dataset.name}: ${dataset.files} files, ${(dataset.bytes / MB).toFixed(1)} MB, ${phase}\n${row(columns)}`);
                const of = (tool: string): Measure[] => results.get(`${dataset.name}|${phase}|${tool}`) ?? [];
                const med = (measures: Measure[], pick: (m: Measure) => number | undefined): number => median(measures.map(pick).filter((v): v is number => v !== undefined));
                const ours = of("herokuenv");
                for (const tool of all) {
                    const measures = of(tool.name);
                    const seconds = med(measures, (m) => m.seconds);
                    const requests = med(measures, (m) => m.requests);
                    const rss = med(measures, (m) => m.peakRssMb);
                    const sync = med(measures, (m) => m.syncSeconds);
                    process.stdout.write(
                        row([
                            tool.name,
                            seconds.toFixed(2),
                            Number.isNaN(sync) ? "" : sync.toFixed(2),
                            (dataset.bytes / MB / seconds).toFixed(1),
                            (dataset.files / seconds).toFixed(0),
                            String(requests),
                            ((requests * 1000) / dataset.files).toFixed(1),
                            rss.toFixed(0),
                            med(measures, (m) => m.toolCpuSeconds).toFixed(1),
                            med(measures, (m) => m.serverCpuSeconds).toFixed(1),
                            (seconds / med(ours, (m) => m.seconds)).toFixed(2),
                            (requests / Math.max(med(ours, (m) => m.requests), 1)).toFixed(1),
                            // What each tool costs the server: s3rver is CPU-bound here, so this bounds "time x".
                            (med(measures, (m) => m.serverCpuSeconds) / Math.max(med(ours, (m) => m.serverCpuSeconds), 0.01)).toFixed(2),
                            (rss / med(ours, (m) => m.peakRssMb)).toFixed(2),
                        ]),
                    );
                }
            }
        }
    } finally {
        server.stop();
        fs.rmSync(work, { recursive: true, force: true });
    }
}

main().catch((error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
});

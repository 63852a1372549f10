// A throwaway S3 for the rehearsal: s3rver (npm) in a child Node process, storing objects in a directory (kept for a
// resumed rehearsal). Credentials S3RVER/S3RVER, region us-east-1, path-style addressing.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

export interface LocalS3 {
    endpoint: string;
    region: "us-east-1";
    accessKeyId: "S3RVER";
    secretAccessKey: "S3RVER";
    createBucket(name: string): Promise<void>;
    client(): S3Client;
    stop(): Promise<void>;
}

const READY = "HEROKUENV_S3_READY";
const READY_TIMEOUT_MS = 30_000;

// In the child: binds port 0 and reports it; exits when its stdin closes (the parent died, however it died).
const CHILD = `
const S3rver = require(process.env.HEROKUENV_S3RVER_MODULE);
new S3rver({ address: "127.0.0.1", port: 0, directory: process.env.HEROKUENV_S3RVER_DIR, silent: true })
  .run()
  .then((a) => process.stdout.write("${READY} " + a.port + "\\n"), (e) => { console.error(e); process.exit(1); });
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

export function s3ClientFor(endpoint: string): S3Client {
    return new S3Client({
        endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        forcePathStyle: true,
        // Otherwise the SDK sends aws-chunked bodies with trailing checksums, which s3rver stores verbatim.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
    });
}

export async function startLocalS3(dataDir: string): Promise<LocalS3> {
    fs.mkdirSync(dataDir, { recursive: true });
    // --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation tokens with DES (legacy in OpenSSL 3).
    const child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", CHILD], {
        env: { ...process.env, HEROKUENV_S3RVER_MODULE: require.resolve("s3rver"), HEROKUENV_S3RVER_DIR: dataDir },
        stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-2000)));
    const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`s3rver did not start within ${READY_TIMEOUT_MS / 1000} s: ${output}`)), READY_TIMEOUT_MS);
        child.stdout.on("data", (d: Buffer) => {
            const match = new RegExp(`${READY} (\\d+)`).exec(d.toString());
            if (match) {
                clearTimeout(timer);
                resolve(Number(match[1]));
            }
        });
        child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`s3rver exited while starting (code ${code}): ${output}`));
        });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    let stopping: Promise<void> | undefined;
    return {
        endpoint,
        region: "us-east-1",
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        client: () => s3ClientFor(endpoint),
        async createBucket(name) {
            const client = s3ClientFor(endpoint);
            try {
                await client.send(new CreateBucketCommand({ Bucket: name }));
            } catch (err) {
                if ((err as { name?: string }).name !== "BucketAlreadyOwnedByYou" && (err as { name?: string }).name !== "BucketAlreadyExists") throw err;
            } finally {
                client.destroy();
            }
        },
        stop() {
            stopping ??= new Promise<void>((resolve) => {
                if (child.exitCode !== null) return resolve();
                child.once("exit", () => resolve());
                child.stdin.end();
                child.kill("SIGTERM");
            });
            return stopping;
        },
    };
}

// The CLI on a supported Node: no warning about the Node version in any run, and one clear line on an old Node.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir, writeTree } from "./helpers/file-sync";
import { startS3rver, type S3Server } from "./helpers/servers";

const BIN = path.join(__dirname, "..", "bin", "herokuenv");
// What the Node and the AWS SDK print about an unsupported Node (the SDK: NodeVersionSupportWarning).
const NODE_VERSION_WARNING = /NodeVersionSupportWarning|no longer support|end-of-life|end of life|unsupported Node|Node\.js version/i;

function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
    // No NODE_NO_WARNINGS here: a warning must not be hidden, it must not happen.
    const childEnv = { ...process.env, ...env };
    delete childEnv.NODE_NO_WARNINGS;
    return spawnSync(process.execPath, [BIN, ...args], { env: childEnv, encoding: "utf8" });
}

describe("the CLI's Node @servers", function () {
    this.timeout(120_000);
    let s3: S3Server;
    let files: string;
    before(async () => {
        s3 = await startS3rver();
        await s3.createBucket("node-check");
        files = tempDir("cli-node");
        writeTree(files, { "a.txt": "a", "b/c.txt": "c" });
    });
    after(async () => {
        await s3?.stop();
        if (files) fs.rmSync(files, { recursive: true, force: true });
    });

    it("runs on Node 22 or later", function () {
        assert.ok(Number(process.versions.node.split(".")[0]) >= 22, `the tests run on Node ${process.versions.node}`);
    });

    it("prints no warning about the Node version in help, migrate-db, sync-files and sandbox runs", function () {
        const runs = [
            run(["--help"]),
            run(["migrate-db", "--help"]),
            run(["sync-files", "--help"]),
            run(["sandbox", "--help"]),
            run(["sync-files", files, "s3://node-check/files/", "--endpoint", s3.endpoint, "--path-style", "--no-progress"], {
                AWS_ACCESS_KEY_ID: "S3RVER",
                AWS_SECRET_ACCESS_KEY: "S3RVER",
                AWS_REGION: "us-east-1",
            }),
        ];
        for (const r of runs) {
            assert.equal(r.status, 0, `${r.stderr}`);
            assert.doesNotMatch(r.stderr, NODE_VERSION_WARNING);
            assert.doesNotMatch(r.stdout, NODE_VERSION_WARNING);
        }
    });

    it("refuses an older Node with one line naming the version it needs", function () {
        const old = ["/usr/bin/node", "/usr/local/bin/node"].find((p) => fs.existsSync(p) && Number(spawnSync(p, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).stdout) < 22);
        if (old === undefined) this.skip();
        const r = spawnSync(old, [BIN, "--help"], { encoding: "utf8" });
        assert.equal(r.status, 1);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /^herokuenv: Node \d+\.\d+\.\d+ is too old; it needs Node 22 or later/);
        assert.equal(r.stderr.trim().split("\n").length, 1);
    });
});

#!/usr/bin/env node
// Builds the compiled package (dist/) into a scratch directory and swaps it in whole: a test run or provider host
// reading dist/ while it is rebuilt sees the old build or the new one, never a half-deleted tree.
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const scratch = path.join(root, ".tmp", `dist-${process.pid}`);
fs.rmSync(scratch, { recursive: true, force: true });
let status = 0;
try {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.dist.json"), "--outDir", scratch], { cwd: root, stdio: "inherit" });
} catch (err) {
    status = typeof err.status === "number" ? err.status : 1;
    // tsc still emits on type errors (exit 2): swap that build in, and fail the build afterwards.
    if (!fs.existsSync(path.join(scratch, "components", "index.js"))) {
        fs.rmSync(scratch, { recursive: true, force: true });
        process.exit(status);
    }
}
const dist = path.join(root, "dist");
const old = `${dist}.old-${process.pid}`;
if (fs.existsSync(dist)) fs.renameSync(dist, old);
fs.renameSync(scratch, dist);
fs.rmSync(old, { recursive: true, force: true });
process.exit(status);

// npm run bench [-- name...]: runs the side-by-side benchmarks (bench/<name>.ts), each in its own process so their
// memory figures do not mix. With no names, runs them all.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
    .map((f) => f.replace(/\.ts$/, ""))
    .sort();
// Names pick benchmarks; everything from the first option on (`--runs 2`, `--scale 0.5`) goes to each of them.
const firstOption = process.argv.slice(2).findIndex((a) => a.startsWith("-"));
const args = process.argv.slice(2);
const wanted = firstOption < 0 ? args : args.slice(0, firstOption);
const passed = firstOption < 0 ? [] : args.slice(firstOption);
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(", ")}; available: ${available.join(", ")}\n`);
    process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : available) {
    process.stdout.write(`\n=== bench/${name}.ts ===\n`);
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, `${name}.ts`), ...passed], { stdio: "inherit" });
    if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);

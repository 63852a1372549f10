// Mocha loads this first (.mocharc.json): dynamic providers load the compiled package (`herokuenv/<module>` through
// package.json "exports", i.e. dist/), so a test run rebuilds dist/ when a source is newer than it.
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { distIsCurrent } = require(path.join(root, "bin", "dist-current.js")) as { distIsCurrent(root: string): boolean };

export function mochaGlobalSetup(): void {
    if (distIsCurrent(root)) return;
    process.stderr.write("dist/ is older than the sources: rebuilding it (npm run build:dist)\n");
    try {
        execFileSync("npm", ["run", "--silent", "build:dist"], { cwd: root, stdio: "inherit" });
    } catch {
        // tsc still emits on type errors; `npm run build` (part of `npm test`) is where they fail the run.
        process.stderr.write("dist/ was rebuilt with type errors (see above)\n");
    }
}

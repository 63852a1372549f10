import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { Client as PgClient } from "pg";
import {
    MariaDbServer,
    PostgresServer,
    S3Server,
    mariadbQuery,
    requireBinary,
    startMariaDb,
    startPostgres,
    startS3rver,
} from "./helpers/servers";

async function pgQuery<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new PgClient({ connectionString: url });
    await client.connect();
    try {
        return (await client.query(sql, params)).rows as T[];
    } finally {
        await client.end();
    }
}

function canConnect(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}

/** Alive means running: a zombie (killed, not yet reaped by whoever adopted it) counts as gone. */
function isAlive(pid: number): boolean {
    try {
        const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
        return !/^State:\s+Z/m.test(status);
    } catch {
        return false;
    }
}

async function assertTornDown(server: { pid: number; dir: string; port: number }): Promise<void> {
    assert.equal(isAlive(server.pid), false, `pid ${server.pid} still running`);
    assert.equal(fs.existsSync(server.dir), false, `${server.dir} still exists`);
    assert.equal(await canConnect(server.port), false, `port ${server.port} still accepts connections`);
}

function logStartup(name: string, ms: number): void {
    console.log(`      (${name} started in ${ms} ms)`);
}

describe("test servers helper: requireBinary", () => {
    it("names the missing binary and how to install it", () => {
        assert.throws(
            () => requireBinary("definitely-not-a-binary", "apt-get install -y foo"),
            {
                message: "definitely-not-a-binary not found on PATH: install it with `apt-get install -y foo`",
            },
        );
    });

    it("returns the absolute path of a binary that exists", () => {
        const sh = requireBinary("sh", "apt-get install -y dash");
        assert.ok(path.isAbsolute(sh), sh);
    });
});

describe("test servers helper @servers", () => {
    describe("PostgreSQL", () => {
        let server: PostgresServer;

        before(async () => {
            server = await startPostgres();
            logStartup("postgres", server.startupMs);
        });
        after(async () => server?.stop());

        it("serves a postgres:// URL for the postgres superuser", () => {
            assert.equal(server.url, `postgres://postgres@127.0.0.1:${server.port}/postgres`);
            assert.equal(server.host, "127.0.0.1");
            assert.equal(server.user, "postgres");
        });

        it("writes and reads a row", async () => {
            await pgQuery(server.url, "CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)");
            await pgQuery(server.url, "INSERT INTO notes (body) VALUES ($1)", ["héllo ✓"]);
            const rows = await pgQuery<{ body: string }>(server.url, "SELECT body FROM notes");
            assert.deepEqual(rows, [{ body: "héllo ✓" }]);
            const [version] = await pgQuery<{ server_version: string }>(server.url, "SHOW server_version");
            assert.match(version.server_version, /^15\./);
        });

        it("createDatabase returns a URL to a usable, separate database", async () => {
            const url = await server.createDatabase("app_test");
            assert.equal(url, `postgres://postgres@127.0.0.1:${server.port}/app_test`);
            await pgQuery(url, "CREATE TABLE only_here (n int)");
            await pgQuery(url, "INSERT INTO only_here VALUES (42)");
            assert.deepEqual(await pgQuery(url, "SELECT current_database() AS db, n FROM only_here"), [
                { db: "app_test", n: 42 },
            ]);
            const elsewhere = await pgQuery(server.url, "SELECT to_regclass('only_here') AS t");
            assert.deepEqual(elsewhere, [{ t: null }]);
        });

        it("rejects database names that are not plain identifiers", async () => {
            await assert.rejects(server.createDatabase('x"; DROP DATABASE postgres; --'), /invalid database name/);
        });

        it("stop() kills the server and removes its temp dir", async () => {
            const other = await startPostgres();
            assert.notEqual(other.port, server.port);
            await other.stop();
            await assertTornDown(other);
            await other.stop(); // Idempotent.
        });
    });

    describe("MariaDB", () => {
        let server: MariaDbServer;

        before(async () => {
            server = await startMariaDb();
            logStartup("mariadb", server.startupMs);
        });
        after(async () => server?.stop());

        it("serves a mysql:// URL for root without a password, over TCP", async () => {
            assert.equal(server.url, `mysql://root@127.0.0.1:${server.port}/`);
            assert.deepEqual(await mariadbQuery(server.url, "SELECT CURRENT_USER(), @@character_set_server"), [
                ["root@127.0.0.1", "utf8mb4"],
            ]);
            assert.ok(fs.existsSync(server.socket), server.socket);
            const [[secureFilePriv]] = await mariadbQuery(server.url, "SELECT @@secure_file_priv");
            assert.equal(path.resolve(secureFilePriv), server.fileDir);
        });

        it("writes and reads a row", async () => {
            await mariadbQuery(
                server.url,
                "CREATE DATABASE rw; CREATE TABLE rw.notes (id int AUTO_INCREMENT PRIMARY KEY, body text NOT NULL);" +
                    "INSERT INTO rw.notes (body) VALUES ('héllo ✓');",
            );
            assert.deepEqual(await mariadbQuery(`${server.url}rw`, "SELECT id, body FROM notes"), [["1", "héllo ✓"]]);
        });

        it("createDatabase returns a URL to a usable, separate database", async () => {
            const url = await server.createDatabase("app_test");
            assert.equal(url, `mysql://root@127.0.0.1:${server.port}/app_test`);
            await mariadbQuery(url, "CREATE TABLE only_here (n int); INSERT INTO only_here VALUES (42);");
            assert.deepEqual(await mariadbQuery(url, "SELECT DATABASE(), n FROM only_here"), [["app_test", "42"]]);
            assert.deepEqual(
                await mariadbQuery(
                    server.url,
                    "SELECT table_schema FROM information_schema.tables WHERE table_name = 'only_here'",
                ),
                [["app_test"]],
            );
        });

        it("stop() kills the server and removes its temp dir", async () => {
            const other = await startMariaDb();
            assert.notEqual(other.port, server.port);
            await other.stop();
            await assertTornDown(other);
        });
    });

    describe("s3rver", () => {
        let server: S3Server;

        before(async () => {
            server = await startS3rver();
            logStartup("s3rver", server.startupMs);
        });
        after(async () => server?.stop());

        it("puts and gets an object, byte for byte", async () => {
            await server.createBucket("media");
            const s3 = server.s3Client();
            const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256)); // Binary, bigger than a chunk.
            await s3.send(new PutObjectCommand({ Bucket: "media", Key: "dir/blob.bin", Body: body }));
            const got = await s3.send(new GetObjectCommand({ Bucket: "media", Key: "dir/blob.bin" }));
            assert.ok(got.Body);
            const bytes = Buffer.from(await got.Body.transformToByteArray());
            assert.equal(bytes.length, body.length);
            assert.ok(bytes.equals(body), "object bytes differ");
        });

        it("createBucket makes a separate bucket; ListObjectsV2 pages with continuation tokens", async () => {
            await server.createBucket("other");
            const s3 = server.s3Client();
            for (const key of ["a", "b", "c"]) {
                await s3.send(new PutObjectCommand({ Bucket: "other", Key: key, Body: key }));
            }
            // Continuation tokens are what needs --openssl-legacy-provider in the child.
            const first = await s3.send(new ListObjectsV2Command({ Bucket: "other", MaxKeys: 2 }));
            assert.deepEqual(first.Contents?.map((o) => o.Key), ["a", "b"]);
            assert.ok(first.NextContinuationToken);
            const second = await s3.send(
                new ListObjectsV2Command({
                    Bucket: "other",
                    MaxKeys: 2,
                    ContinuationToken: first.NextContinuationToken,
                }),
            );
            assert.deepEqual(second.Contents?.map((o) => o.Key), ["c"]);
            const media = await s3.send(new ListObjectsV2Command({ Bucket: "media" }));
            assert.equal(media.Contents?.some((o) => o.Key === "a"), false);
        });

        it("stop() kills the server and removes its temp dir", async () => {
            const other = await startS3rver();
            await other.stop();
            await assertTornDown(other);
        });
    });

    /** Runs a child process that starts all three servers, then ends it with `end` without calling stop(). */
    type ServerTrace = { pid: number; dir: string; port: number };

    async function startServersInChildAndEnd(end: "exit" | "SIGKILL"): Promise<ServerTrace[]> {
        const script = `
            const h = require(${JSON.stringify(path.join(__dirname, "helpers", "servers"))});
            Promise.all([h.startPostgres(), h.startMariaDb(), h.startS3rver()]).then((servers) => {
                console.log(JSON.stringify(servers.map(({ pid, dir, port }) => ({ pid, dir, port }))));
                if (${JSON.stringify(end)} === "exit") process.exit(0);
                else process.kill(process.pid, "SIGKILL");
            }, (error) => { console.error(error); process.exit(1); });
        `;
        const stdout = await new Promise<string>((resolve, reject) =>
            execFile(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", "-e", script],
                { cwd: path.join(__dirname, ".."), timeout: 60_000 },
                (error, out, err) => {
                    const expectedEnd = end === "exit" ? error === null : error?.signal === "SIGKILL";
                    if (expectedEnd) resolve(out);
                    else reject(new Error(`child ended unexpectedly: ${error?.message}\n${err}`));
                },
            ),
        );
        const lastLine = stdout.trim().split("\n").pop() ?? "[]";
        return JSON.parse(lastLine) as ServerTrace[];
    }

    async function assertEventuallyTornDown(servers: ServerTrace[]): Promise<void> {
        assert.equal(servers.length, 3);
        for (const server of servers) {
            assert.ok(server.pid > 0);
            // Teardown after exit is asynchronous (killed processes vanish, watchdogs remove dirs): allow 10 s.
            for (let i = 0; i < 100 && (isAlive(server.pid) || fs.existsSync(server.dir)); i++) {
                await new Promise((r) => setTimeout(r, 100));
            }
            await assertTornDown(server);
        }
    }

    it("a test process that exits without stop() leaves no server behind", async () => {
        await assertEventuallyTornDown(await startServersInChildAndEnd("exit"));
    });

    it("a test process that is SIGKILLed leaves no server behind", async () => {
        await assertEventuallyTornDown(await startServersInChildAndEnd("SIGKILL"));
    });
});

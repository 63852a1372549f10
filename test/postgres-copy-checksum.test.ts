// The server-side row checksum's column hashes (copy.ts, columnHashSql) against a real PostgreSQL 15 server: every
// kind of column (a value hash called directly, through a binary-coercible cast, a mapped type, a one-column row,
// text) is hashed without error, NULLs and infinities included; one changed value in any column, or two columns'
// values swapped, changes the digest; the same rows with the columns in another order give the same digest.
import * as assert from "node:assert/strict";
import { readCatalog, type DataTable } from "../components/data/postgres-copy/catalog";
import { serverChecksum } from "../components/data/postgres-copy/copy";
import { COPY_SESSION_SQL } from "../components/data/postgres-copy/session";
import { withPg } from "./helpers/mysql-to-postgres";
import { startPostgres, type PostgresServer } from "./helpers/servers";

const COLUMNS = `id int PRIMARY KEY, v varchar(20), c char(4), b boolean, d date, ts timestamptz, tn timestamp, bt bytea,
    ia int[], va varchar[], j json, jb jsonb, u uuid, ip inet, iv interval, m money, e mood, f float8, n numeric, x text, y text`;
const ROWS = `(1, 'a', 'ab', true, '2024-01-02', '2024-01-02 03:04:05.678901+00', '2024-01-02 03:04', '\\x0102', '{1,2}', '{a,b}', '{"k": 1}', '{"k": 1}',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.0.0.1', '1 day 2 hours', 12.5, 'sad', -0.5, 1.25, 'same', 'other'),
    (2, NULL, NULL, false, 'infinity', '-infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'NaN', NULL, NULL, 'y'),
    (3, 'c', 'x', NULL, '-infinity', 'infinity', 'infinity', '\\x', '{}', '{NULL}', '[]', '[]', NULL, '::1', '0', 0, 'happy', 0, 0, 'x', 'x')`;

describe("copy-db checksum column hashes @servers", function () {
    this.timeout(120_000);
    let server: PostgresServer;
    let url: string;
    const table = async (name: string): Promise<DataTable> =>
        withPg(url, async (c) => {
            await c.query("BEGIN");
            const t = (await readCatalog(c)).tables.find((x) => x.name === name);
            await c.query("ROLLBACK");
            return t!;
        });
    const checksum = (t: DataTable, sql = ""): Promise<string> =>
        withPg(url, async (c) => {
            await c.query(COPY_SESSION_SQL);
            await c.query("BEGIN");
            if (sql) await c.query(sql);
            const r = await serverChecksum(c, t);
            await c.query("ROLLBACK");
            return `${r.rows}:${r.digest}`;
        });

    before(async () => {
        server = await startPostgres();
        url = await server.createDatabase("hashes");
        await withPg(url, (c) =>
            c.query(`CREATE TYPE mood AS ENUM ('sad', 'happy');
                CREATE TABLE h (${COLUMNS}); INSERT INTO h VALUES ${ROWS};
                CREATE TABLE h2 (y text, x text, n numeric, f float8, e mood, m money, iv interval, ip inet, u uuid, jb jsonb, j json, va varchar[], ia int[], bt bytea, tn timestamp, ts timestamptz, d date, b boolean, c char(4), v varchar(20), id int PRIMARY KEY);
                INSERT INTO h2 (id, v, c, b, d, ts, tn, bt, ia, va, j, jb, u, ip, iv, m, e, f, n, x, y) SELECT * FROM h;`),
        );
    });
    after(async () => server?.stop());

    it("hashes every kind of column, and the columns' order does not matter", async () => {
        const t = await table("h");
        const modes = new Map(t.columns.map((col, i) => [col.name, t.columnHashes![i].mode ?? "text"]));
        assert.deepEqual(
            [...modes].filter(([, m]) => m !== "same"),
            [["v", "cast"], ["b", "other"], ["d", "other"], ["ts", "other"], ["bt", "other"], ["ia", "array"], ["va", "array"], ["j", "text"], ["m", "text"], ["e", "text"]],
        );
        const digest = await checksum(t);
        assert.match(digest, /^3:[0-9a-f]{16}$/);
        // Same rows, columns in another order (the source's DataTable names the columns; the row is built by name).
        assert.equal(await checksum({ ...t, name: "h2" }), digest);
    });

    it("changes with one value in any column, a NULL, an infinity, or two columns swapped", async () => {
        const t = await table("h");
        const digest = await checksum(t);
        const changes = [
            "UPDATE public.h SET v = 'b' WHERE id = 1", "UPDATE public.h SET c = 'abc' WHERE id = 1", "UPDATE public.h SET b = NULL WHERE id = 1", "UPDATE public.h SET b = true WHERE id = 2",
            "UPDATE public.h SET d = '2024-01-03' WHERE id = 1", "UPDATE public.h SET d = '-infinity' WHERE id = 2", "UPDATE public.h SET ts = ts + interval '1 microsecond' WHERE id = 1",
            "UPDATE public.h SET ts = 'infinity' WHERE id = 2", "UPDATE public.h SET tn = NULL WHERE id = 3", "UPDATE public.h SET bt = '\\x0103' WHERE id = 1", "UPDATE public.h SET ia = '{2,1}' WHERE id = 1",
            "UPDATE public.h SET va = '{a,c}' WHERE id = 1", "UPDATE public.h SET j = '{\"k\": 2}' WHERE id = 1", "UPDATE public.h SET jb = '{\"k\": 2}' WHERE id = 1",
            "UPDATE public.h SET u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12' WHERE id = 1", "UPDATE public.h SET ip = '10.0.0.2' WHERE id = 1", "UPDATE public.h SET iv = '1 day 3 hours' WHERE id = 1",
            "UPDATE public.h SET m = 12.51 WHERE id = 1", "UPDATE public.h SET e = 'happy' WHERE id = 1", "UPDATE public.h SET f = 0.5 WHERE id = 1", "UPDATE public.h SET n = 1.26 WHERE id = 1",
            "UPDATE public.h SET x = y, y = x WHERE id = 1", "UPDATE public.h SET id = 4 WHERE id = 3",
        ];
        for (const sql of changes) assert.notEqual(await checksum(t, sql), digest, sql);
    });
});

// The window estimate's production sizes read from a live MySQL server's catalog, without reading rows.
import * as assert from "node:assert/strict";
import { sizesFromMySqlCatalog } from "../components/rehearsal/catalog-sizes";
import { loadMySql } from "./helpers/mysql-to-postgres";
import { startMariaDb, type MariaDbServer } from "./helpers/servers";

describe("production sizes from the live catalog @servers", function () {
    this.timeout(120_000);
    let my: MariaDbServer;
    before(async () => {
        my = await startMariaDb();
    });
    after(async () => my?.stop());

    it("lists every base table with the server's row estimate and data length", async function () {
        const url = await my.createDatabase("sizes");
        await loadMySql(url, { text: "CREATE TABLE events (id int PRIMARY KEY, body text) ENGINE=InnoDB; CREATE VIEW v AS SELECT id FROM events;" });
        await loadMySql(url, { text: `INSERT INTO events VALUES ${Array.from({ length: 2000 }, (_, i) => `(${i}, REPEAT('x', 200))`).join(",")}; ANALYZE TABLE events;` });
        const sizes = await sizesFromMySqlCatalog(url);
        assert.deepEqual(Object.keys(sizes.tables), ["events"], "views are not tables to copy");
        // InnoDB's TABLE_ROWS is an estimate: within a factor of two after ANALYZE.
        assert.ok(sizes.tables.events.rows > 1000 && sizes.tables.events.rows < 4000, String(sizes.tables.events.rows));
        assert.ok(sizes.tables.events.bytes >= 200 * 1000, String(sizes.tables.events.bytes));
    });
});

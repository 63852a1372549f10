import * as assert from "node:assert/strict";
import { estimateWindow, parseProductionSizes } from "./estimate";

const measured = {
    database: {
        seconds: 2,
        concurrency: 2,
        tables: {
            payment: { rows: 10_000, bytes: 1_000_000, seconds: 1 },
            film: { rows: 1_000, bytes: 500_000, seconds: 0.5 },
        },
    },
    files: { seconds: 2, count: 500, bytes: 10_000_000 },
    switchesSeconds: 0.1,
};

describe("maintenance window estimate", function () {
    it("scales each table by its own measured rate and runs them at the rehearsal's concurrency", function () {
        const e = estimateWindow(measured, { tables: { payment: { rows: 1_000_000, bytes: 100_000_000 }, film: { rows: 1_000, bytes: 500_000 } } });
        // payment: 100× its rehearsal (100 s); film 0.5 s; the biggest table bounds the copy.
        assert.equal(Math.round(e.longestTables[0].seconds), 100);
        assert.equal(e.longestTables[0].table, "payment");
        assert.ok(e.databaseSeconds >= 100 && e.databaseSeconds < 200, String(e.databaseSeconds));
        assert.deepEqual(e.totalSeconds[1], e.totalSeconds[0] * 2);
    });

    it("uses the overall rate for tables the rehearsal did not have, and the file count and bytes separately", function () {
        const e = estimateWindow(measured, { tables: { orders: { rows: 110_000, bytes: 1_500_000 } }, files: { count: 50_000, bytes: 1_000_000_000 } });
        // Overall: 1.5 s for 11,000 rows → 15 s for 110,000 rows.
        assert.equal(Math.round(e.longestTables[0].seconds), 15);
        // Files: 100× the count at half the per-file cost (100 s) plus 100× the bytes at half the time (100 s).
        assert.equal(Math.round(e.filesSeconds), 200);
        assert.ok(e.assumptions.length >= 3);
    });

    it("reads a sizes file and names what is wrong with a bad one", function () {
        assert.deepEqual(parseProductionSizes({ tables: { users: { rows: 3, bytes: 10 } }, files: { count: 1, bytes: 2 } }, "sizes.yaml"), {
            tables: { users: { rows: 3, bytes: 10 } },
            files: { count: 1, bytes: 2 },
        });
        assert.throws(() => parseProductionSizes({ tables: { users: { rows: -1, bytes: 1 } } }, "sizes.yaml"), /sizes\.yaml: tables\.users\.rows must be a non-negative number\. Expected/);
        assert.throws(() => parseProductionSizes("x", "sizes.yaml"), /sizes\.yaml: is not a mapping/);
    });
});

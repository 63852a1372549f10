// The load order of existing mode, pure: parents before children, foreign-key cycles in one unit, self-references no
// dependency, independent tables free to start at once.
import * as assert from "node:assert/strict";
import { stronglyConnected } from "../shared/graph";
import { createModeUnits, existingModeUnits, isUnitReady } from "./load-order";
import type { TablePlan } from "./plan";
import type { TargetTable } from "./types";

function plan(target: string, dataLength = 0): TablePlan {
    return { target, source: { name: target, dataLength } } as unknown as TablePlan;
}

/** Target tables with foreign keys: [table, referenced table, deferrable?]. */
function targets(fks: [string, string, boolean?][], tables: string[]): Map<string, TargetTable> {
    return new Map(
        tables.map((t) => [
            t,
            {
                name: t,
                columns: [],
                foreignKeys: fks.filter(([from]) => from === t).map(([from, to, deferrable], i) => ({ name: `${from}_${to}_fk${i}`, table: from, referencedTable: to, deferrable: deferrable === true, definition: `FOREIGN KEY (x) REFERENCES ${to}` })),
            },
        ]),
    );
}

const order = (units: ReturnType<typeof existingModeUnits>): string[][] => units.map((u) => u.plans.map((p) => p.target).sort());

describe("load order", () => {
    it("puts every table after the tables it references (a chain, given children first)", () => {
        const names = ["rental", "inventory", "film", "language"];
        const units = existingModeUnits(names.map((n) => plan(n)), targets([["rental", "inventory"], ["inventory", "film"], ["film", "language"]], names));
        assert.deepEqual(order(units), [["language"], ["film"], ["inventory"], ["rental"]]);
        assert.deepEqual(units.map((u) => u.dependsOn), [[], ["language"], ["film"], ["inventory"]]);
        assert.ok(units.every((u) => u.dropFks.length === 0));
    });

    it("loads a foreign-key cycle in one unit, dropping only its non-deferrable constraints inside the cycle", () => {
        // Sakila: staff → store (non-deferrable), store → staff (deferrable); both → address.
        const names = ["staff", "store", "address"];
        const units = existingModeUnits(names.map((n) => plan(n)), targets([["staff", "store"], ["store", "staff", true], ["staff", "address"], ["store", "address"]], names));
        assert.deepEqual(order(units), [["address"], ["staff", "store"]]);
        const cycle = units[1];
        assert.deepEqual(cycle.dependsOn, ["address"]);
        assert.deepEqual(cycle.dropFks.map((f) => [f.table, f.name]), [["staff", "staff_store_fk0"]]);
    });

    it("treats a self-reference as no dependency and no cycle", () => {
        const units = existingModeUnits([plan("category")], targets([["category", "category"]], ["category"]));
        assert.deepEqual(order(units), [["category"]]);
        assert.deepEqual(units[0].dependsOn, []);
        assert.deepEqual(units[0].dropFks, []);
    });

    it("keeps independent tables in separate units with nothing to wait for, and ignores references outside the run", () => {
        const units = existingModeUnits([plan("a"), plan("b"), plan("c")], targets([["c", "already_loaded"]], ["a", "b", "c"]));
        assert.deepEqual(order(units), [["a"], ["b"], ["c"]]);
        assert.ok(units.every((u) => u.dependsOn.length === 0));
    });

    it("finds nested and overlapping cycles as strongly connected components, dependencies first", () => {
        const edges: Record<string, string[]> = { a: ["b"], b: ["c"], c: ["a", "d"], d: ["e"], e: ["d"], f: [] };
        const components = stronglyConnected(Object.keys(edges), (v) => edges[v]).map((c) => c.sort());
        assert.deepEqual(components, [["d", "e"], ["a", "b", "c"], ["f"]]);
    });

    it("starts a unit once its dependencies are loaded or not part of the run", () => {
        const [address, cycle] = existingModeUnits([plan("staff"), plan("store"), plan("address")], targets([["staff", "store"], ["store", "staff"], ["staff", "address"]], ["staff", "store", "address"]));
        const inRun = new Set(["staff", "store", "address"]);
        assert.equal(isUnitReady(cycle, new Set(), inRun), false);
        assert.equal(isUnitReady(cycle, new Set(["address"]), inRun), true);
        assert.equal(isUnitReady(cycle, new Set(), new Set(["staff", "store"])), true, "address is already there");
        assert.equal(isUnitReady(address, new Set(), inRun), true);
    });

    it("create mode: one unit per table, largest first", () => {
        const units = createModeUnits([plan("small", 10), plan("big", 1000), plan("mid", 100)]);
        assert.deepEqual(order(units), [["big"], ["mid"], ["small"]]);
    });
});

// runWorkerPool: per-worker resources, readiness, the first failure, and no deadlock when nothing can start.
import * as assert from "node:assert/strict";
import { runWorkerPool } from "./pool";

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("runWorkerPool", () => {
    it("sets up and tears down one resource per worker, at most `concurrency` at once, never more workers than items", async () => {
        const opened: number[] = [];
        const closed: number[] = [];
        let running = 0;
        let peak = 0;
        const seen: [number, number][] = [];
        await runWorkerPool([1, 2, 3, 4, 5, 6], {
            concurrency: 3,
            setup: async () => {
                const id = opened.length;
                opened.push(id);
                return id;
            },
            teardown: async (id) => void closed.push(id),
            run: async (item, id) => {
                running++;
                peak = Math.max(peak, running);
                await tick(item % 3);
                seen.push([item, id]);
                running--;
            },
        });
        assert.deepEqual(opened, [0, 1, 2]);
        assert.deepEqual(closed.sort(), [0, 1, 2]);
        assert.equal(peak, 3);
        assert.deepEqual(seen.map(([i]) => i).sort(), [1, 2, 3, 4, 5, 6]);
        const few: number[] = [];
        await runWorkerPool(["only"], { concurrency: 8, setup: async () => few.push(1), run: async () => undefined });
        assert.equal(few.length, 1);
        let none = 0;
        await runWorkerPool([], { concurrency: 2, setup: async () => none++, run: async () => undefined });
        assert.equal(none, 0, "no connections for no work");
    });

    it("starts an item only when ready, re-asking whenever an item finishes", async () => {
        const done = new Set<string>();
        const deps: Record<string, string[]> = { child: ["parent"], grandchild: ["child"], parent: [], other: [] };
        const started: string[] = [];
        await runWorkerPool(["grandchild", "child", "parent", "other"], {
            concurrency: 4,
            setup: async () => undefined,
            ready: (item) => deps[item].every((d) => done.has(d)),
            run: async (item) => {
                for (const d of deps[item]) assert.ok(done.has(d), `${item} started before ${d} finished`);
                started.push(item);
                await tick(2);
                done.add(item);
            },
        });
        assert.deepEqual(started.slice(-2), ["child", "grandchild"]);
    });

    it("stops taking items at the first failure, lets those in flight finish, tears down, and throws that failure", async () => {
        const ran: number[] = [];
        const closed: number[] = [];
        let n = 0;
        await assert.rejects(
            runWorkerPool([1, 2, 3, 4, 5, 6, 7, 8], {
                concurrency: 2,
                setup: async () => n++,
                teardown: async (id) => void closed.push(id),
                run: async (item) => {
                    await tick(item === 1 ? 5 : 1);
                    if (item === 2) throw new Error("item 2 failed");
                    if (item === 3) throw new Error("a later failure");
                    ran.push(item);
                },
            }),
            /item 2 failed/,
        );
        assert.ok(ran.includes(1), "the item in flight finished");
        assert.ok(!ran.some((i) => i > 3), `no new item after the failure: ${ran.join(",")}`);
        assert.deepEqual(closed.sort(), [0, 1]);
    });

    it("reports a setup failure and closes the workers that did open", async () => {
        const closed: string[] = [];
        let n = 0;
        await assert.rejects(
            runWorkerPool([1, 2, 3], {
                concurrency: 2,
                setup: async () => {
                    if (n++ === 1) throw new Error("connection refused");
                    return "ok";
                },
                teardown: async (r) => void closed.push(r),
                run: async () => tick(2),
            }),
            /connection refused/,
        );
        assert.deepEqual(closed, ["ok"]);
    });

    it("fails instead of waiting forever when the remaining items can never become ready", async () => {
        await assert.rejects(runWorkerPool(["a", "b"], { concurrency: 2, setup: async () => undefined, ready: (i) => i === "a", run: async () => undefined }), /1 item\(s\) can never start/);
    });
});

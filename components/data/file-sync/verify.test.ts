import { strict as assert } from "node:assert";
import type { ExpectedObject, ListedObject } from "./plan";
import { compareKeys, RangeVerifier, type ListPage } from "./verify";

/** A store listing in S3 order with a page size, recording each request's StartAfter. */
function fakeStore(objects: ListedObject[], pageSize: number): { list: (startAfter: string | undefined) => Promise<ListPage>; requests: Array<string | undefined> } {
    const sorted = [...objects].sort((a, b) => compareKeys(a.key, b.key));
    const requests: Array<string | undefined> = [];
    return {
        requests,
        list: async (startAfter) => {
            requests.push(startAfter);
            const rest = startAfter === undefined ? sorted : sorted.filter((o) => compareKeys(o.key, startAfter) > 0);
            return { objects: rest.slice(0, pageSize), truncated: rest.length > pageSize };
        },
    };
}

const object = (key: string, etag = "e"): ListedObject => ({ key, size: 1, etag });
const expect1 = (etag = "e"): ExpectedObject => ({ size: 1, etags: [etag] });

describe("verifying the destination range by range during the transfers", () => {
    const keys = ["a", "b", "c", "d", "e", "f", "g"];

    it("lists each range once all its keys are settled, starting after the previous range's last key", async () => {
        const store = fakeStore(keys.map((k) => object(k)), 3);
        const verifier = new RangeVerifier(keys, store.list, 3);
        const expected = new Map(keys.map((k) => [k, expect1()]));
        for (const key of ["d", "e", "a", "b"]) verifier.settle(key, true);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(store.requests, [], "no range is complete yet");
        verifier.settle("f", true); // d-e-f complete
        verifier.settle("c", true); // a-b-c complete
        verifier.settle("g", true); // g complete
        const result = await verifier.finish(expected);
        assert.deepEqual(store.requests, ["c", undefined, "f"]);
        assert.deepEqual(result, { problems: [], unconfirmed: [] });
    });

    it("does not list ranges where nothing was uploaded (a re-run that changed one file lists one range)", async () => {
        const store = fakeStore(keys.map((k) => object(k)), 3);
        const verifier = new RangeVerifier(keys, store.list, 3);
        for (const key of keys) verifier.settle(key, key === "e");
        const result = await verifier.finish(new Map(keys.map((k) => [k, expect1()])));
        assert.deepEqual(store.requests, ["c"]);
        assert.deepEqual(result, { problems: [], unconfirmed: [] });
    });

    it("reports stored objects that differ from what was sent, and leaves missing keys to a final listing", async () => {
        const stored = keys.filter((k) => k !== "b").map((k) => object(k, k === "f" ? "other" : "e"));
        const store = fakeStore(stored, 3);
        const verifier = new RangeVerifier(keys, store.list, 3);
        for (const key of keys) verifier.settle(key, true);
        const result = await verifier.finish(new Map(keys.map((k) => [k, expect1()])));
        assert.deepEqual(result.unconfirmed, ["b"]);
        assert.equal(result.problems.length, 1);
        assert.match(result.problems[0], /^f: stored ETag other matches none/);
    });

    it("pages on through extraneous objects until it passes the range's last key", async () => {
        const extraneous = ["a1", "a2", "a3", "b1", "b2"].map((k) => object(k, "x"));
        const store = fakeStore([...keys.map((k) => object(k)), ...extraneous], 3);
        const verifier = new RangeVerifier(keys, store.list, 3);
        for (const key of keys) verifier.settle(key, true);
        const result = await verifier.finish(new Map(keys.map((k) => [k, expect1()])));
        assert.deepEqual(result, { problems: [], unconfirmed: [] });
        // range a-c: [a a1 a2] [a3 b b1] [b2 c d]; range d-f: [e f g]; range g: from f.
        assert.deepEqual(store.requests, [undefined, "a2", "b1", "c", "f"]);
    });

    it("orders keys by their UTF-8 bytes, as S3 lists them", () => {
        // U+FF61 is one UTF-16 unit above the surrogates of U+1F600, but below it in UTF-8.
        assert.ok("\u{1F600}" < "\uFF61");
        assert.ok(compareKeys("\uFF61", "\u{1F600}") < 0);
        assert.ok(compareKeys("a", "a/b") < 0);
        assert.equal(compareKeys("é", "é"), 0);
    });

    it("surfaces a failed listing when finishing, and checks nothing after stop()", async () => {
        let calls = 0;
        const failing = new RangeVerifier(["a", "b"], async () => {
            calls++;
            throw new Error("listing failed: AccessDenied");
        }, 1);
        failing.settle("a", true);
        failing.settle("b", true);
        await assert.rejects(failing.finish(new Map()), /AccessDenied/);
        assert.equal(calls, 1, "after a failure no further range is listed");

        const store = fakeStore([object("a")], 10);
        const stopped = new RangeVerifier(["a"], store.list, 10);
        stopped.stop();
        stopped.settle("a", true);
        await stopped.finish(new Map([["a", expect1()]]));
        assert.deepEqual(store.requests, []);
    });
});

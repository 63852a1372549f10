import * as assert from "node:assert/strict";
import type { CloudflareDnsRecord } from "../cloudflare/api";
import { cutoverPlan, ttlActions } from "./dns-plan";

const record = (over: Partial<CloudflareDnsRecord>): CloudflareDnsRecord => ({ id: "r1", type: "A", name: "www.example.com", content: "203.0.113.10", proxied: false, ttl: 3600, ...over });
const want = { hostname: "www.example.com", target: "www-example.herokudns.com", proxied: true };

describe("DNS cutover plan", function () {
    it("replaces the old host's A and AAAA records by one CNAME to the Heroku target, keeping them for the rollback", function () {
        const plan = cutoverPlan([record({ id: "a" }), record({ id: "b", type: "AAAA", content: "2001:db8::1" }), record({ id: "mx", type: "MX", content: "mail" })], want);
        assert.deepEqual(plan.actions.map((a) => a.kind), ["delete", "delete", "create"]);
        assert.deepEqual(plan.actions.slice(0, 2).map((a) => (a as { id: string }).id), ["a", "b"]);
        assert.deepEqual(plan.previous, [
            { type: "A", content: "203.0.113.10", proxied: false, ttl: 3600 },
            { type: "AAAA", content: "2001:db8::1", proxied: false, ttl: 3600 },
        ]);
        const created = plan.actions[2] as { record: Partial<CloudflareDnsRecord> };
        assert.deepEqual({ type: created.record.type, content: created.record.content, proxied: created.record.proxied, ttl: created.record.ttl }, { type: "CNAME", content: want.target, proxied: true, ttl: 1 });
    });

    it("updates an existing CNAME in place, and does nothing when it already points at the target", function () {
        const plan = cutoverPlan([record({ id: "c", type: "CNAME", content: "old.example.net", proxied: true, ttl: 1 })], want);
        assert.deepEqual(plan.actions.map((a) => [a.kind, (a as { id?: string }).id]), [["update", "c"]]);
        const done = cutoverPlan([record({ id: "c", type: "CNAME", content: want.target, proxied: true, ttl: 1 })], want);
        assert.deepEqual(done, { actions: [], previous: [{ type: "CNAME", content: want.target, proxied: true, ttl: 1 }], unchanged: true });
    });

    it("creates the CNAME for a hostname with no record yet", function () {
        assert.deepEqual(cutoverPlan([], want).actions.map((a) => a.kind), ["create"]);
    });
});

describe("TTLs lowered ahead of the night", function () {
    it("lowers DNS-only records above the TTL (automatic counts as 300 s), leaves proxied and already-short ones", function () {
        const actions = ttlActions(
            [record({ id: "long" }), record({ id: "auto", ttl: 1 }), record({ id: "short", ttl: 30 }), record({ id: "proxied", proxied: true, ttl: 1 }), record({ id: "txt", type: "TXT" })],
            "www.example.com",
            60,
        );
        assert.deepEqual(actions.map((a) => [(a as { id: string }).id, (a as { record: { ttl: number } }).record.ttl]), [["long", 60], ["auto", 60]]);
    });
});

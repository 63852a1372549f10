// What the cutover does to each hostname's Cloudflare records, and what the prepare phase does to their TTLs. Pure:
// from the records that exist to the calls to make, so every case is unit-tested without Cloudflare.
import type { CloudflareDnsRecord } from "../cloudflare/api";

/** The types a hostname's web traffic follows; other records under the name (MX, TXT…) are left alone. */
const ADDRESS_TYPES = ["A", "AAAA", "CNAME"];

export interface CutoverTarget {
    hostname: string;
    /** The Heroku DNS target, `*.herokudns.com`. */
    target: string;
    proxied: boolean;
}

/** A record as it was before the cutover: enough to put it back (the rollback). */
export interface PreviousRecord {
    type: string;
    content: string;
    proxied: boolean;
    ttl: number;
}

export type DnsAction =
    | { kind: "update"; id: string; record: Omit<CloudflareDnsRecord, "id"> }
    | { kind: "create"; record: Omit<CloudflareDnsRecord, "id"> }
    | { kind: "delete"; id: string };

export interface CutoverPlan {
    actions: DnsAction[];
    previous: PreviousRecord[];
    /** Nothing to do: the hostname already points at the target as wanted. */
    unchanged: boolean;
}

const COMMENT = "managed by herokuenv (migration cutover)";

/**
 * One CNAME to the Heroku target per hostname (the apex too: Cloudflare flattens it). An existing CNAME is updated
 * in place; A/AAAA records (the old host's IPs) are deleted and the CNAME created, since a CNAME cannot sit beside
 * them.
 */
export function cutoverPlan(existing: readonly CloudflareDnsRecord[], want: CutoverTarget): CutoverPlan {
    const address = existing.filter((r) => r.name === want.hostname && ADDRESS_TYPES.includes(r.type));
    const previous = address.map((r) => ({ type: r.type, content: r.content, proxied: r.proxied === true, ttl: r.ttl }));
    const record = { type: "CNAME", name: want.hostname, content: want.target, proxied: want.proxied, ttl: 1, comment: COMMENT };
    const cname = address.find((r) => r.type === "CNAME");
    if (cname && address.length === 1) {
        const unchanged = cname.content === want.target && (cname.proxied === true) === want.proxied;
        return { actions: unchanged ? [] : [{ kind: "update", id: cname.id, record }], previous, unchanged };
    }
    return {
        actions: [...address.map((r) => ({ kind: "delete" as const, id: r.id })), { kind: "create", record }],
        previous,
        unchanged: false,
    };
}

/**
 * Ahead of the night: a DNS-only record's TTL is how long resolvers keep the old host's address after the switch,
 * so it is lowered to `ttl` days before. Proxied records answer with Cloudflare's own addresses whatever the origin,
 * so they switch at once and need nothing.
 */
export function ttlActions(existing: readonly CloudflareDnsRecord[], hostname: string, ttl: number): DnsAction[] {
    return existing
        .filter((r) => r.name === hostname && ADDRESS_TYPES.includes(r.type) && r.proxied !== true && r.ttl !== ttl && !(r.ttl !== 1 && r.ttl < ttl))
        .map((r) => ({ kind: "update" as const, id: r.id, record: { type: r.type, name: r.name, content: r.content, proxied: false, ttl } }));
}

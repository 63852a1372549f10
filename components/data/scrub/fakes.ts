// Keyed, deterministic fakes: every output is a function of (secret seed, kind, input value) only, so the same input
// gives the same output in every column, table and run with that seed (joins still match), and a different seed
// gives different outputs. Unique-capable kinds are injective:
//   - phone, digits, ip, hash on integers: a keyed format-preserving permutation (an FF1-shaped Feistel network over
//     the value's digits / bytes / bits) — distinct inputs give distinct outputs by construction;
//   - email, url, hash on text/uuid/bytea: embed a tag, a truncated HMAC of the value; unique.ts proves (in SQL, over
//     every source value) that no two values of a unique column share a tag, and re-tags the rare colliding ones
//     (an `attempt` > 0 recorded in `exceptions`), so the construction is collision-free for the data at hand.
// Pure apart from node:crypto.
import { createHmac } from "node:crypto";
import type { TypeInfo } from "./types";

/** Kinds whose output embeds a tag that unique.ts checks. */
export type TagKind = "email" | "url" | "hash";

export const DEFAULT_TAG_BYTES: Record<TagKind, number> = { email: 6, url: 6, hash: 32 };

export interface FakesOptions {
    /** Tag length per kind, in bytes (tests shorten it to force collisions). */
    tagBytes?: Partial<Record<TagKind, number>>;
}

const FIRST = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo", "Amelia", "Levi", "Harper", "Ezra", "Evelyn", "Asher", "Luna", "Leo", "Camila", "James", "Gianna", "Luca", "Aria", "Henry", "Ella", "Hudson", "Nova", "Ethan", "Maya", "Aiden", "Zoe", "Jack", "Nora", "Owen", "Ivy", "Kai", "Lily", "Theo", "Aurora", "Milo", "Hazel", "Jude", "Iris", "Felix", "Clara", "Omar", "Ruth", "Hugo", "Alma", "Ravi", "Priya", "Kenji", "Yuki", "Amara", "Tariq", "Ines", "Lars", "Freya", "Diego", "Sofia"];
const LAST = ["Smith", "Garcia", "Okafor", "Nguyen", "Kowalski", "Rossi", "Dubois", "Schmidt", "Tanaka", "Patel", "Silva", "Jensen", "Novak", "Murphy", "Cohen", "Haddad", "Kim", "Larsen", "Moreau", "Fischer", "Ivanova", "Santos", "Mensah", "Walker", "Brooks", "Reyes", "Bauer", "Costa", "Ahmed", "Lindqvist", "Morgan", "Price", "Hughes", "Ward", "Foster", "Bennett", "Gray", "Hayes", "Wells", "Fox", "Hart", "Lane", "Marsh", "Stone", "Quinn", "Vega", "Ortiz", "Sato", "Chen", "Singh"];
const STREETS = ["Maple", "Oak", "Cedar", "Elm", "Willow", "Birch", "Chestnut", "Aspen", "Juniper", "Hawthorn", "Linden", "Poplar", "Spruce", "Sycamore", "Magnolia", "Alder", "Rowan", "Laurel", "Hazel", "Ivy"];
const STREET_TYPES = ["Street", "Avenue", "Road", "Lane", "Way", "Close", "Drive", "Court", "Place", "Terrace"];
const CITIES = ["Springfield", "Riverton", "Fairview", "Kingsbridge", "Lakewood", "Ashford", "Millbrook", "Westhaven", "Northfield", "Easton", "Brookside", "Clearwater", "Greenhill", "Oakridge", "Redwood", "Stonebridge"];
const WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua", "enim", "ad", "minim", "veniam", "quis", "nostrud", "exercitation", "ullamco", "laboris", "nisi", "aliquip", "ex", "ea", "commodo", "consequat", "duis", "aute", "irure", "in", "reprehenderit", "voluptate", "velit", "esse", "cillum", "fugiat", "nulla", "pariatur", "excepteur", "sint", "occaecat", "cupidatat", "non", "proident", "sunt", "culpa", "qui", "officia", "deserunt", "mollit", "anim", "id", "est", "laborum"];

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const ROUNDS = 8;

/** Lower-case RFC 4648 base32 without padding: a bijection on byte strings of one length. */
export function base32(bytes: Uint8Array): string {
    let out = "";
    let bits = 0;
    let acc = 0;
    for (const b of bytes) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 5) {
            out += BASE32[(acc >>> (bits - 5)) & 31];
            bits -= 5;
        }
        acc &= (1 << bits) - 1;
    }
    if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
    return out;
}

export class FakeError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "FakeError";
    }
}

/** The keyed fakes of one seed. */
export class Fakes {
    private readonly master: Buffer;
    private readonly keys = new Map<string, Buffer>();
    readonly tagBytes: Record<TagKind, number>;
    /** Re-tagged values (a tag collision in some unique column): kind → value → attempt. Filled by unique.ts. */
    readonly exceptions = new Map<TagKind, Map<string, number>>();

    constructor(seed: string, options: FakesOptions = {}) {
        this.master = createHmac("sha256", "herokuenv-scrub-v1").update(seed, "utf8").digest();
        this.tagBytes = { ...DEFAULT_TAG_BYTES, ...options.tagBytes };
    }

    /** A subkey per purpose, never the seed itself. */
    key(label: string): Buffer {
        let k = this.keys.get(label);
        if (!k) {
            k = createHmac("sha256", this.master).update(label, "utf8").digest();
            this.keys.set(label, k);
        }
        return k;
    }

    private mac(label: string, value: string): Buffer {
        return createHmac("sha256", this.key(label)).update(value, "utf8").digest();
    }

    /** HMAC bytes as a stream of uniform choices. */
    private chooser(label: string, value: string): (n: number) => number {
        let block = this.mac(label, value);
        let pos = 0;
        let counter = 0;
        return (n: number) => {
            if (pos + 4 > block.length) {
                block = this.mac(label, `${++counter}\u0000${value}`);
                pos = 0;
            }
            const x = block.readUInt32BE(pos);
            pos += 4;
            return x % n;
        };
    }

    /** The tag a value carries: attempt 0 is computable in SQL (unique.ts); retries only for recorded exceptions. */
    tag(kind: TagKind, value: string): Buffer {
        const attempt = this.exceptions.get(kind)?.get(value) ?? 0;
        return this.tagAttempt(kind, value, attempt);
    }

    tagAttempt(kind: TagKind, value: string, attempt: number): Buffer {
        const h = attempt === 0 ? this.mac(`tag:${kind}`, value) : this.mac(`tag:${kind}`, `\u0000retry:${attempt}\u0000${value}`);
        return h.subarray(0, this.tagBytes[kind]);
    }

    firstName(value: string): string {
        return FIRST[this.chooser("first_name", value)(FIRST.length)];
    }

    lastName(value: string): string {
        return LAST[this.chooser("last_name", value)(LAST.length)];
    }

    name(value: string): string {
        const c = this.chooser("name", value);
        return `${FIRST[c(FIRST.length)]} ${LAST[c(LAST.length)]}`;
    }

    /** first.last.<tag>@example.com; shortened to <tag>@example.com when maxLength needs it. */
    email(value: string, maxLength?: number): string {
        const tag = base32(this.tag("email", value));
        const c = this.chooser("email", value);
        const full = `${FIRST[c(FIRST.length)]}.${LAST[c(LAST.length)]}.${tag}@example.com`.toLowerCase();
        if (maxLength === undefined || full.length <= maxLength) return full;
        return `${tag}@example.com`;
    }

    url(value: string): string {
        return `https://example.com/u/${base32(this.tag("url", value))}`;
    }

    address(value: string): string {
        const c = this.chooser("address", value);
        return `${1 + c(999)} ${STREETS[c(STREETS.length)]} ${STREET_TYPES[c(STREET_TYPES.length)]}, ${CITIES[c(CITIES.length)]}`;
    }

    /** Lorem words of exactly the input's length (in characters). */
    text(value: string): string {
        const length = [...value].length;
        if (length === 0) return "";
        const c = this.chooser("text", value);
        let out = "";
        while (out.length < length) out += (out ? " " : "") + WORDS[c(WORDS.length)];
        out = out.slice(0, length);
        if (out.endsWith(" ")) out = `${out.slice(0, -1)}x`;
        return out[0].toUpperCase() + out.slice(1);
    }

    /** Every digit replaced through a keyed permutation of the digit string; everything else kept. Injective. */
    digits(value: string, label = "digits"): string {
        const positions: number[] = [];
        for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 48 && value.charCodeAt(i) <= 57) positions.push(i);
        if (positions.length === 0) return value;
        const n = positions.length;
        const x = BigInt(positions.map((p) => value[p]).join(""));
        const y = this.permute(`${label}:${n}`, 10, n, x).toString().padStart(n, "0");
        const chars = value.split("");
        positions.forEach((p, i) => (chars[p] = y[i]));
        return chars.join("");
    }

    phone(value: string): string {
        return this.digits(value, "phone");
    }

    /** Days shifted by a keyed non-zero offset within ±rangeDays; the time of day and zone are kept. */
    date(value: string, rangeDays: number): string {
        const m = /^(\d{4,})-(\d{2})-(\d{2})(.*)$/s.exec(value);
        if (!m) {
            if (/^-?infinity$/.test(value)) return value;
            throw new FakeError(`fake:date: "${shorten(value)}" is not an ISO date (YYYY-MM-DD…)`);
        }
        if (/ BC$/.test(m[4])) return value;
        const c = this.chooser("date", value);
        const magnitude = 1 + c(rangeDays);
        const shift = c(2) === 0 ? -magnitude : magnitude;
        const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
        d.setUTCFullYear(Number(m[1]));
        d.setUTCDate(d.getUTCDate() + shift);
        const y = d.getUTCFullYear();
        if (y < 1) return value;
        return `${String(y).padStart(4, "0")}-${String(d.getUTCMonth() + 1).padStart(2, "0")}-${String(d.getUTCDate()).padStart(2, "0")}${m[4]}`;
    }

    /** An IPv4 or IPv6 address (with an optional /prefix) through a keyed permutation of its bits. Injective. */
    ip(value: string, cidr = false): string {
        const [addr, prefixText] = value.split("/");
        const v4 = parseIPv4(addr);
        const bits = v4 !== undefined ? 32 : 128;
        const x = v4 ?? parseIPv6(addr);
        if (x === undefined) throw new FakeError(`fake:ip: "${shorten(value)}" is not an IP address`);
        const prefix = prefixText === undefined ? bits : Number(prefixText);
        let y: bigint;
        if (cidr && prefix < bits) {
            // A network: permute the network bits only, host bits stay zero (cidr rejects others).
            if (prefix === 0) return value;
            const net = x >> BigInt(bits - prefix);
            y = this.permute(`ip${bits}/${prefix}`, 2, prefix, net) << BigInt(bits - prefix);
        } else {
            y = this.permute(`ip${bits}`, 2, bits, x);
        }
        const out = bits === 32 ? formatIPv4(y) : formatIPv6(y);
        return prefixText === undefined ? out : `${out}/${prefixText}`;
    }

    /** hash on text-like columns: hex of the value's keyed tag (64 characters by default). */
    hashText(value: string): string {
        return this.tag("hash", value).toString("hex");
    }

    hashUuid(value: string): string {
        const h = this.tag("hash", value);
        const hex = Buffer.concat([h, Buffer.alloc(16)]).subarray(0, 16).toString("hex");
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    }

    hashBytea(value: string): string {
        return `\\x${this.tag("hash", value).toString("hex")}`;
    }

    /** hash on integers: a keyed, sign-preserving permutation of the type's range. Injective. */
    hashInt(value: string, bits: 16 | 32 | 64): string {
        const x = BigInt(value);
        const n = bits - 1;
        if (x >= 0n) return this.permute(`int${bits}`, 2, n, x).toString();
        return (-this.permute(`int${bits}`, 2, n, -x - 1n) - 1n).toString();
    }

    /**
     * A keyed permutation of [0, radix^n): FF1's alternating Feistel structure with HMAC round functions. Every round
     * is invertible (modular addition), so the whole is a bijection whatever the round function.
     */
    permute(tweak: string, radix: number, n: number, x: bigint): bigint {
        const r = BigInt(radix);
        if (n === 0) return x;
        if (n === 1) return BigInt(this.shuffle(tweak, radix)[Number(x)]);
        const u = Math.floor(n / 2);
        const v = n - u;
        const rv = r ** BigInt(v);
        let a = x / rv;
        let b = x % rv;
        const key = this.key(`permute:${radix}`);
        for (let i = 0; i < ROUNDS; i++) {
            const m = i % 2 === 0 ? u : v;
            const h = createHmac("sha256", key).update(`${tweak}\u0000${n}\u0000${i}\u0000${b.toString(36)}`, "utf8").digest();
            const y = BigInt(`0x${h.subarray(0, 24).toString("hex")}`);
            const c = (a + y) % r ** BigInt(m);
            a = b;
            b = c;
        }
        return a * rv + b;
    }

    private readonly shuffles = new Map<string, number[]>();

    private shuffle(tweak: string, radix: number): number[] {
        const k = `${tweak}:${radix}`;
        let s = this.shuffles.get(k);
        if (!s) {
            s = Array.from({ length: radix }, (_, i) => i);
            const c = this.chooser(`shuffle:${radix}`, tweak);
            for (let i = radix - 1; i > 0; i--) {
                const j = c(i + 1);
                [s[i], s[j]] = [s[j], s[i]];
            }
            this.shuffles.set(k, s);
        }
        return s;
    }
}

function shorten(v: string): string {
    return v.length > 20 ? `${v.slice(0, 3)}…(${v.length} characters)` : v.replace(/[0-9a-zA-Z]/g, "x");
}

export function parseIPv4(s: string): bigint | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m) return undefined;
    let x = 0n;
    for (let i = 1; i <= 4; i++) {
        const o = Number(m[i]);
        if (o > 255) return undefined;
        x = (x << 8n) | BigInt(o);
    }
    return x;
}

export function parseIPv6(s: string): bigint | undefined {
    if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
    let text = s;
    const tail: number[] = [];
    const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
        const x = parseIPv4(v4[2]);
        if (x === undefined) return undefined;
        tail.push(Number(x >> 16n), Number(x & 0xffffn));
        text = v4[1].endsWith("::") ? v4[1] : v4[1].slice(0, -1);
    }
    const halves = text.split("::");
    if (halves.length > 2) return undefined;
    const parse = (h: string): number[] | undefined => (h === "" ? [] : h.split(":").map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
    const head = parse(halves[0]);
    const rest = halves.length === 2 ? parse(halves[1]) : [];
    if (!head || !rest || [...head, ...rest].some((g) => Number.isNaN(g))) return undefined;
    const given = head.length + rest.length + tail.length;
    if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
    const groups = [...head, ...Array(8 - given).fill(0), ...rest, ...tail];
    return groups.reduce((acc: bigint, g: number) => (acc << 16n) | BigInt(g), 0n);
}

function formatIPv4(x: bigint): string {
    return [24n, 16n, 8n, 0n].map((s) => ((x >> s) & 255n).toString()).join(".");
}

function formatIPv6(x: bigint): string {
    const groups: string[] = [];
    for (let i = 7; i >= 0; i--) groups.push(((x >> BigInt(i * 16)) & 0xffffn).toString(16));
    return groups.join(":");
}

/** The function a scalar rule applies to one column's non-null text values. */
export type ValueFn = (value: string) => string | null;

/** Builds a scalar rule's value function for a column type (already checked to fit by hooks.ts). */
export function scalarFn(fakes: Fakes, rule: { kind: "keep" | "null" | "hash" } | { kind: "fake"; fake: string; rangeDays?: number }, type: TypeInfo): ValueFn {
    const fit = (s: string): string => (type.maxLength !== undefined && s.length > type.maxLength ? s.slice(0, type.maxLength) : s);
    const trimChar = (s: string): string => (type.cls === "char" ? s.replace(/ +$/, "") : s);
    switch (rule.kind) {
        case "keep":
            return (v) => v;
        case "null":
            return () => null;
        case "hash":
            switch (type.cls) {
                case "int2":
                    return (v) => fakes.hashInt(v, 16);
                case "int4":
                    return (v) => fakes.hashInt(v, 32);
                case "int8":
                    return (v) => fakes.hashInt(v, 64);
                case "uuid":
                    return (v) => fakes.hashUuid(v);
                case "bytea":
                    return (v) => fakes.hashBytea(v);
                case "json":
                case "jsonb":
                    return (v) => JSON.stringify(fakes.hashText(v));
                default:
                    return (v) => fit(fakes.hashText(trimChar(v)));
            }
        case "fake":
            switch (rule.fake) {
                case "email":
                    return (v) => fakes.email(trimChar(v), type.maxLength);
                case "name":
                    return (v) => fit(fakes.name(v));
                case "first_name":
                    return (v) => fit(fakes.firstName(v));
                case "last_name":
                    return (v) => fit(fakes.lastName(v));
                case "phone":
                    return (v) => fakes.phone(v);
                case "digits":
                    return (v) => fakes.digits(v);
                case "address":
                    return (v) => fit(fakes.address(v));
                case "text":
                    return (v) => fit(fakes.text(trimChar(v)));
                case "ip":
                    return (v) => fakes.ip(v, type.cls === "cidr");
                case "url":
                    return (v) => fit(fakes.url(trimChar(v)));
                case "date":
                    return (v) => fakes.date(v, rule.rangeDays ?? 180);
            }
    }
    throw new FakeError(`no fake for ${JSON.stringify(rule)}`);
}

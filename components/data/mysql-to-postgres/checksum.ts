// The content checksum both sides compute: per row, a 64-bit hash of every column's normalized ("canonical")
// text; per table, the sum of the row hashes (order-independent) and the row count, also split into buckets by
// primary key so a difference can be narrowed down to sample keys. Pure: no I/O.
import type { Canon } from "./types";

export const BUCKETS = 256;
const SEED1 = 0x811c9dc5;
const SEED2 = 0x9747b28c;
const NULL_MARK = 0xfffffffe;

/** Murmur3's 32-bit finalizer: every input bit affects every output bit. */
export function fmix32(h: number): number {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
}

/** Accumulates row hashes for one table. Column values are fed in plan order, then endRow(). */
export class TableHasher {
    h1 = SEED1;
    h2 = SEED2;
    k = SEED1;
    rows = 0;
    sum1 = 0;
    sum2 = 0;
    readonly bucketSums = new Uint32Array(BUCKETS * 2);
    readonly bucketCounts = new Uint32Array(BUCKETS);
    /** When set, endRow() reports (keyText, rowHash) for rows in these buckets (the narrowing pass). */
    collect?: { buckets: Set<number>; onRow: (bucket: number, rowHash: string) => void };

    /** Mixes bytes [start, end) of buf into the row hash (and the key hash when `key`). Four bytes at a time. */
    bytes(buf: Uint8Array, start: number, end: number, key: boolean): void {
        let h1 = this.h1;
        let h2 = this.h2;
        let i = start;
        const last4 = end - 3;
        for (; i < last4; i += 4) {
            const w = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
            h1 = Math.imul(h1 ^ w, 0x01000193);
            h1 ^= h1 >>> 15;
            h2 = Math.imul(h2 ^ w, 0x5bd1e995);
            h2 ^= h2 >>> 13;
        }
        for (; i < end; i++) {
            const b = buf[i];
            h1 = Math.imul(h1 ^ b, 0x01000193);
            h2 = Math.imul(h2 ^ b, 0x5bd1e995) ^ (h2 >>> 15);
        }
        this.h1 = h1;
        this.h2 = h2;
        if (key) {
            let k = this.k;
            for (let j = start; j < end; j++) k = Math.imul(k ^ buf[j], 0x01000193);
            this.k = k;
        }
        this.end(end - start, key);
    }

    /** Mixes bytes into the key hash only (the bucket of the row). */
    keyOnly(buf: Uint8Array, start: number, end: number): void {
        let k = this.k;
        for (let j = start; j < end; j++) k = Math.imul(k ^ buf[j], 0x01000193);
        this.k = Math.imul(k ^ (end - start), 0x01000193);
    }

    /** Mixes a JS string as UTF-8 (same result as bytes() over its UTF-8 encoding). */
    string(s: string, key: boolean): void {
        let ascii = s.length <= this.ascii.length;
        if (ascii) {
            const a = this.ascii;
            for (let i = 0; i < s.length; i++) {
                const c = s.charCodeAt(i);
                if (c > 0x7f) {
                    ascii = false;
                    break;
                }
                a[i] = c;
            }
        }
        if (ascii) {
            this.bytes(this.ascii, 0, s.length, key);
            return;
        }
        const b = Buffer.from(s, "utf8");
        this.bytes(b, 0, b.length, key);
    }

    private readonly ascii = new Uint8Array(256);

    /** A NULL value. */
    nul(key: boolean): void {
        this.end(NULL_MARK, key);
    }

    /** Ends one value: mixes its length, so ("ab","c") and ("a","bc") differ. */
    private end(length: number, key: boolean): void {
        this.h1 = Math.imul(this.h1 ^ length, 0x01000193) ^ 0x5f;
        this.h2 = Math.imul(this.h2 ^ length, 0x5bd1e995) ^ (this.h2 >>> 13);
        if (key) this.k = Math.imul(this.k ^ length, 0x01000193);
    }

    endRow(): void {
        const f1 = fmix32(this.h1 ^ Math.imul(this.h2, 0x85ebca6b));
        const f2 = fmix32(this.h2 ^ f1);
        this.sum1 = (this.sum1 + f1) >>> 0;
        this.sum2 = (this.sum2 + f2) >>> 0;
        this.rows++;
        const bucket = fmix32(this.k) & (BUCKETS - 1);
        this.bucketSums[bucket * 2] = (this.bucketSums[bucket * 2] + f1) >>> 0;
        this.bucketSums[bucket * 2 + 1] = (this.bucketSums[bucket * 2 + 1] + f2) >>> 0;
        this.bucketCounts[bucket]++;
        if (this.collect?.buckets.has(bucket)) this.collect.onRow(bucket, hex8(f1) + hex8(f2));
        this.h1 = SEED1;
        this.h2 = SEED2;
        this.k = SEED1;
    }

    /** The table checksum: 16 hex digits. */
    digest(): string {
        return hex8(this.sum1) + hex8(this.sum2);
    }

    /** Buckets whose sums or counts differ from another hasher's. */
    differingBuckets(other: TableHasher): number[] {
        const out: number[] = [];
        for (let b = 0; b < BUCKETS; b++) {
            if (this.bucketCounts[b] !== other.bucketCounts[b] || this.bucketSums[b * 2] !== other.bucketSums[b * 2] || this.bucketSums[b * 2 + 1] !== other.bucketSums[b * 2 + 1]) {
                out.push(b);
            }
        }
        return out;
    }
}

function hex8(n: number): string {
    return (n >>> 0).toString(16).padStart(8, "0");
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical forms. Both sides call mixCanonical with the value's text (source: what we send, before COPY escaping;
// target: PostgreSQL's output of the verification expression, after COPY unescaping).

const DOT = 0x2e;
const ZERO = 0x30;
const SPACE = 0x20;

/** Mixes one non-NULL value in its canonical form. */
export function mixCanonical(h: TableHasher, canon: Canon, buf: Buffer, start: number, end: number, key: boolean): void {
    switch (canon) {
        case "identity":
            h.bytes(buf, start, end, key);
            return;
        case "numeric":
            mixNumeric(h, buf, start, end, key);
            return;
        case "float8":
            mixFloat8(h, buf, start, end, key);
            return;
        case "timestamp": {
            // Trailing zeros of a fractional second, and a dot left alone, carry nothing.
            let e = end;
            const dot = buf.lastIndexOf(DOT, end - 1);
            if (dot >= start) {
                while (e > dot + 1 && buf[e - 1] === ZERO) e--;
                if (e === dot + 1) e = dot;
            }
            h.bytes(buf, start, e, key);
            return;
        }
        case "rtrim": {
            let e = end;
            while (e > start && buf[e - 1] === SPACE) e--;
            h.bytes(buf, start, e, key);
            return;
        }
        default:
            h.string(canonicalString(canon, buf.toString("utf8", start, end)), key);
    }
}

function mixNumeric(h: TableHasher, buf: Buffer, start: number, end: number, key: boolean): void {
    // Fast path: digits with at most one dot, no sign, no leading zero (except "0.x"): trim fractional zeros in place.
    const n = end - start;
    if (n > 0) {
        const first = buf[start];
        let dot = -1;
        let plain = first >= 0x31 && first <= 0x39;
        if (!plain && first === ZERO && n > 1 && buf[start + 1] === DOT) plain = true;
        if (!plain && n === 1 && first === ZERO) plain = true;
        if (plain) {
            for (let i = start; i < end; i++) {
                const b = buf[i];
                if (b === DOT && dot < 0) dot = i;
                else if (b < ZERO || b > 0x39) {
                    plain = false;
                    break;
                }
            }
        }
        if (plain) {
            let e = end;
            if (dot >= 0) {
                while (e > dot + 1 && buf[e - 1] === ZERO) e--;
                if (e === dot + 1) e = dot;
            }
            h.bytes(buf, start, e, key);
            return;
        }
    }
    h.string(canonicalNumeric(buf.toString("latin1", start, end)), key);
}

/** Fast path for floats: a plain decimal that JavaScript would print the same way is already canonical. */
function mixFloat8(h: TableHasher, buf: Buffer, start: number, end: number, key: boolean): void {
    const n = end - start;
    let plain = n > 0 && n < 18;
    let dot = -1;
    if (plain) {
        const first = buf[start];
        let i = start;
        if (first === 0x2d) i++; // minus
        if (buf[i] === ZERO && !(i + 1 < end && buf[i + 1] === DOT)) plain = false; // "0" alone or leading zero
        if (buf[i] === ZERO && i + 1 < end && buf[i + 1] === DOT && end - i > 2 && buf[i + 2] === ZERO) plain = false; // 0.0…: may need an exponent
        let digits = 0;
        for (; plain && i < end; i++) {
            const b = buf[i];
            if (b === DOT && dot < 0) dot = i;
            else if (b < ZERO || b > 0x39) plain = false;
            else digits++;
        }
        // Up to 15 significant digits a double round-trips to the same shortest text.
        if (plain && (digits > 15 || (dot >= 0 && (buf[end - 1] === ZERO || dot === end - 1)))) plain = false;
    }
    if (plain) h.bytes(buf, start, end, key);
    else h.string(canonicalString("float8", buf.toString("latin1", start, end)), key);
}

/** "007.500" → "7.5", "-0.0" → "0", "1.0e3" stays a normalized decimal string when it is one. */
export function canonicalNumeric(text: string): string {
    let s = text.trim();
    if (/[eE]/.test(s) || /^[+-]?(nan|inf)/i.test(s)) {
        const n = Number(s);
        return Number.isFinite(n) ? String(n) : s.toLowerCase();
    }
    let sign = "";
    if (s.startsWith("-") || s.startsWith("+")) {
        sign = s[0] === "-" ? "-" : "";
        s = s.slice(1);
    }
    let [int, frac = ""] = s.split(".");
    int = int.replace(/^0+/, "");
    frac = frac.replace(/0+$/, "");
    if (int === "") int = "0";
    if (int === "0" && frac === "") sign = "";
    return `${sign}${int}${frac ? `.${frac}` : ""}`;
}

export function canonicalString(canon: Canon, text: string): string {
    switch (canon) {
        case "float4": {
            const n = Number(text);
            return Number.isNaN(n) ? text : String(Math.fround(n));
        }
        case "float8": {
            const n = Number(text);
            return Number.isNaN(n) ? text : String(n);
        }
        case "json":
            try {
                return stableJson(JSON.parse(text));
            } catch {
                return text;
            }
        case "array":
            return parsePgArray(text).map((e) => (e === null ? "\u0000NULL" : e)).join("\u001f");
        case "uuid":
            return text.replace(/-/g, "").toLowerCase();
        case "lower":
            return text.toLowerCase();
        case "geometry":
            return (text.match(/[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/g) ?? []).map((n) => String(Number(n))).join(",");
        case "numeric":
            return canonicalNumeric(text);
        case "timestamp":
            return text.replace(/\.(\d*?)0+$/, (_m, digits: string) => (digits ? `.${digits}` : ""));
        case "rtrim":
            return text.replace(/ +$/, "");
        case "identity":
            return text;
    }
}

/** JSON with object keys sorted, so jsonb's reordering and spacing do not count as a difference. */
export function stableJson(value: unknown): string {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`)
        .join(",")}}`;
}

/** Parses a one-dimensional PostgreSQL array literal ({a,"b c",NULL}). */
export function parsePgArray(text: string): (string | null)[] {
    const s = text.trim();
    if (!s.startsWith("{") || !s.endsWith("}")) return [s];
    const out: (string | null)[] = [];
    let i = 1;
    const end = s.length - 1;
    if (i === end) return out;
    while (i <= end) {
        let value = "";
        let quoted = false;
        if (s[i] === '"') {
            quoted = true;
            i++;
            while (i < end && s[i] !== '"') {
                if (s[i] === "\\") i++;
                value += s[i++];
            }
            i++; // closing quote
        } else {
            while (i < end && s[i] !== ",") value += s[i++];
        }
        out.push(!quoted && value.toUpperCase() === "NULL" ? null : value);
        i++; // the comma (or the closing brace)
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading PostgreSQL's COPY … TO STDOUT text output.

const TAB = 0x09;
const NL = 0x0a;
const BACKSLASH = 0x5c;

/**
 * Reads PostgreSQL's COPY … TO STDOUT text output, one row per line. The first `echoCount` fields form the echo
 * range, reported whole (raw, still escaped) with the end of its first `keyEchoCount` fields; the remaining fields
 * are reported one by one, unescaped (buf null for NULL). Rows may span chunks.
 */
export class CopyTextParser {
    private carry: Buffer | null = null;
    private scratch: Buffer = Buffer.allocUnsafe(64 * 1024);

    constructor(
        private readonly layout: { echoCount: number; keyEchoCount: number },
        private readonly onEcho: (buf: Buffer, start: number, keyEnd: number, end: number) => void,
        private readonly onField: (index: number, buf: Buffer | null, start: number, end: number) => void,
        private readonly onRowEnd: () => void,
    ) {}

    push(chunk: Buffer): void {
        let data = chunk;
        if (this.carry) {
            data = Buffer.concat([this.carry, chunk]);
            this.carry = null;
        }
        const { echoCount, keyEchoCount } = this.layout;
        let ls = 0;
        for (;;) {
            const nl = data.indexOf(NL, ls);
            if (nl < 0) break;
            let p = ls;
            let index = 0;
            if (echoCount > 0) {
                // Raw tabs only ever separate fields (a tab inside a value is printed as \t).
                let keyEnd = keyEchoCount > 0 ? -1 : ls;
                let echoEnd = nl;
                let f = 0;
                for (let i = ls; i < nl; i++) {
                    if (data[i] !== TAB) continue;
                    f++;
                    if (f === keyEchoCount) keyEnd = i;
                    if (f === echoCount) {
                        echoEnd = i;
                        break;
                    }
                }
                if (keyEnd < 0) keyEnd = echoEnd;
                this.onEcho(data, ls, keyEnd, echoEnd);
                p = echoEnd + 1;
                index = echoCount;
            }
            if (p <= nl && index < this.fieldCount) {
                let fieldStart = p;
                let escaped = false;
                for (let i = p; i <= nl; i++) {
                    const b = i === nl ? NL : data[i];
                    if (b === BACKSLASH) {
                        escaped = true;
                        i++;
                        continue;
                    }
                    if (b === TAB || b === NL) {
                        if (escaped) this.escapedField(index++, data, fieldStart, i);
                        else this.onField(index++, data, fieldStart, i);
                        escaped = false;
                        fieldStart = i + 1;
                    }
                }
            }
            this.onRowEnd();
            ls = nl + 1;
        }
        if (ls < data.length) this.carry = Buffer.from(data.subarray(ls));
    }

    /** Total number of fields per row; fields past the echo range are parsed only when there are some. */
    fieldCount = Number.MAX_SAFE_INTEGER;

    end(): void {
        if (this.carry && this.carry.length > 0) throw new Error("COPY output ended in the middle of a row");
    }

    private escapedField(index: number, data: Buffer, start: number, end: number): void {
        if (end - start === 2 && data[start + 1] === 0x4e) {
            this.onField(index, null, 0, 0);
            return;
        }
        const text = unescapeCopy(data, start, end, this.scratch);
        this.scratch = text.buf;
        this.onField(index, text.buf, 0, text.length);
    }
}

/** Unescapes one COPY text field into `scratch` (grown if needed). */
export function unescapeCopy(data: Uint8Array, start: number, end: number, scratch: Buffer): { buf: Buffer; length: number } {
    const out = scratch.length < end - start ? Buffer.allocUnsafe((end - start) * 2) : scratch;
    let p = 0;
    for (let i = start; i < end; i++) {
        const b = data[i];
        if (b !== BACKSLASH) {
            out[p++] = b;
            continue;
        }
        const n = data[++i];
        switch (n) {
            case 0x74: out[p++] = 0x09; break; // t
            case 0x6e: out[p++] = 0x0a; break; // n
            case 0x72: out[p++] = 0x0d; break; // r
            case 0x62: out[p++] = 0x08; break; // b
            case 0x66: out[p++] = 0x0c; break; // f
            case 0x76: out[p++] = 0x0b; break; // v
            default:
                if (n >= 0x30 && n <= 0x37) {
                    let v = n - 0x30;
                    for (let k = 0; k < 2 && data[i + 1] >= 0x30 && data[i + 1] <= 0x37; k++) v = v * 8 + (data[++i] - 0x30);
                    out[p++] = v & 0xff;
                } else out[p++] = n;
        }
    }
    return { buf: out, length: p };
}

/** The fields of an escaped COPY range as text (NULL as "NULL"), for sample keys. */
export function copyFieldsText(data: Uint8Array, start: number, end: number): string[] {
    const out: string[] = [];
    let fieldStart = start;
    for (let i = start; i <= end; i++) {
        if (i < end && data[i] === BACKSLASH) {
            i++;
            continue;
        }
        if (i === end || data[i] === TAB) {
            if (i - fieldStart === 2 && data[fieldStart] === BACKSLASH && data[fieldStart + 1] === 0x4e) out.push("NULL");
            else {
                const t = unescapeCopy(data, fieldStart, i, Buffer.allocUnsafe(Math.max(16, i - fieldStart)));
                out.push(t.buf.toString("utf8", 0, t.length));
            }
            fieldStart = i + 1;
        }
    }
    return out;
}

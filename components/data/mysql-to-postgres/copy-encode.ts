// MySQL text-protocol values (raw bytes from mysql2 with typeCast off) → PostgreSQL COPY text format, hashing each
// value's canonical form on the way. This is the hot path: byte loops, no per-value strings on common types. Pure.
import { mixCanonical, type TableHasher } from "./checksum";
import type { Canon, Coercion } from "./types";

const BACKSLASH = 0x5c;
const TAB = 0x09;
const NL = 0x0a;
const CR = 0x0d;
const ZERO = 0x30;
const HEX = Buffer.from("0123456789abcdef", "latin1");

/** A growable output buffer of COPY text; full chunks are handed out with take(). */
export class CopyBuffer {
    buf: Buffer;
    pos = 0;

    constructor(private readonly chunkSize = 256 * 1024) {
        this.buf = Buffer.allocUnsafe(chunkSize);
    }

    /** Makes room for n more bytes, moving the pending bytes into a bigger buffer if needed. */
    ensure(n: number): void {
        if (this.pos + n <= this.buf.length) return;
        const next = Buffer.allocUnsafe(Math.max(this.chunkSize, this.pos + n));
        this.buf.copy(next, 0, 0, this.pos);
        this.buf = next;
    }

    /** Hands out the bytes written so far and starts a fresh buffer. */
    take(): Buffer {
        const out = this.buf.subarray(0, this.pos);
        this.buf = Buffer.allocUnsafe(this.chunkSize);
        this.pos = 0;
        return out;
    }

    byte(b: number): void {
        this.ensure(1);
        this.buf[this.pos++] = b;
    }

    /** Bytes that need no escaping (digits, dates, hex). */
    raw(src: Uint8Array, start = 0, end = src.length): void {
        const n = end - start;
        this.ensure(n);
        const out = this.buf;
        let p = this.pos;
        if (n < 32) for (let i = start; i < end; i++) out[p++] = src[i];
        else {
            out.set(src.subarray(start, end), p);
            p += n;
        }
        this.pos = p;
    }

    ascii(s: string): void {
        this.ensure(s.length);
        const out = this.buf;
        let p = this.pos;
        for (let i = 0; i < s.length; i++) out[p++] = s.charCodeAt(i);
        this.pos = p;
    }

    /** Writes text with COPY escaping (backslash and \b \t \n \v \f \r, like COPY TO); drops NUL bytes, returns how many. */
    escaped(src: Uint8Array, start = 0, end = src.length): number {
        this.ensure((end - start) * 2);
        const out = this.buf;
        let p = this.pos;
        let nul = 0;
        let run = start;
        for (let i = start; i < end; i++) {
            const b = src[i];
            // Escaped exactly as PostgreSQL's COPY TO prints them, so sent text and printed text are the same bytes.
            if (b > BACKSLASH || (b > CR && b !== BACKSLASH) || (b < 0x08 && b !== 0)) continue;
            // Copy the plain run before the special byte, then its escape.
            if (i > run) {
                if (i - run < 24) for (let k = run; k < i; k++) out[p++] = src[k];
                else {
                    out.set(src.subarray(run, i), p);
                    p += i - run;
                }
            }
            run = i + 1;
            switch (b) {
                case 0: nul++; break;
                case BACKSLASH: out[p++] = BACKSLASH; out[p++] = BACKSLASH; break;
                case TAB: out[p++] = BACKSLASH; out[p++] = 0x74; break;
                case NL: out[p++] = BACKSLASH; out[p++] = 0x6e; break;
                case CR: out[p++] = BACKSLASH; out[p++] = 0x72; break;
                case 0x08: out[p++] = BACKSLASH; out[p++] = 0x62; break; // \b
                case 0x0b: out[p++] = BACKSLASH; out[p++] = 0x76; break; // \v
                default: out[p++] = BACKSLASH; out[p++] = 0x66; break; // \f (0x0c)
            }
        }
        if (end > run) {
            if (end - run < 24) for (let k = run; k < end; k++) out[p++] = src[k];
            else {
                out.set(src.subarray(run, end), p);
                p += end - run;
            }
        }
        this.pos = p;
        return nul;
    }

    escapedString(s: string): number {
        const b = Buffer.from(s, "utf8");
        return this.escaped(b, 0, b.length);
    }

    nullValue(): void {
        this.ensure(2);
        this.buf[this.pos++] = BACKSLASH;
        this.buf[this.pos++] = 0x4e; // \N
    }
}

/** Per-column state of one table copy: the conversion, the checksum canon and counters for warnings. */
export interface ColumnState {
    coercion: Coercion;
    canon: Canon;
    /** Sent in canonical form and hashed as part of the row's echo range (see ColumnPlan.echo). */
    echo: boolean;
    /** Echo timestamps into timestamptz: sent with "+00" (the session and the verification print UTC). */
    utcSuffix: boolean;
    /** Part of the primary key (or of the row identity when there is none): feeds the key hash. */
    key: boolean;
    zeroDates: number;
    nulBytes: number;
    name: string;
}

/** A zero or partly-zero MySQL date ('0000-00-00', '2010-00-15', '0000-00-00 00:00:00'): PostgreSQL has none. */
export function isZeroDate(v: Uint8Array, s = 0, end = v.length): boolean {
    if (end - s < 10) return false;
    const zeroYear = v[s] === ZERO && v[s + 1] === ZERO && v[s + 2] === ZERO && v[s + 3] === ZERO;
    const zeroMonth = v[s + 5] === ZERO && v[s + 6] === ZERO;
    const zeroDay = v[s + 8] === ZERO && v[s + 9] === ZERO;
    return zeroYear || zeroMonth || zeroDay;
}

const scratch = { buf: Buffer.allocUnsafe(1024) };

function stripNul(v: Buffer, col: ColumnState): Buffer {
    if (v.indexOf(0) < 0) return v;
    const out = Buffer.allocUnsafe(v.length);
    let p = 0;
    for (let i = 0; i < v.length; i++) {
        if (v[i] === 0) col.nulBytes++;
        else out[p++] = v[i];
    }
    return out.subarray(0, p);
}

/** Sends a computed string value: canonical hash of `canonText ?? value`, then the escaped value. */
function sendString(value: string, out: CopyBuffer, h: TableHasher, col: ColumnState, canonText?: string): void {
    const b = Buffer.from(canonText ?? value, "utf8");
    mixCanonical(h, col.canon, b, 0, b.length, col.key);
    out.escapedString(value);
}

function ipv6(bytes: Buffer): string {
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
    // RFC 5952: the longest run (≥ 2) of zero groups becomes "::".
    let bestStart = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
        if (groups[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        if (j - i > bestLen && j - i >= 2) {
            bestStart = i;
            bestLen = j - i;
        }
        i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (bestStart < 0) return hex.join(":");
    return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** WKT POINT(x y) → (x,y); LINESTRING(x y, …) → [(x,y),…]. */
export function wktToPg(wkt: string, kind: "point" | "path"): string {
    const body = /\(([^()]*)\)/.exec(wkt);
    if (!body) throw new Error(`cannot convert geometry ${wkt.slice(0, 40)} to ${kind}`);
    const pairs = body[1]
        .split(",")
        .map((p) => p.trim().split(/\s+/))
        .map(([x, y]) => `(${x},${y})`);
    if (kind === "point") {
        if (!/^POINT/i.test(wkt) || pairs.length !== 1) throw new Error(`geometry ${wkt.slice(0, 40)} is not a POINT`);
        return pairs[0];
    }
    return `[${pairs.join(",")}]`;
}

/**
 * Encodes one value into COPY text and hashes its canonical form. `v` is the raw text-protocol value (null for
 * NULL). Throws on values that cannot be converted (the message names the value's kind, never its content).
 */
export function encodeValue(v: Buffer | null, out: CopyBuffer, h: TableHasher, col: ColumnState): void {
    if (v === null) {
        out.nullValue();
        h.nul(col.key);
        return;
    }
    switch (col.coercion) {
        case "text": {
            if (col.canon === "identity") {
                // Fused: escape, strip NUL and hash in one pass over the bytes.
                const nul = out.escaped(v, 0, v.length);
                if (nul === 0) h.bytes(v, 0, v.length, col.key);
                else {
                    const clean = stripNul(v, col);
                    h.bytes(clean, 0, clean.length, col.key);
                }
                return;
            }
            const clean = stripNul(v, col);
            mixCanonical(h, col.canon, clean, 0, clean.length, col.key);
            out.escaped(clean, 0, clean.length);
            return;
        }
        case "number":
        case "float4":
        case "float8":
            mixCanonical(h, col.canon, v, 0, v.length, col.key);
            out.raw(v);
            return;
        case "bool": {
            const isFalse = v.length === 1 ? v[0] === ZERO : Number(v.toString("latin1")) === 0;
            const t = isFalse ? 0x66 : 0x74; // f / t
            scratch.buf[0] = t;
            h.bytes(scratch.buf, 0, 1, col.key);
            out.byte(t);
            return;
        }
        case "date":
        case "datetime":
            if (isZeroDate(v)) {
                col.zeroDates++;
                out.nullValue();
                h.nul(col.key);
                return;
            }
            mixCanonical(h, col.canon, v, 0, v.length, col.key);
            out.raw(v);
            return;
        case "timestamp":
            if (isZeroDate(v)) {
                col.zeroDates++;
                out.nullValue();
                h.nul(col.key);
                return;
            }
            mixCanonical(h, col.canon, v, 0, v.length, col.key);
            out.raw(v);
            out.ascii("+00");
            return;
        case "time":
            mixCanonical(h, col.canon, v, 0, v.length, col.key);
            out.raw(v);
            return;
        case "bytea": {
            // \\x + hex; the hash covers the unescaped text (\x + hex), i.e. what PostgreSQL prints back.
            const n = v.length;
            out.ensure(3 + n * 2);
            const start = out.pos;
            const b = out.buf;
            b[start] = BACKSLASH;
            b[start + 1] = BACKSLASH;
            b[start + 2] = 0x78;
            let p = start + 3;
            if (n > 64) {
                p += b.write(v.toString("hex"), p, "latin1");
            } else {
                for (let i = 0; i < n; i++) {
                    const x = v[i];
                    b[p++] = HEX[x >> 4];
                    b[p++] = HEX[x & 15];
                }
            }
            out.pos = p;
            mixCanonical(h, col.canon, b, start + 1, p, col.key);
            return;
        }
        case "hex-to-bytea": {
            const text = v.toString("latin1").trim().replace(/^0x/i, "");
            if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error("value is not an even number of hex digits");
            sendString(`\\x${text.toLowerCase()}`, out, h, col);
            return;
        }
        case "set-array": {
            const text = stripNul(v, col).toString("utf8");
            const literal = text === "" ? "{}" : `{${text.split(",").map((e) => `"${e.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
            sendString(literal, out, h, col);
            return;
        }
        case "json": {
            const clean = stripNul(v, col);
            mixCanonical(h, col.canon, clean, 0, clean.length, col.key);
            out.escaped(clean, 0, clean.length);
            return;
        }
        case "point":
        case "path":
            sendString(wktToPg(v.toString("latin1"), col.coercion), out, h, col);
            return;
        case "uuid-text": {
            const text = v.toString("latin1").trim();
            if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(text)) throw new Error("value is not a UUID");
            sendString(text, out, h, col);
            return;
        }
        case "uuid-binary": {
            if (v.length !== 16) throw new Error(`binary UUID must be 16 bytes, got ${v.length}`);
            const x = v.toString("hex");
            sendString(`${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`, out, h, col);
            return;
        }
        case "inet-binary": {
            if (v.length === 0) {
                out.nullValue();
                h.nul(col.key);
                return;
            }
            if (v.length === 4) sendString(`${v[0]}.${v[1]}.${v[2]}.${v[3]}`, out, h, col);
            else if (v.length === 16) sendString(ipv6(v), out, h, col);
            else throw new Error(`an IP address has 4 or 16 bytes, got ${v.length}`);
            return;
        }
        case "interval-microseconds": {
            const n = v.toString("latin1");
            if (!/^-?\d+$/.test(n)) throw new Error("duration is not an integer number of microseconds");
            sendString(`${n} microseconds`, out, h, col, n);
            return;
        }
    }
}

/** End of the canonical form of a decimal or timestamp text: trailing fractional zeros (and a lone dot) dropped. */
function trimFraction(v: Uint8Array, start = 0, end = v.length): number {
    let dot = -1;
    for (let i = end - 1; i >= start; i--) {
        const b = v[i];
        if (b === 0x2e) {
            dot = i;
            break;
        }
        if (b < ZERO || b > 0x39) return end;
    }
    if (dot < 0) return end;
    let e = end;
    while (e > dot + 1 && v[e - 1] === ZERO) e--;
    return e === dot + 1 ? dot : e;
}

/** Encodes an echo column's value (bytes [s, e) of buf) in its canonical form; hashed later with the row's echo range. */
export function encodeEchoRange(buf: Buffer, s: number, e: number, out: CopyBuffer, col: ColumnState): void {
    switch (col.coercion) {
        case "text":
            col.nulBytes += out.escaped(buf, s, e);
            return;
        case "number":
            out.raw(buf, s, trimFraction(buf, s, e));
            return;
        case "bool": {
            const isFalse = e - s === 1 ? buf[s] === ZERO : Number(buf.toString("latin1", s, e)) === 0;
            out.byte(isFalse ? 0x66 : 0x74);
            return;
        }
        case "bytea": {
            const n = e - s;
            out.ensure(3 + n * 2);
            const b = out.buf;
            let p = out.pos;
            b[p++] = BACKSLASH;
            b[p++] = BACKSLASH;
            b[p++] = 0x78;
            if (n > 64) p += b.write(buf.toString("hex", s, e), p, "latin1");
            else
                for (let i = s; i < e; i++) {
                    const x = buf[i];
                    b[p++] = HEX[x >> 4];
                    b[p++] = HEX[x & 15];
                }
            out.pos = p;
            return;
        }
        case "date":
        case "datetime":
        case "timestamp":
            if (isZeroDate(buf, s, e)) {
                col.zeroDates++;
                out.nullValue();
                return;
            }
            out.raw(buf, s, col.coercion === "date" ? e : trimFraction(buf, s, e));
            if (col.utcSuffix) out.ascii("+00");
            return;
        case "time":
            out.raw(buf, s, trimFraction(buf, s, e));
            return;
        default:
            throw new Error(`${col.coercion} is not an echo conversion`);
    }
}

/** Encodes an echo column's value (a whole Buffer) in its canonical form. */
export function encodeEcho(v: Buffer | null, out: CopyBuffer, col: ColumnState): void {
    if (v === null) out.nullValue();
    else encodeEchoRange(v, 0, v.length, out, col);
}

/** How a row is laid out: echo columns first (key columns among them first), then the value-by-value ones. */
export interface RowLayout {
    echoCount: number;
    keyEchoCount: number;
}

/**
 * Encodes one row (values in layout order) and hashes it: the echo range [row start, end of the last echo value)
 * as raw bytes, the key range for the bucket, then each remaining value in canonical form.
 */
export function encodeRow(row: (Buffer | null)[], out: CopyBuffer, h: TableHasher, states: ColumnState[], layout: RowLayout): void {
    const n = states.length;
    const start = out.pos;
    for (let i = 0; i < n; i++) {
        if (i > 0) {
            if (i === layout.echoCount) hashEchoRange(out, h, start, layout);
            out.byte(TAB);
        }
        const s = states[i];
        if (s.echo) encodeEcho(row[i], out, s);
        else encodeValue(row[i], out, h, s);
        if (i === layout.keyEchoCount - 1) keyEnd = out.pos;
    }
    if (layout.echoCount === n && n > 0) hashEchoRange(out, h, start, layout);
    out.byte(NL);
    h.endRow();
}

let keyEnd = 0;

/** encodeRow for a row given as byte ranges of one buffer (start -1 for NULL): the copy's hot path. */
export function encodeRawRow(buf: Buffer, starts: Int32Array, ends: Int32Array, out: CopyBuffer, h: TableHasher, states: ColumnState[], layout: RowLayout): void {
    const n = states.length;
    const start = out.pos;
    for (let i = 0; i < n; i++) {
        if (i > 0) {
            if (i === layout.echoCount) hashEchoRange(out, h, start, layout);
            out.byte(TAB);
        }
        const s = states[i];
        const vs = starts[i];
        if (vs < 0) {
            if (s.echo) out.nullValue();
            else encodeValue(null, out, h, s);
        } else if (s.echo) encodeEchoRange(buf, vs, ends[i], out, s);
        else encodeValue(buf.subarray(vs, ends[i]), out, h, s);
        if (i === layout.keyEchoCount - 1) keyEnd = out.pos;
    }
    if (layout.echoCount === n && n > 0) hashEchoRange(out, h, start, layout);
    out.byte(NL);
    h.endRow();
}

function hashEchoRange(out: CopyBuffer, h: TableHasher, start: number, layout: RowLayout): void {
    if (layout.keyEchoCount > 0) h.keyOnly(out.buf, start, keyEnd);
    h.bytes(out.buf, start, out.pos, false);
}

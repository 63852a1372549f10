// A dump's literal values → the MySQL text-protocol values the live source reads for the same column and select
// expression (so the encoding and the checksums downstream are the same code for both sources), and the probe
// aggregates computed over them. Pure: no I/O.
import { ValueKind, type DumpRow } from "./dump-parser";
import { bitWidth, sourceCategory } from "./type-mapping";
import type { SourceColumn } from "./types";
import type { LocalAggregate } from "./value-ranges";

/** How one column's value is turned into what the server would send for the select expression. */
export type ConvertKind = "raw" | "float" | "bit-number" | "bit-string" | "wkt";

export interface ColumnConverter {
    kind: ConvertKind;
    /** Text of a string column is decoded from the dump's character set (latin1 = cp1252) to UTF-8. */
    text: boolean;
    /** BIT columns: bytes of a value. */
    bitBytes: number;
    bitWidth: number;
    /** TIMESTAMP columns when the dump's TIME_ZONE is an offset other than +00:00: minutes to subtract. */
    offsetMinutes: number;
    flavor: "MariaDB" | "MySQL";
}

const TEXT_CATEGORIES = new Set(["char", "enum", "set", "json", "date", "datetime", "timestamp", "time", "year"]);

/** The converter of a column read through `selectExpr` (one of the expressions coercionFor writes). */
export function converterFor(col: SourceColumn, selectExpr: string, flavor: "MariaDB" | "MySQL", timeZone: string | null): ColumnConverter {
    const cat = sourceCategory(col);
    let kind: ConvertKind = "raw";
    if (/^\(.*\+ 0E0\)$/.test(selectExpr)) kind = "float";
    else if (/^CAST\(.* AS UNSIGNED\)$/.test(selectExpr)) kind = "bit-number";
    else if (/^LPAD\(BIN\(/.test(selectExpr)) kind = "bit-string";
    else if (/^ST_AsText\(/.test(selectExpr)) kind = "wkt";
    const width = cat === "bit" || cat === "bit1" ? bitWidth(col) : 0;
    let offsetMinutes = 0;
    const m = cat === "timestamp" && timeZone ? /^([+-])(\d{1,2}):(\d{2})$/.exec(timeZone) : null;
    if (m) offsetMinutes = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
    return { kind, text: TEXT_CATEGORIES.has(cat) || (cat === "char" && col.charset !== "binary"), bitBytes: Math.ceil(width / 8), bitWidth: width, offsetMinutes, flavor };
}

const cp1252 = new TextDecoder("windows-1252");

/** Writes converted values into a growable buffer; the copy reads them as one row of byte ranges. */
export class ValueOut {
    buf: Buffer = Buffer.allocUnsafe(64 * 1024);
    pos = 0;

    ensure(n: number): void {
        if (this.pos + n <= this.buf.length) return;
        const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
        this.buf.copy(next, 0, 0, this.pos);
        this.buf = next;
    }

    bytes(src: Buffer, s: number, e: number): void {
        this.ensure(e - s);
        src.copy(this.buf, this.pos, s, e);
        this.pos += e - s;
    }

    ascii(text: string): void {
        this.ensure(text.length * 3);
        this.pos += this.buf.write(text, this.pos, "utf8");
    }
}

/** The bytes of a BIT value as an unsigned integer. */
function bitsValue(buf: Buffer, s: number, e: number): bigint {
    let v = 0n;
    for (let i = s; i < e; i++) v = (v << 8n) | BigInt(buf[i]);
    return v;
}

/**
 * Converts value i of a dump row for one column; returns false for NULL. `names` is the dump's SET NAMES (the
 * character set of its string literals). Throws on a value the column cannot hold (the message names its kind).
 */
export function convertValue(row: DumpRow, i: number, conv: ColumnConverter, names: string, out: ValueOut): boolean {
    const kind = row.kinds[i];
    if (kind === ValueKind.Null) return false;
    const buf = row.buf;
    const s = row.starts[i];
    const e = row.ends[i];
    switch (conv.kind) {
        case "raw":
            if (conv.bitBytes > 0) {
                // A BIT column read as itself: its bytes, as wide as the column.
                const v = kind === ValueKind.Number || kind === ValueKind.Text ? BigInt(buf.toString("latin1", s, e) || "0") : bitsValue(buf, s, e);
                const bytes = Buffer.alloc(conv.bitBytes);
                let x = v;
                for (let k = conv.bitBytes - 1; k >= 0; k--) {
                    bytes[k] = Number(x & 0xffn);
                    x >>= 8n;
                }
                out.bytes(bytes, 0, bytes.length);
                return true;
            }
            if (conv.text && (kind === ValueKind.Latin1 || ((kind === ValueKind.Text || kind === ValueKind.Bytes) && names === "latin1" && kind !== ValueKind.Bytes))) {
                out.ascii(cp1252.decode(buf.subarray(s, e)));
                return true;
            }
            if (conv.offsetMinutes !== 0 && kind === ValueKind.Text) {
                out.ascii(shiftTimestamp(buf.toString("latin1", s, e), -conv.offsetMinutes));
                return true;
            }
            out.bytes(buf, s, e);
            return true;
        case "float": {
            const n = Math.fround(Number(buf.toString("latin1", s, e)));
            out.ascii(formatDouble(n));
            return true;
        }
        case "bit-number": {
            const v = kind === ValueKind.Number ? BigInt(buf.toString("latin1", s, e)) : bitsValue(buf, s, e);
            out.ascii(v.toString());
            return true;
        }
        case "bit-string": {
            const v = kind === ValueKind.Number ? BigInt(buf.toString("latin1", s, e)) : bitsValue(buf, s, e);
            out.ascii(v.toString(2).padStart(conv.bitWidth, "0"));
            return true;
        }
        case "wkt":
            out.ascii(geometryToWkt(buf.subarray(s, e), conv.flavor));
            return true;
    }
}

/** A double as MySQL prints it (shortest round-trip digits, exponent without "+"). */
export function formatDouble(n: number): string {
    if (Object.is(n, -0)) return "-0";
    return String(n).replace("e+", "e");
}

/** 'YYYY-MM-DD HH:MM:SS[.ffffff]' moved by `minutes`. */
function shiftTimestamp(text: string, minutes: number): string {
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(text);
    if (!m || m[1] === "0000") return text;
    const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + minutes * 60_000;
    const d = new Date(t);
    const p = (x: number, w = 2): string => String(x).padStart(w, "0");
    return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${m[7] ?? ""}`;
}

/** MySQL's internal geometry (4-byte SRID + WKB) → WKT as ST_AsText prints it. */
export function geometryToWkt(v: Buffer, flavor: "MariaDB" | "MySQL" = "MariaDB"): string {
    if (v.length < 9) throw new Error("geometry value is too short");
    let p = 4; // SRID
    const num = (little: boolean): string => {
        const x = little ? v.readDoubleLE(p) : v.readDoubleBE(p);
        p += 8;
        return formatDouble(x);
    };
    const u32 = (little: boolean): number => {
        const x = little ? v.readUInt32LE(p) : v.readUInt32BE(p);
        p += 4;
        return x;
    };
    const point = (little: boolean): string => `${num(little)} ${num(little)}`;
    const points = (little: boolean): string => {
        const n = u32(little);
        const out: string[] = [];
        for (let i = 0; i < n; i++) out.push(point(little));
        return out.join(",");
    };
    const rings = (little: boolean): string => {
        const n = u32(little);
        const out: string[] = [];
        for (let i = 0; i < n; i++) out.push(`(${points(little)})`);
        return out.join(",");
    };
    const geometry = (tagged: boolean): string => {
        const little = v[p] === 1;
        p++;
        const type = u32(little);
        const body = (): string => {
            switch (type) {
                case 1:
                    return point(little);
                case 2:
                    return points(little);
                case 3:
                    return rings(little);
                case 4: {
                    const n = u32(little);
                    const out: string[] = [];
                    for (let i = 0; i < n; i++) {
                        const inner = geometry(false);
                        out.push(flavor === "MySQL" ? `(${inner})` : inner);
                    }
                    return out.join(",");
                }
                case 5:
                case 6: {
                    const n = u32(little);
                    const out: string[] = [];
                    for (let i = 0; i < n; i++) out.push(`(${geometry(false)})`);
                    return out.join(",");
                }
                case 7: {
                    const n = u32(little);
                    const out: string[] = [];
                    for (let i = 0; i < n; i++) out.push(geometry(true));
                    return out.join(",");
                }
                default:
                    throw new Error(`unknown geometry type ${type}`);
            }
        };
        const names = ["", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"];
        const text = body();
        return tagged ? `${names[type]}(${text})` : text;
    };
    return geometry(true);
}

// ---------------------------------------------------------------------------------------------------------------
// Probe aggregates over converted values (the answers the live source's SQL gives).

const INTEGER = /^-?\d+$/;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const JSON_NUL = /(^|[^\\])(\\\\)*\\u0000/;

/** Seconds of a TIME text (sign, hours past 24, fraction). */
function timeSeconds(t: string): number {
    const m = /^(-)?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(t.trim());
    if (!m) return Number.NaN;
    const v = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
    return m[1] ? -v : v;
}

function compareNumeric(a: string, b: string): number {
    if (a === b) return 0;
    if (a.length === 1 && b.length === 1 && isDigit(a.charCodeAt(0)) && isDigit(b.charCodeAt(0))) return a.charCodeAt(0) - b.charCodeAt(0);
    // Integers that fit a double exactly (most values) compare as numbers; longer ones as BigInt.
    if (a.length < 16 && b.length < 16 && INTEGER.test(a) && INTEGER.test(b)) return Number(a) - Number(b);
    if (INTEGER.test(a) && INTEGER.test(b)) {
        const x = BigInt(a);
        const y = BigInt(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    return Number(a) - Number(b);
}

export class Aggregate {
    private count = 0;
    private nonNull = 0;
    private rows = 0;
    private min: string | null = null;
    private max: string | null = null;
    private minKey = 0;
    private maxKey = 0;

    constructor(readonly local: LocalAggregate) {}

    add(v: string | null): void {
        this.rows++;
        const l = this.local;
        if (v === null) {
            if (l.kind === "nulls") this.count++;
            return;
        }
        this.nonNull++;
        switch (l.kind) {
            case "outside-time": {
                const secs = timeSeconds(v);
                if (secs < 0 || secs > 86400) this.count++;
                this.minMax(v, secs, secs);
                return;
            }
            case "not-bool":
                if (Number(v) !== 0 && Number(v) !== 1) this.count++;
                this.minMaxText(v);
                return;
            case "min-max":
                this.minMaxText(v);
                return;
            case "json-nul":
                if (JSON_NUL.test(v)) this.count++;
                return;
            case "zero-dates":
                if (v.startsWith("0000-") || v.slice(5, 7) === "00" || v.slice(8, 10) === "00") this.count++;
                return;
            case "max-chars": {
                const n = [...v].length;
                if (n > this.count) this.count = n;
                return;
            }
            case "not-labels":
                if (!l.labels.includes(v)) this.count++;
                return;
            case "nulls":
                return;
        }
    }

    private minMax(v: string, key: number, _k2: number): void {
        if (this.min === null || key < this.minKey) {
            this.min = v;
            this.minKey = key;
        }
        if (this.max === null || key > this.maxKey) {
            this.max = v;
            this.maxKey = key;
        }
    }

    private minMaxText(v: string): void {
        if (this.min === null || compareNumeric(v, this.min) < 0) this.min = v;
        if (this.max === null || compareNumeric(v, this.max) > 0) this.max = v;
    }

    /** The aggregate's value as the server's SQL would return it (NULL when there are no rows, or no values). */
    result(): string | null {
        const l = this.local;
        if (this.rows === 0) return null;
        switch (l.kind) {
            case "outside-time":
            case "not-bool":
                return this.nonNull === 0 ? null : `${this.count},${this.min},${this.max}`;
            case "min-max":
                return this.nonNull === 0 ? null : `${this.min},${this.max}`;
            case "max-chars":
                return this.nonNull === 0 ? null : String(this.count);
            case "json-nul":
            case "zero-dates":
            case "not-labels":
                return this.nonNull === 0 ? null : String(this.count);
            case "nulls":
                return String(this.count);
        }
    }
}

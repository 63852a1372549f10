// One unit's rows: `COPY … TO STDOUT` on the source (in the shared snapshot) piped into `COPY … FROM STDIN` on the
// target, with backpressure (no file, flat memory). Verbatim tables take the fast path: the source's CopyData
// messages are forwarded to the target socket as they arrive, frames and all (the message is the same in both
// directions), so Node touches no row: it only walks the 5-byte message headers to count rows and find the end. A
// table with a rowTransform hook is decoded row by row, rewritten and re-encoded. The content checksums are computed
// by the servers themselves (serverChecksum): an order-independent sum of a 64-bit hash of each row (the XOR of its
// columns' value hashes), on the source in the snapshot and on the target after the load, so no row crosses Node twice.
import { Readable, Transform, Writable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Client, Connection, Submittable } from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { CopyTextParser, TableHasher } from "../mysql-to-postgres/checksum";
import { FLUSH_AT } from "../mysql-to-postgres/copy";
import { qualify, quoteIdent } from "../mysql-to-postgres/identifiers";
import { bucketKey, type ColumnHash, type DataTable } from "./catalog";
import type { Row } from "./hooks";
import { rangeCondition, type DataUnit } from "./ranges";
import { decodeRow, encodeRow } from "./row-codec";

/** Copy column order: the bucket key's columns first (kept for the rewrite path's parser), then the rest. */
export function copyColumns(t: DataTable): string[] {
    const key = bucketKey(t);
    return [...key, ...t.columns.map((c) => c.name).filter((c) => !key.includes(c))];
}

/** A row counter (and hasher) fed by COPY text, for the rewrite path. */
export function copyHasher(t: DataTable): { hasher: TableHasher; parser: CopyTextParser } {
    const hasher = new TableHasher();
    const columns = copyColumns(t);
    const keyCount = bucketKey(t).length;
    const parser = new CopyTextParser(
        { echoCount: columns.length, keyEchoCount: keyCount },
        (buf, start, keyEnd, end) => {
            if (keyCount > 0) hasher.keyOnly(buf, start, keyEnd);
            hasher.bytes(buf, start, end, false);
        },
        () => undefined,
        () => hasher.endRow(),
    );
    parser.fieldCount = columns.length;
    return { hasher, parser };
}

export interface UnitContext {
    table: DataTable;
    filter?: string;
    transform?: (row: Row) => Row;
    /** Whole-table units: TRUNCATE then COPY FREEZE (the rows need no later vacuum to be visible to all). */
    freeze: boolean;
    /** Move the rows in COPY's binary format (both servers of one major version, DataTable.binary): half the parsing and printing. */
    binary?: boolean;
    onProgress: (rows: number, bytes: number) => void;
}

export function sourceSelect(t: DataTable, columns: string[], where: string[], binary = false): string {
    const list = columns.map(quoteIdent).join(", ");
    const format = binary ? " (FORMAT binary)" : "";
    if (where.length === 0) return `COPY ${qualify(t.schema, t.name)} (${list}) TO STDOUT${format}`;
    return `COPY (SELECT ${list} FROM ONLY ${qualify(t.schema, t.name)} WHERE ${where.map((w) => `(${w})`).join(" AND ")}) TO STDOUT${format}`;
}

/** The WHERE conditions of a unit on the source: its ctid range and the hooks' row filter. */
export function unitConditions(unit: DataUnit, filter: string | undefined): string[] {
    return [rangeCondition(unit), filter].filter((w): w is string => w !== undefined && w.trim() !== "");
}

/** Bytes the streams buffer: large, so a worker moves big socket reads and writes, not many small ones. */
const STREAM_BUFFER = 1024 * 1024;

/** Streams one unit inside the target's open transaction; returns what was sent. */
export async function copyUnit(unit: DataUnit, ctx: UnitContext, src: Client, dst: Client): Promise<{ rows: number; bytes: number; written: number }> {
    const t = ctx.table;
    const columns = copyColumns(t);
    const where = unitConditions(unit, ctx.filter);
    const target = qualify(t.schema, t.name);
    if (ctx.freeze) await dst.query(`TRUNCATE ONLY ${target}`);
    if (!ctx.transform) {
        const binary = ctx.binary === true;
        const options = [...(ctx.freeze ? ["FREEZE"] : []), ...(binary ? ["FORMAT binary"] : [])];
        const into = `COPY ${target} (${columns.map(quoteIdent).join(", ")}) FROM STDIN${options.length > 0 ? ` WITH (${options.join(", ")})` : ""}`;
        const source = src.query(new RawCopyOut(sourceSelect(t, columns, where, binary), binary, ctx.onProgress));
        const sink = dst.query(rawCopyIn(into));
        await pipeline(source, sink);
        ctx.onProgress(source.rows, source.bytes);
        if (source.rowCount !== source.rows) throw new Error(`the source reported ${source.rowCount} rows, ${source.rows} were received`);
        return { rows: source.rows, bytes: source.bytes, written: Number(sink.rowCount ?? -1) };
    }
    const into = `COPY ${target} (${columns.map(quoteIdent).join(", ")}) FROM STDIN${ctx.freeze ? " WITH (FREEZE)" : ""}`;
    const { hasher, parser } = copyHasher(t);
    let bytes = 0;
    let lastProgress = Date.now();
    const progress = (): void => {
        const now = Date.now();
        if (now - lastProgress > 250) {
            lastProgress = now;
            ctx.onProgress(hasher.rows, bytes);
        }
    };
    const tap = new RowRewriter(ctx.transform, parser, (n) => (bytes += n), progress);
    const source = src.query(copyTo(sourceSelect(t, columns, where), { highWaterMark: STREAM_BUFFER }));
    const sink = dst.query(copyFrom(into, { highWaterMark: STREAM_BUFFER }));
    await pipeline(source, tap, sink);
    parser.end();
    ctx.onProgress(hasher.rows, bytes);
    return { rows: hasher.rows, bytes, written: Number(sink.rowCount ?? -1) };
}

const COPY_DATA = 0x64; // d
const NOTICE = 0x4e; // N: may come between CopyData messages, like the two below; dropped
const PARAMETER_STATUS = 0x53; // S
const NOTIFICATION = 0x41; // A
const COPY_OUT_RESPONSE = 0x48; // H: the first message, before the rows

/**
 * `COPY … TO STDOUT` as a Readable of raw CopyData messages (5-byte header included), sliced out of the socket's
 * buffers without copying. The connection handling is pg-copy-streams' copy-to (take the socket from pg, give it
 * back at the first message that ends copy-out mode: CopyDone, or an ErrorResponse that pg then reports).
 */
export class RawCopyOut extends Readable implements Submittable {
    /** Rows received: one CopyData message each (in binary format, the header rides with the first and the trailer has its own). */
    get rows(): number {
        return this.binary ? Math.max(0, this.messages - 1) : this.messages;
    }
    private messages = 0;
    /** Payload bytes received (the COPY text). */
    bytes = 0;
    /** The rows the source's CommandComplete reports. */
    rowCount = -1;
    private connection: { stream: Readable; query(text: string): void } | null = null;
    private pgDataHandler: ((b: Buffer) => void) | null = null;
    private drained = false;
    private forwarding = false;
    private finished = false;
    /** Length bytes of the current message still to read (0: not reading a length). */
    private lenNeeded = 0;
    private len = 0;
    /** Bytes left in the current message's body. */
    private remaining = 0;
    /** Whether the current message is forwarded (CopyData) or dropped. */
    private forward = false;
    private lastProgress = Date.now();
    private readonly onReadable = (): void => this.pump();

    constructor(
        readonly text: string,
        private readonly binary: boolean,
        private readonly onProgress?: (rows: number, bytes: number) => void,
    ) {
        super({ highWaterMark: STREAM_BUFFER });
    }

    /** Called by pg's Client when the query is dispatched. */
    submit(connection: Connection): void {
        this.connection = connection as unknown as { stream: Readable; query(text: string): void };
        const stream = this.connection.stream;
        const listeners = stream.listeners("data") as Array<(b: Buffer) => void>;
        if (listeners.length !== 1) throw new Error("unexpected pg connection state");
        this.pgDataHandler = listeners[0];
        stream.removeListener("data", this.pgDataHandler);
        stream.pause();
        this.pump();
        stream.on("readable", this.onReadable);
        this.connection.query(this.text);
    }

    override _read(): void {
        this.drained = true;
        this.pump();
    }

    private pump(): void {
        if (this.forwarding || !this.drained || !this.connection || this.finished) return;
        this.forwarding = true;
        const stream = this.connection.stream;
        let chunk: Buffer | null;
        while (this.drained && !this.finished && (chunk = stream.read() as Buffer | null) !== null) this.drained = this.parse(chunk);
        this.forwarding = false;
    }

    /** Forwards the CopyData bytes of one socket chunk; returns whether the consumer wants more. */
    private parse(chunk: Buffer): boolean {
        const n = chunk.length;
        let i = 0;
        let segment = this.forward ? 0 : -1;
        let wantMore = true;
        const flush = (end: number): void => {
            if (segment >= 0 && end > segment) wantMore = this.push(chunk.subarray(segment, end)) && wantMore;
            segment = -1;
        };
        while (i < n) {
            if (this.lenNeeded > 0) {
                this.len = this.len * 256 + chunk[i++];
                if (--this.lenNeeded === 0) {
                    this.remaining = this.len - 4;
                    if (this.forward) this.bytes += this.remaining;
                }
                continue;
            }
            if (this.remaining > 0) {
                const k = Math.min(this.remaining, n - i);
                i += k;
                this.remaining -= k;
                continue;
            }
            // A message boundary.
            const code = chunk[i];
            if (code === COPY_DATA && i + 5 <= n) {
                // The common case, a whole header in this chunk: read the length at once, skip the body.
                if (segment < 0) segment = i;
                this.forward = true;
                this.messages++;
                this.remaining = chunk.readUInt32BE(i + 1) - 4;
                this.bytes += this.remaining;
                i += 5;
                continue;
            }
            if (code === COPY_DATA) {
                if (segment < 0) segment = i;
                this.forward = true;
                this.messages++;
            } else {
                flush(i);
                this.forward = false;
                if (code !== COPY_OUT_RESPONSE && code !== NOTICE && code !== PARAMETER_STATUS && code !== NOTIFICATION) {
                    this.finish(chunk.subarray(i));
                    return false;
                }
            }
            i++;
            this.lenNeeded = 4;
            this.len = 0;
        }
        flush(n);
        const now = Date.now();
        if (this.onProgress && now - this.lastProgress > 250) {
            this.lastProgress = now;
            this.onProgress(this.rows, this.bytes);
        }
        return wantMore;
    }

    /** Copy-out mode is over: give the socket (and the rest of this chunk) back to pg. */
    private finish(rest: Buffer): void {
        this.finished = true;
        const stream = this.connection!.stream;
        stream.removeListener("readable", this.onReadable);
        stream.on("data", this.pgDataHandler!);
        this.pgDataHandler!(rest);
        process.nextTick(() => stream.resume());
    }

    private failed = false;

    handleError(err: Error): void {
        this.failed = true;
        this.destroy(err);
    }

    handleCommandComplete(msg: { text?: string }): void {
        const match = /COPY (\d+)/.exec(msg?.text ?? "");
        if (match) this.rowCount = Number(match[1]);
    }

    /** The end: after CommandComplete (rowCount is known) unless an error came first. */
    handleReadyForQuery(): void {
        if (!this.failed) this.push(null);
    }
}

type CopyFromStream = Writable & Submittable & { rowCount: number };

/** `COPY … FROM STDIN` that takes chunks already framed as CopyData messages (RawCopyOut's) and writes them as they are. */
export function rawCopyIn(text: string): CopyFromStream {
    const stream = copyFrom(text, { highWaterMark: STREAM_BUFFER }) as unknown as CopyFromStream & { connection: { stream: { write(b: Buffer): boolean } } | null; flushChunk(b: Buffer): boolean };
    stream.flushChunk = (chunk: Buffer): boolean => stream.connection!.stream.write(chunk);
    return stream;
}

/** 64-bit constants per column position (odd multiples of the golden ratio): a NULL's, a boolean's hashes. */
function positionConstant(i: number, salt: number): string {
    return BigInt.asIntN(64, 0x9e3779b97f4a7c15n * BigInt(2 * (i * 3 + salt) + 1)).toString();
}

/**
 * One column's 64-bit value hash, seeded with its position (so equal values in two columns, or two columns'
 * values swapped, do not cancel): its type's extended hash function on the stored value (ColumnHash), else the
 * hash of its text. Types whose hash function takes another type are mapped to an exact equivalent: booleans to
 * two constants, timestamptz and dates to their distance from the epoch (infinities by text). Others without a
 * callable function (bytea's takes `internal`) go through hash_record_extended of a one-column row.
 */
export function columnHashSql(h: ColumnHash | undefined, c: string, i: number): string {
    const seed = String(i + 1);
    const text = `pg_catalog.hashtextextended(${c}::text COLLATE "C", ${seed})`;
    if (!h?.proc) return text;
    switch (h.mode) {
        case "array":
            return `${h.proc}(${c}, ${seed})`;
        case "same":
            return `${h.proc}(${c}${TEXTUAL.has(h.type) ? ' COLLATE "C"' : ""}, ${seed})`;
        case "cast":
            return `${h.proc}(${c}::${h.cast}${h.cast === "pg_catalog.text" ? ' COLLATE "C"' : ""}, ${seed})`;
        default:
            if (h.type === "bool") return `CASE WHEN ${c} THEN ${positionConstant(i, 1)}::bigint WHEN NOT ${c} THEN ${positionConstant(i, 2)}::bigint END`;
            if (h.type === "timestamptz") return `CASE WHEN pg_catalog.isfinite(${c}) THEN pg_catalog.interval_hash_extended(${c} - timestamptz 'epoch', ${seed}) ELSE ${text} END`;
            if (h.type === "date") return `CASE WHEN pg_catalog.isfinite(${c}) THEN pg_catalog.hashint4extended(${c} - date 'epoch', ${seed}) ELSE ${text} END`;
            return `pg_catalog.hash_record_extended(ROW(${c}), ${seed})`;
    }
}

/** Collatable types whose hash uses the collation: hashed under "C" (the same bytes for any deterministic one). */
const TEXTUAL = new Set(["text", "bpchar"]);

/**
 * A row's 64-bit hash, the same on both servers: the XOR of its columns' value hashes (columnHashSql; NULL is a
 * constant per position), by column name, so the sides' column order does not matter. Calling each type's hash
 * function directly measured 20–45 % cheaper than hash_record_extended of the whole row, which first copies the row
 * into a record and takes it apart again.
 */
function rowHash(t: DataTable): string {
    return t.columns
        .map((col, i) => {
            const term = columnHashSql(t.columnHashes?.[i], `t.${quoteIdent(col.name)}`, i);
            return col.notNull ? `(${term})` : `coalesce(${term}, ${positionConstant(i, 0)}::bigint)`;
        })
        .join(" # ");
}

/** A server-side checksum: row count and the sum modulo 2^64 of a 64-bit hash of each row (order-independent, so ranges add up). */
export interface ServerChecksum {
    rows: number;
    /** 16 hex digits. */
    digest: string;
}

/**
 * Counts and hashes a table's rows (optionally only some: a range, a filter) on the server `c` is connected to,
 * inside whatever transaction it is in. Both sides run with the same output settings (session.ts), so a value hashed
 * as text prints the same text on both.
 */
export async function serverChecksum(c: Client, t: DataTable, where: string[] = []): Promise<ServerChecksum> {
    const expr = t.columns.length > 0 ? rowHash(t) : "0::bigint";
    const cond = where.length > 0 ? ` WHERE ${where.map((w) => `(${w})`).join(" AND ")}` : "";
    const res = await c.query(`SELECT count(*)::text AS n, coalesce(sum(${expr}), 0)::text AS s FROM ONLY ${qualify(t.schema, t.name)} t${cond}`);
    return { rows: Number(res.rows[0].n), digest: sumDigest(res.rows[0].s as string) };
}

const MOD64 = 1n << 64n;

/** A decimal sum as its value modulo 2^64, in 16 hex digits. */
export function sumDigest(decimal: string): string {
    return (((BigInt(decimal) % MOD64) + MOD64) % MOD64).toString(16).padStart(16, "0");
}

/** Decodes each row, rewrites it, re-encodes it; hashes what it sends. Output goes out in FLUSH_AT chunks. */
class RowRewriter extends Transform {
    private carry: Buffer | null = null;
    private readonly scratch = { buf: Buffer.allocUnsafe(64 * 1024) };
    private pending: string[] = [];
    private pendingBytes = 0;

    constructor(
        private readonly rewrite: (row: Row) => Row,
        private readonly parser: CopyTextParser,
        private readonly count: (bytes: number) => void,
        private readonly progress: () => void,
    ) {
        super();
    }

    override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
        try {
            let data = chunk;
            if (this.carry) {
                data = Buffer.concat([this.carry, chunk]);
                this.carry = null;
            }
            let ls = 0;
            for (let nl = data.indexOf(0x0a, ls); nl >= 0; nl = data.indexOf(0x0a, ls)) {
                const line = encodeRow(this.rewrite(decodeRow(data, ls, nl, this.scratch)));
                this.pending.push(line);
                this.pendingBytes += line.length;
                ls = nl + 1;
                if (this.pendingBytes >= FLUSH_AT) this.flushPending();
            }
            if (ls < data.length) this.carry = Buffer.from(data.subarray(ls));
            this.progress();
            done();
        } catch (err) {
            done(err as Error);
        }
    }

    override _flush(done: TransformCallback): void {
        if (this.carry && this.carry.length > 0) {
            done(new Error("COPY output ended in the middle of a row"));
            return;
        }
        this.flushPending();
        done();
    }

    private flushPending(): void {
        if (this.pending.length === 0) return;
        const out = Buffer.from(this.pending.join(""), "utf8");
        this.pending = [];
        this.pendingBytes = 0;
        this.parser.push(out);
        this.count(out.length);
        this.push(out);
    }
}

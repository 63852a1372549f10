// One unit's rows: `COPY … TO STDOUT` on the source (in the shared snapshot) piped into `COPY … FROM STDIN` on the
// target, with backpressure (no file, flat memory), hashed on the way with the MySQL engine's TableHasher over
// exactly the bytes sent. Verbatim tables stream their chunks untouched; a table with a rowTransform hook is decoded
// row by row, rewritten and re-encoded. The verification reads the target back and hashes it the same way.
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Client } from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { CopyTextParser, TableHasher } from "../mysql-to-postgres/checksum";
import { FLUSH_AT } from "../mysql-to-postgres/copy";
import { qualify, quoteIdent } from "../mysql-to-postgres/identifiers";
import { bucketKey, type DataTable } from "./catalog";
import type { Row } from "./hooks";
import { rangeCondition, type DataUnit } from "./ranges";
import { decodeRow, encodeRow } from "./row-codec";

/** Copy column order: the bucket key's columns first (the hasher buckets rows by the leading fields), then the rest. */
export function copyColumns(t: DataTable): string[] {
    const key = bucketKey(t);
    return [...key, ...t.columns.map((c) => c.name).filter((c) => !key.includes(c))];
}

/** A hasher fed by COPY text: every row is one raw byte range (both sides print the same text), bucketed by its key. */
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
    onProgress: (rows: number, bytes: number) => void;
}

export function sourceSelect(t: DataTable, columns: string[], where: string[]): string {
    const list = columns.map(quoteIdent).join(", ");
    if (where.length === 0) return `COPY ${qualify(t.schema, t.name)} (${list}) TO STDOUT`;
    return `COPY (SELECT ${list} FROM ONLY ${qualify(t.schema, t.name)} WHERE ${where.map((w) => `(${w})`).join(" AND ")}) TO STDOUT`;
}

/** Streams one unit inside the target's open transaction; returns what was sent. */
export async function copyUnit(unit: DataUnit, ctx: UnitContext, src: Client, dst: Client): Promise<{ rows: number; bytes: number; hasher: TableHasher; written: number }> {
    const t = ctx.table;
    const columns = copyColumns(t);
    const where = [rangeCondition(unit), ctx.filter].filter((w): w is string => w !== undefined && w.trim() !== "");
    const target = qualify(t.schema, t.name);
    if (ctx.freeze) await dst.query(`TRUNCATE ONLY ${target}`);
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
    const transform = ctx.transform;
    const tap = transform ? new RowRewriter(transform, parser, (n) => (bytes += n), progress) : new Transform({
        transform(chunk: Buffer, _enc, done: TransformCallback) {
            parser.push(chunk);
            bytes += chunk.length;
            progress();
            done(null, chunk);
        },
    });
    const source = src.query(copyTo(sourceSelect(t, columns, where)));
    const sink = dst.query(copyFrom(`COPY ${target} (${columns.map(quoteIdent).join(", ")}) FROM STDIN${ctx.freeze ? " WITH (FREEZE)" : ""}`));
    await pipeline(source, tap, sink);
    parser.end();
    ctx.onProgress(hasher.rows, bytes);
    return { rows: hasher.rows, bytes, hasher, written: Number(sink.rowCount ?? -1) };
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

/** Hashes the target's rows of a table (optionally only a range), as PostgreSQL prints them. */
export async function hashTarget(t: DataTable, dst: Client, where?: string): Promise<TableHasher> {
    const columns = copyColumns(t);
    const { hasher, parser } = copyHasher(t);
    const stream = dst.query(copyTo(sourceSelect(t, columns, where ? [where] : [])));
    for await (const chunk of stream) parser.push(chunk as Buffer);
    parser.end();
    return hasher;
}

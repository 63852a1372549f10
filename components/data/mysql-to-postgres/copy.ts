// Copy: one table's rows streamed from MySQL into `COPY … FROM STDIN`, with backpressure both ways, hashing the
// source side on the way (the verification compares that hash with the target's). Runs inside the caller's
// PostgreSQL transaction.
import type { Client } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { TableHasher } from "./checksum";
import { CopyBuffer, encodeRawRow, encodeValue, type ColumnState, type RowLayout } from "./copy-encode";
import { MigrationError, placeText, serverError } from "./errors";
import { quoteIdent } from "./identifiers";
import type { ResolvedOptions } from "./options";
import type { TablePlan } from "./plan";
import type { RowStream, TableReader } from "./source";
import type { ColumnPlan } from "./types";

/** COPY text is sent in chunks of this size. */
export const FLUSH_AT = 192 * 1024;

/** A table's columns in copy order: echo key columns, other echo columns, then the value-by-value ones. */
export interface Layout extends RowLayout {
    columns: ColumnPlan[];
    states: ColumnState[];
}

export function layoutOf(plan: TablePlan): Layout {
    const keyed = plan.columns.map((c, i) => ({ c, key: plan.keyColumns.includes(i) }));
    const ordered = [...keyed.filter((x) => x.c.echo && x.key), ...keyed.filter((x) => x.c.echo && !x.key), ...keyed.filter((x) => !x.c.echo)];
    const states: ColumnState[] = ordered.map(({ c, key }) => ({
        coercion: c.coercion,
        canon: c.canon,
        echo: c.echo,
        utcSuffix: c.echo && c.targetType.udt === "timestamptz",
        key,
        zeroDates: 0,
        nulBytes: 0,
        name: c.source.name,
    }));
    // Key columns only count as an echo key range when every key column is an echo column.
    const keyEchoCount = ordered.every((x) => !x.key || x.c.echo) ? ordered.filter((x) => x.c.echo && x.key).length : 0;
    if (keyEchoCount === 0) for (const s of states) if (s.echo) s.key = false;
    return { columns: ordered.map((x) => x.c), states, echoCount: ordered.filter((x) => x.c.echo).length, keyEchoCount };
}

/** The column whose value of a row fails to encode (re-encoded one by one, off the hot path). */
function failingColumn(buf: Buffer, starts: Int32Array, ends: Int32Array, states: ColumnState[]): string | undefined {
    const out = new CopyBuffer(1024);
    for (let i = 0; i < states.length; i++) {
        if (states[i].echo || starts[i] < 0) continue;
        try {
            out.pos = 0;
            encodeValue(buf.subarray(starts[i], ends[i]), out, new TableHasher(), { ...states[i] });
        } catch {
            return states[i].name;
        }
    }
    return undefined;
}

/** Streams MySQL rows into COPY FROM STDIN with backpressure both ways; hashes the source side on the way. */
export async function copyTable(plan: TablePlan, layout: Layout, hasher: TableHasher, reader: TableReader, pg: Client, opts: ResolvedOptions): Promise<{ rows: number; bytes: number }> {
    const table = plan.source.name;
    const columns = layout.columns.map((c) => quoteIdent(c.target)).join(", ");
    const copy = pg.query(copyFrom(`COPY ${plan.qualifiedTarget} (${columns}) FROM STDIN`));
    const out = new CopyBuffer();
    let rows = 0;
    let bytes = 0;
    let failure: MigrationError | undefined;
    let waitingDrain = false;
    let lastProgress = Date.now();
    const states = layout.states;
    const copyFailed = new Promise<never>((_resolve, reject) => copy.on("error", (err: Error) => reject(err)));
    copyFailed.catch(() => undefined);

    let stream: RowStream | undefined;
    const onRow = (buf: Buffer, starts: Int32Array, ends: Int32Array): void => {
        if (failure) return;
        try {
            encodeRawRow(buf, starts, ends, out, hasher, states, layout);
            rows++;
        } catch (err) {
            const column = failingColumn(buf, starts, ends, states);
            failure = new MigrationError(`${placeText("source", { table, column })}: row ${rows + 1}: ${(err as Error).message}`, "failed");
            stream?.pause();
            reader.abort();
            return;
        }
        if (out.pos >= FLUSH_AT) {
            const chunk = out.take();
            bytes += chunk.length;
            if (!copy.write(chunk) && !waitingDrain) {
                waitingDrain = true;
                stream?.pause();
                copy.once("drain", () => {
                    waitingDrain = false;
                    stream?.resume();
                });
            }
            const now = Date.now();
            if (now - lastProgress > 250) {
                lastProgress = now;
                opts.emit({ type: "table-progress", table, rows, bytes });
            }
        }
    };
    try {
        stream = await reader.stream(plan, layout.columns, onRow);
    } catch (err) {
        copy.destroy(err as Error);
        await copyFailed.catch(() => undefined);
        throw serverError("source", err, { table });
    }
    try {
        await Promise.race([(stream as RowStream).done.catch((err: unknown) => Promise.reject(serverError("source", err, { table }))), copyFailed.catch((err: unknown) => Promise.reject(serverError("target", err, { table })))]);
    } catch (err) {
        failure ??= err as MigrationError;
    }
    if (failure) {
        copy.destroy(failure);
        await copyFailed.catch(() => undefined);
        throw new MigrationError(`${table}: copy failed: ${failure.message}`, "failed");
    }
    try {
        await reader.finish();
    } catch (err) {
        throw serverError("source", err, { table });
    }
    if (out.pos > 0) {
        const chunk = out.take();
        bytes += chunk.length;
        copy.write(chunk);
    }
    try {
        await Promise.race([new Promise<void>((resolve) => copy.end(() => resolve())), copyFailed]);
    } catch (err) {
        throw new MigrationError(`${table}: copy failed: ${serverError("target", err, { table }).message}`, "failed");
    }
    opts.emit({ type: "table-progress", table, rows, bytes });
    return { rows, bytes };
}

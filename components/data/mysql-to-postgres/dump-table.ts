// One table's rows read from its byte range of a dump file, each row's wanted columns converted to what the live
// source's SELECT would send (the copy's select expressions). Used by the probes and the copy, in the main thread or
// in a dump-encode worker. No I/O beyond reading the file.
import { DumpParser, DumpSyntaxError, ValueKind, type DumpRow, type ParserState } from "./dump-parser";
import { readRange, type RangeReading } from "./dump-read";
import { converterFor, convertValue, ValueOut, type ColumnConverter } from "./dump-values";
import { MigrationError } from "./errors";
import type { SourceTable } from "./types";

/** Where one table's rows are in the (decompressed) dump. */
export interface Segment {
    start: number;
    end: number;
    line: number;
    state: ParserState;
}

/** A column the copy or a probe reads, by its MySQL name, through its select expression. */
export interface WantedColumn {
    name: string;
    selectExpr: string;
}

/** Receives one row: value i is bytes [starts[i], ends[i]) of out.buf, -1 for NULL or a column the INSERT lacks. */
export type DumpRowHandler = (out: ValueOut, starts: Int32Array, ends: Int32Array) => void;

/** What to read: plain data, so it can be posted to a worker. */
export interface DumpTableRequest {
    file: string;
    gzip: boolean;
    /** The file's name in errors. */
    display: string;
    flavor: "MariaDB" | "MySQL";
    table: SourceTable;
    segment: Segment;
    wanted: WantedColumn[];
    /** The MigrationError kind of a failure: "problems" before anything is written (probes), "failed" during the copy. */
    kind: "problems" | "failed";
}

/** "source (dump file x.sql), line 12, table film: …" */
export function dumpError(file: string, message: string, line?: number, table?: string, kind: "problems" | "failed" = "problems"): MigrationError {
    const where = [`source (dump file ${file})`, line !== undefined ? `line ${line}` : undefined, table ? `table ${table}` : undefined].filter(Boolean).join(", ");
    return new MigrationError(`${where}: ${message}`, kind);
}

/**
 * Converts the wanted columns of one table's dump rows into what the live source's SELECT would send. Call
 * startInsert() at each INSERT into the table (its column list and session state decide the mapping), then row().
 */
export class RowConverter {
    readonly out = new ValueOut();
    readonly starts: Int32Array;
    readonly ends: Int32Array;
    private index: number[] = [];
    private conv: ColumnConverter[] = [];
    private plain: boolean[] = [];
    private names = "utf8mb4";

    constructor(
        private readonly table: SourceTable,
        private readonly wanted: WantedColumn[],
        private readonly flavor: "MariaDB" | "MySQL",
    ) {
        this.starts = new Int32Array(wanted.length);
        this.ends = new Int32Array(wanted.length);
    }

    /** Maps an INSERT's values to the wanted columns; returns the parser's value mask (true: every value). */
    startInsert(columns: string[] | null, state: ParserState): Uint8Array | true {
        const order = columns ?? this.table.columns.map((c) => c.name);
        this.names = state.names;
        this.conv = this.wanted.map((w) => converterFor(this.table.columns.find((c) => c.name === w.name) as SourceTable["columns"][number], w.selectExpr, this.flavor, state.timeZone));
        this.index = this.wanted.map((w) => order.indexOf(w.name));
        // Read as the literal is: no conversion, no BIT widening, no time zone shift.
        this.plain = this.conv.map((c) => c.kind === "raw" && c.bitBytes === 0 && c.offsetMinutes === 0);
        // Only the values of the wanted columns are unescaped (a probe reads one or two of them).
        const mask = new Uint8Array(order.length);
        for (const vi of this.index) if (vi >= 0) mask[vi] = 1;
        return mask.every((m) => m === 1) || mask;
    }

    /** Fills starts/ends (bytes of out.buf; -1 for NULL or a column the INSERT lacks) for one row; returns this. */
    row(row: DumpRow, line: number): this {
        const { out, starts, ends, index, conv, plain, names } = this;
        // Values that need no conversion are passed as they lie in the parser's row buffer; converted ones are
        // appended after them, so the copy sees one buffer.
        out.buf = row.buf;
        out.pos = row.count > 0 ? row.ends[row.count - 1] : 0;
        const latin1 = names === "latin1";
        for (let i = 0; i < index.length; i++) {
            const vi = index[i];
            const valueKind = vi < 0 ? ValueKind.Null : row.kinds[vi];
            if (valueKind === ValueKind.Null) {
                starts[i] = -1;
                ends[i] = -1;
            } else if (plain[i] && (valueKind === ValueKind.Number || valueKind === ValueKind.Bytes || (valueKind === ValueKind.Text && !(latin1 && conv[i].text)))) {
                starts[i] = row.starts[vi];
                ends[i] = row.ends[vi];
            } else {
                const start = out.pos;
                try {
                    convertValue(row, vi, conv[i], names, out);
                } catch (err) {
                    throw new DumpSyntaxError(`column ${this.wanted[i].name}: ${(err as Error).message}`, line, this.table.name);
                }
                if (out.buf !== row.buf) row.buf = out.buf; // Grown: the row's bytes moved with it.
                starts[i] = start;
                ends[i] = out.pos;
            }
        }
        return this;
    }
}

/** Reads one table's segment, calling onRow with the converted values of the wanted columns. */
export function readDumpTable(request: DumpTableRequest, onRow: DumpRowHandler): RangeReading {
    const { file, gzip, display, flavor, table, segment, wanted, kind } = request;
    const converter = new RowConverter(table, wanted, flavor);
    let reachedEnd = false;
    let failure: MigrationError | undefined;
    let inTable = false;
    const parser = new DumpParser(
        {
            statement: () => undefined,
            insert(name, columns, _line, _offset, state) {
                inTable = name === table.name;
                return inTable && converter.startInsert(columns, state);
            },
            row(row, line) {
                if (!inTable) return;
                converter.row(row, line);
                onRow(converter.out, converter.starts, converter.ends);
            },
            insertEnd(offset) {
                if (offset >= segment.end) reachedEnd = true;
            },
        },
        segment.state,
        { offset: segment.start, line: segment.line },
    );
    const range = readRange(file, gzip, segment.start, segment.end, (chunk) => {
        if (failure) return;
        try {
            parser.push(chunk);
        } catch (err) {
            failure = err instanceof DumpSyntaxError ? dumpError(display, err.message, err.line, err.table ?? table.name, kind) : dumpError(display, (err as Error).message, undefined, table.name, kind);
            range.destroy();
        }
    });
    const done = range.done.then(() => {
        if (failure) throw failure;
        try {
            parser.end();
        } catch (err) {
            const e = err as DumpSyntaxError;
            throw dumpError(display, e.message, e.line, table.name, kind);
        }
        if (!reachedEnd) throw dumpError(display, "the dump ends before this table's rows do (truncated or changed since it was read?)", undefined, table.name, kind);
    }, (err: Error) => {
        throw failure ?? dumpError(display, `cannot read the file: ${err.message}`, undefined, table.name, kind);
    });
    return { done, pause: range.pause, resume: range.resume, destroy: range.destroy };
}

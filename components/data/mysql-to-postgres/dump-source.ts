// A dump file as the migration's source (dump.sql or dump.sql.gz, as mysqldump, mariadb-dump or SequelPro wrote it),
// read as a stream without any MySQL server. A first pass reads the whole file once: the catalog (CREATE TABLE →
// the structures information_schema gives the live source), the views, triggers and routines (reported), each
// table's row count and where its INSERTs are; every statement it cannot read, and a truncated file, fail here,
// before anything is written. That pass counts rows without unescaping their values (only ENUM values, to find '').
// The up-front probes read the tables that need them once more, unescaping only the probed columns; then each
// worker reads its table's part of the file (dump-table.ts: a byte range; from the start for gzip, which cannot seek).
import * as fs from "node:fs";
import * as path from "node:path";
import { classifyStatement, compareNames, DdlError, parseCreateTable } from "./dump-ddl";
import { fingerprintOf, isGzip, readRange, type RangeReading } from "./dump-read";
import { DumpParser, DumpSyntaxError, ValueKind, type DumpHandler, type DumpRow, type ParserState } from "./dump-parser";
import { dumpError, readDumpTable, RowConverter, type DumpRowHandler, type Segment, type WantedColumn } from "./dump-table";
import { Aggregate, type ValueOut } from "./dump-values";
import { MigrationError } from "./errors";
import { quoteMyIdent } from "./identifiers";
import type { TablePlan } from "./plan";
import type { MigrationSource, ProbePlanner, TableReader } from "./source";
import type { MigrationWarning, SourceCatalog, SourceTable } from "./types";

interface Scan {
    catalog: SourceCatalog;
    segments: Map<string, Segment>;
    rows: Map<string, number>;
    enumEmpties: Set<string>;
    warnings: MigrationWarning[];
    /** The probes computed during the scan (when a planner was given), by table. */
    probed: Map<string, ProbeRun>;
}

/** Identifies a plan's probes: the scan's results answer probe() only for the very same ones. */
const probesKey = (plan: TablePlan): string => plan.probes.map((p) => `${p.column}\u0000${p.expr}`).join("\u0001");

const ASCII = Array.from({ length: 0x80 }, (_v, i) => String.fromCharCode(i));

/** A plan's probes over rows as they are read: each probed column through the copy's select expression. */
class ProbeRun {
    readonly key: string;
    readonly flavor: "MariaDB" | "MySQL";
    private readonly converter: RowConverter;
    private readonly aggregates: Aggregate[];

    constructor(plan: TablePlan, flavor: "MariaDB" | "MySQL") {
        this.key = probesKey(plan);
        this.flavor = flavor;
        this.aggregates = plan.probes.map((p) => new Aggregate(p.local));
        this.converter = new RowConverter(plan.source, probedColumns(plan), flavor);
    }

    startInsert(columns: string[] | null, state: ParserState): Uint8Array | true {
        return this.converter.startInsert(columns, state);
    }

    /** Adds one row (converted values are what the live source's SQL aggregates). */
    row(row: DumpRow, line: number): void {
        const c = this.converter.row(row, line);
        this.add(c.out, c.starts, c.ends);
    }

    /** Adds one row of converted values (bytes [starts[i], ends[i]) of out.buf, -1 for NULL). */
    add(out: ValueOut, starts: Int32Array, ends: Int32Array): void {
        for (let i = 0; i < this.aggregates.length; i++) {
            const s = starts[i];
            // One ASCII byte (a TINYINT(1)'s 0 or 1, most probed values): no string to build.
            const v = s < 0 ? null : ends[i] - s === 1 && out.buf[s] < 0x80 ? ASCII[out.buf[s]] : out.buf.toString("utf8", s, ends[i]);
            this.aggregates[i].add(v);
        }
    }

    results(): (string | null)[] {
        return this.aggregates.map((a) => a.result());
    }
}

function probedColumns(plan: TablePlan): WantedColumn[] {
    return plan.probes.map((p) => ({ name: p.column, selectExpr: plan.columns.find((c) => c.source.name === p.column)?.selectExpr ?? quoteMyIdent(p.column) }));
}

/** The dump file named by `from` (a path or file:// URL), absolute. */
export function dumpPath(from: string): string {
    const p = /^file:\/\//i.test(from) ? decodeURIComponent(new URL(from).pathname) : from;
    return path.resolve(p);
}

/** The first pass: the catalog, the segments, the row counts, the ENUM columns holding '' (and the probes, planned). */
async function scan(file: string, gzip: boolean, display: string, planner?: ProbePlanner): Promise<Scan> {
    const probed = new Map<string, ProbeRun>();
    const tables = new Map<string, SourceTable>();
    const segments = new Map<string, Segment>();
    const rows = new Map<string, number>();
    const enumEmpties = new Set<string>();
    const unsupported: SourceCatalog["unsupported"] = [];
    const warnings: MigrationWarning[] = [];
    let flavor: "MariaDB" | "MySQL" | undefined;
    let version = "";
    let database = "";
    let headerTool = false;
    let completed = false;
    let lastLine = 1;
    const missingColumns = new Map<string, Set<string>>();
    let current: { table: SourceTable; map: number[]; enums: number[]; count: number; probes: ProbeRun | undefined } | undefined;
    let sawMariaDbSyntax = false;
    const timestampZones = new Map<string, string | null>();

    const flavorNow = (): "MariaDB" | "MySQL" => flavor ?? (sawMariaDbSyntax ? "MariaDB" : "MySQL");
    const handler: DumpHandler = {
        comment(text, line) {
            lastLine = line;
            if (line <= 12) {
                if (/^(MariaDB|MySQL) dump\b/i.test(text)) headerTool = true;
                if (/^MariaDB dump/i.test(text)) flavor = "MariaDB";
                const sv = /^Server version:?\s+(\S+)/i.exec(text);
                if (sv) {
                    version = sv[1];
                    flavor = /mariadb/i.test(sv[1]) ? "MariaDB" : "MySQL";
                }
                const host = /Database:\s*(\S+)/.exec(text);
                if (host) database = host[1];
                // SequelPro: "# Host: 127.0.0.1 (MySQL 5.7.22)" / "# Database: app".
                const sp = /\((MySQL|MariaDB) ([^)]+)\)/i.exec(text);
                if (sp && !version) {
                    version = sp[2];
                    flavor = /mariadb/i.test(sp[1] + sp[2]) ? "MariaDB" : "MySQL";
                }
            }
            if (/^Dump completed/i.test(text)) completed = true;
        },
        statement(sql, line) {
            lastLine = line;
            if (/current_timestamp\(\)|json_valid\(/i.test(sql)) sawMariaDbSyntax = true;
            const kind = classifyStatement(sql);
            switch (kind.kind) {
                case "create-table": {
                    let table: SourceTable;
                    try {
                        table = parseCreateTable(sql, flavorNow());
                    } catch (err) {
                        throw new DumpSyntaxError(err instanceof DdlError ? err.message : `cannot read CREATE TABLE: ${(err as Error).message}`, line, kind.name);
                    }
                    tables.set(table.name, table);
                    return;
                }
                case "view":
                    tables.delete(kind.name); // mysqldump first writes a placeholder table for each view.
                    if (!unsupported.some((u) => u.kind === "view" && u.name === kind.name)) unsupported.push({ kind: "view", name: kind.name });
                    return;
                case "trigger":
                    unsupported.push({ kind: "trigger", name: kind.name, table: kind.table });
                    return;
                case "procedure":
                case "function":
                case "event":
                    unsupported.push({ kind: kind.kind, name: kind.name });
                    return;
                case "use":
                case "create-database":
                    if (database && kind.database && database !== kind.database && tables.size > 0) {
                        throw new DumpSyntaxError(`the dump holds more than one database (${database}, ${kind.database}): dump one database per file`, line);
                    }
                    database = kind.database || database;
                    return;
                case "ignored":
                    return;
                case "unknown":
                    throw new DumpSyntaxError(`cannot read this statement: ${JSON.stringify(kind.text)}`, line);
            }
        },
        insert(name, columns, line, offset, state) {
            lastLine = line;
            const table = tables.get(name);
            if (!table) throw new DumpSyntaxError(`INSERT into ${name}, which the dump does not create (a data-only dump cannot be read: dump the schema with it)`, line, name);
            const seg = segments.get(name);
            if (!seg) segments.set(name, { start: offset, end: offset, line, state: { ...state } });
            if (table.columns.some((c) => c.dataType === "timestamp")) timestampZones.set(name, state.timeZone);
            const map = columns ? columns.map((c) => table.columns.findIndex((x) => x.name === c)) : table.columns.map((_c, i) => i);
            if (columns) {
                const bad = columns.find((_c, i) => map[i] < 0);
                if (bad !== undefined) throw new DumpSyntaxError(`INSERT names column ${bad}, which ${name} does not have`, line, name);
                const missing = table.columns.filter((c) => !columns.includes(c.name)).map((c) => c.name);
                if (missing.length > 0) missingColumns.set(name, new Set([...(missingColumns.get(name) ?? []), ...missing]));
            }
            const enums = table.columns.map((c, i) => (c.dataType === "enum" ? i : -1)).filter((i) => i >= 0);
            let probes = probed.get(name);
            if (!probes && planner && !seg) {
                let plan: TablePlan | undefined;
                try {
                    plan = planner(table, flavorNow());
                } catch {
                    plan = undefined; // The engine's own planning reports it; probe() then reads the table.
                }
                if (plan && plan.probes.length > 0) probed.set(name, (probes = new ProbeRun(plan, flavorNow())));
            }
            current = { table, map, enums, count: map.length, probes };
            // Rows are counted and their width checked; only ENUM values (is one '') and probed ones are unescaped.
            const mask = Uint8Array.from(map, (ci) => (enums.includes(ci) ? 1 : 0));
            const probeMask = probes?.startInsert(columns, state);
            if (probeMask === true) return true;
            if (probeMask) for (let i = 0; i < mask.length; i++) mask[i] |= probeMask[i];
            return mask;
        },
        row(row: DumpRow, line) {
            const c = current as NonNullable<typeof current>;
            if (row.count !== c.count) throw new DumpSyntaxError(`a row has ${row.count} values, the table has ${c.count} columns`, line, c.table.name);
            rows.set(c.table.name, (rows.get(c.table.name) ?? 0) + 1);
            for (const ci of c.enums) {
                const vi = c.map.indexOf(ci);
                if (vi >= 0 && row.kinds[vi] !== ValueKind.Null && row.ends[vi] === row.starts[vi]) enumEmpties.add(`${c.table.name}.${c.table.columns[ci].name}`);
            }
            c.probes?.row(row, line);
        },
        insertEnd(offset, line) {
            lastLine = line;
            const seg = current && segments.get(current.table.name);
            if (seg) seg.end = offset;
            current = undefined;
        },
    };
    const parser = new DumpParser(handler);
    const reading = readRange(file, gzip, 0, Number.MAX_SAFE_INTEGER, (chunk) => parser.push(chunk));
    try {
        await reading.done;
        parser.end();
    } catch (err) {
        reading.destroy();
        if (err instanceof DumpSyntaxError) throw dumpError(display, `${err.message}; nothing was written`, err.line, err.table ?? parser.table);
        if (err instanceof MigrationError) throw err;
        throw dumpError(display, `cannot read the file: ${(err as Error).message}; nothing was written`, lastLine, parser.table);
    }
    if (headerTool && !completed) {
        throw dumpError(display, `the dump ends without mysqldump's "Dump completed" line (truncated dump?); nothing was written`, lastLine, current?.table.name ?? [...segments.keys()].pop());
    }
    const fl = flavorNow();
    for (const [name, cols] of missingColumns) {
        for (const col of cols) warnings.push({ kind: "generated-column", table: name, column: col, message: `${name}.${col} has no values in the dump (a generated column?): loaded as NULL` });
    }
    for (const [name, zone] of timestampZones) {
        // No SET TIME_ZONE (--compact) is mysqldump's default --tz-utc: UTC. A named zone cannot be undone here.
        if (zone !== null && !/^([+-]\d{1,2}:\d{2}|UTC|GMT)$/i.test(zone)) {
            warnings.push({ kind: "type-mapping", table: name, message: `${name}: the dump's TIMESTAMP values are in time zone '${zone}' (SET TIME_ZONE), which a dump cannot convert: they are read as UTC; dump with --tz-utc (mysqldump's default)` });
        }
    }
    const sorted = [...tables.values()].sort((a, b) => compareNames(a.name, b.name));
    for (const t of sorted) {
        t.estimatedRows = rows.get(t.name) ?? 0;
        const seg = segments.get(t.name);
        t.dataLength = seg ? seg.end - seg.start : 0;
    }
    const byName = (a: { name: string }, b: { name: string }): number => compareNames(a.name, b.name);
    const ordered = [
        ...unsupported.filter((u) => u.kind === "trigger").sort(byName),
        ...unsupported.filter((u) => u.kind === "procedure" || u.kind === "function").sort(byName),
        ...unsupported.filter((u) => u.kind === "event").sort(byName),
        ...unsupported.filter((u) => u.kind === "view").sort(byName),
    ];
    const catalog: SourceCatalog = { database: database || path.basename(file).replace(/\.sql(\.gz)?$|\.gz$/i, ""), flavor: fl, version: version || "unknown (dump file)", tables: sorted, unsupported: ordered };
    return { catalog, segments, rows, enumEmpties, warnings, probed };
}

/** Opens a dump file as a migration source. */
export async function openDumpSource(from: string): Promise<MigrationSource> {
    const file = dumpPath(from);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new MigrationError(`source dump file ${file} does not exist`, "usage");
    const gzip = isGzip(file);
    const display = file;
    let scanned: Scan | undefined;
    let planner: ProbePlanner | undefined;
    const getScan = async (): Promise<Scan> => (scanned ??= await scan(file, gzip, display, planner));
    const warnings: MigrationWarning[] = [];

    const readTable = (table: SourceTable, seg: Segment, wanted: WantedColumn[], onRow: DumpRowHandler, kind: "problems" | "failed"): RangeReading =>
        readDumpTable({ file, gzip, display, flavor: (scanned as Scan).catalog.flavor, table, segment: seg, wanted, kind }, onRow);

    return {
        kind: "dump",
        fingerprint: fingerprintOf(file),
        warnings,
        planProbes(plan: ProbePlanner) {
            if (!scanned) planner = plan;
        },
        async readCatalog() {
            const s = await getScan();
            warnings.push(...s.warnings);
            return s.catalog;
        },
        async enumsWithEmptyValue() {
            return (await getScan()).enumEmpties;
        },
        async probe(plans: TablePlan[]) {
            const s = await getScan();
            const out = new Map<string, (string | null)[]>();
            for (const plan of plans) {
                const table = plan.source;
                const early = s.probed.get(table.name);
                if (early && early.key === probesKey(plan) && early.flavor === s.catalog.flavor) {
                    out.set(table.name, early.results()); // Computed by the first pass.
                    continue;
                }
                const seg = s.segments.get(table.name);
                const run = new ProbeRun(plan, s.catalog.flavor);
                if (seg) await readTable(table, seg, probedColumns(plan), (o, starts, ends) => run.add(o, starts, ends), "problems").done;
                out.set(table.name, run.results());
            }
            return out;
        },
        async countRows(table) {
            return (await getScan()).rows.get(table) ?? 0;
        },
        async openReader(): Promise<TableReader> {
            let active: RangeReading | undefined;
            return {
                async stream(plan, columns, onRow) {
                    const s = await getScan();
                    const table = plan.source;
                    const wanted = columns.map((c) => ({ name: c.source.name, selectExpr: c.selectExpr }));
                    const seg = s.segments.get(table.name);
                    if (!seg) return { done: Promise.resolve(), pause: () => undefined, resume: () => undefined };
                    active = readTable(table, seg, wanted, (o, starts, ends) => onRow(o.buf, starts, ends), "failed");
                    return active;
                },
                finish: async () => undefined,
                abort: () => active?.destroy(),
                close: async () => active?.destroy(),
            };
        },
        close: async () => undefined,
    };
}

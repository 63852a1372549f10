// The production maintenance window, estimated from what the rehearsal measured and the production sizes. Pure.
//
// Model: each table's copy time scales with the larger of its rows and its bytes at the rate the rehearsal reached
// for that table (the overall rate for tables the rehearsal did not have); tables run `concurrency` at a time, so the
// database step takes the longer of the biggest table and the sum divided by the concurrency, plus the fixed part
// the rehearsal spent outside table copies (schema, indexes, foreign keys, verification) scaled by the data ratio.
// Files scale with count (per-request cost) and bytes (bandwidth) separately. The result is a range: ×1 to ×2 of the
// model, since production crosses a network the rehearsal did not.

export interface TableSize {
    rows: number;
    bytes: number;
}

export interface ProductionSizes {
    tables: Record<string, TableSize>;
    files?: { count: number; bytes: number };
}

export interface MeasuredTable extends TableSize {
    seconds: number;
}

export interface RehearsalMeasurements {
    database: { seconds: number; concurrency: number; tables: Record<string, MeasuredTable> };
    files?: { seconds: number; count: number; bytes: number };
    /** Maintenance switches and the DNS cutover together. */
    switchesSeconds: number;
}

export interface WindowEstimate {
    databaseSeconds: number;
    filesSeconds: number;
    switchesSeconds: number;
    /** Lower and upper bound of the whole window. */
    totalSeconds: [number, number];
    /** The tables that dominate the database step, longest first. */
    longestTables: Array<{ table: string; seconds: number }>;
    assumptions: string[];
}

const MIN_RATE_SECONDS = 0.001;

function rates(t: MeasuredTable): { perRow: number; perByte: number } {
    const seconds = Math.max(t.seconds, MIN_RATE_SECONDS);
    return { perRow: t.rows > 0 ? seconds / t.rows : 0, perByte: t.bytes > 0 ? seconds / t.bytes : 0 };
}

export function estimateWindow(measured: RehearsalMeasurements, production: ProductionSizes): WindowEstimate {
    const tables = Object.values(measured.database.tables);
    const total = tables.reduce((acc, t) => ({ rows: acc.rows + t.rows, bytes: acc.bytes + t.bytes, seconds: acc.seconds + t.seconds }), { rows: 0, bytes: 0, seconds: 0 });
    const overall = rates(total);
    const perTable = Object.entries(production.tables).map(([table, size]) => {
        const seen = measured.database.tables[table];
        const r = seen && seen.rows > 0 ? rates(seen) : overall;
        return { table, seconds: Math.max(size.rows * r.perRow, size.bytes * r.perByte) };
    });
    perTable.sort((a, b) => b.seconds - a.seconds);
    const sum = perTable.reduce((n, t) => n + t.seconds, 0);
    const concurrency = Math.max(1, measured.database.concurrency);
    const copying = Math.max(perTable[0]?.seconds ?? 0, sum / concurrency);
    const productionBytes = Object.values(production.tables).reduce((n, t) => n + t.bytes, 0);
    const fixed = Math.max(0, measured.database.seconds - total.seconds / concurrency);
    const scale = total.bytes > 0 ? Math.max(1, productionBytes / total.bytes) : 1;
    const databaseSeconds = copying + fixed * scale;

    let filesSeconds = 0;
    const assumptions = [
        `tables copied ${concurrency} at a time, each at the rate the rehearsal measured for it (the overall rate for tables it did not have)`,
        `schema, indexes, foreign keys and verification scale with the data (×${scale.toFixed(1)})`,
    ];
    if (production.files && measured.files && measured.files.count > 0) {
        const perFile = measured.files.seconds / Math.max(1, measured.files.count);
        // Split the measured time between per-file cost and bandwidth by the rehearsal's own mix.
        const perByte = measured.files.bytes > 0 ? (measured.files.seconds * 0.5) / measured.files.bytes : 0;
        filesSeconds = production.files.count * perFile * 0.5 + production.files.bytes * perByte;
        assumptions.push("files: half the measured time per file (requests), half per byte (bandwidth)");
    }
    assumptions.push("upper bound ×2: production's database and S3 are across a network the rehearsal did not cross");
    const lower = databaseSeconds + filesSeconds + measured.switchesSeconds;
    return {
        databaseSeconds,
        filesSeconds,
        switchesSeconds: measured.switchesSeconds,
        totalSeconds: [lower, lower * 2],
        longestTables: perTable.slice(0, 5),
        assumptions,
    };
}

/** Production sizes from a file the user writes (YAML or JSON), validated with clear messages. */
export function parseProductionSizes(doc: unknown, source: string): ProductionSizes {
    const fail = (what: string): never => {
        throw new Error(`${source}: ${what}. Expected { tables: { <table>: { rows: <n>, bytes: <n> } }, files: { count: <n>, bytes: <n> } }`);
    };
    if (typeof doc !== "object" || doc === null) return fail("is not a mapping");
    const { tables, files } = doc as { tables?: unknown; files?: unknown };
    if (typeof tables !== "object" || tables === null) return fail("has no tables mapping");
    const count = (v: unknown, where: string): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : fail(`${where} must be a non-negative number`));
    const out: ProductionSizes = { tables: {} };
    for (const [name, size] of Object.entries(tables as Record<string, unknown>)) {
        const s = (size ?? {}) as { rows?: unknown; bytes?: unknown };
        out.tables[name] = { rows: count(s.rows, `tables.${name}.rows`), bytes: count(s.bytes, `tables.${name}.bytes`) };
    }
    if (files !== undefined) {
        const f = (files ?? {}) as { count?: unknown; bytes?: unknown };
        out.files = { count: count(f.count, "files.count"), bytes: count(f.bytes, "files.bytes") };
    }
    return out;
}

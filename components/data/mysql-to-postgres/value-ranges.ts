// Which source values a column's conversion cannot carry, decided before any row is written: aggregate probes over
// the source table whose results name the table, the column, the kind of value and the override that loads it.
// Every MySQL type's whole range either loads losslessly through its conversion or has a probe here:
//   TIME → time: PostgreSQL's time holds 00:00:00..24:00:00, MySQL's TIME -838:59:59..838:59:59 (→ interval);
//   integers → smallint/integer/bigint narrower than the source (BIGINT UNSIGNED identities, foreign keys typed
//   like them, existing-mode targets) (→ numeric(20) or a wider integer); TINYINT(1)/BIT → boolean: only 0 and 1
//   survive (→ smallint); JSON → jsonb: jsonb cannot store the \u0000 escape (→ json).
// Existing mode adds the target's own narrowing: NOT NULL, varchar lengths, enum labels. Pure: no I/O.
import { quoteMyIdent } from "./identifiers";
import { isUnsigned, sourceCategory } from "./type-mapping";
import type { Coercion, PgType, SchemaMode, SourceColumn } from "./types";

export interface SourceProbe {
    column: string;
    /** MySQL aggregate expression over the table. */
    expr: string;
    /** Returns a problem description for the aggregate's value, or undefined when fine. */
    evaluate(value: string | null): string | undefined;
    /** The same aggregate described for sources without a server (a dump file computes it while reading). */
    local: LocalAggregate;
}

/**
 * What a probe's SQL computes, for a source that computes it itself over the values of the select expression:
 * "outside-time" CONCAT(SUM(v < '00:00:00' OR v > '24:00:00'), ',', MIN(v), ',', MAX(v)); "not-bool" the same with
 * v NOT IN (0, 1); "min-max" CONCAT(MIN(v), ',', MAX(v)); "json-nul" SUM(v holds the escape \u0000); "nulls"
 * SUM(v IS NULL); "zero-dates" the count of zeroDateCountExpr; "max-chars" MAX(CHAR_LENGTH(v)); "not-labels"
 * SUM(v IS NOT NULL AND BINARY v NOT IN (labels)).
 */
export type LocalAggregate =
    | { kind: "outside-time" | "not-bool" | "min-max" | "json-nul" | "nulls" | "zero-dates" | "max-chars" }
    | { kind: "not-labels"; labels: string[] };

export interface ProbeContext {
    mode: SchemaMode;
    /** The source table (MySQL name). */
    table: string;
    /** How problems name the table: "events" (create mode) or "events → events" (existing mode). */
    where: string;
    col: SourceColumn;
    target: { name: string; type: PgType; nullable: boolean };
    coercion: Coercion;
    /** The MySQL expression the copy reads the column with. */
    selectExpr: string;
}

export const INT_RANGES: Record<string, [bigint, bigint]> = {
    int2: [-32768n, 32767n],
    int4: [-2147483648n, 2147483647n],
    int8: [-9223372036854775808n, 9223372036854775807n],
};

/** Signed min, signed max, unsigned max. */
const SOURCE_INT_RANGES: Record<string, [bigint, bigint, bigint]> = {
    tinyint: [-128n, 127n, 255n],
    smallint: [-32768n, 32767n, 65535n],
    mediumint: [-8388608n, 8388607n, 16777215n],
    int: [-2147483648n, 2147483647n, 4294967295n],
    integer: [-2147483648n, 2147483647n, 4294967295n],
    bigint: [-9223372036854775808n, 9223372036854775807n, 18446744073709551615n],
};

const ZERO_DATE_COERCIONS = new Set<Coercion>(["date", "datetime", "timestamp"]);

/** How a problem says what loads the column: an override (create mode) or a target type (existing mode). */
function fix(c: ProbeContext, type: string): string {
    const key = `${c.table}.${c.col.name}`;
    return c.mode === "create"
        ? `load it with --column ${key}=${type} (resource: columns: { "${key}": { type: "${type}" } })`
        : `give the target column ${c.target.name} type ${type}, or leave the column out with --column ${key}=skip`;
}

/** "3,-838:59:59,838:59:59" → [3, "-838:59:59", "838:59:59"] (count, min, max of a CONCAT probe). */
function countMinMax(v: string | null): { count: number; min: string; max: string } | undefined {
    if (v === null) return undefined;
    const [count, min, max] = v.split(",");
    return Number(count) > 0 ? { count: Number(count), min, max } : undefined;
}

/** Every probe one column needs. */
export function columnProbes(c: ProbeContext): SourceProbe[] {
    const { col, target, coercion } = c;
    const q = c.selectExpr;
    const cat = sourceCategory(col);
    const probes: SourceProbe[] = [];
    const probe = (expr: string, evaluate: SourceProbe["evaluate"], local: LocalAggregate): void => void probes.push({ column: col.name, expr, evaluate, local });

    if (coercion === "time" && target.type.udt === "time") {
        probe(`CONCAT(SUM(${q} < '00:00:00' OR ${q} > '24:00:00'), ',', MIN(${q}), ',', MAX(${q}))`, (v) => {
            const r = countMinMax(v);
            return r && `${c.where}.${col.name}: ${r.count} TIME value(s) outside 00:00:00..24:00:00, the range of PostgreSQL ${target.type.sql} (values from ${r.min} to ${r.max}; MySQL allows -838:59:59..838:59:59): ${fix(c, "interval")}`;
        }, { kind: "outside-time" });
    }
    if (coercion === "bool" && (cat === "bool-int" || cat === "integer" || cat === "decimal" || cat === "bit")) {
        probe(`CONCAT(SUM(${q} NOT IN (0, 1)), ',', MIN(${q}), ',', MAX(${q}))`, (v) => {
            const r = countMinMax(v);
            return r && `${c.where}.${col.name}: ${r.count} ${col.columnType.toUpperCase()} value(s) other than 0 and 1 (from ${r.min} to ${r.max}) would all become true in PostgreSQL boolean: ${fix(c, "smallint")}`;
        }, { kind: "not-bool" });
    }
    if (coercion === "json" && target.type.udt === "jsonb") {
        // An escape \u0000 is a backslash run of odd length before "u0000" (an escaped backslash is "\\"); the
        // backslashes are spelled CHAR(92) so the server's NO_BACKSLASH_ESCAPES setting does not matter.
        const b = "CHAR(92 USING utf8mb4)";
        const pattern = `CONCAT('(^|[^', ${b}, ${b}, '])(', ${b}, ${b}, ${b}, ${b}, ')*', ${b}, ${b}, 'u0000')`;
        probe(`SUM(CAST(${q} AS CHAR) REGEXP ${pattern})`, (v) =>
            Number(v ?? 0) > 0 ? `${c.where}.${col.name}: ${v} JSON value(s) hold the escape \\u0000, which PostgreSQL jsonb cannot store: ${fix(c, "json")}` : undefined,
            { kind: "json-nul" },
        );
    }
    const range = INT_RANGES[target.type.udt];
    if (range && coercion === "number") {
        const srcRange = SOURCE_INT_RANGES[col.dataType];
        const unsigned = isUnsigned(col);
        const srcMin = srcRange && cat !== "decimal" ? (unsigned ? 0n : srcRange[0]) : undefined;
        const srcMax = srcRange && cat !== "decimal" ? (unsigned ? srcRange[2] : srcRange[1]) : undefined;
        if (srcMin === undefined || srcMax === undefined || srcMin < range[0] || srcMax > range[1]) {
            const wider = srcMin === undefined || srcMax === undefined ? "numeric" : srcMax > INT_RANGES.int8[1] ? "numeric(20)" : srcMax > INT_RANGES.int4[1] || srcMin < INT_RANGES.int4[0] ? "bigint" : "integer";
            probe(`CONCAT(MIN(${q}), ',', MAX(${q}))`, (v) => {
                if (v === null) return undefined;
                const [lo, hi] = v.split(",");
                if (!/^-?\d+$/.test(lo) || !/^-?\d+$/.test(hi)) return `${c.where}: ${col.name} holds non-integer values but ${target.name} is ${target.type.sql}`;
                if (BigInt(lo) >= range[0] && BigInt(hi) <= range[1]) return undefined;
                const base = `${c.where}: ${col.name} ranges ${lo}..${hi}, outside ${target.type.sql}`;
                return c.mode === "create" ? `${base}: ${fix(c, wider)}` : base;
            }, { kind: "min-max" });
        }
    }
    if (c.mode === "existing") probes.push(...targetNarrowing(c));
    return probes;
}

/** Existing mode: what the application's column accepts that the source may not respect. */
function targetNarrowing(c: ProbeContext): SourceProbe[] {
    const { col, target: tc, coercion, where } = c;
    const q = c.selectExpr;
    const probes: SourceProbe[] = [];
    const probe = (expr: string, evaluate: SourceProbe["evaluate"], local: LocalAggregate): void => void probes.push({ column: col.name, expr, evaluate, local });
    if (!tc.nullable && col.nullable) {
        probe(`SUM(${quoteMyIdent(col.name)} IS NULL)`, (v) => (Number(v ?? 0) > 0 ? `${where}: ${v} NULL value(s) in ${col.name} but ${tc.name} is NOT NULL` : undefined), { kind: "nulls" });
    }
    if (!tc.nullable && ZERO_DATE_COERCIONS.has(coercion)) {
        probe(zeroDateCountExpr(col), (v) => (Number(v ?? 0) > 0 ? `${where}: ${v} zero date(s) in ${col.name} become NULL but ${tc.name} is NOT NULL` : undefined), { kind: "zero-dates" });
    }
    if (tc.type.length !== undefined && (tc.type.udt === "varchar" || tc.type.udt === "bpchar") && coercion === "text" && (col.charMaxLength === null || col.charMaxLength > tc.type.length)) {
        const limit = tc.type.length;
        probe(`MAX(CHAR_LENGTH(${q}))`, (v) => (v !== null && Number(v) > limit ? `${where}: ${col.name} has values of ${v} characters but ${tc.name} is ${tc.type.sql}` : undefined), { kind: "max-chars" });
    }
    if (tc.type.enumLabels && (sourceCategory(col) === "enum" || sourceCategory(col) === "char")) {
        const list = tc.type.enumLabels.map((l) => `'${l.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`).join(", ");
        probe(`SUM(${q} IS NOT NULL AND BINARY ${q} NOT IN (${list || "NULL"}))`, (v) => (Number(v ?? 0) > 0 ? `${where}: ${v} value(s) of ${col.name} are not labels of ${tc.type.sql}` : undefined), { kind: "not-labels", labels: tc.type.enumLabels ?? [] });
    }
    return probes;
}

/** MySQL expression counting zero dates in a column. */
export function zeroDateCountExpr(col: SourceColumn): string {
    const q = quoteMyIdent(col.name);
    return `SUM(${q} IS NOT NULL AND (CAST(${q} AS CHAR) LIKE '0000-%' OR CAST(${q} AS CHAR) LIKE '_____00%' OR CAST(${q} AS CHAR) LIKE '________00%'))`;
}

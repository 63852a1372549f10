// MySQL → PostgreSQL types: the default mapping (create mode), the conversion needed to reach any given target
// type (both modes), and how each side's text is normalized for the checksum. Pure: no I/O.
import { quoteIdent, quoteLiteral, quoteMyIdent } from "./identifiers";
import type { Canon, Coercion, PgType, SourceColumn } from "./types";

/** What kind of value a MySQL column holds, as far as conversion cares. */
export type SourceCategory =
    | "bool-int"
    | "integer"
    | "decimal"
    | "float"
    | "double"
    | "bit1"
    | "bit"
    | "char"
    | "binary"
    | "enum"
    | "set"
    | "date"
    | "datetime"
    | "timestamp"
    | "time"
    | "year"
    | "json"
    | "point"
    | "linestring"
    | "geometry";

const INTEGER_TYPES = new Set(["tinyint", "smallint", "mediumint", "int", "integer", "bigint"]);
const TEXT_TYPES = new Set(["char", "varchar", "tinytext", "text", "mediumtext", "longtext"]);
const BINARY_TYPES = new Set(["binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"]);
const GEOMETRY_TYPES = new Set(["geometry", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection"]);

export function isUnsigned(col: SourceColumn): boolean {
    return /\bunsigned\b/.test(col.columnType);
}

export function isAutoIncrement(col: SourceColumn): boolean {
    return /\bauto_increment\b/.test(col.extra);
}

export function isGenerated(col: SourceColumn): boolean {
    return /\b(virtual|stored|persistent) generated\b|\bgenerated\b/.test(col.extra) && !isAutoIncrement(col);
}

export function hasOnUpdateCurrentTimestamp(col: SourceColumn): boolean {
    return /on update current_timestamp/.test(col.extra);
}

export function sourceCategory(col: SourceColumn): SourceCategory {
    const t = col.dataType;
    if (col.isJson || t === "json") return "json";
    if (t === "tinyint" && /^tinyint\(1\)/.test(col.columnType)) return "bool-int";
    if (INTEGER_TYPES.has(t)) return "integer";
    if (t === "decimal" || t === "numeric") return "decimal";
    if (t === "float") return "float";
    if (t === "double" || t === "real" || t === "double precision") return "double";
    if (t === "bit") return (col.numericPrecision ?? bitWidth(col)) === 1 ? "bit1" : "bit";
    if (TEXT_TYPES.has(t)) return col.charset === "binary" ? "binary" : "char";
    if (BINARY_TYPES.has(t)) return "binary";
    if (t === "enum") return "enum";
    if (t === "set") return "set";
    if (t === "date") return "date";
    if (t === "datetime") return "datetime";
    if (t === "timestamp") return "timestamp";
    if (t === "time") return "time";
    if (t === "year") return "year";
    if (t === "point") return "point";
    if (t === "linestring") return "linestring";
    if (GEOMETRY_TYPES.has(t)) return "geometry";
    return "char";
}

/** Width of a BIT(n) column from its COLUMN_TYPE. */
export function bitWidth(col: SourceColumn): number {
    const m = /^bit\((\d+)\)/.exec(col.columnType);
    return m ? Number(m[1]) : 1;
}

/** Labels of an ENUM or SET column, from COLUMN_TYPE (quotes are doubled there; backslashes too on MariaDB). */
export function parseEnumLabels(columnType: string): string[] {
    const open = columnType.indexOf("(");
    const close = columnType.lastIndexOf(")");
    if (open < 0 || close < open) return [];
    const body = columnType.slice(open + 1, close);
    const labels: string[] = [];
    let i = 0;
    while (i < body.length) {
        if (body[i] !== "'") {
            i++;
            continue;
        }
        let label = "";
        i++;
        while (i < body.length) {
            const ch = body[i];
            if (ch === "'" && body[i + 1] === "'") {
                label += "'";
                i += 2;
            } else if (ch === "'") {
                i++;
                break;
            } else if (ch === "\\" && i + 1 < body.length) {
                label += body[i + 1];
                i += 2;
            } else {
                label += ch;
                i++;
            }
        }
        labels.push(label);
    }
    return labels;
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL types

const UDT_ALIASES: Record<string, string> = {
    smallint: "int2", int2: "int2", integer: "int4", int: "int4", int4: "int4", bigint: "int8", int8: "int8",
    numeric: "numeric", decimal: "numeric", real: "float4", float4: "float4", "double precision": "float8",
    float8: "float8", float: "float8", boolean: "bool", bool: "bool", text: "text", varchar: "varchar",
    "character varying": "varchar", char: "bpchar", character: "bpchar", bpchar: "bpchar", bytea: "bytea",
    date: "date", timestamp: "timestamp", "timestamp without time zone": "timestamp", timestamptz: "timestamptz",
    "timestamp with time zone": "timestamptz", time: "time", "time without time zone": "time", interval: "interval",
    json: "json", jsonb: "jsonb", uuid: "uuid", inet: "inet", cidr: "cidr", point: "point", path: "path",
    bit: "bit", "bit varying": "varbit", varbit: "varbit", citext: "citext",
};

/** Parses an SQL type as written in an override ("varchar(20)", "numeric(10,2)", "text[]", "timestamptz(3)"). */
export function parsePgType(sql: string): PgType {
    const trimmed = sql.trim().replace(/\s+/g, " ");
    const array = /\[\]$/.test(trimmed);
    const base = trimmed.replace(/(\[\])+$/, "");
    const m = /^([a-z_][a-z0-9_ ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?(\s+with(?:out)? time zone)?$/i.exec(base);
    const name = m ? `${m[1].toLowerCase()}${m[4] ? m[4].toLowerCase() : ""}` : base.toLowerCase();
    let udt = UDT_ALIASES[name] ?? name;
    if (m && m[4] && m[1].toLowerCase() === "timestamp") udt = /without/.test(m[4].toLowerCase()) ? "timestamp" : "timestamptz";
    if (m && m[4] && m[1].toLowerCase() === "time") udt = "time";
    const type: PgType = { udt: array ? `_${udt}` : udt, sql: trimmed };
    if (m && m[2] !== undefined) {
        if (udt === "varchar" || udt === "bpchar" || udt === "bit" || udt === "varbit") type.length = Number(m[2]);
        if (udt === "numeric") {
            type.precision = Number(m[2]);
            type.scale = m[3] === undefined ? 0 : Number(m[3]);
        }
    }
    return type;
}

export interface MappingOptions {
    /** ENUM columns: a PostgreSQL enum type per column (pgloader's way), or text with a CHECK constraint. */
    enumAs: "type" | "check";
    /** Target type of DATETIME columns (their values are wall-clock times in `sourceTimeZone`). */
    datetimeType: "timestamptz" | "timestamp";
}

export interface DefaultMapping {
    type: PgType;
    identity: boolean;
    /** Set when the mapping itself creates an enum type (enumAs "type"). */
    enumLabels?: string[];
    /** Set for enumAs "check": the allowed labels. */
    checkLabels?: string[];
    note?: string;
}

function withPrecision(base: string, p: number | null): string {
    return p !== null && p !== undefined && p > 0 ? `${base}(${p})` : base;
}

/**
 * The default PostgreSQL type of a MySQL column (create mode), pgloader-compatible where pgloader is sound.
 * `enumTypeName` is the name to give a per-column enum type.
 */
export function defaultMapping(col: SourceColumn, options: MappingOptions, enumTypeName: string): DefaultMapping {
    const cat = sourceCategory(col);
    const unsigned = isUnsigned(col);
    const auto = isAutoIncrement(col);
    switch (cat) {
        case "bool-int":
            return auto ? { type: parsePgType("smallint"), identity: true } : { type: parsePgType("boolean"), identity: false };
        case "integer": {
            const t = col.dataType;
            let sql: string;
            if (t === "tinyint") sql = "smallint";
            else if (t === "smallint") sql = unsigned ? "integer" : "smallint";
            else if (t === "mediumint") sql = "integer";
            else if (t === "int" || t === "integer") sql = unsigned ? "bigint" : "integer";
            else sql = unsigned && !auto ? "numeric(20)" : "bigint";
            return { type: parsePgType(sql), identity: auto };
        }
        case "decimal":
            return { type: parsePgType(`numeric(${col.numericPrecision ?? 10},${col.numericScale ?? 0})`), identity: false };
        case "float":
            return { type: parsePgType("real"), identity: false };
        case "double":
            return { type: parsePgType("double precision"), identity: false };
        case "bit1":
            return { type: parsePgType("boolean"), identity: false };
        case "bit":
            return { type: parsePgType(`bit varying(${bitWidth(col)})`), identity: false };
        case "char":
            if ((col.dataType === "varchar" || col.dataType === "char") && col.charMaxLength !== null) {
                return { type: parsePgType(`varchar(${col.charMaxLength})`), identity: false };
            }
            return { type: parsePgType("text"), identity: false };
        case "binary":
            return { type: parsePgType("bytea"), identity: false };
        case "enum": {
            const labels = parseEnumLabels(col.columnType);
            if (options.enumAs === "type") {
                return { type: { udt: enumTypeName, sql: quoteIdent(enumTypeName), enumLabels: labels }, identity: false, enumLabels: labels };
            }
            return { type: parsePgType("text"), identity: false, checkLabels: labels };
        }
        case "set":
            return { type: parsePgType("text[]"), identity: false };
        case "date":
            return { type: parsePgType("date"), identity: false };
        case "datetime":
            return { type: parsePgType(withPrecision(options.datetimeType, col.datetimePrecision)), identity: false };
        case "timestamp":
            return { type: parsePgType(withPrecision("timestamptz", col.datetimePrecision)), identity: false };
        case "time":
            return { type: parsePgType(withPrecision("time", col.datetimePrecision)), identity: false };
        case "year":
            return { type: parsePgType("integer"), identity: false };
        case "json":
            return { type: parsePgType("jsonb"), identity: false };
        case "point":
            return { type: parsePgType("point"), identity: false };
        case "linestring":
            return { type: parsePgType("path"), identity: false };
        case "geometry":
            return { type: parsePgType("text"), identity: false, note: "geometry stored as WKT text (no PostGIS assumed)" };
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Conversions

const NUMBER_UDTS = new Set(["int2", "int4", "int8", "numeric", "float4", "float8"]);
const TEXT_UDTS = new Set(["text", "varchar", "bpchar", "citext"]);
const TIMESTAMP_UDTS = new Set(["timestamp", "timestamptz"]);

export type CoercionChoice = { coercion: Coercion; selectExpr: string } | { error: string };

/** True when the target is a user-defined type we cannot inspect further (enum or domain). */
function isUserType(type: PgType): boolean {
    return type.enumLabels !== undefined;
}

/**
 * How values of `col` reach `target`: the conversion and the MySQL expression that reads the column. An error
 * says why the pair cannot be converted (reported before any row is written).
 */
export function coercionFor(col: SourceColumn, target: PgType, transform?: Coercion): CoercionChoice {
    const q = quoteMyIdent(col.name);
    const cat = sourceCategory(col);
    const udt = target.udt;
    const geometryExpr = `ST_AsText(${q})`;
    if (transform !== undefined) {
        const selectExpr = cat === "float" ? `(${q} + 0E0)` : cat === "point" || cat === "linestring" || cat === "geometry" ? geometryExpr : q;
        return { coercion: transform, selectExpr };
    }
    const ok = (coercion: Coercion, selectExpr = q): CoercionChoice => ({ coercion, selectExpr });
    const no = (why?: string): CoercionChoice => ({ error: `cannot convert MySQL ${col.columnType} to PostgreSQL ${target.sql}${why ? `: ${why}` : ""}` });
    const bitAsNumber = `CAST(${q} AS UNSIGNED)`;
    const bitAsString = `LPAD(BIN(${q}), ${bitWidth(col)}, '0')`;

    if (NUMBER_UDTS.has(udt)) {
        const numberCoercion: Coercion = udt === "float4" ? "float4" : udt === "float8" ? "float8" : "number";
        switch (cat) {
            case "bool-int":
            case "integer":
            case "decimal":
            case "double":
            case "year":
                return ok(numberCoercion);
            case "float":
                return ok(udt === "float8" ? "float4" : numberCoercion, `(${q} + 0E0)`);
            case "bit1":
            case "bit":
                return ok(numberCoercion, bitAsNumber);
            case "char":
            case "enum":
                return ok(numberCoercion);
            default:
                return no();
        }
    }
    if (udt === "bool") {
        if (cat === "bool-int" || cat === "integer" || cat === "decimal") return ok("bool");
        if (cat === "bit1" || cat === "bit") return ok("bool", bitAsNumber);
        return no("only numbers convert to boolean (0 is false)");
    }
    if (TEXT_UDTS.has(udt)) {
        if (cat === "point" || cat === "linestring" || cat === "geometry") return ok("text", geometryExpr);
        if (cat === "bit1" || cat === "bit") return ok("text", bitAsString);
        if (cat === "float") return ok("text", `(${q} + 0E0)`);
        if (cat === "datetime" || cat === "timestamp" || cat === "date") return ok("text");
        return ok("text");
    }
    if (udt === "bytea") {
        if (cat === "binary" || cat === "char" || cat === "json") return ok("bytea");
        return no();
    }
    if (udt === "date") {
        if (cat === "date") return ok("date");
        return no(cat === "datetime" || cat === "timestamp" ? "the time of day would be lost" : undefined);
    }
    if (TIMESTAMP_UDTS.has(udt)) {
        if (cat === "datetime") return ok("datetime");
        if (cat === "timestamp") return ok("timestamp");
        return no();
    }
    if (udt === "time") {
        if (cat === "time") return ok("time");
        return no();
    }
    if (udt === "interval") {
        if (cat === "time") return ok("time");
        if (cat === "integer") return ok("interval-microseconds");
        return no();
    }
    if (udt === "json" || udt === "jsonb") {
        if (cat === "json" || cat === "char") return ok("json");
        return no();
    }
    if (udt === "uuid") {
        if (cat === "char") return ok("uuid-text");
        if (cat === "binary" && (col.charMaxLength === 16 || /^binary\(16\)/.test(col.columnType))) return ok("uuid-binary");
        return no("uuid needs CHAR(32|36) or BINARY(16)");
    }
    if (udt === "inet" || udt === "cidr") {
        if (cat === "char") return ok("text");
        if (cat === "binary") return ok("inet-binary");
        return no();
    }
    if (udt === "_text" || udt === "_varchar") {
        if (cat === "set" || cat === "char") return ok("set-array");
        return no();
    }
    if (udt === "point") {
        if (cat === "point" || cat === "geometry") return ok("point", geometryExpr);
        return no();
    }
    if (udt === "path") {
        if (cat === "linestring") return ok("path", geometryExpr);
        return no();
    }
    if (udt === "bit" || udt === "varbit") {
        if (cat === "bit1" || cat === "bit") return ok("text", bitAsString);
        return no();
    }
    if (isUserType(target) || !/^_/.test(udt)) {
        // Enums (and other user types whose input accepts the text): the value is sent as text.
        if (cat === "enum" || cat === "char" || cat === "set") return ok("text");
        return no();
    }
    return no();
}

/** The checksum normalization for a target type. */
export function canonFor(target: PgType, coercion: Coercion): Canon {
    const udt = target.udt;
    if (coercion === "interval-microseconds") return "numeric";
    if (udt === "int2" || udt === "int4" || udt === "int8" || udt === "numeric") return "numeric";
    if (udt === "float4") return "float4";
    if (udt === "float8") return coercion === "float4" ? "float4" : "float8";
    if (udt === "bpchar") return "rtrim";
    if (udt === "timestamp" || udt === "timestamptz" || udt === "time" || udt === "interval") return "timestamp";
    if (udt === "json" || udt === "jsonb") return "json";
    if (udt.startsWith("_")) return "array";
    if (udt === "uuid") return "uuid";
    if (udt === "inet" || udt === "cidr") return "lower";
    if (udt === "point" || udt === "path") return "geometry";
    return "identity";
}

export interface EchoOptions {
    /** DATETIME values are UTC wall-clock times: timestamps can be sent and printed with a +00 offset. */
    utc: boolean;
    /** The server has trim_scale() (PostgreSQL 13+), which prints numerics without trailing zeros. */
    trimScale: boolean;
}

const INT_UDTS = new Set(["int2", "int4", "int8"]);

/**
 * Whether a column's sent COPY text (in canonical form) is exactly what PostgreSQL prints back for its verification
 * expression. Only simple, well-understood pairs qualify; everything else is compared value by value.
 */
export function isEcho(col: SourceColumn, target: PgType, coercion: Coercion, canon: Canon, echo: EchoOptions): boolean {
    const cat = sourceCategory(col);
    const udt = target.udt;
    switch (coercion) {
        case "text":
            return canon === "identity" && (udt === "text" || udt === "varchar" || target.enumLabels !== undefined) && cat !== "bit" && cat !== "bit1";
        case "number":
            if (INT_UDTS.has(udt)) return cat === "integer" || cat === "bool-int";
            return udt === "numeric" && echo.trimScale && (cat === "integer" || cat === "decimal" || cat === "bool-int");
        case "bool":
        case "bytea":
            return true;
        case "date":
            return udt === "date";
        case "datetime":
        case "timestamp":
            return udt === "timestamp" || (udt === "timestamptz" && echo.utc);
        case "time":
            return udt === "time";
        default:
            return false;
    }
}

/** The PostgreSQL expression whose output text the verification hashes for one column. */
export function verifyExprFor(quotedColumn: string, target: PgType, coercion: Coercion, sourceTimeZone: string, echo = false): string {
    if (echo && target.udt === "numeric") return `trim_scale(${quotedColumn})`;
    if (echo) return quotedColumn;
    if (target.udt === "timestamptz") {
        const zone = coercion === "timestamp" ? "UTC" : sourceTimeZone;
        return `(${quotedColumn} AT TIME ZONE ${quoteLiteral(zone)})`;
    }
    if (coercion === "interval-microseconds") return `(EXTRACT(EPOCH FROM ${quotedColumn}) * 1000000)`;
    return quotedColumn;
}

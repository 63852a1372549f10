// MySQL column DEFAULT clauses → PostgreSQL DEFAULT clauses (create mode). Pure. (Option defaults are in options.ts.)
import { quoteLiteral } from "./identifiers";
import { isZeroDate } from "./copy-encode";
import type { PgType } from "./types";

export type ParsedDefault =
    | { kind: "none" }
    | { kind: "literal"; value: string }
    | { kind: "current_timestamp" }
    | { kind: "bits"; value: string }
    | { kind: "expression"; text: string };

/**
 * Parses information_schema COLUMN_DEFAULT. MariaDB (10.2.7+) reports SQL: quoted strings, NULL, numbers,
 * current_timestamp(), b'0', function calls. MySQL reports literals unquoted and marks expression defaults with
 * DEFAULT_GENERATED in EXTRA.
 */
export function parseDefault(raw: string | null, flavor: "MariaDB" | "MySQL", extra: string): ParsedDefault {
    if (raw === null) return { kind: "none" };
    const text = raw.trim();
    if (/^current_timestamp(\(\d*\))?$/i.test(text) || /^now\(\d*\)$/i.test(text) || /^localtimestamp(\(\d*\))?$/i.test(text)) {
        return { kind: "current_timestamp" };
    }
    const bits = /^b'([01]*)'$/i.exec(text);
    if (bits) return { kind: "bits", value: bits[1] };
    if (flavor === "MariaDB") {
        if (text.toUpperCase() === "NULL") return { kind: "none" };
        if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) {
            return { kind: "literal", value: unquoteMariaDb(text.slice(1, -1)) };
        }
        if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) return { kind: "literal", value: text };
        return { kind: "expression", text };
    }
    if (/default_generated/i.test(extra)) return { kind: "expression", text };
    return { kind: "literal", value: raw };
}

function unquoteMariaDb(body: string): string {
    let out = "";
    for (let i = 0; i < body.length; i++) {
        const ch = body[i];
        if (ch === "'" && body[i + 1] === "'") {
            out += "'";
            i++;
        } else if (ch === "\\" && i + 1 < body.length) {
            const next = body[++i];
            out += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next === "0" ? "\u0000" : next;
        } else out += ch;
    }
    return out;
}

export interface DefaultTranslation {
    /** The PostgreSQL default expression, or undefined for none. */
    sql?: string;
    /** Why a default was dropped. */
    dropped?: string;
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Translates a parsed default for a target type. */
export function translateDefault(parsed: ParsedDefault, target: PgType): DefaultTranslation {
    const udt = target.udt;
    switch (parsed.kind) {
        case "none":
            return {};
        case "current_timestamp":
            if (udt === "timestamp" || udt === "timestamptz") return { sql: "CURRENT_TIMESTAMP" };
            if (udt === "date") return { sql: "CURRENT_DATE" };
            return { dropped: `CURRENT_TIMESTAMP default does not fit ${target.sql}` };
        case "bits":
            if (udt === "bool") return { sql: /1/.test(parsed.value) ? "true" : "false" };
            if (udt === "bit" || udt === "varbit") return { sql: `B'${parsed.value}'` };
            if (udt === "int2" || udt === "int4" || udt === "int8" || udt === "numeric") return { sql: String(parseInt(parsed.value || "0", 2)) };
            return { dropped: `bit default does not fit ${target.sql}` };
        case "expression":
            return { dropped: `expression default ${parsed.text} has no PostgreSQL translation` };
        case "literal": {
            const v = parsed.value;
            if (udt === "date" || udt === "timestamp" || udt === "timestamptz") {
                if (isZeroDate(Buffer.from(v))) return { dropped: `zero-date default ${v} (zero dates become NULL)` };
                return { sql: quoteLiteral(v) };
            }
            if (udt === "bool") {
                if (!NUMERIC.test(v)) return { dropped: `default ${v} is not a number` };
                return { sql: Number(v) === 0 ? "false" : "true" };
            }
            if (udt === "int2" || udt === "int4" || udt === "int8" || udt === "numeric" || udt === "float4" || udt === "float8") {
                if (!NUMERIC.test(v)) return { dropped: `default ${v} is not a number` };
                return { sql: v.startsWith("-") ? `(${v})` : v };
            }
            if (udt === "_text" || udt === "_varchar") return { sql: `${quoteLiteral(setToArrayLiteral(v))}::${target.sql}` };
            if (udt === "bytea") return { sql: `${quoteLiteral(`\\x${Buffer.from(v, "utf8").toString("hex")}`)}::bytea` };
            if (udt === "jsonb" || udt === "json") return { sql: `${quoteLiteral(v)}::${udt}` };
            if (v.includes("\u0000")) return { dropped: "default contains a NUL character" };
            return { sql: quoteLiteral(v) };
        }
    }
}

/** 'a,b' → {"a","b"}: a PostgreSQL array literal for a MySQL SET value. */
export function setToArrayLiteral(value: string): string {
    if (value === "") return "{}";
    return `{${value
        .split(",")
        .map((e) => `"${e.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
        .join(",")}}`;
}

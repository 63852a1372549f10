// What a column's format_type() text means to the scrubber: which rules fit, how long an output may be. Pure.

export type TypeClass =
    | "text" // text, varchar, citext, name
    | "char" // character(n): COPY pads with blanks, ::text trims them
    | "json"
    | "jsonb"
    | "uuid"
    | "inet"
    | "cidr"
    | "bytea"
    | "int2"
    | "int4"
    | "int8"
    | "date"
    | "timestamp"
    | "array"
    | "other";

export interface TypeInfo {
    cls: TypeClass;
    /** varchar(n) / character(n) limit, in characters. */
    maxLength?: number;
    /** The format_type text. */
    text: string;
}

export function classifyType(formatType: string): TypeInfo {
    const t = formatType.trim().toLowerCase();
    const text = formatType;
    if (t.endsWith("[]")) return { cls: "array", text };
    const len = /^(?:character varying|varchar|character|char|bpchar)\((\d+)\)$/.exec(t);
    if (len) return { cls: t.startsWith("character varying") || t.startsWith("varchar") ? "text" : "char", maxLength: Number(len[1]), text };
    if (["text", "character varying", "varchar", "citext", "name", "public.citext"].includes(t)) return { cls: "text", text };
    if (t === "character" || t === "char" || t === "bpchar") return { cls: "char", maxLength: 1, text };
    if (t === "json") return { cls: "json", text };
    if (t === "jsonb") return { cls: "jsonb", text };
    if (t === "uuid") return { cls: "uuid", text };
    if (t === "inet") return { cls: "inet", text };
    if (t === "cidr") return { cls: "cidr", text };
    if (t === "bytea") return { cls: "bytea", text };
    if (t === "smallint") return { cls: "int2", text };
    if (t === "integer") return { cls: "int4", text };
    if (t === "bigint") return { cls: "int8", text };
    if (t === "date") return { cls: "date", text };
    if (/^timestamp(\(\d\))? with(out)? time zone$/.test(t)) return { cls: "timestamp", text };
    return { cls: "other", text };
}

/** Types whose values the fail-closed detector samples and the post-run scan reads as text. */
export function isTextual(cls: TypeClass): boolean {
    return cls === "text" || cls === "char" || cls === "json" || cls === "jsonb";
}

export function isJson(cls: TypeClass): boolean {
    return cls === "json" || cls === "jsonb";
}

/** Quotes an identifier. */
export function qi(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(t: { schema: string; name: string }): string {
    return `${qi(t.schema)}.${qi(t.name)}`;
}

/** A string literal (standard_conforming_strings on). */
export function ql(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
}

/** An array literal of text values, as a quoted SQL string: '{"a","b\"c"}'. */
export function arrayLiteral(values: Iterable<string>): string {
    const parts: string[] = [];
    for (const v of values) parts.push(`"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);
    return ql(`{${parts.join(",")}}`);
}

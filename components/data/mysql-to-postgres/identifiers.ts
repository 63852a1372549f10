// Identifier and literal quoting for both sides, and PostgreSQL-safe names for the objects we create.
import { createHash } from "node:crypto";

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated by the server. */
export const PG_MAX_IDENTIFIER_BYTES = 63;

/** Quotes a PostgreSQL identifier (always quoted: reserved words, mixed case and spaces all survive). */
export function quoteIdent(name: string): string {
    if (name.includes("\u0000")) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character`);
    return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a schema-qualified PostgreSQL name. */
export function qualify(schema: string, name: string): string {
    return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Quotes a MySQL identifier with backticks. */
export function quoteMyIdent(name: string): string {
    if (name.includes("\u0000")) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character`);
    return `\`${name.replace(/`/g, "``")}\``;
}

/** A PostgreSQL string literal (standard_conforming_strings on: only quotes are doubled). */
export function quoteLiteral(value: string): string {
    if (value.includes("\u0000")) throw new Error("string literal contains a NUL character");
    return `'${value.replace(/'/g, "''")}'`;
}

/** A MySQL string literal (backslashes are escapes in MySQL's default sql_mode). */
export function quoteMyLiteral(value: string): string {
    return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''").replace(/\u0000/g, "\\0")}'`;
}

/**
 * A name that fits PostgreSQL's 63-byte limit: returned unchanged when it fits, otherwise cut on a character
 * boundary and suffixed with a short hash of the whole name, so two long names that share a prefix stay distinct.
 */
export function pgName(name: string, maxBytes = PG_MAX_IDENTIFIER_BYTES): string {
    if (Buffer.byteLength(name, "utf8") <= maxBytes) return name;
    const suffix = `_${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
    let cut = "";
    for (const ch of name) {
        if (Buffer.byteLength(cut + ch, "utf8") + suffix.length > maxBytes) break;
        cut += ch;
    }
    return cut + suffix;
}

/** Hands out names unique within one namespace (PostgreSQL index and type names are unique per schema). */
export class NameAllocator {
    private readonly used = new Set<string>();

    constructor(taken: Iterable<string> = []) {
        for (const name of taken) this.used.add(name);
    }

    allocate(wanted: string): string {
        let candidate = pgName(wanted);
        for (let i = 2; this.used.has(candidate); i++) candidate = pgName(`${wanted}_${i}`);
        this.used.add(candidate);
        return candidate;
    }
}

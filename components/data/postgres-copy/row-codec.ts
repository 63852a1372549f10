// PostgreSQL COPY text format rows ↔ Row (one string or null per column), for tables a hook rewrites. Verbatim
// tables never come here: their bytes stream through untouched. Pure.
import { unescapeCopy } from "../mysql-to-postgres/checksum";
import type { Row } from "./hooks";

const TAB = 0x09;
const BACKSLASH = 0x5c;

/** Decodes one COPY text line (without its newline) into a Row. */
export function decodeRow(line: Uint8Array, start: number, end: number, scratch: { buf: Buffer }): Row {
    const out: Row = [];
    let fieldStart = start;
    let escaped = false;
    for (let i = start; i <= end; i++) {
        if (i < end) {
            const b = line[i];
            if (b === BACKSLASH) {
                escaped = true;
                i++;
                continue;
            }
            if (b !== TAB) continue;
        }
        if (!escaped) out.push(Buffer.from(line.buffer, line.byteOffset + fieldStart, i - fieldStart).toString("utf8"));
        else if (i - fieldStart === 2 && line[fieldStart + 1] === 0x4e) out.push(null);
        else {
            const u = unescapeCopy(line, fieldStart, i, scratch.buf);
            scratch.buf = u.buf;
            out.push(u.buf.toString("utf8", 0, u.length));
        }
        escaped = false;
        fieldStart = i + 1;
    }
    return out;
}

/** Escapes one value for COPY text format. */
export function escapeCopyValue(value: string | null): string {
    if (value === null) return "\\N";
    if (!/[\\\t\n\r\b\f\v]/.test(value)) return value;
    return value.replace(/[\\\t\n\r\b\f\v]/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v" };

/** Encodes a Row as one COPY text line, newline included. */
export function encodeRow(row: Row): string {
    let s = "";
    for (let i = 0; i < row.length; i++) {
        if (i > 0) s += "\t";
        s += escapeCopyValue(row[i]);
    }
    return `${s}\n`;
}

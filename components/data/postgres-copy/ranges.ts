// The data plan: one unit per table, or, for a table larger than the split threshold, one unit per range of heap
// pages (ctid ranges: no key needed, equal bytes per range, read with a TID range scan on PostgreSQL 14+). Largest
// units first, so the big table's ranges keep every worker busy. Pure.
import { tableKey, type DataTable } from "./catalog";

export interface DataUnit {
    /** Stable id of the unit in the progress table: "schema.table" or "schema.table#2/5@1024-2048". */
    key: string;
    schema: string;
    name: string;
    part?: { index: number; count: number; fromPage: number; toPage: number | null };
    /** Estimated bytes, for ordering and progress only. */
    bytes: number;
}

export interface SplitOptions {
    /** Tables whose heap is larger than this (bytes) are split. */
    splitLargerThan: number;
    /** Target bytes per range. */
    chunkBytes: number;
    /** Whether the source can scan ctid ranges efficiently (PostgreSQL 14+). */
    tidRangeScan: boolean;
}

export const MAX_PARTS = 256;

export function planUnits(tables: DataTable[], opts: SplitOptions): DataUnit[] {
    const units: DataUnit[] = [];
    for (const t of tables) {
        const key = tableKey(t);
        if (!opts.tidRangeScan || t.bytes <= opts.splitLargerThan || t.pages < 2) {
            units.push({ key, schema: t.schema, name: t.name, bytes: t.bytes });
            continue;
        }
        const count = Math.min(MAX_PARTS, t.pages, Math.max(2, Math.ceil(t.bytes / opts.chunkBytes)));
        const per = Math.ceil(t.pages / count);
        const parts: DataUnit[] = [];
        for (let from = 0; from < t.pages; from += per) parts.push({ key: "", schema: t.schema, name: t.name, bytes: Math.round((t.bytes * Math.min(per, t.pages - from)) / t.pages), part: { index: 0, count: 0, fromPage: from, toPage: from + per } });
        parts[parts.length - 1].part!.toPage = null; // Open-ended: pages added after the size was read.
        parts.forEach((u, i) => {
            u.part!.index = i + 1;
            u.part!.count = parts.length;
            u.key = `${key}#${i + 1}/${parts.length}@${u.part!.fromPage}-${u.part!.toPage ?? ""}`;
        });
        units.push(...parts);
    }
    return units.sort((a, b) => b.bytes - a.bytes);
}

/** The WHERE clause of a unit's range (undefined for a whole table). */
export function rangeCondition(u: DataUnit): string | undefined {
    if (!u.part) return undefined;
    const from = `ctid >= '(${u.part.fromPage},0)'::tid`;
    return u.part.toPage === null ? from : `${from} AND ctid < '(${u.part.toPage},0)'::tid`;
}

/** Adds two checksums of 16 hex digits (sums modulo 2^64 of row hashes: order-independent, so ranges add up). */
export function addDigests(a: string, b: string): string {
    const value = (d: string): bigint => (d === "" ? 0n : BigInt(`0x${d}`));
    return ((value(a) + value(b)) & ((1n << 64n) - 1n)).toString(16).padStart(16, "0");
}

export const EMPTY_DIGEST = "0000000000000000";

// The post-run proof. After a scrubbed copy:
//   - no original value of a scrubbed column (nor of a scrubbed JSON field) appears anywhere in the target: every
//     text, JSON (each string leaf and the whole text), uuid and inet value of every table is looked up among keyed
//     64-bit fingerprints of the originals the row transforms replaced (values shorter than MIN_SCAN_LENGTH, and
//     values that are also one of the fakes produced — a fake name can be someone's real name — are not evidence);
//   - every foreign key holds and every unique index is intact, by query.
// The fingerprints are kept in a flat open-addressing table (16 bytes per distinct original at most), never the
// values themselves.
import { randomBytes } from "node:crypto";
import { fmix32 } from "../mysql-to-postgres/checksum";
import type { CatalogTable, Query, SourceCatalog } from "../postgres-copy/hooks";
import { leaves, leafText, parseJson } from "./json";
import { rulesTableName } from "./rules";
import { classifyType, isJson, qi, qualified, type TypeClass } from "./types";

export const MIN_SCAN_LENGTH = 4;

/** Classes whose values the scan reads. */
export function scanned(cls: TypeClass): boolean {
    return cls === "text" || cls === "char" || cls === "json" || cls === "jsonb" || cls === "uuid" || cls === "inet" || cls === "cidr";
}

export function normalize(v: string): string {
    return v.trim().toLowerCase();
}

/**
 * A set of 64-bit keyed fingerprints of strings. The fingerprint is two 32-bit lanes of a Murmur3-style hash over the
 * string's UTF-16 code units, each seeded with a random per-process key: equal strings always agree, so a lookup
 * never misses an original; two distinct strings sharing both lanes (rare: 64 bits under a key no input was chosen
 * against) make the scan report a leak that is none: it fails closed, never open. An HMAC per value cost the seed
 * ~1 s of CPU here.
 * Lookups of a length no member has (most of a table's long text) are answered without hashing.
 */
export class FingerprintSet {
    private hi: Uint32Array;
    private lo: Uint32Array;
    private count = 0;
    private readonly k1: number;
    private readonly k2: number;
    private readonly lengths = new Set<number>();

    constructor(capacity = 1024, key: Buffer = randomBytes(8)) {
        let size = 1024;
        while (size < capacity * 2) size *= 2;
        this.hi = new Uint32Array(size);
        this.lo = new Uint32Array(size);
        this.k1 = key.readUInt32LE(0);
        this.k2 = key.readUInt32LE(4);
    }

    get size(): number {
        return this.count;
    }

    private fingerprint(value: string): [number, number] {
        let h1 = this.k1 ^ value.length;
        let h2 = this.k2 ^ Math.imul(value.length, 0x9e3779b1);
        for (let i = 0; i < value.length; i++) {
            const c = value.charCodeAt(i);
            let a = Math.imul(c, 0xcc9e2d51);
            a = Math.imul((a << 15) | (a >>> 17), 0x1b873593);
            h1 ^= a;
            h1 = Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64;
            let b = Math.imul(c ^ 0x5bd1e995, 0x85ebca6b);
            b = Math.imul((b << 16) | (b >>> 16), 0xc2b2ae35);
            h2 ^= b;
            h2 = Math.imul((h2 << 11) | (h2 >>> 21), 9) + 0x52dce729;
        }
        const hi = fmix32(h1);
        let lo = fmix32(h2 ^ hi);
        if (hi === 0 && lo === 0) lo = 1;
        return [hi, lo];
    }

    add(value: string): void {
        this.lengths.add(value.length);
        const [hi, lo] = this.fingerprint(value);
        if (this.insert(hi, lo)) {
            this.count++;
            if (this.count * 2 > this.hi.length) this.grow();
        }
    }

    has(value: string): boolean {
        if (!this.lengths.has(value.length)) return false;
        const [hi, lo] = this.fingerprint(value);
        const mask = this.hi.length - 1;
        for (let i = lo & mask; ; i = (i + 1) & mask) {
            if (this.hi[i] === 0 && this.lo[i] === 0) return false;
            if (this.hi[i] === hi && this.lo[i] === lo) return true;
        }
    }

    private insert(hi: number, lo: number): boolean {
        const mask = this.hi.length - 1;
        for (let i = lo & mask; ; i = (i + 1) & mask) {
            if (this.hi[i] === 0 && this.lo[i] === 0) {
                this.hi[i] = hi;
                this.lo[i] = lo;
                return true;
            }
            if (this.hi[i] === hi && this.lo[i] === lo) return false;
        }
    }

    private grow(): void {
        const oldHi = this.hi;
        const oldLo = this.lo;
        this.hi = new Uint32Array(oldHi.length * 2);
        this.lo = new Uint32Array(oldLo.length * 2);
        for (let i = 0; i < oldHi.length; i++) if (oldHi[i] !== 0 || oldLo[i] !== 0) this.insert(oldHi[i], oldLo[i]);
    }
}

/** What the row transforms saw: originals they replaced, and the fakes they produced. */
export class Evidence {
    readonly originals = new FingerprintSet();
    readonly produced = new FingerprintSet();

    original(v: string): void {
        const n = normalize(v);
        if (n.length >= MIN_SCAN_LENGTH) this.originals.add(n);
    }

    fake(v: string): void {
        const n = normalize(v);
        if (n.length >= MIN_SCAN_LENGTH) this.produced.add(n);
    }

    /** True when a target value is an original and not also one of the fakes. */
    leaks(v: string): boolean {
        const n = normalize(v);
        return n.length >= MIN_SCAN_LENGTH && this.originals.has(n) && !this.produced.has(n);
    }
}

export interface ScanReport {
    tables: number;
    valuesScanned: number;
    originalsKnown: number;
    leaks: Array<{ table: string; column: string; rows: number }>;
    danglingForeignKeys: Array<{ table: string; foreignKey: string; rows: number }>;
    duplicateKeys: Array<{ table: string; columns: string[] }>;
}

export class ScanError extends Error {
    constructor(readonly report: ScanReport) {
        const lines = [
            ...report.leaks.map((l) => `  ${l.table}.${l.column}: ${l.rows} value(s) equal to an original value of a scrubbed column`),
            ...report.danglingForeignKeys.map((d) => `  ${d.table}: ${d.rows} row(s) break foreign key ${d.foreignKey}`),
            ...report.duplicateKeys.map((d) => `  ${d.table}: duplicate values in unique (${d.columns.join(", ")})`),
        ];
        super(`The post-copy scan failed:\n${lines.join("\n")}`);
        this.name = "ScanError";
    }
}

export interface ScanOptions {
    pageSize?: number;
    typeOf?: (formatType: string) => TypeClass;
}

/** Reads every scanned value of the target (by ctid pages) and checks keys. Throws ScanError on any finding. */
export async function scanTarget(catalog: SourceCatalog, target: Query, evidence: Evidence, options: ScanOptions = {}): Promise<ScanReport> {
    const pageSize = options.pageSize ?? 5000;
    const typeOf = options.typeOf ?? ((t: string) => classifyType(t).cls);
    const report: ScanReport = { tables: 0, valuesScanned: 0, originalsKnown: evidence.originals.size, leaks: [], danglingForeignKeys: [], duplicateKeys: [] };
    for (const t of catalog.tables) {
        report.tables++;
        if (evidence.originals.size > 0) await scanTable(t, target, evidence, report, pageSize, typeOf);
        for (const fk of t.foreignKeys) {
            const cond = fk.columns.map((c, i) => `p.${qi(fk.referencedColumns[i])} = c.${qi(c)}`).join(" AND ");
            const notNull = fk.columns.map((c) => `c.${qi(c)} IS NOT NULL`).join(" AND ");
            const rows = await target(`SELECT count(*)::bigint::text AS n FROM ${qualified(t)} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${qualified(fk.references)} p WHERE ${cond})`);
            const n = Number(rows[0]?.n ?? 0);
            if (n > 0) report.danglingForeignKeys.push({ table: rulesTableName(t), foreignKey: fk.name, rows: n });
        }
        for (const ix of [...(t.primaryKey.length > 0 ? [t.primaryKey] : []), ...t.uniqueIndexes]) {
            const cols = ix.map(qi).join(", ");
            const rows = await target(`SELECT 1 AS d FROM ${qualified(t)} WHERE ${ix.map((c) => `${qi(c)} IS NOT NULL`).join(" AND ")} GROUP BY ${cols} HAVING count(*) > 1 LIMIT 1`);
            if (rows.length > 0) report.duplicateKeys.push({ table: rulesTableName(t), columns: ix });
        }
    }
    if (report.leaks.length > 0 || report.danglingForeignKeys.length > 0 || report.duplicateKeys.length > 0) throw new ScanError(report);
    return report;
}

async function scanTable(t: CatalogTable, target: Query, evidence: Evidence, report: ScanReport, pageSize: number, typeOf: (formatType: string) => TypeClass): Promise<void> {
    const cols = t.columns.filter((c) => scanned(typeOf(c.type)));
    if (cols.length === 0) return;
    const json = cols.map((c) => isJson(typeOf(c.type)));
    const hits = new Array<number>(cols.length).fill(0);
    let last: string | undefined;
    for (;;) {
        const rows = await target(
            `SELECT ctid::text AS ${qi("ctid")}, ${cols.map((c, i) => `${qi(c.name)}::text AS ${qi(`c${i}`)}`).join(", ")} FROM ${qualified(t)}${last ? " WHERE ctid > $1::tid" : ""} ORDER BY ctid LIMIT ${pageSize}`,
            last ? [last] : undefined,
        );
        for (const r of rows) {
            cols.forEach((_, i) => {
                const v = r[`c${i}`];
                if (typeof v !== "string") return;
                report.valuesScanned++;
                let leak = evidence.leaks(v);
                if (!leak && json[i]) {
                    try {
                        leaves(parseJson(v), (leaf) => {
                            if (!leak && evidence.leaks(leafText(leaf))) leak = true;
                        });
                    } catch {
                        // not JSON after all: the whole text was checked
                    }
                }
                if (leak) hits[i]++;
            });
        }
        if (rows.length < pageSize) break;
        last = rows[rows.length - 1].ctid as string;
    }
    cols.forEach((c, i) => {
        if (hits[i] > 0) report.leaks.push({ table: rulesTableName(t), column: c.name, rows: hits[i] });
    });
}

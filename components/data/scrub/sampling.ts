// Sampling with referential integrity both ways, without writing to the source.
//
// Roles (planSampling, pure): a table with `sample:` is a *seed* table; a table without one that references a seed
// table, directly or through other tables, *follows* (it keeps only the rows the closure needs); every other table
// is copied *whole* (lookups, and tables the sample cannot reach — their own parents are whole too).
//
// Rows kept in seed and follow tables (computeClosure, read-only queries):
//   R1 = the sampled rows, plus every row referencing an R1 row, transitively (down, through any FK: self-references,
//        composite and nullable ones, cycles);
//   R2 = R1 plus every row an R2 row references, transitively (up).
// So every kept row's parents are kept, and every sampled row's dependants are kept. The closure is tracked as sets
// of *referenced key values* only (the columns some foreign key points at), never rows: a table nobody references is
// described by a predicate over its own foreign key columns. Cycles and diamonds need nothing special: the sets
// deduplicate and the work ends when no set grows. Tables are processed in the order of the FK graph's strongly
// connected components (parents first going down, children first going up), iterating inside each component.
import { stronglyConnected } from "../shared/graph";
import type { CatalogTable, Query, SourceCatalog } from "../postgres-copy/hooks";
import { tableKey } from "./plan";
import { findTableRules, type Sampling, type ScrubRules } from "./rules";
import { arrayLiteral, qi, qualified } from "./types";

export type Role = "seed" | "follow" | "whole";

export interface KeyRef {
    table: string;
    columns: string[];
}

export interface SamplingPlan {
    tables: Map<string, CatalogTable>;
    roles: Map<string, Role>;
    sampling: Map<string, Sampling>;
    /** Strongly connected components of the FK graph among seed/follow tables, parents first. */
    components: string[][];
    /** tableKey → position of its component in `components`. */
    order: Map<string, number>;
    /** tableKey → the column lists of that table that foreign keys (from seed/follow tables) reference. */
    trackedKeys: Map<string, string[][]>;
}

export function keyId(table: string, columns: string[]): string {
    return `${table}(${columns.join(",")})`;
}

/** Pure: roles, SCCs and tracked keys. Undefined when no table is sampled (every table whole, no filter). */
export function planSampling(catalog: SourceCatalog, rules: ScrubRules): SamplingPlan | undefined {
    const tables = new Map(catalog.tables.map((t) => [tableKey(t), t]));
    const sampling = new Map<string, Sampling>();
    for (const t of catalog.tables) {
        const s = findTableRules(rules, t)?.sample;
        if (s) sampling.set(tableKey(t), s);
    }
    if (sampling.size === 0) return undefined;
    // Reverse reachability: who references a seed table, transitively.
    const referencedBy = new Map<string, Set<string>>();
    for (const t of catalog.tables) {
        for (const fk of t.foreignKeys) {
            const p = tableKey(fk.references);
            if (!tables.has(p)) continue;
            const set = referencedBy.get(p) ?? new Set<string>();
            set.add(tableKey(t));
            referencedBy.set(p, set);
        }
    }
    const roles = new Map<string, Role>();
    for (const k of tables.keys()) roles.set(k, sampling.has(k) ? "seed" : "whole");
    const stack = [...sampling.keys()];
    while (stack.length > 0) {
        const p = stack.pop() as string;
        for (const c of referencedBy.get(p) ?? []) {
            if (roles.get(c) === "whole") {
                roles.set(c, "follow");
                stack.push(c);
            }
        }
    }
    const inClosure = (k: string): boolean => roles.get(k) !== "whole";
    const trackedKeys = new Map<string, string[][]>();
    for (const t of catalog.tables) {
        if (!inClosure(tableKey(t))) continue;
        for (const fk of t.foreignKeys) {
            const p = tableKey(fk.references);
            if (!tables.has(p) || !inClosure(p)) continue;
            const list = trackedKeys.get(p) ?? [];
            if (!list.some((cols) => cols.join(",") === fk.referencedColumns.join(","))) list.push(fk.referencedColumns);
            trackedKeys.set(p, list);
        }
    }
    const components = stronglyConnected(
        [...tables.keys()].filter(inClosure),
        (k) => (tables.get(k) as CatalogTable).foreignKeys.map((fk) => tableKey(fk.references)).filter((p) => tables.has(p) && inClosure(p)),
    );
    const order = new Map<string, number>();
    components.forEach((comp, i) => comp.forEach((k) => order.set(k, i)));
    return { tables, roles, sampling, components, order, trackedKeys };
}

/** The text PostgreSQL's record_out gives ROW(values), so composite keys compare as one text. */
export function rowText(values: string[]): string {
    return `(${values
        .map((v) => (v === "" || /[",()\\\s]/.test(v) ? `"${v.replace(/\\/g, "\\\\").replace(/"/g, '""')}"` : v))
        .join(",")})`;
}

/** SQL yielding a key's text: the column's text, or the ROW's for a composite key. */
export function keySql(columns: string[], alias?: string): string {
    const col = (c: string): string => (alias ? `${alias}.${qi(c)}` : qi(c));
    return columns.length === 1 ? `${col(columns[0])}::text` : `ROW(${columns.map(col).join(", ")})::text`;
}

function notNullSql(columns: string[]): string {
    return columns.map((c) => `${qi(c)} IS NOT NULL`).join(" AND ");
}

/** `cols ∈ values` as SQL with the values inline (for the engine's filter), typed for a single column. */
function inlineMembership(table: CatalogTable, columns: string[], values: Set<string>): string {
    if (values.size === 0) return "false";
    if (columns.length === 1) {
        const type = table.columns.find((c) => c.name === columns[0])?.type ?? "text";
        return `${qi(columns[0])} = ANY(${arrayLiteral(values)}::${type}[])`;
    }
    return `${keySql(columns)} = ANY(${arrayLiteral(values)}::text[])`;
}

/** `cols ∈ $n` as SQL with the values as a parameter. */
function paramMembership(table: CatalogTable, columns: string[], param: number): string {
    if (columns.length === 1) {
        const type = table.columns.find((c) => c.name === columns[0])?.type ?? "text";
        return `${qi(columns[0])} = ANY($${param}::${type}[])`;
    }
    return `${keySql(columns)} = ANY($${param}::text[])`;
}

export interface ClosureOptions {
    /** Keys per propagation query (default 100000: each query may scan its table, so few large batches beat many small ones). */
    batchSize?: number;
    /** Refuse when the tracked keys exceed this many (default 10 million): the sample is too large to plan. */
    maxKeys?: number;
    /** Rows per page when reading seeds (default 50000). */
    pageSize?: number;
}

export class SamplingError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SamplingError";
    }
}

/** The deterministic, keyed seed predicate of a table (`percent` hashes the primary key, or the row without one). */
export function seedPredicate(table: CatalogTable, sampling: Sampling, samplingKeyHex: string): string {
    if (sampling.kind === "where") return `(${sampling.condition})`;
    if (sampling.percent >= 100) return "true";
    if (sampling.percent <= 0) return "false";
    const identity = table.primaryKey.length > 0 ? keySql(table.primaryKey) : `ROW(${table.columns.map((c) => qi(c.name)).join(", ")})::text`;
    const threshold = Math.floor((sampling.percent / 100) * 2 ** 32);
    return `(('x' || left(encode(sha256('\\x${samplingKeyHex}'::bytea || convert_to(${identity}, 'UTF8')), 'hex'), 8))::bit(32)::bigint < ${threshold})`;
}

interface Outgoing {
    parent: string;
    columns: string[];
    referenced: string[];
}

/** The closure's key sets, and the filter each table gets. */
export class Closure {
    /** keyId → values of R1 rows. */
    readonly r1 = new Map<string, Set<string>>();
    /** keyId → values of rows kept only as ancestors. */
    readonly anc = new Map<string, Set<string>>();
    queries = 0;

    constructor(
        readonly plan: SamplingPlan,
        private readonly seedSql: (t: CatalogTable) => string,
    ) {}

    size(): number {
        let n = 0;
        for (const s of this.r1.values()) n += s.size;
        for (const s of this.anc.values()) n += s.size;
        return n;
    }

    private readonly filters = new Map<string, string | undefined>();

    /** The engine's rowFilter: undefined for whole tables. Built once per table (the engine asks per range). */
    filter(table: CatalogTable): string | undefined {
        const k = tableKey(table);
        if (!this.filters.has(k)) this.filters.set(k, this.buildFilter(table));
        return this.filters.get(k);
    }

    private buildFilter(table: CatalogTable): string | undefined {
        const k = tableKey(table);
        const role = this.plan.roles.get(k);
        if (!role || role === "whole") return undefined;
        const byKey = this.keyedFilter(table);
        if (byKey !== undefined) return byKey;
        const terms: string[] = [];
        if (role === "seed") terms.push(this.seedSql(table));
        for (const o of outgoing(this.plan, table)) {
            const set = this.r1.get(keyId(o.parent, o.referenced));
            if (set && set.size > 0) terms.push(inlineMembership(table, o.columns, set));
        }
        for (const cols of this.plan.trackedKeys.get(k) ?? []) {
            const set = this.anc.get(keyId(k, cols));
            if (set && set.size > 0) terms.push(inlineMembership(table, cols, set));
        }
        const real = terms.filter((t) => t !== "false");
        if (real.length === 0) return "false";
        return real.length === 1 ? real[0] : real.map((t) => `(${t})`).join(" OR ");
    }

    /**
     * When the primary key is the only key of the table the closure tracks, every kept row's key is in r1 or anc
     * (seed rows, rows reached going down and ancestors are all absorbed with it), and every value there is a kept
     * row's: the rows are exactly `pk = ANY(those)`. That reads them through the primary key instead of evaluating
     * the seed predicate (a sha256 per row) and the foreign-key terms over the whole table, each time it is read.
     */
    private keyedFilter(table: CatalogTable): string | undefined {
        const tracked = this.plan.trackedKeys.get(tableKey(table)) ?? [];
        const pk = table.primaryKey;
        if (pk.length === 0 || tracked.length !== 1 || tracked[0].join(",") !== pk.join(",")) return undefined;
        const id = keyId(tableKey(table), pk);
        const kept = new Set<string>([...(this.r1.get(id) ?? []), ...(this.anc.get(id) ?? [])]);
        if (kept.size > MAX_KEYED_FILTER) return undefined;
        return inlineMembership(table, pk, kept);
    }
}

/** Above this many kept keys a table's filter stays a predicate (the key list is inlined in the SQL). */
const MAX_KEYED_FILTER = 1_000_000;

/** Foreign keys of a table into seed/follow tables. */
function outgoing(plan: SamplingPlan, table: CatalogTable): Outgoing[] {
    return table.foreignKeys
        .map((fk) => ({ parent: tableKey(fk.references), columns: fk.columns, referenced: fk.referencedColumns }))
        .filter((o) => plan.tables.has(o.parent) && plan.roles.get(o.parent) !== "whole");
}

/** Computes R1 and R2 with read-only queries. */
export async function computeClosure(plan: SamplingPlan, query: Query, seedSql: (t: CatalogTable) => string, options: ClosureOptions = {}): Promise<Closure> {
    const closure = new Closure(plan, seedSql);
    const batchSize = options.batchSize ?? 100_000;
    const maxKeys = options.maxKeys ?? 10_000_000;
    const pageSize = options.pageSize ?? 50_000;
    const run = async (sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> => {
        closure.queries++;
        return query(sql, params);
    };
    const setOf = (m: Map<string, Set<string>>, id: string): Set<string> => {
        let s = m.get(id);
        if (!s) m.set(id, (s = new Set()));
        return s;
    };
    const checkSize = (): void => {
        const n = closure.size();
        if (n > maxKeys) throw new SamplingError(`the sampling closure passed ${maxKeys} key values (${n}); sample less (a smaller percentage or a narrower condition)`);
    };
    /** Keys (table, columns) whose new values wait to be propagated. */
    const pending = new Map<string, { table: string; columns: string[]; values: string[] }>();
    const enqueue = (table: string, columns: string[], values: string[]): void => {
        if (values.length === 0) return;
        const id = keyId(table, columns);
        const p = pending.get(id) ?? { table, columns, values: [] };
        for (const v of values) p.values.push(v);
        pending.set(id, p);
    };
    /** Parents the kept rows need: keyId → values (phase 2's starting point). */
    const needed = new Map<string, { table: string; columns: string[]; values: Set<string> }>();

    /** Select of a table's tracked keys and outgoing FK columns, and what to do with the rows. */
    const shape = (t: CatalogTable): { select: string[]; tracked: string[][]; out: Outgoing[] } => {
        const tracked = plan.trackedKeys.get(tableKey(t)) ?? [];
        const out = outgoing(plan, t);
        const select = [
            ...tracked.map((cols, i) => `CASE WHEN ${notNullSql(cols)} THEN ${keySql(cols)} END AS ${qi(`k${i}`)}`),
            ...out.map((o, i) => `CASE WHEN ${notNullSql(o.columns)} THEN ${keySql(o.columns)} END AS ${qi(`f${i}`)}`),
        ];
        return { select, tracked, out };
    };
    const absorb = (t: CatalogTable, rows: Array<Record<string, unknown>>, tracked: string[][], out: Outgoing[], into: "r1" | "anc"): void => {
        const k = tableKey(t);
        tracked.forEach((cols, i) => {
            const id = keyId(k, cols);
            const r1 = setOf(closure.r1, id);
            const target = into === "r1" ? r1 : setOf(closure.anc, id);
            const fresh: string[] = [];
            for (const r of rows) {
                const v = r[`k${i}`];
                if (typeof v !== "string" || r1.has(v) || target.has(v)) continue;
                target.add(v);
                fresh.push(v);
            }
            if (into === "r1") enqueue(k, cols, fresh);
        });
        out.forEach((o, i) => {
            const id = keyId(o.parent, o.referenced);
            const n = needed.get(id) ?? { table: o.parent, columns: o.referenced, values: new Set<string>() };
            for (const r of rows) {
                const v = r[`f${i}`];
                if (typeof v === "string") n.values.add(v);
            }
            needed.set(id, n);
        });
        checkSize();
    };

    // Phase 1a: the seeds.
    for (const [k, role] of plan.roles) {
        if (role !== "seed") continue;
        const t = plan.tables.get(k) as CatalogTable;
        const { select, tracked, out } = shape(t);
        if (select.length === 0) continue;
        const where = seedSql(t);
        if (t.primaryKey.length > 0) {
            // Keyset pages over the primary key: flat memory whatever the seed count.
            let last: string[] | undefined;
            const pk = t.primaryKey;
            const types = pk.map((c) => t.columns.find((x) => x.name === c)?.type ?? "text");
            for (;;) {
                const after = last ? ` AND (${pk.map(qi).join(", ")}) > (${pk.map((_, i) => `$${i + 1}::${types[i]}`).join(", ")})` : "";
                const rows = await run(
                    `SELECT ${select.join(", ")}, ${pk.map((c, i) => `${qi(c)}::text AS ${qi(`p${i}`)}`).join(", ")} FROM ${qualified(t)} WHERE (${where})${after} ORDER BY ${pk.map(qi).join(", ")} LIMIT ${pageSize}`,
                    last,
                );
                absorb(t, rows, tracked, out, "r1");
                if (rows.length < pageSize) break;
                const lastRow = rows[rows.length - 1];
                last = pk.map((_, i) => lastRow[`p${i}`] as string);
            }
        } else {
            absorb(t, await run(`SELECT ${select.join(", ")} FROM ${qualified(t)} WHERE ${where}`), tracked, out, "r1");
        }
    }

    // Phase 1b: down. Pick the pending key of the earliest component (parents first).
    const children = new Map<string, Array<{ child: CatalogTable; columns: string[] }>>();
    for (const t of plan.tables.values()) {
        if (plan.roles.get(tableKey(t)) === "whole") continue;
        for (const o of outgoing(plan, t)) {
            const id = keyId(o.parent, o.referenced);
            children.set(id, [...(children.get(id) ?? []), { child: t, columns: o.columns }]);
        }
    }
    const takeBatch = (prefer: "first" | "last"): { table: string; columns: string[]; values: string[] } | undefined => {
        let best: string | undefined;
        for (const [id, p] of pending) {
            if (best === undefined) best = id;
            else {
                const a = plan.order.get(p.table) ?? 0;
                const b = plan.order.get((pending.get(best) as { table: string }).table) ?? 0;
                if (prefer === "first" ? a < b : a > b) best = id;
            }
        }
        if (best === undefined) return undefined;
        const p = pending.get(best) as { table: string; columns: string[]; values: string[] };
        const values = p.values.splice(0, batchSize);
        if (p.values.length === 0) pending.delete(best);
        return { table: p.table, columns: p.columns, values };
    };
    for (let b = takeBatch("first"); b; b = takeBatch("first")) {
        for (const { child, columns } of children.get(keyId(b.table, b.columns)) ?? []) {
            const { select, tracked, out } = shape(child);
            if (select.length === 0) continue;
            const rows = await run(`SELECT DISTINCT ${select.join(", ")} FROM ${qualified(child)} WHERE ${paramMembership(child, columns, 1)}`, [b.values]);
            absorb(child, rows, tracked, out, "r1");
        }
    }

    // Phase 2: up. Every parent value the kept rows need that is not an R1 row's is an ancestor; its own parents
    // are needed in turn. Children first.
    const drainNeeded = (): void => {
        for (const [id, n] of needed) {
            const r1 = closure.r1.get(id) ?? new Set<string>();
            const anc = setOf(closure.anc, id);
            const fresh: string[] = [];
            for (const v of n.values) {
                if (r1.has(v) || anc.has(v)) continue;
                anc.add(v);
                fresh.push(v);
            }
            enqueue(n.table, n.columns, fresh);
        }
        needed.clear();
        checkSize();
    };
    drainNeeded();
    for (let b = takeBatch("last"); b; b = takeBatch("last")) {
        const t = plan.tables.get(b.table) as CatalogTable;
        const out = outgoing(plan, t);
        if (out.length > 0) {
            const select = out.map((o, i) => `CASE WHEN ${notNullSql(o.columns)} THEN ${keySql(o.columns)} END AS ${qi(`f${i}`)}`);
            const rows = await run(`SELECT DISTINCT ${select.join(", ")} FROM ${qualified(t)} WHERE ${paramMembership(t, b.columns, 1)}`, [b.values]);
            absorb(t, rows, [], out, "anc");
        }
        drainNeeded();
    }
    return closure;
}

/** One line per table for a report: role and kept key counts. */
export function describeClosure(closure: Closure): string[] {
    const lines: string[] = [];
    for (const comp of closure.plan.components) {
        if (comp.length > 1 || (closure.plan.tables.get(comp[0])?.foreignKeys.some((fk) => tableKey(fk.references) === comp[0]) ?? false)) {
            lines.push(`cycle: ${comp.join(" ↔ ")}`);
        }
    }
    for (const [k, role] of closure.plan.roles) lines.push(`${k}: ${role}`);
    return lines;
}


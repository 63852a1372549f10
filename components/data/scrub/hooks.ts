// scrubHooks(rules, seed): the copy engine's hooks for a scrubbed, sampled copy.
//   beforeCopy — everything that can refuse, before any DDL or row is written: rules against the catalog, the
//                fail-closed personal-data detector, the unique-column proof, then the sampling closure (read-only);
//   rowFilter  — the closure as an SQL condition per table;
//   rowTransform — the keyed fakes, per column and JSON path; it remembers fingerprints of what it replaced;
//   afterCopy  — the scan (no original value anywhere in the target, every foreign key holds, unique indexes intact).
import { createHash, createHmac } from "node:crypto";
import type { CatalogTable, CopyHooks, Query, Row, SourceCatalog } from "../postgres-copy/hooks";
import { FakeError, Fakes, scalarFn, type FakesOptions, type ValueFn } from "./fakes";
import { fileKeyProblems } from "./files";
import { leaves, leafText, parseJson, transformJson } from "./json";
import { detectPersonal, formatFindings, type DetectOptions, type Finding } from "./pii";
import { planColumns, tableKey, type ColumnPlan, type ScrubPlan } from "./plan";
import { formatProblem, rulesTableName, ruleText, type RuleProblem, type ScalarRule, type ScrubRules } from "./rules";
import { computeClosure, planSampling, seedPredicate, type Closure, type ClosureOptions, type SamplingPlan } from "./sampling";
import { Evidence, scanned, scanTarget, type ScanReport } from "./scan";
import { classifyType, isJson, qi, qualified, type TypeInfo } from "./types";
import { proveTags, uniqueRequirements } from "./unique";

export const MIN_SEED_LENGTH = 16;

export interface ScrubOptions {
    /** Fail closed on unclassified personal-looking columns (default true). */
    detect?: boolean;
    detection?: DetectOptions;
    closure?: ClosureOptions;
    fakes?: FakesOptions;
    /** Run the post-copy scan (default true). */
    scan?: boolean;
}

export interface ScrubReport {
    scrubbedColumns: number;
    /** Values re-tagged to keep a unique column collision-free. */
    retagged: number;
    sampling?: { queries: number; keys: number; roles: Record<string, string>; cycles: string[][] };
    rowsTransformed: number;
    scan?: ScanReport;
}

/** The copy was refused before anything was written: every problem and unclassified column, with the fix. */
export class ScrubRefusal extends Error {
    constructor(
        readonly source: string,
        readonly problems: RuleProblem[],
        readonly findings: Finding[],
    ) {
        const parts: string[] = [];
        if (problems.length > 0) parts.push(`${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"} with the scrubbing rules for this source:\n${problems.map((p) => `  ${formatProblem(source, p)}`).join("\n")}`);
        if (findings.length > 0) parts.push(formatFindings(findings));
        super(parts.join("\n\n"));
        this.name = "ScrubRefusal";
    }
}

export class SeedError extends Error {}

/**
 * Identifies a rules + seed pair without revealing the seed (the engine's `hooksFingerprint`: a resumed copy with
 * other rules or another seed is refused).
 */
export function scrubFingerprint(rules: ScrubRules, seed: string): string {
    const canonical = JSON.stringify(
        rules.tables.map((t) => [t.schema, t.name, t.sample ?? null, [...t.columns].map(([c, r]) => [c, ruleText(r)])]),
    );
    const seedDigest = createHmac("sha256", seed).update("herokuenv-scrub-fingerprint").digest("hex");
    return `scrub-v1:${createHash("sha256").update(canonical).update(seedDigest).digest("hex").slice(0, 32)}`;
}

export interface ScrubHooks extends CopyHooks {
    report(): ScrubReport;
}

export function scrubHooks(rules: ScrubRules, seed: string, options: ScrubOptions = {}): ScrubHooks {
    if (typeof seed !== "string" || seed.length < MIN_SEED_LENGTH) {
        throw new SeedError(`the scrubbing seed must be a secret of at least ${MIN_SEED_LENGTH} characters (--seed, HEROKUENV_SEED or the stack's seed secret): it keys every fake, so a guessable seed makes them reversible`);
    }
    const fakes = new Fakes(seed, options.fakes);
    const evidence = new Evidence();
    const types = new Map<string, TypeInfo>();
    const typeOf = (t: string): TypeInfo => types.get(t) ?? classifyType(t);
    let plan: ScrubPlan | undefined;
    let sampling: SamplingPlan | undefined;
    let closure: Closure | undefined;
    let source: Query | undefined;
    const transformed = new Map<string, number>();
    const transforms = new Map<string, ((row: Row) => Row) | undefined>();
    const report: ScrubReport = { scrubbedColumns: 0, retagged: 0, rowsTransformed: 0 };

    const build = (table: CatalogTable): ((row: Row) => Row) | undefined => {
        const cols = plan?.scrubbed.get(tableKey(table));
        if (!cols || cols.length === 0) return undefined;
        const fns = cols.map((cp) => ({ index: cp.index, fn: columnFn(cp, fakes, evidence) }));
        const key = tableKey(table);
        return (row: Row): Row => {
            const out = row.slice();
            for (const { index, fn } of fns) {
                const v = row[index];
                if (v !== null) out[index] = fn(v);
            }
            transformed.set(key, (transformed.get(key) ?? 0) + 1);
            report.rowsTransformed++;
            return out;
        };
    };

    return {
        async beforeCopy(catalog: SourceCatalog, query: Query): Promise<void> {
            source = query;
            await resolveDomains(catalog, query, types);
            plan = planColumns(catalog, rules, types);
            const problems: RuleProblem[] = [...plan.problems, ...fileKeyProblems(rules, catalog.tables)];
            const unique = uniqueRequirements(plan, catalog.tables, fakes);
            problems.push(...unique.problems);
            sampling = planSampling(catalog, rules);
            const samplingKey = fakes.key("sample").toString("hex");
            const seedSql = (t: CatalogTable): string => seedPredicate(t, sampling?.sampling.get(tableKey(t)) ?? { kind: "percent", percent: 100 }, samplingKey);
            if (sampling) {
                for (const [k, s] of sampling.sampling) {
                    if (s.kind !== "where") continue;
                    const t = sampling.tables.get(k) as CatalogTable;
                    try {
                        await query(`EXPLAIN SELECT 1 FROM ${qualified(t)} WHERE (${s.condition})`);
                    } catch (e) {
                        const tr = rules.tables.find((r) => r.schema === t.schema && r.name === t.name);
                        problems.push({ where: `tables.${rulesTableName(t)}.sample`, line: tr?.line, message: `the condition does not run against ${rulesTableName(t)}: ${(e as Error).message}` });
                    }
                }
            }
            const findings = options.detect === false ? [] : await detectPersonal(catalog, plan, query, (t) => typeOf(t).cls, options.detection);
            if (problems.length > 0 || findings.length > 0) throw new ScrubRefusal(rules.source, problems, findings);
            // The closure first: only the rows it keeps reach the target, so only theirs must stay unique.
            if (sampling) {
                closure = await computeClosure(sampling, query, seedSql, options.closure);
                report.sampling = {
                    queries: closure.queries,
                    keys: closure.size(),
                    roles: Object.fromEntries(sampling.roles),
                    cycles: sampling.components.filter((c) => c.length > 1 || (sampling?.tables.get(c[0])?.foreignKeys.some((fk) => tableKey(fk.references) === c[0]) ?? false)),
                };
            }
            const tagProblems = await proveTags(unique.checks, fakes, query, (t) => closure?.filter(t));
            if (tagProblems.length > 0) throw new ScrubRefusal(rules.source, tagProblems, []);
            report.retagged = [...fakes.exceptions.values()].reduce((n, m) => n + m.size, 0);
            report.scrubbedColumns = [...plan.scrubbed.values()].reduce((n, l) => n + l.length, 0);
        },

        rowFilter(table: CatalogTable): string | undefined {
            return closure?.filter(table);
        },

        rowTransform(table: CatalogTable): ((row: Row) => Row) | undefined {
            if (!plan) throw new Error("scrubHooks: rowTransform before beforeCopy");
            const key = tableKey(table);
            if (!transforms.has(key)) transforms.set(key, build(table));
            return transforms.get(key);
        },

        async afterCopy(catalog: SourceCatalog, target: Query): Promise<void> {
            if (!plan || options.scan === false) return;
            // Tables whose rows this process did not transform (a resumed run): read their originals again.
            for (const t of catalog.tables) {
                const cols = plan.scrubbed.get(tableKey(t));
                if (!cols || !cols.some((c) => scanned(c.type.cls))) continue;
                const n = Number((await target(`SELECT count(*)::bigint::text AS n FROM ${qualified(t)}`))[0]?.n ?? 0);
                if ((transformed.get(tableKey(t)) ?? 0) >= n) continue;
                if (!source) throw new Error(`the scan needs the source to re-read ${rulesTableName(t)}'s originals`);
                await replayOriginals(t, closure?.filter(t), source, build(t) as (row: Row) => Row);
            }
            report.scan = await scanTarget(catalog, target, evidence, { typeOf: (t) => typeOf(t).cls });
        },

        report: () => report,
    };
}

/** Resolves domain types to their base type's class (a domain over text takes the text rules). */
async function resolveDomains(catalog: SourceCatalog, query: Query, types: Map<string, TypeInfo>): Promise<void> {
    const unknown = new Set<string>();
    for (const t of catalog.tables) for (const c of t.columns) if (classifyType(c.type).cls === "other") unknown.add(c.type);
    for (const name of unknown) {
        const rows = await query("SELECT format_type(t.typbasetype, t.typtypmod) AS base FROM pg_type t WHERE t.oid = to_regtype($1) AND t.typtype = 'd'", [name]);
        const base = rows[0]?.base;
        if (typeof base === "string") types.set(name, { ...classifyType(base), text: name });
    }
}

/** Re-reads a table's kept rows from the source and runs them through the transform (recording evidence only). */
async function replayOriginals(t: CatalogTable, filter: string | undefined, source: Query, transform: (row: Row) => Row): Promise<void> {
    const pageSize = 5000;
    let last: string | undefined;
    for (;;) {
        const where = [filter ? `(${filter})` : "true", ...(last ? ["ctid > $1::tid"] : [])].join(" AND ");
        const rows = await source(`SELECT ctid::text AS ${qi("ctid")}, ${t.columns.map((c, i) => `${qi(c.name)}::text AS ${qi(`c${i}`)}`).join(", ")} FROM ${qualified(t)} WHERE ${where} ORDER BY ctid LIMIT ${pageSize}`, last ? [last] : undefined);
        for (const r of rows) transform(t.columns.map((_, i) => (r[`c${i}`] as string | null) ?? null));
        if (rows.length < pageSize) break;
        last = rows[rows.length - 1].ctid as string;
    }
}

/** One column's value function, recording originals and fakes for the scan. */
function columnFn(cp: ColumnPlan, fakes: Fakes, evidence: Evidence): ValueFn {
    const name = `${rulesTableName(cp.table)}.${cp.column.name}`;
    const record = scanned(cp.type.cls);
    if (cp.rule.kind === "json") {
        const paths = cp.rule.paths;
        const leafFns = new Map(paths.map((p) => [p, scalarFn(fakes, p.rule, { cls: "text", text: "text" })]));
        return (v) =>
            transformJson(
                v,
                paths,
                {
                    apply: (p, text) => {
                        let out: string | null;
                        try {
                            out = (leafFns.get(p) as ValueFn)(text);
                        } catch (e) {
                            if (!(e instanceof FakeError)) throw e;
                            out = null; // a leaf the fake cannot read becomes JSON null: never the original
                        }
                        if (out !== null) evidence.fake(out);
                        return out;
                    },
                },
                (original) => evidence.original(original),
            );
    }
    const fn = scalarFn(fakes, cp.rule as ScalarRule, cp.type);
    const json = isJson(cp.type.cls);
    return (v) => {
        let out: string | null;
        try {
            out = fn(v);
        } catch (e) {
            if (!(e instanceof FakeError)) throw e;
            if (cp.column.notNull) throw new FakeError(`${name}: ${e.message}`);
            out = null;
        }
        if (record) {
            evidence.original(v);
            if (json) {
                try {
                    leaves(parseJson(v), (leaf) => evidence.original(leafText(leaf)));
                } catch {
                    // not parseable: the whole text is recorded
                }
            }
            if (out !== null) evidence.fake(out);
        }
        return out;
    };
}

// Unique columns stay unique. Before any row is written, every rule on a column of a unique index (the primary key
// included) is classified:
//   - keep, and the permutation kinds (phone, digits, ip, hash on integers): injective by construction;
//   - null: NULLs are distinct in a unique index (refused on NOT NULL columns by plan.ts);
//   - the tag kinds (email, url, hash on text/uuid/bytea): injective iff no two distinct values of the column share
//     a tag. proveTags() checks exactly that in the source with one read-only aggregate per column (the HMAC computed
//     by PostgreSQL's own sha256(), the values compared by PostgreSQL, nothing held in memory here), then re-tags all
//     but the first value (in C collation order) of each colliding group and checks again until no group is left;
//   - anything else (names, addresses, text, dates, JSON path rules): refused, the column and index named.
import { createHmac } from "node:crypto";
import type { CatalogTable, Query } from "../postgres-copy/hooks";
import type { Fakes, TagKind } from "./fakes";
import { columnKey, type ColumnPlan, type ScrubPlan } from "./plan";
import { rulesTableName, ruleText, type RuleProblem } from "./rules";
import { qi, qualified } from "./types";

export interface TagCheck {
    plan: ColumnPlan;
    kind: TagKind;
    /** The index it belongs to, for messages. */
    index: string[];
}

/** Minimum lengths a tag kind's output needs to stay injective. */
const MIN_LENGTH: Record<TagKind, number> = { email: 22, url: 32, hash: 64 };

export function tagKindOf(p: ColumnPlan): TagKind | undefined {
    const r = p.rule;
    if (r.kind === "fake" && r.fake === "email") return "email";
    if (r.kind === "fake" && r.fake === "url") return "url";
    if (r.kind === "hash" && ["text", "char", "uuid", "bytea", "json", "jsonb"].includes(p.type.cls)) return "hash";
    return undefined;
}

/** Which unique columns need a tag check, and which rules are refused outright. */
export function uniqueRequirements(plan: ScrubPlan, tables: Array<{ schema: string; name: string; primaryKey: string[]; uniqueIndexes: string[][] }>, fakes: Fakes): { checks: TagCheck[]; problems: RuleProblem[] } {
    const checks: TagCheck[] = [];
    const problems: RuleProblem[] = [];
    const seen = new Set<string>();
    for (const t of tables) {
        const indexes = [...(t.primaryKey.length > 0 ? [t.primaryKey] : []), ...t.uniqueIndexes];
        for (const index of indexes) {
            for (const col of index) {
                const p = plan.byColumn.get(columnKey(t, col));
                if (!p || p.rule.kind === "keep" || p.rule.kind === "null") continue;
                const key = columnKey(t, col);
                if (seen.has(key)) continue;
                seen.add(key);
                const where = `tables.${rulesTableName(t)}.columns.${col}`;
                const indexText = `unique index (${index.join(", ")})`;
                const r = p.rule;
                const injective = (r.kind === "fake" && ["phone", "digits", "ip"].includes(r.fake)) || (r.kind === "hash" && ["int2", "int4", "int8"].includes(p.type.cls));
                if (injective) continue;
                const kind = tagKindOf(p);
                if (kind) {
                    const need = kind === "hash" ? fakes.tagBytes.hash * 2 : MIN_LENGTH[kind];
                    if (p.type.maxLength !== undefined && p.type.maxLength < need) {
                        problems.push({ where, line: p.line, message: `${ruleText(r)} on ${rulesTableName(t)}.${col} (${p.column.type}, in ${indexText}) needs ${need} characters to stay unique; widen the column or use fake:digits / keep` });
                        continue;
                    }
                    checks.push({ plan: p, kind, index });
                    continue;
                }
                problems.push({
                    where,
                    line: p.line,
                    message: `${ruleText(r)} on ${rulesTableName(t)}.${col} cannot keep its ${indexText} unique (different values can get the same fake); use ${uniqueAlternatives(p)} for this column`,
                });
            }
        }
    }
    return { checks, problems };
}

function uniqueAlternatives(p: ColumnPlan): string {
    switch (p.type.cls) {
        case "text":
        case "char":
            return "hash, fake:email, fake:url, fake:phone, fake:digits, keep" + (p.column.notNull ? "" : " or null");
        case "inet":
        case "cidr":
            return "fake:ip or keep";
        default:
            return "hash or keep" + (p.column.notNull ? "" : " or null");
    }
}

/** The HMAC keys of a tag kind as PostgreSQL computes them: sha256(opad ‖ sha256(ipad ‖ message)). */
function hmacPads(key: Buffer): { ipad: Buffer; opad: Buffer } {
    const block = Buffer.alloc(64);
    key.copy(block);
    const ipad = Buffer.alloc(64);
    const opad = Buffer.alloc(64);
    for (let i = 0; i < 64; i++) {
        ipad[i] = block[i] ^ 0x36;
        opad[i] = block[i] ^ 0x5c;
    }
    return { ipad, opad };
}

/** The SQL text of a column's value as the row transform sees it (for the tag's message). */
export function valueTextSql(p: ColumnPlan): string {
    const c = qi(p.column.name);
    return p.type.cls === "bytea" ? `('\\x' || encode(${c}, 'hex'))` : `${c}::text`;
}

/** The tag key, checked against Node's HMAC so the SQL and the transform agree. */
function tagKey(fakes: Fakes, kind: TagKind): Buffer {
    return fakes.key(`tag:${kind}`);
}

export class UniqueRefusal extends Error {}

const MAX_ROUNDS = 20;

/**
 * Runs the tag checks in the source (read-only) and records re-tagged values in fakes.exceptions. Returns a problem
 * per column that could not be made collision-free.
 */
export async function proveTags(checks: TagCheck[], fakes: Fakes, query: Query, rowFilter: (table: CatalogTable) => string | undefined = () => undefined): Promise<RuleProblem[]> {
    const problems: RuleProblem[] = [];
    // Self-test: PostgreSQL's HMAC and Node's must agree, or the check would prove nothing.
    if (checks.length > 0) {
        const k = tagKey(fakes, "email");
        const { ipad, opad } = hmacPads(k);
        const rows = await query("SELECT encode(sha256($2::bytea || sha256($1::bytea || convert_to($3::text, 'UTF8'))), 'hex') AS h", [ipad, opad, "herokuenv ✓"]);
        const expected = createHmac("sha256", k).update("herokuenv ✓", "utf8").digest("hex");
        if (rows[0]?.h !== expected) throw new Error("the source's sha256() disagrees with Node's HMAC-SHA256; cannot prove unique columns stay unique");
    }
    let changed = true;
    for (let round = 0; changed; round++) {
        changed = false;
        if (round >= MAX_ROUNDS) {
            for (const c of checks) problems.push({ where: `tables.${rulesTableName(c.plan.table)}.columns.${c.plan.column.name}`, line: c.plan.line, message: `could not make ${ruleText(c.plan.rule)} collision-free on ${rulesTableName(c.plan.table)}.${c.plan.column.name} after ${MAX_ROUNDS} rounds; use hash or keep` });
            break;
        }
        for (const check of checks) {
            const groups = await collisions(check, fakes, query, rowFilter(check.plan.table));
            if (groups.length === 0) continue;
            changed = true;
            const ex = fakes.exceptions.get(check.kind) ?? new Map<string, number>();
            fakes.exceptions.set(check.kind, ex);
            for (const values of groups) {
                for (const v of values.slice(1)) ex.set(v, (ex.get(v) ?? 0) + 1);
            }
        }
    }
    return problems;
}

/**
 * Groups of distinct source values of one column that share a tag (with the exceptions so far applied), among the
 * rows the copy keeps (`filter`: the sampling closure; rows left out never reach the target, so they cannot collide
 * there). A column that is a unique index on its own needs no DISTINCT: its values already are.
 */
async function collisions(check: TagCheck, fakes: Fakes, query: Query, filter: string | undefined): Promise<string[][]> {
    const p = check.plan;
    const { ipad, opad } = hmacPads(tagKey(fakes, check.kind));
    const n = fakes.tagBytes[check.kind];
    const ex = fakes.exceptions.get(check.kind) ?? new Map<string, number>();
    const exValues = [...ex.keys()];
    const exTags = exValues.map((v) => fakes.tag(check.kind, v));
    const distinct = check.index.length === 1 ? "" : "DISTINCT ";
    const where = filter === undefined ? "" : ` AND (${filter})`;
    const sql = `WITH s AS (
            SELECT d.v, COALESCE(x.t, substr(sha256($2::bytea || sha256($1::bytea || convert_to(d.v, 'UTF8'))), 1, ${n})) AS tag
            FROM (SELECT ${distinct}${valueTextSql(p)} AS v FROM ${qualified(p.table)} WHERE ${qi(p.column.name)} IS NOT NULL${where}) d
            LEFT JOIN unnest($3::text[], $4::bytea[]) AS x(v, t) ON x.v = d.v)
        SELECT encode(tag, 'hex') AS tag, v FROM s
        WHERE tag IN (SELECT tag FROM s GROUP BY tag HAVING count(*) > 1)
        ORDER BY tag, v COLLATE "C"`;
    const rows = await query(sql, [ipad, opad, exValues, exTags]);
    const groups = new Map<string, string[]>();
    for (const r of rows) groups.set(String(r.tag), [...(groups.get(String(r.tag)) ?? []), String(r.v)]);
    return [...groups.values()];
}

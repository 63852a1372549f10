// The rules resolved against the source catalog: which rule applies to which column (by position), and every problem
// that can be seen without reading a row: unknown tables or columns, a rule that does not fit the column's type,
// `null` on a NOT NULL column, different rules on the two sides of a foreign key. Pure.
import type { CatalogTable, ColumnInfo, SourceCatalog } from "../postgres-copy/hooks";
import { rulesTableName, ruleText, sameRule, type ColumnRule, type RuleProblem, type ScrubRules } from "./rules";
import { classifyType, type TypeClass, type TypeInfo } from "./types";

export interface ColumnPlan {
    table: CatalogTable;
    column: ColumnInfo;
    /** Position in table.columns (and in each Row). */
    index: number;
    type: TypeInfo;
    rule: ColumnRule;
    line?: number;
}

export interface ScrubPlan {
    /** tableKey → the planned columns of that table that have a rule other than keep. */
    scrubbed: Map<string, ColumnPlan[]>;
    /** `schema.table.column` → its plan (keep rules included). */
    byColumn: Map<string, ColumnPlan>;
    problems: RuleProblem[];
}

export function tableKey(t: { schema: string; name: string }): string {
    return `${t.schema}.${t.name}`;
}

export function columnKey(t: { schema: string; name: string }, column: string): string {
    return `${t.schema}.${t.name}.${column}`;
}

const FITS: Record<string, TypeClass[]> = {
    hash: ["text", "char", "uuid", "bytea", "int2", "int4", "int8", "json", "jsonb"],
    "fake:email": ["text", "char"],
    "fake:name": ["text", "char"],
    "fake:first_name": ["text", "char"],
    "fake:last_name": ["text", "char"],
    "fake:address": ["text", "char"],
    "fake:text": ["text", "char"],
    "fake:url": ["text", "char"],
    "fake:phone": ["text", "char"],
    "fake:digits": ["text", "char"],
    "fake:ip": ["inet", "cidr", "text", "char"],
    "fake:date": ["date", "timestamp", "text", "char"],
    json: ["json", "jsonb"],
};

function ruleFamily(rule: ColumnRule): string {
    return rule.kind === "fake" ? `fake:${rule.fake}` : rule.kind;
}

/**
 * Resolves every rule to its column. `types` maps a format_type text to its class where the catalog's own text is
 * not enough (domains: resolved to their base type by hooks.ts); classifyType is used otherwise.
 */
export function planColumns(catalog: SourceCatalog, rules: ScrubRules, types: Map<string, TypeInfo> = new Map()): ScrubPlan {
    const plan: ScrubPlan = { scrubbed: new Map(), byColumn: new Map(), problems: [] };
    const typeOf = (c: ColumnInfo): TypeInfo => types.get(c.type) ?? classifyType(c.type);
    const tableNames = catalog.tables.map((t) => rulesTableName(t));
    for (const tr of rules.tables) {
        const where = `tables.${rulesTableName(tr)}`;
        const table = catalog.tables.find((t) => t.schema === tr.schema && t.name === tr.name);
        if (!table) {
            plan.problems.push({ where, line: tr.line, message: `no such table in the source; tables are: ${preview(tableNames)}` });
            continue;
        }
        for (const [name, rule] of tr.columns) {
            const cw = `${where}.columns.${name}`;
            const line = tr.lines.get(name);
            const index = table.columns.findIndex((c) => c.name === name);
            if (index < 0) {
                plan.problems.push({ where: cw, line, message: `no such column in ${rulesTableName(table)} (generated columns are recomputed, not copied); columns are: ${preview(table.columns.map((c) => c.name))}` });
                continue;
            }
            const column = table.columns[index];
            const type = typeOf(column);
            const family = ruleFamily(rule);
            if (rule.kind === "null" && column.notNull) {
                plan.problems.push({ where: cw, line, message: `null does not fit: the column is NOT NULL; use hash or a fake:<kind> instead` });
                continue;
            }
            if (rule.kind !== "keep" && rule.kind !== "null") {
                const fits = FITS[family];
                if (type.cls === "array" || (fits && !fits.includes(type.cls))) {
                    const alternatives = Object.entries(FITS).filter(([, cls]) => cls.includes(type.cls)).map(([f]) => (f === "json" ? '{ json: { "$.path": <rule> } }' : f));
                    plan.problems.push({ where: cw, line, message: `${ruleText(rule)} does not fit type ${column.type}; for this type use ${[...(column.notNull ? [] : ["null"]), "keep", ...alternatives].join(", ")}` });
                    continue;
                }
            }
            const cp: ColumnPlan = { table, column, index, type, rule, line };
            plan.byColumn.set(columnKey(table, name), cp);
            if (rule.kind !== "keep") {
                const list = plan.scrubbed.get(tableKey(table)) ?? [];
                list.push(cp);
                plan.scrubbed.set(tableKey(table), list);
            }
        }
    }
    // Both sides of a foreign key must transform equal values equally, or the copy's keys would not match.
    for (const child of catalog.tables) {
        for (const fk of child.foreignKeys) {
            fk.columns.forEach((col, i) => {
                const refCol = fk.referencedColumns[i];
                const a = plan.byColumn.get(columnKey(child, col));
                const b = plan.byColumn.get(columnKey(fk.references, refCol));
                const ra: ColumnRule = a?.rule ?? { kind: "keep" };
                const rb: ColumnRule = b?.rule ?? { kind: "keep" };
                const childName = `${rulesTableName(child)}.${col}`;
                const parentName = `${rulesTableName(fk.references)}.${refCol}`;
                if (!sameRule(ra, rb)) {
                    plan.problems.push({
                        where: `tables.${rulesTableName(child)}.columns.${col}`,
                        line: a?.line ?? b?.line,
                        message: `${childName} references ${parentName} (foreign key ${fk.name}) but their rules differ (${ruleText(ra)} vs ${ruleText(rb)}); give both the same rule so the keys still match`,
                    });
                } else if (a && b && ra.kind !== "keep" && ra.kind !== "null" && outputSignature(a.type) !== outputSignature(b.type)) {
                    plan.problems.push({
                        where: `tables.${rulesTableName(child)}.columns.${col}`,
                        line: a.line,
                        message: `${childName} (${a.column.type}) references ${parentName} (${b.column.type}) through ${ruleText(ra)}; the types differ, so the outputs could too; use keep, or make the types equal`,
                    });
                }
            });
        }
    }
    return plan;
}

/**
 * What of a column's type can change a rule's output: the integer width (hash permutes within it) and a length
 * limit short enough to truncate or shorten a fake (every fixed-size output is under 100 characters).
 */
function outputSignature(t: TypeInfo): string {
    if (t.cls === "text" || t.cls === "char") return `text:${t.maxLength !== undefined && t.maxLength < 100 ? t.maxLength : ""}`;
    return t.cls;
}

function preview(names: string[]): string {
    return names.length <= 12 ? names.join(", ") : `${names.slice(0, 12).join(", ")} … (${names.length})`;
}

// `files.keys`: the user files a sampled sandbox needs are the ones its rows name. The columns are checked against
// the source catalog before anything is written (beforeCopy), and read from the sandbox's database after its copy,
// so the file sync copies only those objects.
import type { CatalogTable, Query } from "../postgres-copy/hooks";
import { rulesTableName, type FileKeyColumn, type RuleProblem, type ScrubRules } from "./rules";
import { qi, qualified } from "./types";

/** Problems of `files.keys` against the catalog: a table or column that is not there. */
export function fileKeyProblems(rules: ScrubRules, tables: readonly CatalogTable[]): RuleProblem[] {
    const problems: RuleProblem[] = [];
    for (const k of rules.files?.keys ?? []) {
        const name = rulesTableName({ schema: k.schema, name: k.table });
        const where = `files.keys.${name}.${k.column}`;
        const table = tables.find((t) => t.schema === k.schema && t.name === k.table);
        if (!table) problems.push({ where, line: k.line, message: `the source has no table ${name}` });
        else if (!table.columns.some((c) => c.name === k.column)) problems.push({ where, line: k.line, message: `${name} has no column ${k.column} (it has ${table.columns.map((c) => c.name).join(", ")})` });
    }
    return problems;
}

/** The SQL listing the distinct non-empty keys one column holds. */
export function fileKeysSql(k: FileKeyColumn): string {
    return `SELECT DISTINCT ${qi(k.column)}::text AS key FROM ${qualified({ schema: k.schema, name: k.table })} WHERE ${qi(k.column)} IS NOT NULL AND ${qi(k.column)}::text <> ''`;
}

/** A stored key as an object key under the files location: a leading "/" is not part of it. */
export function normalizeFileKey(value: string): string {
    return value.replace(/^\/+/, "");
}

/** Every key the listed columns hold in a database (the sandbox's, after its copy). */
export async function readFileKeys(keys: readonly FileKeyColumn[], query: Query): Promise<Set<string>> {
    const out = new Set<string>();
    for (const k of keys) for (const row of await query(fileKeysSql(k))) out.add(normalizeFileKey(String(row.key)));
    return out;
}

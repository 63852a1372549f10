// Scrubbing and sampling rules: one format for the CLI's `--rules FILE` and the stack config's `herokuenv:seed` block.
// Pure: parse, validate, and report every problem at once, each naming the table, column and (from a file) the line,
// what is wrong and what is valid.
import * as YAML from "yaml";

export const FAKE_KINDS = ["email", "name", "first_name", "last_name", "phone", "address", "text", "ip", "url", "date", "digits"] as const;
export type FakeKind = (typeof FAKE_KINDS)[number];

/** Default shift range of `fake:date`, in days either side. */
export const DEFAULT_DATE_RANGE_DAYS = 180;
const MAX_DATE_RANGE_DAYS = 36_500;

export type ScalarRule =
    | { kind: "keep" }
    | { kind: "null" }
    | { kind: "hash" }
    | { kind: "fake"; fake: FakeKind; rangeDays?: number };

export interface JsonPathRule {
    /** As written, e.g. `$.contacts[*].email`. */
    path: string;
    segments: JsonSegment[];
    rule: ScalarRule;
}

export type JsonSegment =
    | { type: "key"; key: string }
    | { type: "index"; index: number }
    | { type: "wildcard" }
    /** `..key`: the key at any depth below. */
    | { type: "descend"; key: string };

export type ColumnRule = ScalarRule | { kind: "json"; paths: JsonPathRule[] };

export type Sampling = { kind: "percent"; percent: number } | { kind: "where"; condition: string };

export interface TableRules {
    schema: string;
    name: string;
    sample?: Sampling;
    /** Column name → rule, in the order written. */
    columns: Map<string, ColumnRule>;
    /** Line of each column's rule in the file it came from, for messages. */
    lines: Map<string, number>;
    line?: number;
}

/** A column whose values name user files (object keys relative to the files location), as `files.keys` lists it. */
export interface FileKeyColumn {
    schema: string;
    table: string;
    column: string;
    line?: number;
}

export interface ScrubRules {
    tables: TableRules[];
    /** Where the rules came from: a file name or `herokuenv:seed`. */
    source: string;
    /** `files.keys`: a sandbox gets only the user files these columns name in its sampled rows (all of them without it). */
    files?: { keys: FileKeyColumn[] };
}

export interface RuleProblem {
    /** `tables.users.columns.email` */
    where: string;
    line?: number;
    message: string;
}

export class RulesError extends Error {
    constructor(
        readonly source: string,
        readonly problems: RuleProblem[],
    ) {
        super(`${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the scrubbing rules:\n${problems.map((p) => `  ${formatProblem(source, p)}`).join("\n")}`);
        this.name = "RulesError";
    }
}

export function formatProblem(source: string, p: RuleProblem): string {
    return `${source}${p.line !== undefined ? `:${p.line}` : ""}: ${p.where}: ${p.message}`;
}

export const VALID_RULES_TEXT = `keep, null, hash, ${FAKE_KINDS.map((k) => `fake:${k}`).join(", ")} (fake:date(30d) sets the shift range), or { json: { "$.path": <rule> } }`;

const TABLE_KEYS = ["sample", "columns"];
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Parses a rules document (YAML text). Throws RulesError listing every problem. */
export function parseRules(text: string, source = "rules"): ScrubRules {
    const lineCounter = new YAML.LineCounter();
    const doc = YAML.parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
    const problems: RuleProblem[] = [];
    const lineOf = (node: unknown): number | undefined => {
        const range = (node as { range?: [number, number, number] } | null)?.range;
        return range ? lineCounter.linePos(range[0]).line : undefined;
    };
    for (const e of doc.errors) {
        problems.push({ where: "document", line: lineCounter.linePos(e.pos[0]).line, message: `not valid YAML: ${e.message.split("\n")[0]}` });
    }
    if (problems.length > 0) throw new RulesError(source, problems);
    return fromNode(doc.contents, source, lineOf, problems);
}

/**
 * Validates rules already parsed into plain data (the stack config's `herokuenv:seed` object, or YAML text stored
 * there as a string). The same validator as parseRules, without line numbers.
 */
export function validateRules(value: unknown, source = "herokuenv:seed"): ScrubRules {
    if (typeof value === "string") return parseRules(value, source);
    const doc = new YAML.Document(value);
    return fromNode(doc.contents, source, () => undefined, []);
}

/** Problems only (for config validation that collects its own): empty when the rules are valid. */
export function rulesProblems(value: unknown, source = "herokuenv:seed"): RuleProblem[] {
    try {
        validateRules(value, source);
        return [];
    } catch (e) {
        if (e instanceof RulesError) return e.problems;
        throw e;
    }
}

type LineOf = (node: unknown) => number | undefined;

function fromNode(root: unknown, source: string, lineOf: LineOf, problems: RuleProblem[]): ScrubRules {
    const out: ScrubRules = { tables: [], source };
    if (!YAML.isMap(root)) {
        problems.push({ where: "document", line: lineOf(root), message: "must be a mapping with one key, `tables:` (table name → { sample, columns })" });
        throw new RulesError(source, problems);
    }
    let tablesNode: unknown;
    let filesNode: { node: unknown; line?: number } | undefined;
    for (const pair of root.items) {
        const key = scalarKey(pair.key);
        if (key === "tables") tablesNode = pair.value;
        else if (key === "files") filesNode = { node: pair.value, line: lineOf(pair.key) };
        else if (key === "secret") problems.push({ where: "secret", line: lineOf(pair.key), message: "the seed secret never goes in a rules file; pass --seed VALUE or HEROKUENV_SEED (a stack carries it as herokuenv:seed.secret, a secret)" });
        else problems.push({ where: String(key), line: lineOf(pair.key), message: "unknown top-level key; the keys are `tables` and `files`" });
    }
    if (tablesNode === undefined || tablesNode === null || (YAML.isScalar(tablesNode) && tablesNode.value === null)) {
        if (!problems.some((p) => p.where === "document")) problems.push({ where: "tables", line: lineOf(root), message: "missing: list the tables to scrub or sample under `tables:`" });
    } else if (!YAML.isMap(tablesNode)) {
        problems.push({ where: "tables", line: lineOf(tablesNode), message: "must be a mapping of table name → { sample, columns }" });
    } else {
        const seen = new Map<string, string>();
        for (const pair of tablesNode.items) {
            const raw = scalarKey(pair.key);
            const where = `tables.${raw}`;
            const line = lineOf(pair.key);
            const ref = parseTableName(String(raw));
            if (!ref) {
                problems.push({ where, line, message: "not a table name; write `table` (schema public) or `schema.table` (letters, digits, _ and $)" });
                continue;
            }
            const qualified = `${ref.schema}.${ref.name}`;
            if (seen.has(qualified)) {
                problems.push({ where, line, message: `${qualified} is already listed as \`${seen.get(qualified)}\`; list each table once` });
                continue;
            }
            seen.set(qualified, String(raw));
            const table = parseTable(ref, pair.value, where, line, lineOf, problems);
            if (table) out.tables.push(table);
        }
    }
    if (filesNode) {
        const keys = parseFileKeys(filesNode.node, filesNode.line, lineOf, problems);
        if (keys) out.files = { keys };
        for (const k of keys ?? []) {
            const rule = findTableRules(out, { schema: k.schema, name: k.table })?.columns.get(k.column);
            if (rule && rule.kind !== "keep") {
                problems.push({ where: `files.keys.${rulesTableName({ schema: k.schema, name: k.table })}.${k.column}`, line: k.line, message: `the column is scrubbed (${ruleText(rule)}), so the sandbox's rows would not name staging's files: make it \`${k.column}: keep\` or leave it out of files.keys` });
            }
        }
    }
    if (problems.length > 0) throw new RulesError(source, problems);
    return out;
}

/** `files: { keys: [table.column, schema.table.column, …] }`. */
function parseFileKeys(node: unknown, line: number | undefined, lineOf: LineOf, problems: RuleProblem[]): FileKeyColumn[] | undefined {
    const shape = "must be a mapping with one key, `keys:`, a list of the columns that hold user-file keys (`attachments.storage_key`, `billing.invoices.pdf_key`)";
    if (!YAML.isMap(node)) {
        problems.push({ where: "files", line, message: shape });
        return undefined;
    }
    let list: unknown;
    for (const pair of node.items) {
        const key = String(scalarKey(pair.key));
        if (key === "keys") list = pair.value;
        else problems.push({ where: `files.${key}`, line: lineOf(pair.key), message: `unknown key; ${shape}` });
    }
    if (!YAML.isSeq(list) || list.items.length === 0) {
        problems.push({ where: "files.keys", line: lineOf(list) ?? line, message: "must list at least one column: `- table.column` or `- schema.table.column`" });
        return undefined;
    }
    const out: FileKeyColumn[] = [];
    for (const item of list.items) {
        const text = String(scalarKey(item));
        const parts = text.split(".");
        const itemLine = lineOf(item);
        const ref = parts.length === 2 || parts.length === 3 ? parseTableName(parts.slice(0, -1).join(".")) : undefined;
        const column = parts[parts.length - 1];
        if (!ref || !IDENT.test(column)) {
            problems.push({ where: `files.keys.${text}`, line: itemLine, message: "not a column; write `table.column` (schema public) or `schema.table.column`" });
            continue;
        }
        out.push({ schema: ref.schema, table: ref.name, column, line: itemLine });
    }
    return out;
}

function scalarKey(node: unknown): unknown {
    return YAML.isScalar(node) ? node.value : node;
}

export function parseTableName(text: string): { schema: string; name: string } | undefined {
    const parts = text.split(".");
    if (parts.length === 1 && IDENT.test(parts[0])) return { schema: "public", name: parts[0] };
    if (parts.length === 2 && IDENT.test(parts[0]) && IDENT.test(parts[1])) return { schema: parts[0], name: parts[1] };
    return undefined;
}

function parseTable(ref: { schema: string; name: string }, node: unknown, where: string, line: number | undefined, lineOf: LineOf, problems: RuleProblem[]): TableRules | undefined {
    const table: TableRules = { ...ref, columns: new Map(), lines: new Map(), line };
    if (node === null || node === undefined || (YAML.isScalar(node) && node.value === null)) {
        problems.push({ where, line, message: "has no rules; give it `sample:` and/or `columns:`" });
        return undefined;
    }
    if (!YAML.isMap(node)) {
        problems.push({ where, line: lineOf(node) ?? line, message: "must be a mapping with `sample:` and/or `columns:`" });
        return undefined;
    }
    for (const pair of node.items) {
        const key = String(scalarKey(pair.key));
        const keyLine = lineOf(pair.key);
        if (key === "sample") {
            const s = parseSample(pair.value, `${where}.sample`, keyLine, problems);
            if (s) table.sample = s;
        } else if (key === "columns") {
            if (!YAML.isMap(pair.value)) {
                problems.push({ where: `${where}.columns`, line: keyLine, message: "must be a mapping of column name → rule" });
                continue;
            }
            for (const cp of pair.value.items) {
                const col = String(scalarKey(cp.key));
                const cw = `${where}.columns.${col}`;
                const cl = lineOf(cp.key);
                if (col.length === 0 || col.length > 63) {
                    problems.push({ where: cw, line: cl, message: "not a column name (1-63 characters)" });
                    continue;
                }
                const rule = parseColumnRule(cp.value, cw, cl, lineOf, problems);
                if (rule) {
                    table.columns.set(col, rule);
                    if (cl !== undefined) table.lines.set(col, cl);
                }
            }
        } else {
            problems.push({ where: `${where}.${key}`, line: keyLine, message: `unknown key; a table takes ${TABLE_KEYS.map((k) => `\`${k}\``).join(" and ")}` });
        }
    }
    return table;
}

function parseSample(node: unknown, where: string, line: number | undefined, problems: RuleProblem[]): Sampling | undefined {
    const value = YAML.isScalar(node) ? node.value : node;
    const valid = 'a percentage like `10%` (0-100) or an SQL condition over the table\'s columns like "created_at > now() - interval \'90 days\'"';
    if (typeof value === "number") {
        problems.push({ where, line, message: `${value} is a bare number; write \`${value}%\` for a percentage (valid: ${valid})` });
        return undefined;
    }
    if (typeof value !== "string" || value.trim() === "") {
        problems.push({ where, line, message: `must be ${valid}` });
        return undefined;
    }
    const text = value.trim();
    const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
    if (pct) {
        const percent = Number(pct[1]);
        if (percent > 100) {
            problems.push({ where, line, message: `${text} is above 100%; valid: 0% to 100%` });
            return undefined;
        }
        return { kind: "percent", percent };
    }
    if (/%\s*$/.test(text)) {
        problems.push({ where, line, message: `"${text}" is not a percentage; valid: ${valid}` });
        return undefined;
    }
    if (text.includes(";")) {
        problems.push({ where, line, message: "an SQL condition cannot contain `;` (one boolean expression over the table's columns)" });
        return undefined;
    }
    if (unbalanced(text)) {
        problems.push({ where, line, message: `"${text}" has unbalanced parentheses or quotes; write one boolean SQL expression` });
        return undefined;
    }
    return { kind: "where", condition: text };
}

/** Parentheses outside quotes and the quotes themselves must balance, so the condition can be wrapped in ( ). */
function unbalanced(sql: string): boolean {
    let depth = 0;
    let quote: string | undefined;
    for (let i = 0; i < sql.length; i++) {
        const c = sql[i];
        if (quote) {
            if (c === quote) {
                if (sql[i + 1] === quote) i++;
                else quote = undefined;
            }
        } else if (c === "'" || c === '"') quote = c;
        else if (c === "(") depth++;
        else if (c === ")" && --depth < 0) return true;
    }
    return depth !== 0 || quote !== undefined;
}

function parseColumnRule(node: unknown, where: string, line: number | undefined, lineOf: LineOf, problems: RuleProblem[]): ColumnRule | undefined {
    if (YAML.isMap(node)) {
        const items = node.items;
        const first = items.length === 1 ? String(scalarKey(items[0].key)) : undefined;
        if (first !== "json") {
            problems.push({ where, line, message: `a mapping rule must be exactly { json: { "$.path": <rule> } }; valid rules: ${VALID_RULES_TEXT}` });
            return undefined;
        }
        const paths = items[0].value;
        if (!YAML.isMap(paths) || paths.items.length === 0) {
            problems.push({ where: `${where}.json`, line, message: 'must map at least one JSON path to a rule, e.g. { json: { "$.email": fake:email } }' });
            return undefined;
        }
        const out: JsonPathRule[] = [];
        for (const p of paths.items) {
            const path = String(scalarKey(p.key));
            const pw = `${where}.json["${path}"]`;
            const pl = lineOf(p.key) ?? line;
            const segments = parseJsonPath(path);
            if (typeof segments === "string") {
                problems.push({ where: pw, line: pl, message: `${segments}; valid paths: $.key, $.a.b, $["odd key"], $.list[*].key, $.list[0], $..key (any depth)` });
                continue;
            }
            const rule = parseScalarRule(p.value, pw, pl, problems);
            if (rule) out.push({ path, segments, rule });
        }
        return out.length === paths.items.length ? { kind: "json", paths: out } : undefined;
    }
    return parseScalarRule(node, where, line, problems);
}

function parseScalarRule(node: unknown, where: string, line: number | undefined, problems: RuleProblem[]): ScalarRule | undefined {
    const value = YAML.isScalar(node) ? node.value : node;
    if (value === null || value === undefined) return { kind: "null" };
    if (typeof value !== "string") {
        problems.push({ where, line, message: `${JSON.stringify(value)} is not a rule; valid: ${VALID_RULES_TEXT}` });
        return undefined;
    }
    const text = value.trim();
    if (text === "keep") return { kind: "keep" };
    if (text === "null") return { kind: "null" };
    if (text === "hash") return { kind: "hash" };
    const m = /^fake:([a-z_]+)(?:\((\d+)d?\))?$/.exec(text);
    if (m && (FAKE_KINDS as readonly string[]).includes(m[1])) {
        const fake = m[1] as FakeKind;
        if (m[2] !== undefined) {
            if (fake !== "date") {
                problems.push({ where, line, message: `fake:${fake} takes no argument; only fake:date(<days>d) has one` });
                return undefined;
            }
            const days = Number(m[2]);
            if (days < 1 || days > MAX_DATE_RANGE_DAYS) {
                problems.push({ where, line, message: `fake:date(${m[2]}d): the shift range must be 1 to ${MAX_DATE_RANGE_DAYS} days` });
                return undefined;
            }
            return { kind: "fake", fake, rangeDays: days };
        }
        return fake === "date" ? { kind: "fake", fake, rangeDays: DEFAULT_DATE_RANGE_DAYS } : { kind: "fake", fake };
    }
    const hint = m ? ` (fake:${m[1]} is not a kind; kinds: ${FAKE_KINDS.join(", ")})` : "";
    problems.push({ where, line, message: `"${text}" is not a rule${hint}; valid: ${VALID_RULES_TEXT}` });
    return undefined;
}

/** Parses a JSON path, or returns what is wrong with it. */
export function parseJsonPath(path: string): JsonSegment[] | string {
    if (!path.startsWith("$")) return `"${path}" must start with $`;
    const out: JsonSegment[] = [];
    let i = 1;
    const name = /^[A-Za-z_$][A-Za-z0-9_$-]*/;
    while (i < path.length) {
        const rest = path.slice(i);
        if (rest.startsWith("..")) {
            const m = name.exec(rest.slice(2));
            if (!m) return `"${path}": ".." must be followed by a key name`;
            out.push({ type: "descend", key: m[0] });
            i += 2 + m[0].length;
        } else if (rest.startsWith(".*")) {
            out.push({ type: "wildcard" });
            i += 2;
        } else if (rest.startsWith(".")) {
            const m = name.exec(rest.slice(1));
            if (!m) return `"${path}": "." must be followed by a key name (use $["key"] for other characters)`;
            out.push({ type: "key", key: m[0] });
            i += 1 + m[0].length;
        } else if (rest.startsWith("[*]")) {
            out.push({ type: "wildcard" });
            i += 3;
        } else if (/^\[\d+\]/.test(rest)) {
            const m = /^\[(\d+)\]/.exec(rest) as RegExpExecArray;
            out.push({ type: "index", index: Number(m[1]) });
            i += m[0].length;
        } else if (/^\["((?:[^"\\]|\\.)*)"\]/.test(rest) || /^\['([^']*)'\]/.test(rest)) {
            const m = (/^\["((?:[^"\\]|\\.)*)"\]/.exec(rest) ?? /^\['([^']*)'\]/.exec(rest)) as RegExpExecArray;
            const key = m[0].startsWith('["') ? (JSON.parse(`"${m[1]}"`) as string) : m[1];
            out.push({ type: "key", key });
            i += m[0].length;
        } else {
            return `"${path}": unexpected "${rest[0]}" at position ${i}`;
        }
    }
    if (out.length === 0) return `"${path}" names the whole document; give the column a rule instead of a JSON path`;
    return out;
}

/** Canonical text of a scalar rule, as written in YAML. */
export function ruleText(rule: ColumnRule): string {
    switch (rule.kind) {
        case "keep":
        case "hash":
            return rule.kind;
        case "null":
            return "null";
        case "fake":
            return rule.fake === "date" && rule.rangeDays !== DEFAULT_DATE_RANGE_DAYS ? `fake:date(${rule.rangeDays}d)` : `fake:${rule.fake}`;
        case "json":
            return `{ json: { ${rule.paths.map((p) => `${JSON.stringify(p.path)}: ${ruleText(p.rule)}`).join(", ")} } }`;
    }
}

/** Whether two rules transform equal inputs into equal outputs (needed on both sides of a foreign key). */
export function sameRule(a: ColumnRule, b: ColumnRule): boolean {
    return ruleText(a) === ruleText(b);
}

export function findTableRules(rules: ScrubRules, t: { schema: string; name: string }): TableRules | undefined {
    return rules.tables.find((r) => r.schema === t.schema && r.name === t.name);
}

/** `users` for public tables, `billing.invoices` elsewhere: how a table is written in the rules. */
export function rulesTableName(t: { schema: string; name: string }): string {
    return t.schema === "public" ? t.name : `${t.schema}.${t.name}`;
}

// Fail closed: columns (and JSON fields) whose name or sampled values look personal and that have no rule. The name
// and value classifiers are pure; detectPersonal() samples values through the read-only Query.
import type { CatalogTable, Query, SourceCatalog } from "../postgres-copy/hooks";
import { parseJson, leafPaths, pathCovered } from "./json";
import { columnKey, tableKey, type ScrubPlan } from "./plan";
import { rulesTableName, ruleText } from "./rules";
import { classifyType, isJson, isTextual, qi, qualified, type TypeClass } from "./types";

export type Category = "email" | "phone" | "name" | "first_name" | "last_name" | "address" | "birth_date" | "token" | "password" | "ip" | "card" | "national_id" | "text_with_email";

const LABEL: Record<Category, string> = {
    email: "email addresses",
    phone: "phone numbers",
    name: "person names",
    first_name: "first names",
    last_name: "last names",
    address: "postal addresses",
    birth_date: "birth dates",
    token: "tokens or secrets",
    password: "passwords or password hashes",
    ip: "IP addresses",
    card: "card or bank account numbers",
    national_id: "national id numbers",
    text_with_email: "text containing email addresses",
};

const SUGGESTION: Record<Category, string> = {
    email: "fake:email",
    phone: "fake:phone",
    name: "fake:name",
    first_name: "fake:first_name",
    last_name: "fake:last_name",
    address: "fake:address",
    birth_date: "fake:date(365d)",
    token: "null",
    password: "hash",
    ip: "fake:ip",
    card: "fake:digits",
    national_id: "fake:digits",
    text_with_email: "fake:text",
};

const PERSON_TABLE = /(user|customer|person|people|employee|staff|member|contact|account|author|patient|client|profile|student|teacher|applicant|candidate|subscriber|owner|guest|passenger|driver|recipient|signup|lead)/;

function tokens(name: string): string[] {
    return name
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .toLowerCase()
        .split(/[^a-z0-9]+|(?<=[a-z])(?=\d)/)
        .filter((t) => t !== "");
}

/** What a column's name says it holds, or undefined. */
export function classifyName(column: string, table = "", cls: TypeClass = "text"): Category | undefined {
    const t = tokens(column);
    const joined = t.join("");
    const has = (...w: string[]): boolean => w.some((x) => t.includes(x));
    if (cls === "inet" || cls === "cidr") return "ip";
    if (has("email", "mail", "emailaddress") || /e?mail(address)?$/.test(joined)) return "email";
    if (has("ip", "ipaddr", "ipaddress", "ipv4", "ipv6") || /^(remote|client)addr/.test(joined)) return "ip";
    if (has("password", "passwd", "pwd", "passphrase") || /password/.test(joined) || (has("pass") && has("hash", "digest"))) return "password";
    if (has("token", "secret", "apikey", "otp", "totp", "jwt", "bearer", "credential", "credentials", "salt", "nonce") || /(api|private|access|secret|session|signing|encryption)key/.test(joined) || /token|secret/.test(joined)) return "token";
    if (has("ssn", "nin", "passport", "nhs", "sin") || /(socialsecurity|nationalid|nationalidentity|taxid|taxnumber|idnumber|personalnumber|driverslicen[cs]e|driverlicen[cs]e|drivinglicen[cs]e)/.test(joined)) return "national_id";
    if (has("iban", "cvv", "cvc", "pan") || /(cardnumber|ccnumber|ccnum|creditcard|debitcard|accountnumber|bankaccount|sortcode|routingnumber)/.test(joined)) return "card";
    if (has("phone", "mobile", "cell", "cellphone", "tel", "telephone", "fax", "msisdn", "sms", "whatsapp") || /phone|mobile/.test(joined)) return "phone";
    if (has("birth", "dob", "birthday", "birthdate") || /birth/.test(joined)) return "birth_date";
    if (/^(first|given|fore)name$/.test(joined) || /(first|given)name$/.test(joined)) return "first_name";
    if (/^(last|family|sur)name$/.test(joined) || /(last|family)name$/.test(joined) || has("surname")) return "last_name";
    if (/^(full|display|middle|maiden|legal|real|nick|contact|user)name$/.test(joined) || /(fullname|displayname|maidenname|legalname|nickname)/.test(joined)) return "name";
    if (joined === "name" && PERSON_TABLE.test(table.toLowerCase())) return "name";
    if (has("address", "addr", "street", "postcode", "zipcode", "zip", "postal") || /(address|street|postcode|postalcode|zipcode)/.test(joined)) return "address";
    return undefined;
}

const EMAIL = /^[^\s@<>()]+@[^\s@<>()]+\.[A-Za-z]{2,}$/;
const EMBEDDED_EMAIL = /[^\s@<>()"']+@[^\s@<>()"']+\.[A-Za-z]{2,}/;
const PASSWORD_HASH = /^(\$2[abxy]?\$\d\d\$|\$argon2(id|i|d)\$|\$[156]\$|\$scrypt\$|(pbkdf2_sha(1|256)|bcrypt(_sha256)?|argon2|scrypt|sha1|md5|unsalted_md5|crypt)\$)/;
const JWT = /^eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*$/;
const KEY_PREFIX = /^(sk|pk|rk)_(live|test)_[A-Za-z0-9]{10,}$|^gh[pousr]_[A-Za-z0-9]{30,}$|^xox[abposr]-[A-Za-z0-9-]{10,}$|^AKIA[0-9A-Z]{16}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function luhn(digits: string): boolean {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
        let d = digits.charCodeAt(digits.length - 1 - i) - 48;
        if (i % 2 === 1) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
    }
    return sum % 10 === 0;
}

/** What one value looks like, or undefined. */
export function classifyValue(raw: string): Category | undefined {
    const v = raw.trim();
    if (v.length < 3 || v.length > 4096) return undefined;
    if (EMAIL.test(v)) return "email";
    if (PASSWORD_HASH.test(v)) return "password";
    if (JWT.test(v) || KEY_PREFIX.test(v)) return "token";
    if (/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(v) && v.split(/[./]/).slice(0, 4).every((o) => Number(o) <= 255)) return "ip";
    if (/^[0-9a-f:]+$/i.test(v) && (v.match(/:/g) ?? []).length >= 2 && /[0-9a-f]/i.test(v) && !/:::/.test(v)) return "ip";
    if (/^\d{3}-\d{2}-\d{4}$/.test(v) || /^[A-CEGHJ-PR-TW-Z]{2}\d{6}[A-D]$/i.test(v)) return "national_id";
    if (/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(v.replace(/ /g, ""))) return "card";
    const digits = v.replace(/[\s-]/g, "");
    if (/^\d{13,19}$/.test(digits) && /^[\d\s-]+$/.test(v) && luhn(digits)) return "card";
    if (/^\+?[\d\s().-]{7,22}$/.test(v) && !/^\d{4}-\d{2}-\d{2}/.test(v) && !/^\d+(\.\d+)?$/.test(v)) {
        const n = v.replace(/\D/g, "").length;
        if (n >= 7 && n <= 15 && (v.startsWith("+") || /[\s().-]/.test(v))) return "phone";
    }
    if (!UUID.test(v) && !/\s/.test(v) && v.length >= 24) {
        if (/^[0-9a-f]{32,}$/i.test(v) || (/^[A-Za-z0-9_\-+/=]+$/.test(v) && /\d/.test(v) && /[a-z]/.test(v) && /[A-Z]/.test(v))) return "token";
    }
    if (v.length > 40 && EMBEDDED_EMAIL.test(v)) return "text_with_email";
    return undefined;
}

/** The category most sampled values share, when at least `share` of them do. */
export function classifyValues(values: string[], share = 0.1): { category: Category; fraction: number } | undefined {
    if (values.length === 0) return undefined;
    const counts = new Map<Category, number>();
    for (const v of values) {
        const c = classifyValue(v);
        if (c) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    let best: { category: Category; fraction: number } | undefined;
    for (const [category, n] of counts) {
        const fraction = n / values.length;
        if (fraction >= share && (!best || fraction > best.fraction)) best = { category, fraction };
    }
    // Text that merely mentions an address counts from a single sampled value.
    if (!best && counts.has("text_with_email")) best = { category: "text_with_email", fraction: (counts.get("text_with_email") ?? 0) / values.length };
    return best;
}

export interface Finding {
    table: CatalogTable;
    column: string;
    /** Why: name and/or values. */
    reason: string;
    /** The rule to add (YAML value text). */
    rule: string;
}

export interface DetectOptions {
    /** Rows sampled per table (default 200). */
    sampleRows?: number;
}

const FIT: Partial<Record<string, TypeClass[]>> = {
    "fake:email": ["text", "char"],
    "fake:phone": ["text", "char"],
    "fake:name": ["text", "char"],
    "fake:first_name": ["text", "char"],
    "fake:last_name": ["text", "char"],
    "fake:address": ["text", "char"],
    "fake:text": ["text", "char"],
    "fake:digits": ["text", "char"],
    "fake:ip": ["inet", "cidr", "text", "char"],
    "fake:date(365d)": ["date", "timestamp", "text", "char"],
    hash: ["text", "char", "uuid", "bytea", "int2", "int4", "int8", "json", "jsonb"],
};
const INJECTIVE = new Set(["fake:email", "fake:phone", "fake:digits", "fake:ip", "hash", "keep"]);

function suggestRule(category: Category, table: CatalogTable, column: string, cls: TypeClass, plan: ScrubPlan): string {
    // A foreign key column must take its parent's rule.
    for (const fk of table.foreignKeys) {
        const i = fk.columns.indexOf(column);
        if (i >= 0) {
            const parent = plan.byColumn.get(columnKey(fk.references, fk.referencedColumns[i]));
            if (parent) return ruleText(parent.rule);
        }
    }
    const notNull = table.columns.find((c) => c.name === column)?.notNull ?? false;
    const unique = [...(table.primaryKey.length ? [table.primaryKey] : []), ...table.uniqueIndexes].some((ix) => ix.includes(column));
    const candidates = [SUGGESTION[category], "hash", "null"].filter((r) => !(r === "null" && notNull)).filter((r) => !unique || INJECTIVE.has(r) || r === "null");
    for (const r of candidates) {
        if (r === "null" || FIT[r]?.includes(cls)) return r;
    }
    return "keep";
}

/** Columns that look personal and have no rule (JSON columns: fields no path rule covers). */
export async function detectPersonal(catalog: SourceCatalog, plan: ScrubPlan, query: Query, typeOf: (type: string) => TypeClass = (t) => classifyType(t).cls, options: DetectOptions = {}): Promise<Finding[]> {
    const findings: Finding[] = [];
    const limit = options.sampleRows ?? 200;
    for (const table of catalog.tables) {
        const unruled = table.columns.filter((c) => {
            const p = plan.byColumn.get(columnKey(table, c.name));
            return !p || p.rule.kind === "json";
        });
        if (unruled.length === 0) continue;
        const sampled = unruled.filter((c) => isTextual(typeOf(c.type)));
        let rows: Array<Record<string, unknown>> = [];
        if (sampled.length > 0) {
            const select = sampled.map((c, i) => `CASE WHEN octet_length(${qi(c.name)}::text) <= 65536 THEN ${qi(c.name)}::text END AS ${qi(`c${i}`)}`).join(", ");
            rows = await query(`SELECT ${select} FROM ${qualified(table)} LIMIT ${limit}`);
        }
        for (const c of unruled) {
            const cls = typeOf(c.type);
            const p = plan.byColumn.get(columnKey(table, c.name));
            const si = sampled.indexOf(c);
            const values = si < 0 ? [] : rows.map((r) => r[`c${si}`]).filter((v): v is string => typeof v === "string");
            if (isJson(cls)) {
                const pathRules = p?.rule.kind === "json" ? p.rule.paths : [];
                const byPath = new Map<string, { name?: Category; values: string[] }>();
                for (const v of values) {
                    let doc;
                    try {
                        doc = parseJson(v);
                    } catch {
                        continue;
                    }
                    leafPaths(doc, (path, key, leaf) => {
                        const e = byPath.get(path) ?? { name: key ? classifyName(key, table.name) : undefined, values: [] };
                        e.values.push(leaf);
                        byPath.set(path, e);
                    });
                }
                const missing: Array<{ path: string; category: Category; why: string }> = [];
                for (const [path, e] of byPath) {
                    if (pathCovered(path, pathRules)) continue;
                    const byValue = classifyValues(e.values);
                    const category = e.name ?? byValue?.category;
                    if (!category) continue;
                    missing.push({ path, category, why: e.name ? `key looks like ${LABEL[category]}` : `${Math.round((byValue?.fraction ?? 0) * 100)}% of sampled values are ${LABEL[category]}` });
                }
                if (missing.length > 0) {
                    const all = [...pathRules.map((r) => `${JSON.stringify(r.path)}: ${ruleText(r.rule)}`), ...missing.map((m) => `${JSON.stringify(m.path)}: ${jsonSuggestion(m.category)}`)];
                    findings.push({ table, column: c.name, rule: `{ json: { ${all.join(", ")} } }`, reason: missing.map((m) => `${m.path}: ${m.why}`).join("; ") });
                }
                continue;
            }
            const byName = classifyName(c.name, table.name, cls);
            const byValue = classifyValues(values);
            const category = byName ?? byValue?.category;
            if (!category) continue;
            const reasons: string[] = [];
            if (byName) reasons.push(`name looks like ${LABEL[byName]}`);
            if (byValue) reasons.push(`${Math.round(byValue.fraction * 100)}% of sampled values are ${LABEL[byValue.category]}`);
            findings.push({ table, column: c.name, reason: reasons.join("; "), rule: suggestRule(category, table, c.name, cls, plan) });
        }
    }
    return findings;
}

function jsonSuggestion(category: Category): string {
    return category === "birth_date" ? "fake:date(365d)" : category === "token" ? "null" : SUGGESTION[category];
}

export class PersonalDataError extends Error {
    constructor(readonly findings: Finding[]) {
        super(formatFindings(findings));
        this.name = "PersonalDataError";
    }
}

/** The refusal text: every column and the YAML lines to add. */
export function formatFindings(findings: Finding[]): string {
    const lines: string[] = [
        `Scrubbed copy refused before anything was written: ${findings.length} column${findings.length === 1 ? "" : "s"} look${findings.length === 1 ? "s" : ""} personal and ${findings.length === 1 ? "has" : "have"} no rule:`,
    ];
    for (const f of findings) lines.push(`  ${rulesTableName(f.table)}.${f.column}: ${f.reason}`);
    lines.push("Add these lines to the rules (or `keep` to copy a column unchanged on purpose):", "tables:");
    const byTable = new Map<string, Finding[]>();
    for (const f of findings) byTable.set(tableKey(f.table), [...(byTable.get(tableKey(f.table)) ?? []), f]);
    for (const list of byTable.values()) {
        lines.push(`  ${rulesTableName(list[0].table)}:`, "    columns:");
        for (const f of list) lines.push(`      ${/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.column) ? f.column : JSON.stringify(f.column)}: ${f.rule}`);
    }
    return lines.join("\n");
}

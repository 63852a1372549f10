// A dump's DDL → the catalog structures the live source builds from information_schema (SourceTable, SourceColumn,
// indexes, foreign keys, checks), so type mapping, plan and warnings are the same for both sources. Reads what
// SHOW CREATE TABLE prints (mysqldump, mariadb-dump, SequelPro all write it), and classifies the other statements a
// dump holds (views, triggers, routines, events, session settings). Pure: no I/O.
import type { SourceCheck, SourceColumn, SourceForeignKey, SourceIndex, SourceTable } from "./types";

type Flavor = "MariaDB" | "MySQL";

interface Token {
    kind: "ident" | "word" | "string" | "number" | "punct";
    text: string;
    /** Offsets in the statement text. */
    start: number;
    end: number;
}

/** Tokens of one statement (comments already removed). */
export function tokenize(sql: string, ansiQuotes = false): Token[] {
    const out: Token[] = [];
    let i = 0;
    const n = sql.length;
    while (i < n) {
        const c = sql[i];
        if (/\s/.test(c)) {
            i++;
            continue;
        }
        if (c === "`" || (c === '"' && ansiQuotes)) {
            let j = i + 1;
            let text = "";
            while (j < n) {
                if (sql[j] === c && sql[j + 1] === c) {
                    text += c;
                    j += 2;
                } else if (sql[j] === c) break;
                else text += sql[j++];
            }
            out.push({ kind: "ident", text, start: i, end: j + 1 });
            i = j + 1;
            continue;
        }
        if (c === "'" || c === '"') {
            let j = i + 1;
            let text = "";
            while (j < n) {
                const d = sql[j];
                if (d === "\\" && j + 1 < n) {
                    const e = sql[j + 1];
                    text += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e === "0" ? "\u0000" : e === "Z" ? "\u001a" : e === "b" ? "\b" : e === "%" || e === "_" ? `\\${e}` : e;
                    j += 2;
                } else if (d === c && sql[j + 1] === c) {
                    text += c;
                    j += 2;
                } else if (d === c) break;
                else text += sql[j++];
            }
            out.push({ kind: "string", text, start: i, end: j + 1 });
            i = j + 1;
            continue;
        }
        if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
            const m = /^(0x[0-9a-fA-F]+|\d*\.?\d+(?:[eE][-+]?\d+)?)/.exec(sql.slice(i));
            const text = m ? m[0] : c;
            out.push({ kind: "number", text, start: i, end: i + text.length });
            i += text.length;
            continue;
        }
        if (/[A-Za-z_$@\u0080-\uffff]/.test(c)) {
            let j = i + 1;
            while (j < n && /[A-Za-z0-9_$@\u0080-\uffff]/.test(sql[j])) j++;
            out.push({ kind: "word", text: sql.slice(i, j), start: i, end: j });
            i = j;
            continue;
        }
        out.push({ kind: "punct", text: c, start: i, end: i + 1 });
        i++;
    }
    return out;
}

const upper = (t: Token | undefined): string => (t && t.kind === "word" ? t.text.toUpperCase() : "");

/** The kind of a non-INSERT statement a dump holds. */
export type StatementKind =
    | { kind: "create-table"; name: string }
    | { kind: "view"; name: string }
    | { kind: "trigger"; name: string; table: string }
    | { kind: "procedure" | "function" | "event"; name: string }
    | { kind: "use"; database: string }
    | { kind: "create-database"; database: string }
    | { kind: "ignored" }
    | { kind: "unknown"; text: string };

/** Statements a dump holds that change nothing the migration reads. */
const IGNORED_FIRST = new Set(["SET", "LOCK", "UNLOCK", "DROP", "START", "BEGIN", "COMMIT", "ROLLBACK", "FLUSH", "SAVEPOINT", "RELEASE", "DO", "SELECT", "ANALYZE", "OPTIMIZE"]);

/** Classifies a statement (comments stripped, conditional comments inlined). */
export function classifyStatement(sql: string, ansiQuotes = false): StatementKind {
    const t = tokenize(sql, ansiQuotes);
    const first = upper(t[0]);
    if (first === "") return t.length === 0 ? { kind: "ignored" } : { kind: "unknown", text: sql.slice(0, 80) };
    if (IGNORED_FIRST.has(first)) return { kind: "ignored" };
    if (first === "USE") return { kind: "use", database: t[1]?.text ?? "" };
    if (first === "ALTER") {
        // mysqldump's /*!40000 ALTER TABLE t DISABLE KEYS */ and ALTER DATABASE … CHARACTER SET around routines.
        if (upper(t[1]) === "DATABASE" || upper(t[1]) === "SCHEMA") return { kind: "ignored" };
        if (upper(t[1]) === "TABLE" && /^(DISABLE|ENABLE)$/.test(upper(t[3])) && upper(t[4]) === "KEYS") return { kind: "ignored" };
        return { kind: "unknown", text: sql.slice(0, 80) };
    }
    if (first !== "CREATE") return { kind: "unknown", text: sql.slice(0, 80) };
    // CREATE [OR REPLACE] [ALGORITHM=…] [DEFINER=…] [SQL SECURITY …] VIEW|TRIGGER|PROCEDURE|FUNCTION|EVENT|TABLE|DATABASE
    let i = 1;
    for (; i < t.length; i++) {
        const w = upper(t[i]);
        if (["TABLE", "VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "DATABASE", "SCHEMA", "INDEX"].includes(w)) break;
        if (w === "DEFINER" && t[i + 1]?.text === "=") {
            // DEFINER=`user`@`host` or DEFINER=CURRENT_USER
            i += 2;
            while (i + 1 < t.length && (t[i + 1].text === "@" || t[i + 1].text.startsWith("@"))) i += t[i + 1].text === "@" ? 2 : 1;
        }
    }
    const what = upper(t[i]);
    let j = i + 1;
    if (upper(t[j]) === "IF") j += upper(t[j + 1]) === "NOT" ? 3 : 2;
    const nameAt = (k: number): { name: string; next: number } => {
        if (t[k + 1]?.text === "." && t[k + 2]) return { name: t[k + 2].text, next: k + 3 };
        return { name: t[k]?.text ?? "", next: k + 1 };
    };
    const { name, next } = nameAt(j);
    switch (what) {
        case "TABLE":
            return { kind: "create-table", name };
        case "VIEW":
            return { kind: "view", name };
        case "TRIGGER": {
            const on = t.findIndex((x, k) => k >= next && upper(x) === "ON");
            return { kind: "trigger", name, table: on >= 0 ? nameAt(on + 1).name : "" };
        }
        case "PROCEDURE":
            return { kind: "procedure", name };
        case "FUNCTION":
            return { kind: "function", name };
        case "EVENT":
            return { kind: "event", name };
        case "DATABASE":
        case "SCHEMA":
            return { kind: "create-database", database: name };
        default:
            return { kind: "unknown", text: sql.slice(0, 80) };
    }
}

// ---------------------------------------------------------------------------------------------------------------
// CREATE TABLE → SourceTable

const INT_PRECISION: Record<string, [number, number]> = { tinyint: [3, 3], smallint: [5, 5], mediumint: [7, 8], int: [10, 10], integer: [10, 10], bigint: [19, 20] };
const TEXT_LENGTH: Record<string, number> = { tinytext: 255, text: 65535, mediumtext: 16777215, longtext: 4294967295, tinyblob: 255, blob: 65535, mediumblob: 16777215, longblob: 4294967295 };
const STRING_TYPES = new Set(["char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"]);
const TYPE_ALIASES: Record<string, string> = { integer: "int", bool: "tinyint", boolean: "tinyint", dec: "decimal", fixed: "decimal", numeric: "decimal", real: "double", "double precision": "double", geomcollection: "geometrycollection" };

export class DdlError extends Error {}

/** Parses a CREATE TABLE statement as SHOW CREATE TABLE prints it. */
export function parseCreateTable(sql: string, flavor: Flavor, ansiQuotes = false): SourceTable {
    const t = tokenize(sql, ansiQuotes);
    let i = t.findIndex((x) => upper(x) === "TABLE") + 1;
    if (upper(t[i]) === "IF") i += 3;
    let name = t[i].text;
    i++;
    if (t[i]?.text === "." && t[i + 1]) {
        name = t[i + 1].text;
        i += 2;
    }
    if (upper(t[i]) === "LIKE" || t[i]?.text !== "(") throw new DdlError(`CREATE TABLE ${name} is not a column definition (CREATE TABLE … LIKE / AS SELECT cannot be read from a dump)`);
    // The definitions: split at top-level commas up to the matching ")".
    const defs: Token[][] = [];
    let depth = 0;
    let current: Token[] = [];
    let k = i + 1;
    for (; k < t.length; k++) {
        const x = t[k];
        if (x.kind === "punct" && x.text === "(") depth++;
        if (x.kind === "punct" && x.text === ")") {
            if (depth === 0) break;
            depth--;
        }
        if (depth === 0 && x.kind === "punct" && x.text === ",") {
            defs.push(current);
            current = [];
        } else current.push(x);
    }
    if (current.length > 0) defs.push(current);
    if (k >= t.length) throw new DdlError(`CREATE TABLE ${name}: unbalanced parentheses`);
    const options = t.slice(k + 1);
    const opt = (key: string): string | undefined => {
        for (let o = 0; o < options.length; o++) {
            const w = upper(options[o]);
            if (w === key || (key === "CHARSET" && w === "CHARACTER" && upper(options[o + 1]) === "SET")) {
                let v = o + (w === "CHARACTER" ? 2 : 1);
                if (options[v]?.text === "=") v++;
                return options[v]?.text;
            }
        }
        return undefined;
    };
    const tableCharset = (opt("CHARSET") ?? "").toLowerCase() || null;
    const engine = opt("ENGINE") ?? null;
    const autoIncrementOption = opt("AUTO_INCREMENT");

    const table: SourceTable = { name, engine, estimatedRows: 0, dataLength: 0, autoIncrement: null, columns: [], indexes: [], foreignKeys: [], checks: [] };
    const text = (a: Token, b: Token): string => sql.slice(a.start, b.end);
    for (const def of defs) {
        const w0 = upper(def[0]);
        const isIdentStart = def[0].kind === "ident" || (def[0].kind === "word" && !["PRIMARY", "UNIQUE", "KEY", "INDEX", "FULLTEXT", "SPATIAL", "CONSTRAINT", "FOREIGN", "CHECK", "PERIOD"].includes(w0));
        if (isIdentStart) {
            table.columns.push(parseColumn(def, sql, table.columns.length + 1, tableCharset, flavor, table));
            continue;
        }
        let d = 0;
        let constraintName: string | undefined;
        if (w0 === "CONSTRAINT") {
            d = 1;
            if (!["PRIMARY", "UNIQUE", "FOREIGN", "CHECK"].includes(upper(def[1]))) {
                constraintName = def[1].text;
                d = 2;
            }
        }
        const w = upper(def[d]);
        if (w === "CHECK") {
            const open = d + 1;
            const close = matching(def, open);
            table.checks.push({ name: constraintName ?? `CONSTRAINT_${table.checks.length + 1}`, clause: sql.slice(def[open].end, def[close].start).trim() });
            continue;
        }
        if (w === "FOREIGN") {
            let p = d + 2; // FOREIGN KEY
            let fkName = constraintName;
            if (def[p]?.text !== "(") {
                fkName ??= def[p].text;
                p++;
            }
            const cols = identList(def, p);
            p = cols.next;
            if (upper(def[p]) !== "REFERENCES") throw new DdlError(`${name}: cannot read foreign key ${fkName ?? ""}`);
            p++;
            let refTable = def[p].text;
            let refSchema: string | undefined;
            p++;
            if (def[p]?.text === ".") {
                refSchema = refTable;
                refTable = def[p + 1].text;
                p += 2;
            }
            const refs = identList(def, p);
            p = refs.next;
            let onDelete = flavor === "MariaDB" ? "RESTRICT" : "NO ACTION";
            let onUpdate = onDelete;
            while (p < def.length) {
                if (upper(def[p]) === "ON") {
                    const which = upper(def[p + 1]);
                    const a = upper(def[p + 2]);
                    const action = a === "SET" || a === "NO" ? `${a} ${upper(def[p + 3])}` : a;
                    if (which === "DELETE") onDelete = action;
                    else onUpdate = action;
                    p += a === "SET" || a === "NO" ? 4 : 3;
                } else p++;
            }
            const fk: SourceForeignKey & { refSchema?: string } = { name: fkName ?? `${name}_ibfk_${table.foreignKeys.length + 1}`, columns: cols.names, referencedTable: refTable, referencedColumns: refs.names, onUpdate, onDelete };
            if (refSchema !== undefined) fk.refSchema = refSchema;
            table.foreignKeys.push(fk);
            continue;
        }
        // Indexes: PRIMARY KEY, UNIQUE [KEY|INDEX] [name], KEY|INDEX name, FULLTEXT|SPATIAL [KEY|INDEX] name.
        let p = d;
        let primary = false;
        let unique = false;
        let kind = "BTREE";
        if (w === "PRIMARY") {
            primary = true;
            unique = true;
            p += 2;
        } else if (w === "UNIQUE") {
            unique = true;
            p++;
            if (["KEY", "INDEX"].includes(upper(def[p]))) p++;
        } else if (w === "FULLTEXT" || w === "SPATIAL") {
            kind = w;
            p++;
            if (["KEY", "INDEX"].includes(upper(def[p]))) p++;
        } else if (w === "KEY" || w === "INDEX") p++;
        else throw new DdlError(`${name}: cannot read the definition "${text(def[0], def[def.length - 1]).slice(0, 60)}"`);
        let indexName = primary ? "PRIMARY" : constraintName;
        if (def[p]?.text !== "(" && upper(def[p]) !== "USING") {
            indexName = def[p].text;
            p++;
        }
        if (upper(def[p]) === "USING") {
            kind = upper(def[p + 1]);
            p += 2;
        }
        if (def[p]?.text !== "(") throw new DdlError(`${name}: cannot read index ${indexName ?? ""}`);
        const close = matching(def, p);
        const columns: SourceIndex["columns"] = [];
        let q = p + 1;
        while (q < close) {
            const col = def[q];
            let subPart: number | null = null;
            q++;
            if (def[q]?.text === "(") {
                subPart = Number(def[q + 1].text);
                q += 3;
            }
            while (q < close && def[q].text !== ",") q++; // ASC / DESC
            q++;
            if (col.kind === "ident" || col.kind === "word") columns.push({ name: col.text, subPart });
            else throw new DdlError(`${name}: index ${indexName ?? ""} on an expression cannot be read from a dump`);
        }
        for (let r = close + 1; r < def.length; r++) if (upper(def[r]) === "USING") kind = upper(def[r + 1]);
        const index: SourceIndex = { name: indexName ?? columns[0]?.name ?? "index", unique, primary, kind, columns };
        table.indexes.push(index);
    }
    // information_schema orders indexes, foreign keys and checks by name (case-insensitively).
    table.indexes.sort((a, b) => compareNames(a.name, b.name));
    table.foreignKeys.sort((a, b) => compareNames(a.name, b.name));
    table.checks.sort((a, b) => compareNames(a.name, b.name));
    const auto = table.columns.some((c) => /\bauto_increment\b/.test(c.extra));
    table.autoIncrement = auto ? Number(autoIncrementOption ?? 1) : null;
    return table;
}

/** information_schema's ordering of names (utf8mb3_general_ci: letters compare as upper case), then by code point. */
export function compareNames(a: string, b: string): number {
    const x = a.toUpperCase();
    const y = b.toUpperCase();
    return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

function matching(tokens: Token[], open: number): number {
    let depth = 0;
    for (let i = open; i < tokens.length; i++) {
        if (tokens[i].kind !== "punct") continue;
        if (tokens[i].text === "(") depth++;
        else if (tokens[i].text === ")" && --depth === 0) return i;
    }
    throw new DdlError("unbalanced parentheses");
}

function identList(tokens: Token[], open: number): { names: string[]; next: number } {
    const close = matching(tokens, open);
    const names = tokens.slice(open + 1, close).filter((x) => x.kind === "ident" || x.kind === "word").map((x) => x.text);
    return { names, next: close + 1 };
}

function parseColumn(def: Token[], sql: string, ordinal: number, tableCharset: string | null, flavor: Flavor, table: SourceTable): SourceColumn {
    const name = def[0].text;
    let p = 1;
    // The type: a word (or two: "double precision"), optional (args), then unsigned / zerofill.
    let typeWord = upper(def[p]).toLowerCase();
    const typeStart = def[p];
    p++;
    if (typeWord === "double" && upper(def[p]) === "PRECISION") {
        typeWord = "double precision";
        p++;
    }
    let args: string[] = [];
    let typeEnd = def[p - 1];
    if (def[p]?.text === "(") {
        const close = matching(def, p);
        args = def.slice(p + 1, close).filter((x) => x.text !== ",").map((x) => (x.kind === "string" ? x.text : x.text));
        typeEnd = def[close];
        p = close + 1;
    }
    while (["UNSIGNED", "ZEROFILL", "SIGNED"].includes(upper(def[p]))) {
        typeEnd = def[p];
        p++;
    }
    const dataType = TYPE_ALIASES[typeWord] ?? typeWord;
    const rawType = sql.slice(typeStart.start, typeEnd.end);
    let columnType = dataType === "enum" || dataType === "set" ? rawType.replace(/^(enum|set)/i, (m) => m.toLowerCase()) : rawType.toLowerCase();
    if (dataType === "enum" || dataType === "set") columnType = columnType.replace(/\s+(unsigned|zerofill)/gi, "");
    const unsigned = /\bunsigned\b/i.test(rawType);

    let nullable = true;
    let explicitNull = false;
    let defaultText: string | null = null;
    let charset: string | null = null;
    let comment = "";
    const extra: string[] = [];
    let generated: string | null = null;
    let isJson = dataType === "json";
    while (p < def.length) {
        const w = upper(def[p]);
        if (w === "NOT" && upper(def[p + 1]) === "NULL") {
            nullable = false;
            p += 2;
        } else if (w === "NULL") {
            explicitNull = true;
            p++;
        } else if (w === "CHARACTER" && upper(def[p + 1]) === "SET") {
            charset = def[p + 2].text.toLowerCase();
            p += 3;
        } else if (w === "CHARSET") {
            charset = def[p + 1].text.toLowerCase();
            p += 2;
        } else if (w === "COLLATE") {
            p += 2;
        } else if (w === "DEFAULT") {
            const start = def[p + 1];
            let end = p + 1;
            if (start.text === "(") end = matching(def, p + 1);
            else if (upper(start) === "B" || upper(start) === "X" || start.text === "_" || /^_/.test(start.text)) {
                // b'0' tokenizes as word b + string; _utf8mb4'x' as word + string.
                if (def[p + 2]?.kind === "string") end = p + 2;
            } else if (start.text === "-" || start.text === "+") end = p + 2;
            else if (start.kind === "word" && def[p + 2]?.text === "(") end = matching(def, p + 2);
            defaultText = sql.slice(start.start, def[end].end);
            p = end + 1;
        } else if (w === "AUTO_INCREMENT") {
            extra.push("auto_increment");
            p++;
        } else if (w === "ON" && upper(def[p + 1]) === "UPDATE") {
            let end = p + 2;
            if (def[p + 3]?.text === "(") end = matching(def, p + 3);
            extra.push(`on update ${sql.slice(def[p + 2].start, def[end].end)}`);
            p = end + 1;
        } else if (w === "COMMENT") {
            comment = def[p + 1].text;
            p += 2;
        } else if (w === "GENERATED" || w === "AS") {
            const open = def.findIndex((x, k) => k > p && x.text === "(");
            const close = matching(def, open);
            let kind = "VIRTUAL";
            let q = close + 1;
            if (["VIRTUAL", "STORED", "PERSISTENT"].includes(upper(def[q]))) {
                kind = upper(def[q]) === "VIRTUAL" ? "VIRTUAL" : "STORED";
                q++;
            }
            generated = `${kind.toLowerCase()} generated`;
            p = q;
        } else if (w === "CHECK") {
            const close = matching(def, p + 1);
            const clause = sql.slice(def[p + 1].end, def[close].start).trim();
            if (/^json_valid\(`[^`]+`\)$/i.test(clause)) isJson = true;
            // MariaDB names a column-level check after its column.
            table.checks.push({ name, clause } as SourceCheck);
            p = close + 1;
        } else if (w === "PRIMARY" || w === "UNIQUE") {
            // Column-level keys (not what SHOW CREATE TABLE prints, but hand-written dumps have them).
            const primary = w === "PRIMARY";
            table.indexes.push({ name: primary ? "PRIMARY" : name, unique: true, primary, kind: "BTREE", columns: [{ name, subPart: null }] });
            if (primary) nullable = false;
            p += upper(def[p + 1]) === "KEY" ? 2 : 1;
        } else if (w === "SRID") p += 2;
        else p++;
    }
    void explicitNull;
    if (generated) extra.push(generated);
    if (/\bINVISIBLE\b/i.test(def.map((x) => x.text).join(" "))) extra.push(flavor === "MariaDB" ? "invisible" : "invisible");

    // information_schema COLUMN_DEFAULT: MariaDB reports SQL ('text', NULL, 0, current_timestamp()), MySQL the bare
    // value (and DEFAULT_GENERATED in EXTRA for expressions).
    let columnDefault: string | null = defaultText;
    if (flavor === "MariaDB") {
        if (defaultText === null && nullable && !generated && !/\bauto_increment\b/.test(extra.join(" "))) columnDefault = "NULL";
        if (defaultText !== null && /^\(.*\)$/s.test(defaultText)) columnDefault = defaultText.slice(1, -1);
        if (defaultText !== null && /^_[a-z0-9]+'/i.test(defaultText)) columnDefault = defaultText.replace(/^_[a-z0-9]+/i, "");
    } else if (defaultText !== null) {
        if (/^null$/i.test(defaultText)) columnDefault = null;
        else if (/^'/.test(defaultText)) columnDefault = tokenize(defaultText)[0].text;
        else if (/^_[a-z0-9]+'/i.test(defaultText)) columnDefault = tokenize(defaultText.replace(/^_[a-z0-9]+/i, ""))[0].text;
        else if (/^\(.*\)$/s.test(defaultText)) {
            columnDefault = defaultText.slice(1, -1);
            extra.unshift("default_generated");
        } else if (/^current_timestamp/i.test(defaultText)) {
            columnDefault = defaultText.toUpperCase();
            extra.unshift("default_generated");
        }
    }
    if (generated) columnDefault = null;

    // The sizes information_schema reports.
    const isString = STRING_TYPES.has(dataType);
    const isBinaryString = ["binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"].includes(dataType);
    let charMaxLength: number | null = null;
    if (["char", "varchar", "binary", "varbinary"].includes(dataType)) charMaxLength = args.length > 0 ? Number(args[0]) : 1;
    else if (TEXT_LENGTH[dataType] !== undefined) charMaxLength = TEXT_LENGTH[dataType];
    else if (dataType === "enum") charMaxLength = Math.max(0, ...enumLabels(args).map((l) => [...l].length));
    else if (dataType === "set") {
        const labels = enumLabels(args);
        charMaxLength = labels.reduce((n, l) => n + [...l].length, 0) + Math.max(0, labels.length - 1);
    }
    let numericPrecision: number | null = null;
    let numericScale: number | null = null;
    if (INT_PRECISION[dataType]) {
        numericPrecision = INT_PRECISION[dataType][unsigned ? 1 : 0];
        numericScale = 0;
    } else if (dataType === "decimal") {
        numericPrecision = args.length > 0 ? Number(args[0]) : 10;
        numericScale = args.length > 1 ? Number(args[1]) : 0;
    } else if (dataType === "float" || dataType === "double") {
        numericPrecision = args.length > 0 ? Number(args[0]) : dataType === "float" ? 12 : 22;
        numericScale = args.length > 1 ? Number(args[1]) : null;
    } else if (dataType === "bit") numericPrecision = args.length > 0 ? Number(args[0]) : 1;
    let datetimePrecision: number | null = null;
    if (["datetime", "timestamp", "time"].includes(dataType)) datetimePrecision = args.length > 0 ? Number(args[0]) : 0;
    else if (dataType === "date" && flavor === "MariaDB") datetimePrecision = null;

    return {
        name,
        ordinal,
        dataType,
        columnType,
        nullable,
        default: columnDefault,
        extra: extra.join(" "),
        charset: isString ? (charset ?? tableCharset) : isBinaryString ? null : null,
        charMaxLength,
        numericPrecision,
        numericScale,
        datetimePrecision,
        comment,
        isJson,
    };
}

function enumLabels(args: string[]): string[] {
    return args;
}

// Plans a migration from the two catalogs: per table, which column goes where through which conversion, and
// (create mode) the DDL to run before and after the load; (existing mode) the problems to report before any row is
// written and the source probes that decide the data-dependent ones. Pure: no I/O.
import { parseDefault, translateDefault } from "./column-defaults";
import { MigrationError } from "./errors";
import { NameAllocator, pgName, qualify, quoteIdent, quoteLiteral } from "./identifiers";
import {
    canonFor,
    coercionFor,
    defaultMapping,
    hasOnUpdateCurrentTimestamp,
    isEcho,
    isAutoIncrement,
    isGenerated,
    isUnsigned,
    parsePgType,
    sourceCategory,
    verifyExprFor,
    type MappingOptions,
} from "./type-mapping";
import type { ColumnPlan, Coercion, MigrationWarning, PgType, SourceCatalog, SourceColumn, SourceTable, TargetTable } from "./types";
import { columnProbes, type SourceProbe } from "./value-ranges";

export type { SourceProbe } from "./value-ranges";

export interface ColumnOverride {
    /** Target type (create mode), e.g. "text", "uuid", "timestamp(3)". */
    type?: string;
    /** Force a conversion, e.g. "hex-to-bytea", "inet-binary", "uuid-binary". */
    transform?: Coercion;
    /** Target column name. */
    name?: string;
    /** Create mode: force nullability. */
    nullable?: boolean;
    /** Create mode: a PostgreSQL default expression, or null for none. */
    default?: string | null;
    /** Leave the column out of the copy. */
    skip?: boolean;
}

export interface PlanOptions extends MappingOptions {
    targetSchema: string;
    /** IANA zone (or UTC offset) in which MySQL DATETIME values are wall-clock times. */
    sourceTimeZone: string;
    identifierCase: "preserve" | "lower";
    /** Per-column overrides keyed "table.column" (MySQL names). */
    columns: Record<string, ColumnOverride>;
    /** The target has trim_scale() (PostgreSQL 13+); default true. */
    trimScale?: boolean;
}

export interface IndexDdl {
    name: string;
    sql: string;
}

export interface CreateDdl {
    enumTypes: { name: string; labels: string[]; sql: string }[];
    createTable: string;
    /** Columns declared NOT NULL in MySQL that may receive NULLs from zero dates: NOT NULL restored after load if none did. */
    notNullAfterLoad: string[];
    primaryKey?: IndexDdl;
    indexes: IndexDdl[];
    checks: IndexDdl[];
    foreignKeys: { name: string; table: string; referencedTable: string; add: string; validate: string }[];
    triggers: string[];
    comments: string[];
    identityColumns: { column: string; sourceColumn: string }[];
}

export interface TablePlan {
    source: SourceTable;
    /** Target table name (unquoted). */
    target: string;
    qualifiedTarget: string;
    columns: ColumnPlan[];
    /** Indices into `columns` of the columns that identify a row in sample keys. */
    keyColumns: number[];
    ddl?: CreateDdl;
    /** Problems that stop the migration before any row is written. */
    problems: string[];
    probes: SourceProbe[];
    warnings: MigrationWarning[];
    /** Target columns fed by sequences (existing mode: identity, serial, nextval defaults). */
    sequences: { column: string; sequence: string | null; identity: boolean; autoIncrement: number | null }[];
}

/** The selected source tables (all when none are named); unknown names are a usage error. */
export function selectTables(catalog: SourceCatalog, names: string[] | undefined): SourceTable[] {
    if (!names || names.length === 0) return catalog.tables;
    const unknown = names.filter((n) => !catalog.tables.some((t) => t.name === n));
    if (unknown.length > 0) throw new MigrationError(`unknown source table(s): ${unknown.join(", ")}`, "usage");
    return catalog.tables.filter((t) => names.includes(t.name));
}

/** "table.column" → [table, column] (the table name may itself hold dots). */
export function splitOverrideKey(key: string): [string, string] {
    const dot = key.lastIndexOf(".");
    return [key.slice(0, dot), key.slice(dot + 1)];
}

export function targetName(name: string, options: Pick<PlanOptions, "identifierCase">): string {
    return options.identifierCase === "lower" ? name.toLowerCase() : name;
}

function overrideFor(options: PlanOptions, table: string, column: string): ColumnOverride {
    return options.columns[`${table}.${column}`] ?? {};
}

function keyColumnsOf(table: SourceTable, columns: ColumnPlan[]): number[] {
    const byName = new Map(columns.map((c, i) => [c.source.name, i]));
    const pick = (names: string[]): number[] | undefined => {
        const idx = names.map((n) => byName.get(n));
        return idx.every((i) => i !== undefined) ? (idx as number[]) : undefined;
    };
    const pk = table.indexes.find((i) => i.primary);
    const fromPk = pk && pick(pk.columns.map((c) => c.name));
    if (fromPk) return fromPk;
    for (const index of table.indexes) {
        if (!index.unique) continue;
        const cols = index.columns.map((c) => table.columns.find((s) => s.name === c.name));
        if (cols.every((c) => c && !c.nullable)) {
            const picked = pick(index.columns.map((c) => c.name));
            if (picked) return picked;
        }
    }
    return columns.map((_c, i) => i);
}

function columnPlan(source: SourceColumn, target: string, targetType: PgType, coercion: Coercion, selectExpr: string, options: PlanOptions): ColumnPlan {
    const canon = canonFor(targetType, coercion);
    const echo = isEcho(source, targetType, coercion, canon, { utc: /^(utc|etc\/utc|z|\+00:?00|gmt)$/i.test(options.sourceTimeZone), trimScale: options.trimScale !== false });
    return {
        source,
        target,
        targetType,
        selectExpr,
        coercion,
        canon,
        verifyExpr: verifyExprFor(quoteIdent(target), targetType, coercion, options.sourceTimeZone, echo),
        isPrimaryKey: false,
        echo,
    };
}

const ZERO_DATE_COERCIONS = new Set<Coercion>(["date", "datetime", "timestamp"]);

// ---------------------------------------------------------------------------------------------------------------
// Create mode

/** Plans every table for create mode; `enumsWithEmpty` names "table.column" enums holding MySQL's '' error value. */
export function planCreate(catalog: SourceCatalog, tables: SourceTable[], options: PlanOptions, enumsWithEmpty: Set<string> = new Set()): TablePlan[] {
    const schemaNames = new NameAllocator(); // index, constraint and type names share the schema namespace.
    const inScope = new Set(tables.map((t) => t.name));
    const tableNames = new Map(tables.map((t) => [t.name, targetName(t.name, options)]));
    const seenTargets = new Map<string, string>();
    for (const t of tables) schemaNames.allocate(tableNames.get(t.name) as string);
    // A foreign key column takes the type of the key it references (e.g. BIGINT UNSIGNED → bigint next to an
    // AUTO_INCREMENT key that became a bigint identity), or PostgreSQL could not create the constraint.
    const fkTypes = new Map<string, PgType>();
    for (const t of tables) {
        for (const fk of t.foreignKeys) {
            const ref = tables.find((x) => x.name === fk.referencedTable);
            if (!ref) continue;
            fk.columns.forEach((local, i) => {
                const refCol = ref.columns.find((c) => c.name === fk.referencedColumns[i]);
                const localCol = t.columns.find((c) => c.name === local);
                if (!refCol || !localCol || options.columns[`${t.name}.${local}`]?.type || options.columns[`${ref.name}.${refCol.name}`]?.type) return;
                const refType = defaultMapping(refCol, options, "").type;
                const localType = defaultMapping(localCol, options, "").type;
                const integers = ["int2", "int4", "int8", "numeric"];
                if (refType.udt !== localType.udt && integers.includes(refType.udt) && integers.includes(localType.udt)) fkTypes.set(`${t.name}.${local}`, refType);
            });
        }
    }
    const plans: TablePlan[] = [];
    for (const table of tables) {
        const target = tableNames.get(table.name) as string;
        const problems: string[] = [];
        const previous = seenTargets.get(target.toLowerCase());
        if (previous !== undefined && options.identifierCase === "lower") problems.push(`tables ${previous} and ${table.name} both become ${target}`);
        seenTargets.set(target.toLowerCase(), table.name);
        plans.push(planCreateTable(catalog, table, target, options, schemaNames, inScope, tableNames, enumsWithEmpty, problems, fkTypes));
    }
    return plans;
}

function planCreateTable(
    catalog: SourceCatalog,
    table: SourceTable,
    target: string,
    options: PlanOptions,
    schemaNames: NameAllocator,
    inScope: Set<string>,
    tableNames: Map<string, string>,
    enumsWithEmpty: Set<string>,
    problems: string[],
    fkTypes: Map<string, PgType>,
): TablePlan {
    const schema = options.targetSchema;
    const qualifiedTarget = qualify(schema, target);
    const warnings: MigrationWarning[] = [];
    const columns: ColumnPlan[] = [];
    const columnDefs: string[] = [];
    const enumTypes: CreateDdl["enumTypes"] = [];
    const notNullAfterLoad: string[] = [];
    const checks: IndexDdl[] = [];
    const comments: string[] = [];
    const identityColumns: CreateDdl["identityColumns"] = [];
    const onUpdate: string[] = [];
    const probes: SourceProbe[] = [];
    const targetColumnNames = new Map<string, string>();
    const columnNames = new Set<string>();

    for (const col of table.columns) {
        const ov = overrideFor(options, table.name, col.name);
        if (ov.skip) continue;
        const name = ov.name ?? targetName(col.name, options);
        if (columnNames.has(name)) {
            problems.push(`${table.name}: two columns become ${name}`);
            continue;
        }
        columnNames.add(name);
        targetColumnNames.set(col.name, name);
        const mapping = defaultMapping(col, options, `${target}_${name}`);
        let type = mapping.type;
        let identity = mapping.identity;
        if (ov.type !== undefined) {
            type = parsePgType(ov.type);
            identity = identity && ["int2", "int4", "int8"].includes(type.udt);
        } else if (fkTypes.has(`${table.name}.${col.name}`)) {
            type = fkTypes.get(`${table.name}.${col.name}`) as PgType;
        } else if (mapping.enumLabels) {
            const typeName = schemaNames.allocate(`${target}_${name}`);
            const labels = [...mapping.enumLabels];
            if (enumsWithEmpty.has(`${table.name}.${col.name}`) && !labels.includes("")) {
                labels.unshift("");
                warnings.push({ kind: "invalid-enum-values", table: table.name, column: col.name, message: `${table.name}.${col.name} holds MySQL's '' (invalid ENUM value): '' added to the enum type` });
            }
            type = { udt: typeName, sql: qualify(schema, typeName), enumLabels: labels };
            enumTypes.push({ name: typeName, labels, sql: `CREATE TYPE ${qualify(schema, typeName)} AS ENUM (${labels.map(quoteLiteral).join(", ")})` });
        }
        if (mapping.note && ov.type === undefined) warnings.push({ kind: "type-mapping", table: table.name, column: col.name, message: `${table.name}.${col.name}: ${mapping.note}` });
        if (isGenerated(col)) {
            warnings.push({ kind: "generated-column", table: table.name, column: col.name, message: `${table.name}.${col.name} is a generated column in MySQL: copied as a plain column` });
        }
        const choice = coercionFor(col, type, ov.transform);
        if ("error" in choice) {
            problems.push(`${table.name}.${col.name}: ${choice.error}`);
            continue;
        }
        const plan = columnPlan(col, name, type, choice.coercion, choice.selectExpr, options);
        columns.push(plan);
        probes.push(...columnProbes({ mode: "create", table: table.name, where: table.name, col, target: { name, type, nullable: true }, coercion: choice.coercion, selectExpr: choice.selectExpr }));

        const zeroDateCapable = ZERO_DATE_COERCIONS.has(choice.coercion);
        let notNull = ov.nullable !== undefined ? !ov.nullable : !col.nullable;
        if (identity) notNull = true;
        if (notNull && zeroDateCapable && !identity) {
            notNullAfterLoad.push(name);
            notNull = false;
        }
        let def = "";
        if (!identity) {
            if (ov.default !== undefined) {
                if (ov.default !== null) def = ` DEFAULT ${ov.default}`;
            } else {
                const t = translateDefault(parseDefault(col.default, catalog.flavor, col.extra), type);
                if (t.sql) def = ` DEFAULT ${t.sql}`;
                if (t.dropped && !/^zero-date/.test(t.dropped)) {
                    warnings.push({ kind: "unsupported-default", table: table.name, column: col.name, message: `${table.name}.${col.name}: ${t.dropped}; no default in PostgreSQL` });
                }
            }
        }
        const identityClause = identity ? " GENERATED BY DEFAULT AS IDENTITY" : "";
        if (identity) identityColumns.push({ column: name, sourceColumn: col.name });
        columnDefs.push(`${quoteIdent(name)} ${type.sql}${identityClause}${notNull ? " NOT NULL" : ""}${def}`);
        if (mapping.checkLabels && ov.type === undefined) {
            const labels = enumsWithEmpty.has(`${table.name}.${col.name}`) ? ["", ...mapping.checkLabels] : mapping.checkLabels;
            const cname = pgName(`${target}_${name}_check`);
            checks.push({ name: cname, sql: `ALTER TABLE ${qualifiedTarget} ADD CONSTRAINT ${quoteIdent(cname)} CHECK (${quoteIdent(name)} IN (${labels.map(quoteLiteral).join(", ")}))` });
        }
        if (hasOnUpdateCurrentTimestamp(col)) onUpdate.push(name);
        if (col.comment) comments.push(`COMMENT ON COLUMN ${qualifiedTarget}.${quoteIdent(name)} IS ${quoteLiteral(col.comment)}`);
        if (isUnsigned(col) && sourceCategory(col) === "decimal") {
            // Unsigned decimals keep their sign rule as a check.
            const cname = pgName(`${target}_${name}_unsigned`);
            checks.push({ name: cname, sql: `ALTER TABLE ${qualifiedTarget} ADD CONSTRAINT ${quoteIdent(cname)} CHECK (${quoteIdent(name)} >= 0)` });
        }
    }

    // Indexes, after the load.
    let primaryKey: IndexDdl | undefined;
    const indexes: IndexDdl[] = [];
    const typeOf = new Map(columns.map((c) => [c.source.name, c.targetType]));
    for (const index of table.indexes) {
        const missing = index.columns.filter((c) => !targetColumnNames.has(c.name));
        if (missing.length > 0) {
            warnings.push({ kind: "unsupported-index", table: table.name, message: `${table.name}: index ${index.name} skipped (column ${missing[0].name} not copied)` });
            continue;
        }
        if (index.kind === "SPATIAL") {
            warnings.push({ kind: "unsupported-index", table: table.name, message: `${table.name}: SPATIAL index ${index.name} skipped (no PostGIS)` });
            continue;
        }
        const cols = index.columns.map((c) => quoteIdent(targetColumnNames.get(c.name) as string));
        if (index.kind === "FULLTEXT") {
            const name = schemaNames.allocate(`${target}_${index.name}`);
            const doc = cols.map((c) => `coalesce(${c}, '')`).join(" || ' ' || ");
            indexes.push({ name, sql: `CREATE INDEX ${quoteIdent(name)} ON ${qualifiedTarget} USING gin (to_tsvector('simple', ${doc}))` });
            warnings.push({ kind: "unsupported-index", table: table.name, message: `${table.name}: FULLTEXT index ${index.name} became a GIN index on to_tsvector('simple', …)` });
            continue;
        }
        const unindexable = index.columns.find((c) => ["point", "path", "json"].includes(typeOf.get(c.name)?.udt ?? ""));
        if (unindexable) {
            warnings.push({ kind: "unsupported-index", table: table.name, message: `${table.name}: index ${index.name} skipped (${unindexable.name} has no btree ordering in PostgreSQL)` });
            continue;
        }
        const keyParts = index.columns.map((c, i) => {
            if (c.subPart === null) return cols[i];
            const bytea = typeOf.get(c.name)?.udt === "bytea";
            return bytea ? `(substring(${cols[i]} from 1 for ${c.subPart}))` : `(left(${cols[i]}, ${c.subPart}))`;
        });
        if (index.primary) {
            if (index.columns.some((c) => c.subPart !== null)) {
                const name = schemaNames.allocate(`${target}_pkey`);
                indexes.push({ name, sql: `CREATE UNIQUE INDEX ${quoteIdent(name)} ON ${qualifiedTarget} (${keyParts.join(", ")})` });
                warnings.push({ kind: "unsupported-index", table: table.name, message: `${table.name}: prefix PRIMARY KEY became a unique index on the prefixes` });
            } else {
                const name = schemaNames.allocate(`${target}_pkey`);
                primaryKey = { name, sql: `ALTER TABLE ${qualifiedTarget} ADD CONSTRAINT ${quoteIdent(name)} PRIMARY KEY (${cols.join(", ")})` };
            }
            continue;
        }
        const name = schemaNames.allocate(`${target}_${index.name}`);
        indexes.push({ name, sql: `CREATE ${index.unique ? "UNIQUE " : ""}INDEX ${quoteIdent(name)} ON ${qualifiedTarget} (${keyParts.join(", ")})` });
    }
    if (primaryKey) {
        const pkCols = new Set(table.indexes.find((i) => i.primary)?.columns.map((c) => c.name));
        for (const c of columns) if (pkCols.has(c.source.name)) c.isPrimaryKey = true;
    }

    // CHECK constraints (MariaDB 10.2+, MySQL 8.0.16+); json_valid() checks belong to MariaDB's JSON alias.
    for (const check of table.checks) {
        if (/^json_valid\(`[^`]+`\)$/i.test(check.clause.trim())) continue;
        const clause = translateIdentifiers(check.clause, targetColumnNames);
        const cname = pgName(check.name);
        checks.push({ name: cname, sql: `ALTER TABLE ${qualifiedTarget} ADD CONSTRAINT ${quoteIdent(cname)} CHECK (${clause})` });
    }

    // Foreign keys, once every table is loaded.
    const foreignKeys: CreateDdl["foreignKeys"] = [];
    for (const fk of table.foreignKeys) {
        if (!inScope.has(fk.referencedTable)) {
            warnings.push({ kind: "foreign-key", table: table.name, message: `${table.name}: foreign key ${fk.name} skipped (${fk.referencedTable} is not migrated)` });
            continue;
        }
        const refTable = tableNames.get(fk.referencedTable) as string;
        const name = pgName(fk.name);
        const localCols = fk.columns.map((c) => quoteIdent(targetColumnNames.get(c) ?? targetName(c, options)));
        const refCols = fk.referencedColumns.map((c) => quoteIdent(options.columns[`${fk.referencedTable}.${c}`]?.name ?? targetName(c, options)));
        const rule = (r: string): string => (["CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"].includes(r.toUpperCase()) ? r.toUpperCase() : "NO ACTION");
        foreignKeys.push({
            name,
            table: target,
            referencedTable: refTable,
            add: `ALTER TABLE ${qualifiedTarget} ADD CONSTRAINT ${quoteIdent(name)} FOREIGN KEY (${localCols.join(", ")}) REFERENCES ${qualify(schema, refTable)} (${refCols.join(", ")}) ON UPDATE ${rule(fk.onUpdate)} ON DELETE ${rule(fk.onDelete)} NOT VALID`,
            validate: `ALTER TABLE ${qualifiedTarget} VALIDATE CONSTRAINT ${quoteIdent(name)}`,
        });
    }

    const triggers: string[] = [];
    if (onUpdate.length > 0) {
        const fn = qualify(schema, pgName(`on_update_current_timestamp_${target}`));
        const sets = onUpdate.map((c) => `    IF NEW.${quoteIdent(c)} IS NOT DISTINCT FROM OLD.${quoteIdent(c)} THEN NEW.${quoteIdent(c)} := CURRENT_TIMESTAMP; END IF;`).join("\n");
        triggers.push(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $herokuenv$\nBEGIN\n  IF NEW IS DISTINCT FROM OLD THEN\n${sets}\n  END IF;\n  RETURN NEW;\nEND\n$herokuenv$`);
        triggers.push(`CREATE TRIGGER on_update_current_timestamp BEFORE UPDATE ON ${qualifiedTarget} FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    }

    const createTable = `CREATE TABLE ${qualifiedTarget} (\n  ${columnDefs.join(",\n  ")}\n)`;
    const autoIncrementColumn = table.columns.find(isAutoIncrement);
    return {
        source: table,
        target,
        qualifiedTarget,
        columns,
        keyColumns: keyColumnsOf(table, columns),
        ddl: { enumTypes, createTable, notNullAfterLoad, primaryKey, indexes, checks, foreignKeys, triggers, comments, identityColumns },
        problems,
        probes,
        warnings,
        sequences: identityColumns.map((c) => ({ column: c.column, sequence: null, identity: true, autoIncrement: autoIncrementColumn ? table.autoIncrement : null })),
    };
}

/** Rewrites `backticked` identifiers of a MySQL expression into PostgreSQL's quoting (and target names). */
export function translateIdentifiers(expr: string, names: Map<string, string>): string {
    return expr.replace(/`((?:[^`]|``)*)`/g, (_m, inner: string) => {
        const name = inner.replace(/``/g, "`");
        return quoteIdent(names.get(name) ?? name);
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Existing mode

function matchTargetColumn(target: TargetTable, name: string): TargetTable["columns"][number] | undefined {
    const exact = target.columns.find((c) => c.name === name);
    if (exact) return exact;
    const folded = target.columns.filter((c) => c.name.toLowerCase() === name.toLowerCase());
    return folded.length === 1 ? folded[0] : undefined;
}

/** Plans one table for existing mode against the application's own table. */
export function planExisting(table: SourceTable, target: TargetTable, options: PlanOptions): TablePlan {
    const problems: string[] = [];
    const probes: SourceProbe[] = [];
    const columns: ColumnPlan[] = [];
    const used = new Set<string>();
    const where = `${table.name} → ${target.name}`;
    for (const col of table.columns) {
        const ov = overrideFor(options, table.name, col.name);
        if (ov.skip) continue;
        const tc = matchTargetColumn(target, ov.name ?? col.name);
        if (!tc) {
            problems.push(`${where}: source column ${col.name} (${col.columnType}) has no column in the target table (add it, or skip it with an override)`);
            continue;
        }
        used.add(tc.name);
        const choice = coercionFor(col, tc.type, ov.transform);
        if ("error" in choice) {
            problems.push(`${where}: column ${col.name} → ${tc.name}: ${choice.error}`);
            continue;
        }
        const plan = columnPlan(col, tc.name, tc.type, choice.coercion, choice.selectExpr, options);
        columns.push(plan);
        probes.push(...columnProbes({ mode: "existing", table: table.name, where, col, target: { name: tc.name, type: tc.type, nullable: tc.nullable }, coercion: choice.coercion, selectExpr: choice.selectExpr }));
    }
    for (const tc of target.columns) {
        if (used.has(tc.name)) continue;
        if (!tc.nullable && !tc.hasDefault && !tc.identity) problems.push(`${where}: target column ${tc.name} is NOT NULL without a default and has no source column`);
    }
    const autoIncrementColumn = table.columns.find(isAutoIncrement);
    return {
        source: table,
        target: target.name,
        qualifiedTarget: qualify(options.targetSchema, target.name),
        columns,
        keyColumns: keyColumnsOf(table, columns),
        problems,
        probes,
        warnings: [],
        sequences: target.columns
            .filter((c) => c.sequence !== null || c.identity)
            .map((c) => ({
                column: c.name,
                sequence: c.sequence,
                identity: c.identity,
                autoIncrement: autoIncrementColumn && columns.find((p) => p.target === c.name)?.source === autoIncrementColumn ? table.autoIncrement : null,
            })),
    };
}


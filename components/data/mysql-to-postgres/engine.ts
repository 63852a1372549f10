// The migration: plan, refuse what is unsafe, copy tables concurrently (each in its own PostgreSQL transaction,
// verified before it commits together with its progress record), then foreign keys and sequences. Resumable: a
// re-run skips the tables recorded as verified.
import { createHash } from "node:crypto";
import type { Client } from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { CopyTextParser, TableHasher, canonicalString, copyFieldsText, mixCanonical } from "./checksum";
import { CopyBuffer, encodeRawRow, encodeRow, type ColumnState, type RowLayout } from "./copy-encode";
import { qualify, quoteIdent } from "./identifiers";
import {
    closeMySql,
    connectMySql,
    enumsWithEmptyValue,
    parseMySqlUrl,
    query as myQuery,
    readCatalog,
    runProbes,
    selectSql,
    streamRawRows,
    streamRows,
    type MySqlConnection,
    type MySqlLocation,
} from "./mysql-source";
import {
    checkPostgresUrl,
    clearProgress,
    connectPostgres,
    ensureProgressTable,
    isTableEmpty,
    listTables,
    readProgress,
    readTargetTables,
    recordProgress,
    resetSequence,
    restartIdentity,
    schemaExists,
    type ProgressRecord,
} from "./pg-target";
import { planCreate, planExisting, targetName, type ColumnOverride, type TablePlan } from "./plan";
import { redact, secretsOf } from "./secrets";
import type { ColumnPlan, MigrationWarning, SchemaMode, SourceCatalog, TargetTable } from "./types";

export interface MigrateOptions {
    /** mysql://user:password@host:port/database */
    from: string;
    /** postgres://user:password@host:port/database */
    to: string;
    schema?: SchemaMode;
    overwrite?: boolean;
    /** Tables copied at once (default 2). */
    concurrency?: number;
    /** Source tables to migrate (default: all base tables). */
    tables?: string[];
    /** PostgreSQL schema (default public). */
    targetSchema?: string;
    /** Zone of MySQL DATETIME wall-clock values (default UTC). TIMESTAMP values are read as UTC. */
    sourceTimeZone?: string;
    enumAs?: "type" | "check";
    datetimeType?: "timestamptz" | "timestamp";
    identifierCase?: "preserve" | "lower";
    columns?: Record<string, ColumnOverride>;
    /** Checksum verification (default on). */
    verify?: boolean;
    onEvent?: (event: MigrationEvent) => void;
}

export type MigrationEvent =
    | { type: "plan"; tables: { source: string; target: string; estimatedRows: number; skipped: boolean }[] }
    | { type: "table-start"; table: string; estimatedRows: number }
    | { type: "table-progress"; table: string; rows: number; bytes: number }
    | { type: "table-done"; report: TableReport }
    | { type: "phase"; name: string }
    | { type: "warning"; warning: MigrationWarning };

export interface TableReport {
    source: string;
    target: string;
    status: "copied" | "skipped";
    rows: number;
    bytes: number;
    seconds: number;
    checksum: string;
    warnings: MigrationWarning[];
}

export interface MigrationReport {
    mode: SchemaMode;
    tables: TableReport[];
    warnings: MigrationWarning[];
    sequences: { table: string; column: string; next: number }[];
    rows: number;
    bytes: number;
    seconds: number;
}

export type MigrationErrorKind = "usage" | "refused" | "problems" | "verification" | "failed";

export class MigrationError extends Error {
    constructor(
        message: string,
        readonly kind: MigrationErrorKind,
        readonly details: string[] = [],
    ) {
        super(details.length > 0 ? `${message}\n  - ${details.join("\n  - ")}` : message);
        this.name = "MigrationError";
    }
}

/** Identifies a source database in the progress table without its credentials. */
export function sourceFingerprint(location: MySqlLocation): string {
    return createHash("sha256").update(`${location.host}:${location.port}/${location.database}`).digest("hex").slice(0, 16);
}

/** A stable id for a source/target pair, without credentials. */
export function fingerprintOfUrls(from: string, to: string): string {
    const src = parseMySqlUrl(from);
    const dst = new URL(to);
    return createHash("sha256").update(`${src.host}:${src.port}/${src.database}->${dst.hostname}:${dst.port}${dst.pathname}`).digest("hex").slice(0, 16);
}

const FLUSH_AT = 192 * 1024;

interface ResolvedOptions {
    mode: SchemaMode;
    overwrite: boolean;
    concurrency: number;
    targetSchema: string;
    sourceTimeZone: string;
    verify: boolean;
    emit: (event: MigrationEvent) => void;
}

/** Runs the migration. Throws MigrationError (messages never contain connection strings). */
export async function migrate(options: MigrateOptions): Promise<MigrationReport> {
    const secrets = secretsOf(options.from, options.to);
    try {
        return await migrateUnsafe(options);
    } catch (err) {
        if (err instanceof MigrationError) {
            throw new MigrationError(redact(err.message.split("\n  - ")[0], secrets), err.kind, err.details.map((d) => redact(d, secrets)));
        }
        const e = err as Error & { code?: string };
        throw new MigrationError(redact(e?.message ?? String(err), secrets), "failed");
    }
}

async function migrateUnsafe(options: MigrateOptions): Promise<MigrationReport> {
    const started = Date.now();
    const mode: SchemaMode = options.schema ?? "create";
    if (mode !== "create" && mode !== "existing") throw new MigrationError(`unknown schema mode ${JSON.stringify(mode)} (create or existing)`, "usage");
    const concurrency = Math.max(1, Math.min(16, Math.floor(options.concurrency ?? 2)));
    let location: MySqlLocation;
    try {
        location = parseMySqlUrl(options.from);
        checkPostgresUrl(options.to);
    } catch (err) {
        throw new MigrationError((err as Error).message, "usage");
    }
    const opts: ResolvedOptions = {
        mode,
        overwrite: options.overwrite === true,
        concurrency,
        targetSchema: options.targetSchema ?? "public",
        sourceTimeZone: options.sourceTimeZone ?? "UTC",
        verify: options.verify !== false,
        emit: options.onEvent ?? (() => undefined),
    };
    const planOptions = {
        targetSchema: opts.targetSchema,
        sourceTimeZone: opts.sourceTimeZone,
        enumAs: options.enumAs ?? "type",
        datetimeType: options.datetimeType ?? "timestamptz",
        identifierCase: options.identifierCase ?? "preserve",
        columns: options.columns ?? {},
    } as const;
    const source = sourceFingerprint(location);
    const warnings: MigrationWarning[] = [];
    const warn = (w: MigrationWarning): void => {
        warnings.push(w);
        opts.emit({ type: "warning", warning: w });
    };

    const my = await connectMySql(location);
    let pg: Client | undefined;
    try {
        pg = await connectPostgres(options.to, opts.sourceTimeZone);
        opts.emit({ type: "phase", name: "catalog" });
        const catalog = await readCatalog(my, location.database);
        const selected = selectTables(catalog, options.tables);
        for (const u of catalog.unsupported) {
            warn({ kind: "unsupported-object", table: u.table, message: `${u.kind} ${u.name}${u.table ? ` (on ${u.table})` : ""} is not migrated: recreate it in PostgreSQL if the application needs it` });
        }
        for (const name of Object.keys(planOptions.columns)) {
            const [t, c] = splitOverrideKey(name);
            const table = catalog.tables.find((x) => x.name === t);
            if (!table || !table.columns.some((col) => col.name === c)) throw new MigrationError(`column override ${name} names no source column`, "usage");
        }

        const schema = opts.targetSchema;
        if (mode === "create") await pg.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        else if (!(await schemaExists(pg, schema))) throw new MigrationError(`target schema ${schema} does not exist (existing mode loads into the application's schema)`, "refused");
        await ensureProgressTable(pg);
        let progress = await readProgress(pg, schema, source);

        // Plan.
        let plans: TablePlan[];
        let targetTables = new Map<string, TargetTable>();
        if (mode === "create") {
            const enumEmpties = await enumsWithEmptyValue(my, selected);
            plans = planCreate(catalog, selected, planOptions, enumEmpties);
        } else {
            targetTables = await readTargetTables(pg, schema);
            plans = [];
            const missing: string[] = [];
            for (const table of selected) {
                const wanted = targetName(table.name, planOptions);
                const target = targetTables.get(wanted) ?? [...targetTables.values()].find((t) => t.name.toLowerCase() === table.name.toLowerCase());
                if (!target) missing.push(`source table ${table.name} has no table in the target schema ${schema}`);
                else plans.push(planExisting(table, target, planOptions));
            }
            if (missing.length > 0) throw new MigrationError("the target schema does not match the source", "problems", missing);
        }
        const problems = plans.flatMap((p) => p.problems);
        if (problems.length > 0) throw new MigrationError("cannot migrate: nothing was written", "problems", problems);
        for (const p of plans) for (const w of p.warnings) warn(w);

        if (opts.overwrite) {
            await clearProgress(pg, schema, source);
            progress = new Map();
        } else {
            // A recorded table whose target has since been emptied or dropped is copied again.
            const present = await listTables(pg, schema);
            for (const [name, record] of progress) if (record.kind === "table" && !present.has(name)) progress.delete(name);
        }
        const isDone = (p: TablePlan): boolean => progress.get(p.target)?.kind === "table" && progress.get(p.target)?.mode === mode;
        const pending = plans.filter((p) => !isDone(p));
        opts.emit({ type: "plan", tables: plans.map((p) => ({ source: p.source.name, target: p.target, estimatedRows: p.source.estimatedRows, skipped: isDone(p) })) });

        // Existing mode: data-dependent problems, decided on the source before any row is written.
        if (mode === "existing") {
            const found: string[] = [];
            for (const plan of pending) {
                if (plan.probes.length === 0) continue;
                const values = await runProbes(my, plan.source.name, plan.probes.map((p) => p.expr));
                plan.probes.forEach((probe, i) => {
                    const problem = probe.evaluate(values[i]);
                    if (problem) found.push(problem);
                });
            }
            if (found.length > 0) throw new MigrationError("cannot migrate: the source data does not fit the target schema; nothing was written", "problems", found);
        }

        // Refuse to write into non-empty targets without overwrite; with it, clear them first.
        await prepareTargets(pg, pending, mode, opts);

        // Copy.
        const reports = new Map<string, TableReport>();
        for (const plan of plans) {
            const record = progress.get(plan.target);
            if (isDone(plan) && record) reports.set(plan.target, skippedReport(plan, record));
        }
        const units = mode === "existing" ? existingUnits(pending, targetTables) : pending.map((p) => ({ plans: [p], dependsOn: [] as string[] })).sort((a, b) => b.plans[0].source.dataLength - a.plans[0].source.dataLength);
        await runUnits(units, opts, location, options.to, source, reports);

        // Foreign keys (create mode) and sequences.
        opts.emit({ type: "phase", name: "finalize" });
        const sequences: MigrationReport["sequences"] = [];
        if (mode === "create") {
            for (const w of await addForeignKeys(pg, plans)) warn(w);
            for (const plan of plans) {
                for (const seq of plan.sequences) {
                    const res = await pg.query("SELECT pg_get_serial_sequence($1, $2) AS seq", [plan.qualifiedTarget, seq.column]);
                    const name = res.rows[0]?.seq as string | null;
                    if (!name) continue;
                    const state = (await pg.query(`SELECT last_value::text AS v, is_called FROM ${name}`)).rows[0] as { v: string; is_called: boolean };
                    sequences.push({ table: plan.target, column: seq.column, next: Number(state.v) + (state.is_called ? 1 : 0) });
                }
            }
        } else {
            for (const plan of plans) {
                for (const seq of plan.sequences) {
                    if (!seq.sequence) continue;
                    const next = await resetSequence(pg, plan.qualifiedTarget, seq.column, seq.sequence, seq.autoIncrement);
                    sequences.push({ table: plan.target, column: seq.column, next });
                }
            }
        }
        await recordProgress(pg, schema, source, { tableName: "", sourceTable: "", kind: "finalize", mode, rows: 0, bytes: 0, checksum: "", seconds: 0, warnings: [] });

        const tables = plans.map((p) => reports.get(p.target)).filter((r): r is TableReport => r !== undefined);
        for (const t of tables) if (t.status === "copied") for (const w of t.warnings) warn(w);
        return {
            mode,
            tables,
            warnings,
            sequences,
            rows: tables.reduce((n, t) => n + t.rows, 0),
            bytes: tables.reduce((n, t) => n + t.bytes, 0),
            seconds: (Date.now() - started) / 1000,
        };
    } finally {
        await closeMySql(my);
        await pg?.end().catch(() => undefined);
    }
}

function splitOverrideKey(key: string): [string, string] {
    const dot = key.lastIndexOf(".");
    return [key.slice(0, dot), key.slice(dot + 1)];
}

function selectTables(catalog: SourceCatalog, names: string[] | undefined): SourceCatalog["tables"] {
    if (!names || names.length === 0) return catalog.tables;
    const unknown = names.filter((n) => !catalog.tables.some((t) => t.name === n));
    if (unknown.length > 0) throw new MigrationError(`unknown source table(s): ${unknown.join(", ")}`, "usage");
    return catalog.tables.filter((t) => names.includes(t.name));
}

function skippedReport(plan: TablePlan, record: ProgressRecord): TableReport {
    return { source: plan.source.name, target: plan.target, status: "skipped", rows: record.rows, bytes: record.bytes, seconds: record.seconds, checksum: record.checksum, warnings: record.warnings };
}

async function prepareTargets(pg: Client, pending: TablePlan[], mode: SchemaMode, opts: ResolvedOptions): Promise<void> {
    const schema = opts.targetSchema;
    const existing = await listTables(pg, schema);
    if (mode === "create") {
        const clash = pending.filter((p) => existing.has(p.target));
        if (clash.length > 0 && !opts.overwrite) {
            throw new MigrationError(
                "refusing to replace existing target tables (pass overwrite to drop and recreate them, or use the existing schema mode)",
                "refused",
                clash.map((p) => `${schema}.${p.target} already exists`),
            );
        }
        await pg.query("BEGIN");
        try {
            if (opts.overwrite) {
                for (const p of clash) await pg.query(`DROP TABLE IF EXISTS ${p.qualifiedTarget} CASCADE`);
                for (const p of pending) for (const t of p.ddl?.enumTypes ?? []) await pg.query(`DROP TYPE IF EXISTS ${qualify(schema, t.name)} CASCADE`);
            }
            for (const p of pending) {
                for (const t of p.ddl?.enumTypes ?? []) {
                    const exists = await pg.query("SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname = $2", [schema, t.name]);
                    if (exists.rowCount === 0) await pg.query(t.sql);
                }
            }
            await pg.query("COMMIT");
        } catch (err) {
            await pg.query("ROLLBACK").catch(() => undefined);
            throw err;
        }
        return;
    }
    const nonEmpty: TablePlan[] = [];
    for (const p of pending) if (!(await isTableEmpty(pg, p.qualifiedTarget))) nonEmpty.push(p);
    if (nonEmpty.length === 0) return;
    if (!opts.overwrite) {
        throw new MigrationError(
            "refusing to write into non-empty target tables (pass overwrite to empty them first)",
            "refused",
            nonEmpty.map((p) => `${schema}.${p.target} has rows`),
        );
    }
    await pg.query(`TRUNCATE ${nonEmpty.map((p) => p.qualifiedTarget).join(", ")}`);
}

interface Unit {
    plans: TablePlan[];
    /** Target tables that must be loaded (committed) first. */
    dependsOn: string[];
    /** Foreign keys to drop and re-add inside the unit's transaction (non-deferrable cycles). */
    dropFks?: { table: string; name: string; definition: string }[];
}

/** Existing mode: groups tables into load units in foreign-key order (cycles load together in one transaction). */
export function existingUnits(pending: TablePlan[], targets: Map<string, TargetTable>): Unit[] {
    const names = new Set(pending.map((p) => p.target));
    const edges = new Map<string, string[]>();
    for (const p of pending) {
        const fks = targets.get(p.target)?.foreignKeys ?? [];
        edges.set(p.target, [...new Set(fks.map((f) => f.referencedTable).filter((r) => r !== p.target && names.has(r)))]);
    }
    // Tarjan's strongly connected components.
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const components: string[][] = [];
    const visit = (v: string): void => {
        idx.set(v, index);
        low.set(v, index++);
        stack.push(v);
        onStack.add(v);
        for (const w of edges.get(v) ?? []) {
            if (!idx.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
            } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
        }
        if (low.get(v) === idx.get(v)) {
            const comp: string[] = [];
            let w: string;
            do {
                w = stack.pop() as string;
                onStack.delete(w);
                comp.push(w);
            } while (w !== v);
            components.push(comp);
        }
    };
    for (const p of pending) if (!idx.has(p.target)) visit(p.target);
    const byTarget = new Map(pending.map((p) => [p.target, p]));
    return components.map((comp) => {
        const members = new Set(comp);
        const dependsOn = [...new Set(comp.flatMap((t) => edges.get(t) ?? []).filter((t) => !members.has(t)))];
        const dropFks =
            comp.length > 1
                ? comp.flatMap((t) => (targets.get(t)?.foreignKeys ?? []).filter((f) => members.has(f.referencedTable) && f.referencedTable !== t && !f.deferrable).map((f) => ({ table: t, name: f.name, definition: f.definition })))
                : [];
        return { plans: comp.map((t) => byTarget.get(t) as TablePlan), dependsOn, dropFks };
    });
}

async function runUnits(units: Unit[], opts: ResolvedOptions, location: MySqlLocation, toUrl: string, source: string, reports: Map<string, TableReport>): Promise<void> {
    const done = new Set<string>([...reports.keys()]);
    const inFlight = new Set<string>();
    for (const u of units) for (const p of u.plans) inFlight.add(p.target);
    // Dependencies outside the pending set are already there.
    const isReady = (u: Unit): boolean => u.dependsOn.every((d) => done.has(d) || !inFlight.has(d));
    const queue = [...units];
    const errors: Error[] = [];
    const waiters: (() => void)[] = [];
    const wakeAll = (): void => {
        for (const w of waiters.splice(0)) w();
    };
    const workers = Array.from({ length: Math.min(opts.concurrency, Math.max(1, units.length)) }, async () => {
        if (queue.length === 0) return;
        const my = await connectMySql(location);
        const pg = await connectPostgres(toUrl, opts.sourceTimeZone);
        try {
            for (;;) {
                if (errors.length > 0) return;
                const i = queue.findIndex(isReady);
                if (i < 0) {
                    if (queue.length === 0) return;
                    await new Promise<void>((resolve) => waiters.push(resolve));
                    continue;
                }
                const [unit] = queue.splice(i, 1);
                try {
                    for (const report of await loadUnit(unit, my, pg, opts, source)) {
                        reports.set(report.target, report);
                        opts.emit({ type: "table-done", report });
                    }
                    for (const p of unit.plans) {
                        done.add(p.target);
                        inFlight.delete(p.target);
                    }
                } catch (err) {
                    errors.push(err as Error);
                } finally {
                    wakeAll();
                }
            }
        } finally {
            await closeMySql(my).catch(() => undefined);
            await pg.end().catch(() => undefined);
            wakeAll();
        }
    });
    await Promise.all(workers);
    if (errors.length > 0) {
        const first = errors[0];
        if (first instanceof MigrationError) throw first;
        throw new MigrationError(first.message, "failed");
    }
}

/** Loads the tables of one unit in one PostgreSQL transaction; returns their reports once committed. */
async function loadUnit(unit: Unit, my: MySqlConnection, pg: Client, opts: ResolvedOptions, source: string): Promise<TableReport[]> {
    await pg.query("BEGIN");
    try {
        if (unit.plans.length > 1) await pg.query("SET CONSTRAINTS ALL DEFERRED");
        for (const fk of unit.dropFks ?? []) await pg.query(`ALTER TABLE ${qualify(opts.targetSchema, fk.table)} DROP CONSTRAINT ${quoteIdent(fk.name)}`);
        const reports: TableReport[] = [];
        for (const plan of unit.plans) {
            const report = await loadTable(plan, my, pg, opts);
            await recordProgress(pg, opts.targetSchema, source, {
                tableName: plan.target,
                sourceTable: plan.source.name,
                kind: "table",
                mode: opts.mode,
                rows: report.rows,
                bytes: report.bytes,
                checksum: report.checksum,
                seconds: report.seconds,
                warnings: report.warnings,
            });
            reports.push(report);
        }
        for (const fk of unit.dropFks ?? []) await pg.query(`ALTER TABLE ${qualify(opts.targetSchema, fk.table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`);
        await pg.query("COMMIT");
        return reports;
    } catch (err) {
        await pg.query("ROLLBACK").catch(() => undefined);
        throw err;
    }
}

/** A table's columns in copy order: echo key columns, other echo columns, then the value-by-value ones. */
interface Layout extends RowLayout {
    columns: ColumnPlan[];
    states: ColumnState[];
}

function layoutOf(plan: TablePlan): Layout {
    const keyed = plan.columns.map((c, i) => ({ c, key: plan.keyColumns.includes(i) }));
    const ordered = [...keyed.filter((x) => x.c.echo && x.key), ...keyed.filter((x) => x.c.echo && !x.key), ...keyed.filter((x) => !x.c.echo)];
    const states: ColumnState[] = ordered.map(({ c, key }) => ({
        coercion: c.coercion,
        canon: c.canon,
        echo: c.echo,
        utcSuffix: c.echo && c.targetType.udt === "timestamptz",
        key,
        zeroDates: 0,
        nulBytes: 0,
        name: c.source.name,
    }));
    return {
        columns: ordered.map((x) => x.c),
        states,
        echoCount: ordered.filter((x) => x.c.echo).length,
        // Key columns only count as an echo key range when every key column is an echo column.
        keyEchoCount: ordered.every((x) => !x.key || x.c.echo) ? ordered.filter((x) => x.c.echo && x.key).length : 0,
    };
}

/** Copies one table inside the caller's transaction: DDL (create mode), COPY, verification, indexes, identity. */
async function loadTable(plan: TablePlan, my: MySqlConnection, pg: Client, opts: ResolvedOptions): Promise<TableReport> {
    const started = Date.now();
    const ddl = plan.ddl;
    opts.emit({ type: "table-start", table: plan.source.name, estimatedRows: plan.source.estimatedRows });
    if (ddl) await pg.query(ddl.createTable);

    const layout = layoutOf(plan);
    if (layout.keyEchoCount === 0) for (const s of layout.states) if (s.echo) s.key = false;
    const states = layout.states;
    const sourceHash = new TableHasher();
    const { rows, bytes } = await copyTable(plan, layout, sourceHash, my, pg, opts);

    if (opts.verify) await verifyTable(plan, layout, sourceHash, rows, my, pg);

    const warnings: MigrationWarning[] = [];
    for (const s of states) {
        if (s.zeroDates > 0) warnings.push({ kind: "zero-dates", table: plan.source.name, column: s.name, count: s.zeroDates, message: `${plan.source.name}.${s.name}: ${s.zeroDates} zero date(s) became NULL` });
        if (s.nulBytes > 0) warnings.push({ kind: "nul-bytes", table: plan.source.name, column: s.name, count: s.nulBytes, message: `${plan.source.name}.${s.name}: ${s.nulBytes} NUL byte(s) stripped (PostgreSQL text cannot hold them)` });
    }

    if (ddl) {
        // NOT NULL back on date columns that received no NULL from zero dates.
        const zeroDatesOf = (target: string): number => states[layout.columns.findIndex((c) => c.target === target)]?.zeroDates ?? 0;
        const restore = ddl.notNullAfterLoad.filter((c) => zeroDatesOf(c) === 0);
        for (const c of ddl.notNullAfterLoad) {
            if (!restore.includes(c)) warnings.push({ kind: "not-null-dropped", table: plan.source.name, column: c, message: `${plan.source.name}.${c}: NOT NULL dropped because zero dates became NULL` });
        }
        if (restore.length > 0) await pg.query(`ALTER TABLE ${plan.qualifiedTarget} ${restore.map((c) => `ALTER COLUMN ${quoteIdent(c)} SET NOT NULL`).join(", ")}`);
        if (ddl.primaryKey) await pg.query(ddl.primaryKey.sql);
        for (const step of [...ddl.indexes, ...ddl.checks]) {
            await pg.query("SAVEPOINT herokuenv_step");
            try {
                await pg.query(step.sql);
                await pg.query("RELEASE SAVEPOINT herokuenv_step");
            } catch (err) {
                await pg.query("ROLLBACK TO SAVEPOINT herokuenv_step");
                warnings.push({ kind: step.sql.includes(" CHECK ") ? "check-constraint" : "unsupported-index", table: plan.source.name, message: `${plan.source.name}: ${step.name} not created: ${(err as Error).message}` });
            }
        }
        for (const sql of [...ddl.triggers, ...ddl.comments]) await pg.query(sql);
        for (const id of ddl.identityColumns) await restartIdentity(pg, plan.qualifiedTarget, id.column, plan.source.autoIncrement);
    }
    return {
        source: plan.source.name,
        target: plan.target,
        status: "copied",
        rows,
        bytes,
        seconds: (Date.now() - started) / 1000,
        checksum: opts.verify ? `${rows}:${sourceHash.digest()}` : `${rows}:unverified`,
        warnings,
    };
}

/** Streams MySQL rows into COPY FROM STDIN with backpressure both ways; hashes the source side on the way. */
async function copyTable(plan: TablePlan, layout: Layout, hasher: TableHasher, my: MySqlConnection, pg: Client, opts: ResolvedOptions): Promise<{ rows: number; bytes: number }> {
    const columns = layout.columns.map((c) => quoteIdent(c.target)).join(", ");
    const copy = pg.query(copyFrom(`COPY ${plan.qualifiedTarget} (${columns}) FROM STDIN`));
    const out = new CopyBuffer();
    let rows = 0;
    let bytes = 0;
    let failure: Error | undefined;
    let waitingDrain = false;
    let lastProgress = Date.now();
    const states = layout.states;
    const copyFailed = new Promise<never>((_resolve, reject) => copy.on("error", (err: Error) => reject(err)));
    copyFailed.catch(() => undefined);

    await myQuery(my, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    const stream = streamRawRows(my, selectSql(plan.source.name, layout.columns.map((c) => c.selectExpr)), (buf, starts, ends) => {
        if (failure) return;
        try {
            encodeRawRow(buf, starts, ends, out, hasher, states, layout);
            rows++;
        } catch (err) {
            failure = new Error(`${plan.source.name}: row ${rows + 1}: ${(err as Error).message}`);
            stream.pause();
            my.destroy();
            return;
        }
        if (out.pos >= FLUSH_AT) {
            const chunk = out.take();
            bytes += chunk.length;
            if (!copy.write(chunk) && !waitingDrain) {
                waitingDrain = true;
                stream.pause();
                copy.once("drain", () => {
                    waitingDrain = false;
                    stream.resume();
                });
            }
            const now = Date.now();
            if (now - lastProgress > 250) {
                lastProgress = now;
                opts.emit({ type: "table-progress", table: plan.source.name, rows, bytes });
            }
        }
    });
    try {
        await Promise.race([stream.done, copyFailed]);
    } catch (err) {
        if (!failure) failure = err as Error;
    }
    if (failure) {
        copy.destroy(failure);
        await copyFailed.catch(() => undefined);
        throw new MigrationError(`${plan.source.name}: copy failed: ${failure.message}`, "failed");
    }
    await myQuery(my, "COMMIT");
    if (out.pos > 0) {
        const chunk = out.take();
        bytes += chunk.length;
        copy.write(chunk);
    }
    try {
        await Promise.race([new Promise<void>((resolve) => copy.end(() => resolve())), copyFailed]);
    } catch (err) {
        throw new MigrationError(`${plan.source.name}: copy failed: ${(err as Error).message}`, "failed");
    }
    opts.emit({ type: "table-progress", table: plan.source.name, rows, bytes });
    return { rows, bytes };
}

/** Hashes the target table as PostgreSQL stored it (inside the load transaction) and compares. */
async function verifyTable(plan: TablePlan, layout: Layout, sourceHash: TableHasher, sourceRows: number, my: MySqlConnection, pg: Client): Promise<void> {
    const targetHash = await hashTarget(plan, layout, pg);
    if (targetHash.rows === sourceRows && targetHash.digest() === sourceHash.digest()) return;
    const buckets = sourceHash.differingBuckets(targetHash).slice(0, 4);
    const samples = await sampleDifferences(plan, layout, new Set(buckets), my, pg);
    throw new MigrationError(
        `verification failed for ${plan.source.name} → ${plan.target}: source ${sourceRows} rows (checksum ${sourceHash.digest()}), target ${targetHash.rows} rows (checksum ${targetHash.digest()})`,
        "verification",
        samples.length > 0 ? samples.map((s) => `key (${s.key}): ${s.what}`) : ["no sample key found (the difference may come from rows written to the source during the check)"],
    );
}

async function hashTarget(plan: TablePlan, layout: Layout, pg: Client, collect?: TableHasher["collect"], onKey?: (key: string) => void): Promise<TableHasher> {
    const hasher = new TableHasher();
    hasher.collect = collect;
    const states = layout.states;
    const keyParts: string[] = [];
    const parser = new CopyTextParser(
        layout,
        (buf, start, keyEnd, end) => {
            if (layout.keyEchoCount > 0) hasher.keyOnly(buf, start, keyEnd);
            hasher.bytes(buf, start, end, false);
            if (onKey) keyParts.push(...copyFieldsText(buf, start, end).filter((_t, i) => states[i].key));
        },
        (i, buf, start, end) => {
            const s = states[i];
            if (buf === null) {
                hasher.nul(s.key);
                if (onKey && s.key) keyParts.push("NULL");
            } else {
                mixCanonical(hasher, s.canon, buf, start, end, s.key);
                if (onKey && s.key) keyParts.push(canonicalString(s.canon, buf.toString("utf8", start, end)));
            }
        },
        () => {
            if (onKey) {
                onKey(keyParts.join(", "));
                keyParts.length = 0;
            }
            hasher.endRow();
        },
    );
    parser.fieldCount = states.length;
    const exprs = layout.columns.map((c) => c.verifyExpr).join(", ");
    const stream = pg.query(copyTo(`COPY (SELECT ${exprs} FROM ${plan.qualifiedTarget}) TO STDOUT`));
    for await (const chunk of stream) parser.push(chunk as Buffer);
    parser.end();
    return hasher;
}

/** Re-reads the rows of a few differing buckets on both sides and names keys whose rows differ. */
async function sampleDifferences(plan: TablePlan, layout: Layout, buckets: Set<number>, my: MySqlConnection, pg: Client): Promise<{ key: string; what: string }[]> {
    if (buckets.size === 0) return [];
    const sourceRows = new Map<string, string>();
    const targetRows = new Map<string, string>();
    let currentKey = "";
    const sourceHash = new TableHasher();
    sourceHash.collect = { buckets, onRow: (_b, h) => sourceRows.set(currentKey, h) };
    const states = layout.states.map((s) => ({ ...s, zeroDates: 0, nulBytes: 0 }));
    const out = new CopyBuffer(64 * 1024);
    await myQuery(my, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    try {
        const stream = streamRows(my, selectSql(plan.source.name, layout.columns.map((c) => c.selectExpr)), (row) => {
            out.pos = 0; // Only the hashes matter here.
            // The key as PostgreSQL prints it: echo key values from the sent text, the others canonical.
            const parts: string[] = [];
            const before = sourceHash.collect;
            sourceHash.collect = undefined;
            const probe = new TableHasher();
            encodeRow(row, out, probe, states, layout);
            sourceHash.collect = before;
            const lineEnd = out.pos - 1;
            const fields = copyFieldsText(out.buf, 0, lineEnd);
            states.forEach((s, i) => {
                if (s.key) parts.push(s.echo ? fields[i] : canonicalString(s.canon, fields[i]));
            });
            currentKey = parts.join(", ");
            out.pos = 0;
            encodeRow(row, out, sourceHash, states, layout);
        });
        await stream.done;
    } finally {
        await myQuery(my, "COMMIT").catch(() => undefined);
    }
    let targetKey = "";
    await hashTarget(plan, layout, pg, { buckets, onRow: (_b, h) => targetRows.set(targetKey, h) }, (k) => (targetKey = k));
    const samples: { key: string; what: string }[] = [];
    for (const [key, h] of sourceRows) {
        if (samples.length >= 10) break;
        const t = targetRows.get(key);
        if (t === undefined) samples.push({ key, what: "missing in the target" });
        else if (t !== h) samples.push({ key, what: "values differ" });
    }
    for (const key of targetRows.keys()) {
        if (samples.length >= 10) break;
        if (!sourceRows.has(key)) samples.push({ key, what: "only in the target" });
    }
    return samples;
}

/** Create mode: foreign keys once every table is loaded (NOT VALID, then validated; orphans leave a warning). */
async function addForeignKeys(pg: Client, plans: TablePlan[]): Promise<MigrationWarning[]> {
    const warnings: MigrationWarning[] = [];
    for (const plan of plans) {
        for (const fk of plan.ddl?.foreignKeys ?? []) {
            const exists = await pg.query("SELECT convalidated FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2", [plan.qualifiedTarget, fk.name]);
            if (exists.rowCount === 1 && exists.rows[0].convalidated) continue;
            try {
                if (exists.rowCount === 0) await pg.query(fk.add);
                await pg.query(fk.validate);
            } catch (err) {
                warnings.push({ kind: "foreign-key", table: plan.source.name, message: `${plan.source.name}: foreign key ${fk.name} not enforced: ${(err as Error).message}` });
            }
        }
    }
    return warnings;
}

/** What `read` reports: per table, the recorded verification and the live row counts on both sides. */
export interface VerificationState {
    complete: boolean;
    tables: { source: string; target: string; verified: boolean; recordedRows: number | null; checksum: string | null; sourceRows: number | null; targetRows: number | null; verifiedAt: string | null }[];
}

/** Reads the recorded state of a migration and re-counts rows on both sides (cheap; no checksum pass). */
export async function verificationState(options: Pick<MigrateOptions, "from" | "to" | "tables" | "targetSchema" | "identifierCase" | "schema">): Promise<VerificationState> {
    const secrets = secretsOf(options.from, options.to);
    try {
        const location = parseMySqlUrl(options.from);
        checkPostgresUrl(options.to);
        const schema = options.targetSchema ?? "public";
        const my = await connectMySql(location);
        const pg = await connectPostgres(options.to, "UTC");
        try {
            const catalog = await readCatalog(my, location.database);
            const tables = selectTables(catalog, options.tables);
            const progress = await readProgress(pg, schema, sourceFingerprint(location));
            const present = await listTables(pg, schema);
            const out: VerificationState["tables"] = [];
            for (const t of tables) {
                const target = targetName(t.name, { identifierCase: options.identifierCase ?? "preserve" });
                const record = progress.get(target);
                const [count] = await runProbes(my, t.name, ["COUNT(*)"]);
                const targetRows = present.has(target) ? Number((await pg.query(`SELECT count(*)::text AS n FROM ${qualify(schema, target)}`)).rows[0].n) : null;
                out.push({
                    source: t.name,
                    target,
                    verified: record?.kind === "table" && targetRows === record.rows,
                    recordedRows: record ? record.rows : null,
                    checksum: record ? record.checksum : null,
                    sourceRows: count === null ? null : Number(count),
                    targetRows,
                    verifiedAt: record ? record.verifiedAt : null,
                });
            }
            return { complete: progress.has("") && out.every((t) => t.verified && t.sourceRows === t.targetRows), tables: out };
        } finally {
            await closeMySql(my);
            await pg.end().catch(() => undefined);
        }
    } catch (err) {
        throw new MigrationError(redact((err as Error).message, secrets), "failed");
    }
}


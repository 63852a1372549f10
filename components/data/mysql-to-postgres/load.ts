// Load: prepare the target (refuse or clear what is in the way, create enum types), then load one unit of tables in
// one PostgreSQL transaction — DDL (create mode), copy, verification, constraints, indexes, identities and the
// progress record — so a crash leaves each table either absent/empty or complete and recorded.
import type { Client } from "pg";
import { TableHasher } from "./checksum";
import { copyTable, layoutOf } from "./copy";
import { MigrationError, onSide } from "./errors";
import { qualify, quoteIdent } from "./identifiers";
import type { LoadUnit } from "./load-order";
import type { ResolvedOptions } from "./options";
import { isTableEmpty, listTables, recordProgress, restartIdentity } from "./pg-target";
import type { TablePlan } from "./plan";
import type { TableReader } from "./source";
import type { MigrationWarning, TableReport } from "./types";
import { verifyTable } from "./verify";

/** Refuses to write into non-empty targets without overwrite; with it, clears them first. Creates enum types. */
export async function prepareTargets(pg: Client, pending: TablePlan[], opts: ResolvedOptions): Promise<void> {
    const schema = opts.targetSchema;
    const existing = await onSide("target", {}, () => listTables(pg, schema));
    if (opts.mode === "create") {
        const clash = pending.filter((p) => existing.has(p.target));
        if (clash.length > 0 && !opts.overwrite) {
            throw new MigrationError(
                "refusing to replace existing target tables (pass overwrite to drop and recreate them, or use the existing schema mode)",
                "refused",
                clash.map((p) => `${schema}.${p.target} already exists`),
            );
        }
        await onSide("target", {}, async () => {
            await pg.query("BEGIN");
            try {
                if (opts.overwrite) {
                    for (const p of clash) await onSide("target", { table: p.target }, () => pg.query(`DROP TABLE IF EXISTS ${p.qualifiedTarget} CASCADE`));
                    for (const p of pending) for (const t of p.ddl?.enumTypes ?? []) await onSide("target", { table: p.target }, () => pg.query(`DROP TYPE IF EXISTS ${qualify(schema, t.name)} CASCADE`));
                }
                for (const p of pending) {
                    for (const t of p.ddl?.enumTypes ?? []) {
                        await onSide("target", { table: p.target }, async () => {
                            const exists = await pg.query("SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname = $2", [schema, t.name]);
                            if (exists.rowCount === 0) await pg.query(t.sql);
                        });
                    }
                }
                await pg.query("COMMIT");
            } catch (err) {
                await pg.query("ROLLBACK").catch(() => undefined);
                throw err;
            }
        });
        return;
    }
    const nonEmpty: TablePlan[] = [];
    for (const p of pending) if (!(await onSide("target", { table: p.target }, () => isTableEmpty(pg, p.qualifiedTarget)))) nonEmpty.push(p);
    if (nonEmpty.length === 0) return;
    if (!opts.overwrite) {
        throw new MigrationError(
            "refusing to write into non-empty target tables (pass overwrite to empty them first)",
            "refused",
            nonEmpty.map((p) => `${schema}.${p.target} has rows`),
        );
    }
    await onSide("target", {}, () => pg.query(`TRUNCATE ${nonEmpty.map((p) => p.qualifiedTarget).join(", ")}`));
}

/** Loads the tables of one unit in one PostgreSQL transaction; returns their reports once committed. */
export async function loadUnit(unit: LoadUnit, my: TableReader, pg: Client, opts: ResolvedOptions, source: string): Promise<TableReport[]> {
    const tables = unit.plans.map((p) => p.source.name).join(", ");
    await onSide("target", { table: tables }, () => pg.query("BEGIN"));
    try {
        if (unit.plans.length > 1) await onSide("target", { table: tables }, () => pg.query("SET CONSTRAINTS ALL DEFERRED"));
        for (const fk of unit.dropFks) await onSide("target", { table: fk.table }, () => pg.query(`ALTER TABLE ${qualify(opts.targetSchema, fk.table)} DROP CONSTRAINT ${quoteIdent(fk.name)}`));
        const reports: TableReport[] = [];
        for (const plan of unit.plans) {
            const report = await loadTable(plan, my, pg, opts);
            await onSide("target", { table: plan.source.name }, () =>
                recordProgress(pg, opts.targetSchema, source, {
                    tableName: plan.target,
                    sourceTable: plan.source.name,
                    kind: "table",
                    mode: opts.mode,
                    rows: report.rows,
                    bytes: report.bytes,
                    checksum: report.checksum,
                    seconds: report.seconds,
                    warnings: report.warnings,
                }),
            );
            reports.push(report);
        }
        for (const fk of unit.dropFks) await onSide("target", { table: fk.table }, () => pg.query(`ALTER TABLE ${qualify(opts.targetSchema, fk.table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`));
        await onSide("target", { table: tables }, () => pg.query("COMMIT"));
        return reports;
    } catch (err) {
        await pg.query("ROLLBACK").catch(() => undefined);
        throw err;
    }
}

/** Copies one table inside the caller's transaction: DDL (create mode), COPY, verification, indexes, identity. */
async function loadTable(plan: TablePlan, my: TableReader, pg: Client, opts: ResolvedOptions): Promise<TableReport> {
    const started = Date.now();
    const table = plan.source.name;
    const ddl = plan.ddl;
    const onTarget = <T>(work: () => Promise<T>): Promise<T> => onSide("target", { table }, work);
    opts.emit({ type: "table-start", table, estimatedRows: plan.source.estimatedRows });
    if (ddl) await onTarget(() => pg.query(ddl.createTable));

    const layout = layoutOf(plan);
    const states = layout.states;
    const sourceHash = new TableHasher();
    const { rows, bytes } = await copyTable(plan, layout, sourceHash, my, pg, opts);

    if (opts.verify) await verifyTable(plan, layout, sourceHash, rows, my, pg);

    const warnings: MigrationWarning[] = [];
    for (const s of states) {
        if (s.zeroDates > 0) warnings.push({ kind: "zero-dates", table, column: s.name, count: s.zeroDates, message: `${table}.${s.name}: ${s.zeroDates} zero date(s) became NULL` });
        if (s.nulBytes > 0) warnings.push({ kind: "nul-bytes", table, column: s.name, count: s.nulBytes, message: `${table}.${s.name}: ${s.nulBytes} NUL byte(s) stripped (PostgreSQL text cannot hold them)` });
    }

    if (ddl) {
        // NOT NULL back on date columns that received no NULL from zero dates.
        const zeroDatesOf = (target: string): number => states[layout.columns.findIndex((c) => c.target === target)]?.zeroDates ?? 0;
        const restore = ddl.notNullAfterLoad.filter((c) => zeroDatesOf(c) === 0);
        for (const c of ddl.notNullAfterLoad) {
            if (!restore.includes(c)) warnings.push({ kind: "not-null-dropped", table, column: c, message: `${table}.${c}: NOT NULL dropped because zero dates became NULL` });
        }
        if (restore.length > 0) await onTarget(() => pg.query(`ALTER TABLE ${plan.qualifiedTarget} ${restore.map((c) => `ALTER COLUMN ${quoteIdent(c)} SET NOT NULL`).join(", ")}`));
        const primaryKey = ddl.primaryKey;
        if (primaryKey) await onTarget(() => pg.query(primaryKey.sql));
        for (const step of [...ddl.indexes, ...ddl.checks]) {
            await onTarget(() => pg.query("SAVEPOINT herokuenv_step"));
            try {
                await pg.query(step.sql);
                await onTarget(() => pg.query("RELEASE SAVEPOINT herokuenv_step"));
            } catch (err) {
                if (err instanceof MigrationError) throw err;
                await onTarget(() => pg.query("ROLLBACK TO SAVEPOINT herokuenv_step"));
                warnings.push({ kind: step.sql.includes(" CHECK ") ? "check-constraint" : "unsupported-index", table, message: `${table}: ${step.name} not created: ${(err as Error).message}` });
            }
        }
        for (const sql of [...ddl.triggers, ...ddl.comments]) await onTarget(() => pg.query(sql));
        for (const id of ddl.identityColumns) await onSide("target", { table, column: id.column }, () => restartIdentity(pg, plan.qualifiedTarget, id.column, plan.source.autoIncrement));
    }
    return {
        source: table,
        target: plan.target,
        status: "copied",
        rows,
        bytes,
        seconds: (Date.now() - started) / 1000,
        checksum: opts.verify ? `${rows}:${sourceHash.digest()}` : `${rows}:unverified`,
        warnings,
    };
}

// The migration, orchestrated: validate the options, read both catalogs, plan, report every problem (schema and
// data, probed on the source) before any row is written, refuse what is unsafe, load the tables on a pool of
// workers (each unit in its own PostgreSQL transaction, verified before it commits with its progress record), then
// foreign keys and sequences. Resumable: a re-run skips the tables recorded as verified.
import type { Client } from "pg";
import { runWorkerPool } from "../shared/pool";
import { MigrationError, onSide } from "./errors";
import { quoteIdent } from "./identifiers";
import { prepareTargets, loadUnit } from "./load";
import { isUnitReady, loadUnits, type LoadUnit } from "./load-order";
import { openSource, type MigrationSource } from "./source";
import { isDumpSource, migrateOptionProblems, withDefaults, type MigrateOptions, type ResolvedOptions } from "./options";
import {
    clearProgress,
    connectPostgres,
    ensureProgressTable,
    listTables,
    readProgress,
    readTargetTables,
    recordProgress,
    resetSequence,
    schemaExists,
    type ProgressRecord,
} from "./pg-target";
import { planCreate, planExisting, selectTables, splitOverrideKey, targetName, type TablePlan } from "./plan";
import { redact, secretsOf } from "./secrets";
import type { MigrationReport, MigrationWarning, TableReport, TargetTable } from "./types";

export { MigrationError, type MigrationErrorKind } from "./errors";
export type { MigrateOptions } from "./options";
export type { MigrationEvent, MigrationReport, TableReport } from "./types";
export { fingerprintOfUrls, sourceFingerprint } from "./pg-target";
export { verificationState, type VerificationState } from "./verify";

/** Validates the options (the same rules and words as the CLI and the resource) and applies the defaults. */
export function resolveOptions(options: MigrateOptions): ResolvedOptions {
    const problems = migrateOptionProblems(options);
    if (problems.length > 0) throw new MigrationError("invalid options: nothing was written", "usage", problems.map((p) => p.reason));
    return withDefaults(options);
}

/** Runs the migration. Throws MigrationError (messages never contain connection strings). */
export async function migrate(options: MigrateOptions): Promise<MigrationReport> {
    // A dump file's path is not a secret; a mysql:// URL is.
    const secrets = secretsOf(typeof options.from === "string" && isDumpSource(options.from) ? undefined : options.from, options.to);
    try {
        return await migrateUnsafe(resolveOptions(options));
    } catch (err) {
        if (err instanceof MigrationError) {
            throw new MigrationError(redact(err.summary, secrets), err.kind, err.details.map((d) => redact(d, secrets)));
        }
        const e = err as Error;
        throw new MigrationError(redact(e?.message ?? String(err), secrets), "failed");
    }
}

async function migrateUnsafe(opts: ResolvedOptions): Promise<MigrationReport> {
    const started = Date.now();
    const { mode } = opts;
    const planOptions = { targetSchema: opts.targetSchema, sourceTimeZone: opts.sourceTimeZone, enumAs: opts.enumAs, datetimeType: opts.datetimeType, identifierCase: opts.identifierCase, columns: opts.columns };
    const warnings: MigrationWarning[] = [];
    const warn = (w: MigrationWarning): void => {
        warnings.push(w);
        opts.emit({ type: "warning", warning: w });
    };

    const src = await onSide("source", {}, () => openSource(opts.from));
    const source = src.fingerprint;
    let pg: Client | undefined;
    try {
        pg = await onSide("target", {}, () => connectPostgres(opts.to, opts.sourceTimeZone));
        const target = pg;
        const onTarget = <T>(work: () => Promise<T>, table?: string): Promise<T> => onSide("target", { table }, work);
        opts.emit({ type: "phase", name: "catalog" });
        if (mode === "create") {
            // A table's probes depend only on its own columns and the options: planned alone, as planCreate will.
            src.planProbes?.((table, flavor) => planCreate({ database: "", flavor, version: "", tables: [table], unsupported: [] }, [table], planOptions)[0]);
        }
        const catalog = await onSide("source", {}, () => src.readCatalog());
        const selected = selectTables(catalog, opts.tables);
        for (const w of src.warnings) if (!w.table || selected.some((t) => t.name === w.table)) warn(w);
        for (const u of catalog.unsupported) {
            warn({ kind: "unsupported-object", table: u.table, message: `${u.kind} ${u.name}${u.table ? ` (on ${u.table})` : ""} is not migrated: recreate it in PostgreSQL if the application needs it` });
        }
        for (const name of Object.keys(opts.columns)) {
            const [t, c] = splitOverrideKey(name);
            const table = catalog.tables.find((x) => x.name === t);
            if (!table || !table.columns.some((col) => col.name === c)) throw new MigrationError(`column override ${name} names no source column`, "usage");
        }

        const schema = opts.targetSchema;
        if (mode === "create") await onTarget(() => target.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`));
        else if (!(await onTarget(() => schemaExists(target, schema)))) throw new MigrationError(`target schema ${schema} does not exist (existing mode loads into the application's schema)`, "refused");
        await onTarget(() => ensureProgressTable(target));
        let progress = await onTarget(() => readProgress(target, schema, source));

        // Plan.
        let plans: TablePlan[];
        let targetTables = new Map<string, TargetTable>();
        if (mode === "create") {
            const enumEmpties = await onSide("source", {}, () => src.enumsWithEmptyValue(selected));
            plans = planCreate(catalog, selected, planOptions, enumEmpties);
        } else {
            targetTables = await onTarget(() => readTargetTables(target, schema));
            plans = [];
            const missing: string[] = [];
            for (const table of selected) {
                const wanted = targetName(table.name, planOptions);
                const match = targetTables.get(wanted) ?? [...targetTables.values()].find((t) => t.name.toLowerCase() === table.name.toLowerCase());
                if (!match) missing.push(`source table ${table.name} has no table in the target schema ${schema}`);
                else plans.push(planExisting(table, match, planOptions));
            }
            if (missing.length > 0) throw new MigrationError("the target schema does not match the source", "problems", missing);
        }
        const problems = plans.flatMap((p) => p.problems);
        if (problems.length > 0) throw new MigrationError("cannot migrate: nothing was written", "problems", problems);
        for (const p of plans) for (const w of p.warnings) warn(w);

        if (opts.overwrite) {
            await onTarget(() => clearProgress(target, schema, source));
            progress = new Map();
        } else {
            // A recorded table whose target has since been emptied or dropped is copied again.
            const present = await onTarget(() => listTables(target, schema));
            for (const [name, record] of progress) if (record.kind === "table" && !present.has(name)) progress.delete(name);
        }
        const isDone = (p: TablePlan): boolean => progress.get(p.target)?.kind === "table" && progress.get(p.target)?.mode === mode;
        const pending = plans.filter((p) => !isDone(p));
        opts.emit({ type: "plan", tables: plans.map((p) => ({ source: p.source.name, target: p.target, estimatedRows: p.source.estimatedRows, skipped: isDone(p) })) });

        // Data-dependent problems (values the conversion cannot carry, or the target does not accept), decided on
        // the source before any row is written.
        const found = await probeProblems(src, pending);
        if (found.length > 0) throw new MigrationError("cannot migrate: the source data does not fit the target types; nothing was written", "problems", found);

        await prepareTargets(target, pending, opts);

        // Copy.
        const reports = new Map<string, TableReport>();
        for (const plan of plans) {
            const record = progress.get(plan.target);
            if (isDone(plan) && record) reports.set(plan.target, skippedReport(plan, record));
        }
        await loadAll(loadUnits(mode, pending, targetTables), opts, src, source, reports);

        // Foreign keys (create mode) and sequences.
        opts.emit({ type: "phase", name: "finalize" });
        if (mode === "create") for (const w of await addForeignKeys(target, plans)) warn(w);
        const sequences = await finalizeSequences(target, plans, mode);
        await onTarget(() => recordProgress(target, schema, source, { tableName: "", sourceTable: "", kind: "finalize", mode, rows: 0, bytes: 0, checksum: "", seconds: 0, warnings: [] }));

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
        await src.close();
        await pg?.end().catch(() => undefined);
    }
}

/** Runs every pending table's probes on the source; returns the problems they found. */
async function probeProblems(src: MigrationSource, pending: TablePlan[]): Promise<string[]> {
    const found: string[] = [];
    const probed = pending.filter((p) => p.probes.length > 0);
    const results = probed.length > 0 ? await onSide("source", {}, () => src.probe(probed)) : new Map<string, (string | null)[]>();
    for (const plan of probed) {
        const values = results.get(plan.source.name) ?? [];
        plan.probes.forEach((probe, i) => {
            const problem = probe.evaluate(values[i]);
            if (problem) found.push(problem);
        });
    }
    return found;
}

function skippedReport(plan: TablePlan, record: ProgressRecord): TableReport {
    return { source: plan.source.name, target: plan.target, status: "skipped", rows: record.rows, bytes: record.bytes, seconds: record.seconds, checksum: record.checksum, warnings: record.warnings };
}

/** Loads the units on `concurrency` workers, each with its own MySQL and PostgreSQL connection, in load order. */
async function loadAll(units: LoadUnit[], opts: ResolvedOptions, src: MigrationSource, source: string, reports: Map<string, TableReport>): Promise<void> {
    const loaded = new Set<string>(reports.keys());
    const inRun = new Set(units.flatMap((u) => u.plans.map((p) => p.target)));
    await runWorkerPool(units, {
        concurrency: opts.concurrency,
        setup: async () => {
            const my = await onSide("source", {}, () => src.openReader());
            try {
                return { my, pg: await onSide("target", {}, () => connectPostgres(opts.to, opts.sourceTimeZone)) };
            } catch (err) {
                await my.close().catch(() => undefined);
                throw err;
            }
        },
        teardown: async ({ my, pg }) => {
            await my.close().catch(() => undefined);
            await pg.end().catch(() => undefined);
        },
        ready: (unit) => isUnitReady(unit, loaded, inRun),
        run: async (unit, { my, pg }) => {
            for (const report of await loadUnit(unit, my, pg, opts, source)) {
                reports.set(report.target, report);
                opts.emit({ type: "table-done", report });
            }
            for (const p of unit.plans) loaded.add(p.target);
        },
    }).catch((err: unknown) => {
        throw err instanceof MigrationError ? err : new MigrationError((err as Error)?.message ?? String(err), "failed");
    });
}

/** Create mode: foreign keys once every table is loaded (NOT VALID, then validated; orphans leave a warning). */
async function addForeignKeys(pg: Client, plans: TablePlan[]): Promise<MigrationWarning[]> {
    const warnings: MigrationWarning[] = [];
    for (const plan of plans) {
        for (const fk of plan.ddl?.foreignKeys ?? []) {
            const exists = await onSide("target", { table: plan.target }, () => pg.query("SELECT convalidated FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2", [plan.qualifiedTarget, fk.name]));
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

/** Sequences past every key: create mode reports the identities (restarted in each table's transaction); existing mode sets them. */
async function finalizeSequences(pg: Client, plans: TablePlan[], mode: ResolvedOptions["mode"]): Promise<MigrationReport["sequences"]> {
    const sequences: MigrationReport["sequences"] = [];
    for (const plan of plans) {
        for (const seq of plan.sequences) {
            const place = { table: plan.target, column: seq.column };
            if (mode === "create") {
                const res = await onSide("target", place, () => pg.query("SELECT pg_get_serial_sequence($1, $2) AS seq", [plan.qualifiedTarget, seq.column]));
                const name = res.rows[0]?.seq as string | null;
                if (!name) continue;
                const state = (await onSide("target", place, () => pg.query(`SELECT last_value::text AS v, is_called FROM ${name}`))).rows[0] as { v: string; is_called: boolean };
                sequences.push({ table: plan.target, column: seq.column, next: Number(state.v) + (state.is_called ? 1 : 0) });
            } else if (seq.sequence) {
                const sequence = seq.sequence;
                const next = await onSide("target", place, () => resetSequence(pg, plan.qualifiedTarget, seq.column, sequence, seq.autoIncrement));
                sequences.push({ table: plan.target, column: seq.column, next });
            }
        }
    }
    return sequences;
}

// The data phase of the PostgreSQL → PostgreSQL copy (engine.ts runs it): every unit not yet recorded copied on a
// pool of workers, each in its own target transaction committed with its progress record and verified (counts, and
// the servers' checksums of both sides); split tables verified once all their ranges are in; each table's indexes and
// constraints built as soon as its rows are in.
import type { Client } from "pg";
import { runWorkerPool } from "../shared/pool";
import { qualify } from "../mysql-to-postgres/identifiers";
import { recordProgress, type ProgressRecord } from "../mysql-to-postgres/pg-target";
import type { TableReport } from "../mysql-to-postgres/types";
import { tableKey, type Catalog, type DataTable } from "./catalog";
import { copyUnit, serverChecksum, unitConditions, type ServerChecksum } from "./copy";
import { MigrationError, onPg, pgError } from "./errors";
import type { ResolvedCopyOptions } from "./options";
import { EMPTY_DIGEST, addDigests, type DataUnit } from "./ranges";
import { foreignKeyTables, stepTable, withSeparateIndexBuild, withSeparateValidation, type PostDataStep } from "./schema";
import { connect, connectSnapshot } from "./session";

/** The progress table is the MySQL engine's (herokuenv.herokuenv_migration); copy-db's rows use this namespace. */
export const PROGRESS_NAMESPACE = "(copy-db)";

export function checkAborted(opts: ResolvedCopyOptions): void {
    if (opts.signal?.aborted) throw new MigrationError("interrupted: units in flight rolled back; run again to resume", "failed");
}

interface Worker {
    src: Client;
    dst: Client;
    /** A second source connection on the snapshot, for the source side of checksums (opened when first needed). */
    check?: Client;
}

/**
 * An index step runs once the rows of its table are in (all tables' when it has none); a foreign key once both
 * tables' rows are in and the referenced table's indexes are built, and never beside an index build or another
 * validation on its own table (their locks conflict: the step would only wait).
 */
type Item =
    | { kind: "unit"; unit: DataUnit }
    | { kind: "verify"; table: DataTable; parts: DataUnit[] }
    | { kind: "index"; step: PostDataStep; table: string | undefined }
    | { kind: "foreign-key"; step: PostDataStep; table: string; references: string };

/** The foreign keys copyRows adds (between two regular tables the copy loads); the others wait for the later post-data phases. */
export function foreignKeysWithRows(catalog: Catalog, steps: PostDataStep[]): PostDataStep[] {
    const loaded = new Set(catalog.tables.map((t) => t.dumpName));
    return steps.filter((s) => {
        const tables = foreignKeyTables(s);
        return tables !== undefined && loaded.has(tables.table) && loaded.has(tables.references);
    });
}

function displayName(t: { schema: string; name: string }): string {
    return t.schema === "public" ? t.name : `${t.schema}.${t.name}`;
}

/**
 * Copies every unit not yet recorded; verifies split tables once all their ranges are in; builds each table's
 * indexes and constraints (post-data `indexes` steps) once its rows are verified, and adds the foreign keys between
 * loaded tables (foreignKeysWithRows) once both sides are ready, on the same pool: at most `concurrency` units copy
 * at once, and post-data steps take up to as many more workers (pgcopydb's table jobs and index jobs).
 */
export async function copyRows(
    opts: ResolvedCopyOptions,
    catalog: Catalog,
    units: DataUnit[],
    progress: Map<string, ProgressRecord>,
    snapshot: string,
    source: string,
    post: { indexes: PostDataStep[]; foreignKeys: PostDataStep[]; preamble: string },
    binary: boolean,
): Promise<Map<string, TableReport>> {
    const hooks = opts.hooks;
    const byKey = new Map(catalog.tables.map((t) => [tableKey(t), t]));
    const reports = new Map<string, TableReport>();
    const partsOf = new Map<string, DataUnit[]>();
    for (const u of units) partsOf.set(`${u.schema}.${u.name}`, [...(partsOf.get(`${u.schema}.${u.name}`) ?? []), u]);
    const done = new Set<string>([...progress.keys()]);
    const items: Item[] = [];
    const started = new Map<string, number>();
    const rowsSoFar = new Map<string, { rows: number; bytes: number }>();
    for (const u of units) if (!done.has(u.key)) items.push({ kind: "unit", unit: u });
    for (const [key, parts] of partsOf) {
        const t = byKey.get(key)!;
        if (parts.length > 1 && !done.has(`${key}#verified`)) items.push({ kind: "verify", table: t, parts });
        if (parts.length === 1 && done.has(parts[0].key)) reports.set(key, skipped(t, [progress.get(parts[0].key)!]));
        if (parts.length > 1 && done.has(`${key}#verified`)) reports.set(key, skipped(t, parts.map((p) => progress.get(p.key)!)));
    }
    opts.emit({ type: "plan", tables: catalog.tables.map((t) => ({ source: displayName(t), target: displayName(t), estimatedRows: t.estimatedRows, skipped: reports.has(tableKey(t)) })) });
    const records = new Map<string, { rows: number; bytes: number; checksum: string; seconds: number }>();
    for (const [k, r] of progress) records.set(k, r);
    const byDumpName = new Map(catalog.tables.map((t) => [t.dumpName, tableKey(t)]));
    const indexesLeft = new Map<string, number>();
    const indexesRunning = new Map<string, number>();
    const validating = new Set<string>();
    const count = (m: Map<string, number>, key: string | undefined, by: number): void => void (key !== undefined && m.set(key, (m.get(key) ?? 0) + by));
    // Foreign keys first: one that can start when its table's rows are in validates before that table's index
    // builds, so the last table's builds, which can run side by side, are what ends the copy.
    for (const step of foreignKeysWithRows(catalog, post.foreignKeys)) {
        const tables = foreignKeyTables(step)!;
        if (!done.has(step.key)) items.push({ kind: "foreign-key", step: withSeparateValidation(step), table: byDumpName.get(tables.table)!, references: byDumpName.get(tables.references)! });
    }
    for (const step of post.indexes) {
        if (done.has(step.key)) continue;
        const table = byDumpName.get(stepTable(step) ?? "");
        count(indexesLeft, table, 1);
        // A regular table's key constraints: the unique index built beside the table's other indexes (withSeparateIndexBuild).
        items.push({ kind: "index", step: table !== undefined ? withSeparateIndexBuild(step) : step, table });
    }
    /** A table's rows are in (and verified) when all its units, and for split tables the verification, are recorded. */
    const tableDone = (key: string): boolean => {
        const parts = partsOf.get(key) ?? [];
        return parts.every((p) => done.has(p.key)) && (parts.length < 2 || done.has(`${key}#verified`));
    };
    const allData = (): boolean => [...partsOf.keys()].every(tableDone);
    let copying = 0;
    const countOnly = (t: DataTable): boolean => !opts.verify || hooks?.rowTransform?.(t) !== undefined;

    await runWorkerPool(items, {
        concurrency: items.some((i) => i.kind === "index" || i.kind === "foreign-key") ? opts.concurrency * 2 : opts.concurrency,
        setup: async (): Promise<Worker> => {
            const src = await onPg("source", undefined, () => connectSnapshot(opts.from, snapshot));
            try {
                const dst = await onPg("target", undefined, () => connect(opts.to, "target"));
                await onPg("target", undefined, () => dst.query(post.preamble));
                return { src: src.client, dst };
            } catch (err) {
                await src.client.end().catch(() => undefined);
                throw err;
            }
        },
        teardown: async ({ src, dst, check }) => {
            await src.end().catch(() => undefined);
            await dst.end().catch(() => undefined);
            await check?.end().catch(() => undefined);
        },
        // Side effect on purpose: the pool takes the first item this says yes to, so counting here is exact.
        ready: (item) => {
            if (item.kind === "verify") return item.parts.every((p) => done.has(p.key));
            if (item.kind === "index") {
                if (item.table === undefined) return allData();
                if (!tableDone(item.table) || validating.has(item.table)) return false;
                count(indexesRunning, item.table, 1);
                return true;
            }
            if (item.kind === "foreign-key") {
                const { table, references } = item;
                if (!tableDone(table) || !tableDone(references) || (indexesLeft.get(references) ?? 0) > 0) return false;
                if ((indexesRunning.get(table) ?? 0) > 0 || validating.has(table) || validating.has(references)) return false;
                validating.add(table);
                return true;
            }
            if (copying >= opts.concurrency) return false;
            copying++;
            return true;
        },
        run: async (item, worker) => {
            const { dst } = worker;
            checkAborted(opts);
            if (item.kind === "index") {
                await runStep(dst, item.step, source);
                done.add(item.step.key);
                count(indexesRunning, item.table, -1);
                count(indexesLeft, item.table, -1);
                return;
            }
            if (item.kind === "foreign-key") {
                await runStep(dst, item.step, source);
                done.add(item.step.key);
                validating.delete(item.table);
                return;
            }
            if (item.kind === "unit") {
                try {
                    await copyOne(item.unit, worker);
                } finally {
                    copying--;
                }
                return;
            }
            if (item.kind === "verify") {
                const t = item.table;
                const name = displayName(t);
                const parts = item.parts.map((p) => records.get(p.key)!);
                const rows = parts.reduce((n, p) => n + p.rows, 0);
                const expected = parts.reduce((d, p) => addDigests(d, p.checksum), EMPTY_DIGEST);
                if (countOnly(t)) {
                    const n = Number((await onPg("target", name, () => dst.query(`SELECT count(*)::text AS n FROM ONLY ${qualify(t.schema, t.name)}`))).rows[0].n);
                    if (n !== rows) throw new MigrationError(`verification failed for ${name}: sent ${rows} rows, the target holds ${n}`, "verification");
                } else {
                    const h = await onPg("target", name, () => serverChecksum(dst, t));
                    if (h.rows !== rows || h.digest !== expected) throw new MigrationError(`verification failed for ${name}: source ${rows} rows (checksum ${expected}), target ${h.rows} rows (checksum ${h.digest})`, "verification");
                }
                await onPg("target", name, () => recordProgress(dst, PROGRESS_NAMESPACE, source, { tableName: `${tableKey(t)}#verified`, sourceTable: tableKey(t), kind: "verified", mode: "copy", rows, bytes: 0, checksum: expected, seconds: 0, warnings: [] }));
                done.add(`${tableKey(t)}#verified`);
                const report = tableReport(t, parts, "copied", started.get(tableKey(t)));
                reports.set(tableKey(t), report);
                opts.emit({ type: "table-done", report });
                return;
            }
        },
    }).catch((err: unknown) => {
        throw err instanceof MigrationError ? err : new MigrationError((err as Error)?.message ?? String(err), "failed");
    });
    return reports;

    async function copyOne(u: DataUnit, worker: Worker): Promise<void> {
            const { src, dst } = worker;
            const key = `${u.schema}.${u.name}`;
            const t = byKey.get(key)!;
            const name = displayName(t);
            if (!started.has(key)) {
                started.set(key, Date.now());
                opts.emit({ type: "table-start", table: name, estimatedRows: t.estimatedRows });
            }
            const unitStarted = Date.now();
            const whole = !u.part;
            const filter = hooks?.rowFilter?.(t);
            // The source side of the checksum: on a second snapshot connection, while the rows stream.
            let sourceSide: Promise<ServerChecksum> | undefined;
            if (!countOnly(t)) {
                sourceSide = (async () => {
                    worker.check ??= (await onPg("source", undefined, () => connectSnapshot(opts.from, snapshot))).client;
                    return onPg("source", name, () => serverChecksum(worker.check!, t, unitConditions(u, filter)));
                })();
                sourceSide.catch(() => undefined);
            }
            await onPg("target", name, () => dst.query("BEGIN"));
            try {
                const before = { rows: 0, bytes: 0 };
                const result = await copyUnit(u, {
                    table: t,
                    filter,
                    transform: hooks?.rowTransform?.(t),
                    freeze: whole,
                    binary: binary && t.binary === true,
                    onProgress: (rows, bytes) => {
                        const sofar = rowsSoFar.get(key) ?? { rows: 0, bytes: 0 };
                        sofar.rows += rows - before.rows;
                        sofar.bytes += bytes - before.bytes;
                        before.rows = rows;
                        before.bytes = bytes;
                        rowsSoFar.set(key, sofar);
                        opts.emit({ type: "table-progress", table: name, rows: sofar.rows, bytes: sofar.bytes });
                    },
                }, src, dst).catch((err: unknown) => {
                    throw new MigrationError(`${name}: copy failed: ${pgError((err as { where?: unknown }).where !== undefined ? "target" : "source", err, name).message}`, "failed");
                });
                if (result.written >= 0 && result.written !== result.rows) throw new MigrationError(`verification failed for ${name}: sent ${result.rows} rows, the target stored ${result.written}`, "verification");
                let checksum = "";
                if (sourceSide) {
                    // The target side: whole tables here, in the unit's transaction; split tables once all ranges are in.
                    const targetSide = whole ? await onPg("target", name, () => serverChecksum(dst, t)) : undefined;
                    const s = await sourceSide;
                    if (s.rows !== result.rows) throw new MigrationError(`verification failed for ${name}: the source holds ${s.rows} rows in the snapshot, ${result.rows} were sent`, "verification");
                    if (targetSide && (targetSide.rows !== s.rows || targetSide.digest !== s.digest)) {
                        throw new MigrationError(`verification failed for ${name}: source ${s.rows} rows (checksum ${s.digest}), target ${targetSide.rows} rows (checksum ${targetSide.digest})`, "verification");
                    }
                    checksum = s.digest;
                }
                const record = { rows: result.rows, bytes: result.bytes, checksum, seconds: (Date.now() - unitStarted) / 1000 };
                await onPg("target", name, () => recordProgress(dst, PROGRESS_NAMESPACE, source, { tableName: u.key, sourceTable: key, kind: u.part ? "part" : "table", mode: "copy", ...record, warnings: [] }));
                await onPg("target", name, () => dst.query("COMMIT"));
                records.set(u.key, record);
                done.add(u.key);
                if (whole) {
                    const report = tableReport(t, [record], "copied", started.get(key));
                    reports.set(key, report);
                    opts.emit({ type: "table-done", report });
                }
            } catch (err) {
                await dst.query("ROLLBACK").catch(() => undefined);
                throw err;
            }
    }
}

function tableReport(t: DataTable, parts: Array<{ rows: number; bytes: number; checksum: string; seconds: number }>, status: TableReport["status"], startedAt: number | undefined): TableReport {
    return {
        source: displayName(t),
        target: displayName(t),
        status,
        rows: parts.reduce((n, p) => n + p.rows, 0),
        bytes: parts.reduce((n, p) => n + p.bytes, 0),
        seconds: startedAt === undefined ? parts.reduce((n, p) => n + p.seconds, 0) : (Date.now() - startedAt) / 1000,
        // Count-only units (no checksum) report none.
        checksum: parts.every((p) => p.checksum === "") ? "" : parts.reduce((d, p) => addDigests(d, p.checksum), EMPTY_DIGEST),
        warnings: [],
    };
}

function skipped(t: DataTable, parts: ProgressRecord[]): TableReport {
    return tableReport(t, parts, "skipped", undefined);
}

/** One post-data step in its own transaction with its progress record; a deadlock (two foreign keys between the same tables in opposite directions) is retried. */
export async function runStep(c: Client, step: PostDataStep, source: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
        try {
            // Its own transaction, so its locks are gone before `sql` asks for others.
            if (step.prepare) {
                await c.query(step.prepare).catch((err: { code?: string }) => {
                    if (!(step.prepareMayExist && err.code === "42710")) throw err;
                });
            }
            await c.query("BEGIN");
            await c.query(step.sql);
            await recordProgress(c, PROGRESS_NAMESPACE, source, { tableName: step.key, sourceTable: step.label, kind: "post-data", mode: "copy", rows: 0, bytes: 0, checksum: "", seconds: 0, warnings: [] });
            await c.query("COMMIT");
            return;
        } catch (err) {
            await c.query("ROLLBACK").catch(() => undefined);
            if ((err as { code?: string }).code === "40P01" && attempt < 5) continue;
            throw new MigrationError(`post-data: ${step.label}: ${(err as Error).message}`, "failed");
        }
    }
}

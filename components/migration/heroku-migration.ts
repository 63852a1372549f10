// The migration night as one component: maintenance on → MySQL into the environment's Heroku Postgres → user files
// into the files bucket → Cloudflare records to the Heroku DNS targets → maintenance off. Each step depends on the one
// before, so `pulumi preview` shows them in order, a failed step stops the chain with the site in maintenance, and a
// re-run resumes at the failed step (the ones before are recorded as done and are not repeated). Once done, later
// `pulumi up`s make no request for any of them. The `prepare` phase only lowers the records' TTLs ahead of the night.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MigrationSettings } from "../config/stack";
import { FileSync } from "../data/file-sync/resource";
import { MySqlToPostgres } from "../data/mysql-to-postgres/resource";
import type { App } from "../heroku/app";
import { DnsCutover } from "./dns-cutover";
import { DnsTtl } from "./dns-ttl";
import { MaintenanceStep } from "./maintenance-step";
import { migrationReport, stepLabel, STEP_NEXT, type MigrationReport, type MigrationStep, type StepReport } from "./steps";

export interface MigrationDnsRecord {
    hostname: string;
    /** The Heroku DNS target of the hostname's Domain. */
    target: pulumi.Input<string>;
    proxied: boolean;
}

export interface HerokuMigrationArgs {
    migration: MigrationSettings;
    /** The new Heroku app: its maintenance mode and its database's config var. */
    app: App;
    /** The attachment name of the environment's Heroku Postgres (DATABASE → DATABASE_URL). */
    databaseAttachment: string;
    /** Resources the database step must wait for (the add-on and its attachment). */
    databaseReady: pulumi.Input<pulumi.Resource>[];
    files: {
        bucket: pulumi.Input<string>;
        prefix: string;
        region: pulumi.Input<string>;
        accessKeyId: pulumi.Input<string>;
        secretAccessKey: pulumi.Input<string>;
    };
    dns?: { zoneId: pulumi.Input<string>; records: MigrationDnsRecord[] };
    /** Where relative dump-file and files paths are resolved (the project directory). */
    baseDir?: string;
}

export class HerokuMigration extends pulumi.ComponentResource {
    /** The migration report: each step's status, duration and figures (rows, bytes, files, records, warnings). */
    public readonly report: pulumi.Output<MigrationReport>;
    /** The chain's resources by step (only in the migrate phase). */
    public readonly steps: Partial<Record<MigrationStep, pulumi.CustomResource>>;

    constructor(name: string, args: HerokuMigrationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("herokuenv:migration:HerokuMigration", name, {}, opts);
        const m = args.migration;
        const baseDir = args.baseDir ?? process.cwd();
        const cutoverRecords = (args.dns?.records ?? []).filter((r) => m.cutover.hostnames === undefined || m.cutover.hostnames.includes(r.hostname));
        const hint = (step: MigrationStep) => ({ step: stepLabel(step), next: STEP_NEXT[step] });

        if (args.dns && cutoverRecords.length > 0) {
            new DnsTtl(`${name}-dns-ttl`, { zoneId: args.dns.zoneId, hostnames: cutoverRecords.map((r) => r.hostname), ttl: m.cutover.ttl }, { parent: this });
        }
        this.steps = {};
        if (m.phase !== "migrate") {
            this.report = pulumi.output(migrationReport("prepare", {}));
            this.registerOutputs({ report: this.report });
            return;
        }

        const maintenanceOn = new MaintenanceStep(`${name}-maintenance-on`, {
            app: m.maintenance.app ? args.app.appId : undefined,
            enabled: true,
            oldSite: m.maintenance.oldSite,
            failure: hint("maintenance-on"),
        }, { parent: this });

        const dumpFile = m.database.dumpFile === undefined ? undefined : path.resolve(baseDir, m.database.dumpFile);
        const database = new MySqlToPostgres(`${name}-database`, {
            ...(m.database.url !== undefined ? { source: m.database.url } : { dumpFile }),
            targetApp: args.app.appId,
            targetConfigVar: `${args.databaseAttachment}_URL`,
            schema: m.database.schema,
            columns: m.database.columns,
            sourceTimeZone: m.database.sourceTimeZone,
            // A live source is copied only while the old site is read-only; a dump is a snapshot already.
            ...(m.database.url !== undefined ? { sourceMaintenance: maintenanceOn.enabled } : { allowWritesDuringCopy: true }),
            failureHint: hint("database"),
        }, { parent: this, dependsOn: [maintenanceOn, ...args.databaseReady] });

        let last: pulumi.CustomResource = database;
        let files: FileSync | undefined;
        if (m.files !== undefined) {
            const source = /^s3:\/\//.test(m.files.source) ? m.files.source : path.resolve(baseDir, m.files.source);
            files = new FileSync(`${name}-files`, {
                source,
                destination: pulumi.interpolate`s3://${args.files.bucket}/${m.files.prefix ?? args.files.prefix}`,
                region: args.files.region,
                accessKeyId: args.files.accessKeyId,
                secretAccessKey: args.files.secretAccessKey,
                // The night copies once: a later `pulumi up` must not walk or list the source again.
                fingerprint: "herokuenv-migration",
                failureHint: hint("files"),
            }, { parent: this, dependsOn: [database] });
            last = files;
        }

        let cutover: DnsCutover | undefined;
        if (args.dns && cutoverRecords.length > 0) {
            cutover = new DnsCutover(`${name}-dns-cutover`, {
                zoneId: args.dns.zoneId,
                records: cutoverRecords.map((r) => pulumi.output(r.target).apply((target) => ({ hostname: r.hostname, target, proxied: r.proxied }))),
                sslMode: m.cutover.sslMode,
                failure: hint("dns-cutover"),
            }, { parent: this, dependsOn: [last] });
            last = cutover;
        }

        const maintenanceOff = new MaintenanceStep(`${name}-maintenance-off`, {
            app: m.maintenance.app ? args.app.appId : undefined,
            enabled: false,
            failure: hint("maintenance-off"),
        }, { parent: this, dependsOn: [last] });

        this.steps = { "maintenance-on": maintenanceOn, database, ...(files ? { files } : {}), ...(cutover ? { "dns-cutover": cutover } : {}), "maintenance-off": maintenanceOff };

        const done = (seconds: pulumi.Input<number>, figures: pulumi.Input<Record<string, number | string | boolean>>, warnings: pulumi.Input<string[]> = []) =>
            pulumi.all([seconds, figures, warnings]).apply(([s, f, w]): Omit<StepReport, "step" | "title"> => ({ status: "done", seconds: s, figures: f, warnings: w }));
        const recorded = {
            "maintenance-on": done(maintenanceOn.seconds, { app: m.maintenance.app, oldSite: m.maintenance.oldSite !== undefined }),
            database: done(database.seconds, pulumi.all([database.rows, database.bytes, database.verified, database.tableResults]).apply(([rows, bytes, verified, tables]) => ({ rows, bytes, verified, tables: tables?.length ?? 0 })), database.warnings),
            ...(files ? { files: done(files.seconds, pulumi.all([files.files, files.bytes, files.uploaded, files.skipped]).apply(([n, bytes, uploaded, skipped]) => ({ files: n, bytes, uploaded, skipped }))) } : {}),
            ...(cutover ? { "dns-cutover": done(cutover.seconds, pulumi.all([cutover.switched, cutover.previousSslMode]).apply(([switched, previous]) => ({ records: switched?.length ?? 0, sslMode: m.cutover.sslMode, previousSslMode: previous }))) } : {}),
            "maintenance-off": done(maintenanceOff.seconds, { app: m.maintenance.app }),
        };
        this.report = pulumi.all(recorded).apply((r) => {
            const report = migrationReport("migrate", r);
            // Steps the block does not declare are not "pending": the night simply has none.
            return { ...report, steps: report.steps.filter((s) => s.step in r), stoppedAt: undefined };
        });
        this.registerOutputs({ report: this.report });
    }
}

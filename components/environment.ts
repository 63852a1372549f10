// One stack's environment: the Heroku app and its dynos, config vars, Postgres, custom domains and certificates,
// the S3 storage django-storages uses, and the Cloudflare records that send the hostnames to the app.
import * as pulumi from "@pulumi/pulumi";
import { Storage } from "./aws/storage";
import { Dns } from "./cloudflare/dns";
import type { EnvironmentSettings } from "./config/stack";
import { Acm } from "./heroku/acm";
import { Addon } from "./heroku/addon";
import { App } from "./heroku/app";
import { ConfigVars } from "./heroku/config-vars";
import { Domain } from "./heroku/domain";
import { Formation } from "./heroku/formation";
import { defaultPipelineName, Pipeline } from "./heroku/pipeline";
import { PipelineCoupling } from "./heroku/pipeline-coupling";
import { FileSync } from "./data/file-sync/resource";
import { EnvironmentMarker } from "./data/postgres-copy/environment-marker";
import { DatabaseCopy } from "./data/postgres-copy/resource";
import { HerokuMigration } from "./migration/heroku-migration";
import { StackKind } from "./stack-kind";

export interface EnvironmentArgs {
    settings: EnvironmentSettings;
}

export class Environment extends pulumi.ComponentResource {
    public readonly app: App;
    public readonly appUrl: pulumi.Output<string>;
    public readonly database: Addon;
    public readonly storage: Storage;
    public readonly configVars: ConfigVars;
    /** Custom hostname → its Heroku DNS target. */
    public readonly dnsTargets: pulumi.Output<Record<string, string>>;
    public readonly hostnames: string[];
    /** The attachment name of the database (DATABASE → DATABASE_URL) and the config vars the add-on sets. */
    public readonly databaseAttachment: pulumi.Output<{ name: string; configVars: string[] }>;
    /** Staging's copy of production, or a sandbox's scrubbed copy of staging. */
    public readonly dataCopy?: DatabaseCopy;
    /** The move from the old host (production with a `herokuenv:migration` block only). */
    public readonly migration?: HerokuMigration;

    constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("herokuenv:index:Environment", name, {}, opts);
        const s = args.settings;
        const production = s.kind === "production";
        new StackKind(`${name}-kind`, { kind: s.kind, allowKindChange: s.allowKindChange }, { parent: this });
        if (s.missingSecretConfigVarNames.length > 0) {
            pulumi.log.warn(
                `This sandbox does not set staging's secret config vars ${s.missingSecretConfigVarNames.join(", ")}; ` +
                    "set test values with: " +
                    s.missingSecretConfigVarNames.map((n) => `pulumi config set --secret --path 'herokuenv:secretConfigVars.${n}' <value>`).join("; "),
                this,
            );
        }

        this.app = new App(`${name}-app`, {
            name: s.app.name,
            region: s.app.region,
            stack: s.app.stack,
            buildpacks: s.app.buildpacks,
            ...(s.app.team ? { team: s.app.team } : {}),
        }, { parent: this, protect: production });

        // One Heroku pipeline from staging to production, so `herokuenv promote` ships staging's build (the slug) as
        // is. Production owns it; staging joins it by name (a first staging run needs production's to exist).
        if (s.kind === "production") {
            const pipeline = new Pipeline(`${name}-pipeline`, { name: defaultPipelineName(s.app.name) }, { parent: this, protect: true });
            new PipelineCoupling(`${name}-pipeline-coupling`, { pipeline: pipeline.pipelineId, app: this.app.appId, stage: "production" }, { parent: this });
        } else if (s.kind === "staging" && s.productionAppName !== undefined) {
            new PipelineCoupling(`${name}-pipeline-coupling`, { pipeline: defaultPipelineName(s.productionAppName), app: this.app.appId, stage: "staging" }, { parent: this });
        }

        this.storage = new Storage(`${name}-storage`, {
            bucketPrefix: s.storage.bucketPrefix ?? s.app.name,
            region: s.storage.region,
            corsOrigins: s.storage.corsOrigins,
            staticLocation: s.storage.staticLocation,
            filesLocation: s.storage.filesLocation,
            versioning: production,
            protect: production,
        }, { parent: this });

        this.database = new Addon(`${name}-database`, {
            app: this.app.appId,
            plan: `heroku-postgresql:${s.database.plan}`,
            attachmentName: s.database.attachmentName,
        }, { parent: this, protect: production });

        this.configVars = new ConfigVars(`${name}-config`, {
            app: this.app.appId,
            vars: pulumi.all([s.configVars, this.storage.plainConfigVars]).apply(([own, aws]) => ({ ...own, ...aws })),
            secretVars: pulumi.all([s.secretConfigVars, this.storage.secretConfigVars]).apply(([own, aws]) => ({ ...own, ...aws })),
        }, { parent: this });

        new Formation(`${name}-formation`, { app: this.app.appId, processes: s.formation }, { parent: this, dependsOn: [this.configVars] });

        const records = s.dns?.records ?? [];
        this.hostnames = records.map((r) => r.hostname);
        const domains = records.map((r) => ({
            record: r,
            domain: new Domain(`${name}-domain-${r.hostname}`, { app: this.app.appId, hostname: r.hostname }, { parent: this }),
        }));
        if (domains.length > 0) new Acm(`${name}-acm`, { app: this.app.appId }, { parent: this, dependsOn: domains.map((d) => d.domain) });
        // With a migration, the hostnames it cuts over keep their records (the old host's) until the night's cutover
        // step switches them; the Dns component manages only the others.
        const cutover = new Set(s.migration ? (s.migration.cutover.hostnames ?? this.hostnames) : []);
        const managed = domains.filter(({ record }) => !cutover.has(record.hostname));
        if (s.dns !== undefined && managed.length > 0) {
            new Dns(`${name}-dns`, {
                zoneId: s.dns.zoneId,
                records: managed.map(({ record, domain }) => ({ hostname: record.hostname, target: domain.cname, proxied: record.proxied, ttl: record.ttl })),
            }, { parent: this });
        }
        this.dnsTargets = pulumi
            .all(domains.map(({ record, domain }) => domain.cname.apply((cname) => [record.hostname, cname] as const)))
            .apply((pairs) => Object.fromEntries(pairs));
        this.appUrl = this.app.webUrl;
        this.databaseAttachment = this.database.configVarNames.apply((configVars) => ({ name: s.database.attachmentName, configVars }));

        // The database says which environment it is: the copy engine reads it and refuses to write into production.
        const marker = new EnvironmentMarker(`${name}-marker`, {
            app: this.app.appId,
            configVar: `${s.database.attachmentName}_URL`,
            kind: s.kind,
            stack: s.stack,
        }, { parent: this, dependsOn: [this.database] });

        // Staging is a copy of production; a sandbox a scrubbed, sampled copy of staging (only with scrubbing rules).
        if (s.copySource !== undefined && (s.kind === "staging" || s.seed?.secret !== undefined)) {
            const source = s.copySource;
            const scrubbed = s.kind === "sandbox";
            const filesSource = `s3://${source.filesBucket}/${source.filesLocation}`;
            const filesDestination = pulumi.interpolate`s3://${this.storage.filesBucket.bucket}/${s.storage.filesLocation}`;
            // Seed rules naming the columns that hold file keys: the sandbox gets only the files its sampled rows
            // name, copied by the DatabaseCopy once those rows are in (instead of a FileSync of every file).
            const sampledFiles = scrubbed && s.seed?.rules.files !== undefined;
            this.dataCopy = new DatabaseCopy(`${name}-data-copy`, {
                sourceApp: source.appName,
                targetApp: this.app.appId,
                targetConfigVar: `${s.database.attachmentName}_URL`,
                targetAddon: this.database.addonId,
                targetKind: scrubbed ? "sandbox" : "staging",
                targetStack: s.stack,
                ...(scrubbed && s.seed ? { rules: s.seed.rules, ...(s.seed.secret ? { seed: s.seed.secret } : {}) } : {}),
                ...(s.dataRefresh !== undefined ? { refreshToken: s.dataRefresh } : {}),
                ...(sampledFiles ? { files: filesDestination.apply((destination) => ({ source: filesSource, destination, region: s.storage.region })) } : {}),
            }, { parent: this, dependsOn: sampledFiles ? [marker, this.storage] : [marker] });
            // User files, bucket to bucket (server-side CopyObject), with the operator's AWS credentials: the
            // environment's own IAM user may not read the source's bucket.
            if (!sampledFiles) {
                new FileSync(`${name}-files-copy`, {
                    source: filesSource,
                    destination: filesDestination,
                    region: s.storage.region,
                    // Copied on creation and on each dataRefresh, not re-listed by every preview.
                    fingerprint: `environment-copy:${s.dataRefresh ?? "initial"}`,
                }, { parent: this, dependsOn: [this.storage] });
            }
        } else if (s.kind === "sandbox") {
            pulumi.log.warn(
                s.seed === undefined
                    ? "This sandbox starts with an empty database: declare herokuenv:seed (the scrubbing rules) in Pulumi.staging.yaml to seed it from staging"
                    : "This sandbox starts with an empty database until it has its seed: pulumi config set --secret --path 'herokuenv:seed.secret' <at least 16 characters>",
                this,
            );
        }

        if (s.migration !== undefined) {
            this.migration = new HerokuMigration(`${name}-migration`, {
                migration: s.migration,
                app: this.app,
                databaseAttachment: s.database.attachmentName,
                databaseReady: [this.database],
                files: {
                    bucket: this.storage.filesBucket.bucket,
                    prefix: s.storage.filesLocation,
                    region: s.storage.region,
                    accessKeyId: this.storage.accessKeyId,
                    secretAccessKey: this.storage.secretAccessKey,
                },
                ...(s.dns ? { dns: { zoneId: s.dns.zoneId, records: domains.filter(({ record }) => cutover.has(record.hostname)).map(({ record, domain }) => ({ hostname: record.hostname, target: domain.cname, proxied: record.proxied })) } } : {}),
            }, { parent: this });
        }

        this.registerOutputs({ appUrl: this.appUrl, dnsTargets: this.dnsTargets });
    }
}

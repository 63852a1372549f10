// The real index.ts under Pulumi mocks, with the configuration of each Pulumi.<stack>.yaml in the repository.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    fakeSecret,
    isSecretValue,
    readStackFile,
    resource,
    runStackFile,
    stackFiles,
    unwrap,
    type ProgramRun,
    type RegisteredResource,
} from "./helpers/pulumi-program";

const BUCKET = "aws:s3/bucket:Bucket";
const DYNAMIC = "pulumi-nodejs:dynamic/herokuenv:heroku.";

/** Every secret the stack file holds (as the tests' stand-in plaintexts) and the mock AWS secret key. */
function secretValues(stack: string): string[] {
    const config = readStackFile(stack);
    const found: string[] = [];
    const walk = (v: unknown, key: string) => {
        if (typeof v === "object" && v !== null && !Array.isArray(v)) {
            const o = v as Record<string, unknown>;
            if (typeof o.secure === "string") found.push(fakeSecret(key));
            else for (const [k, x] of Object.entries(o)) walk(x, `${key}.${k}`);
        }
    };
    for (const [k, v] of Object.entries(config)) walk(v, k);
    return [...found, "mock-aws-secret-site-storage-key"];
}

/** Everything of a run that is not a secret: plain inputs, plain outputs and log lines. */
function plainText(run: ProgramRun): string {
    const strip = (v: unknown): unknown => {
        if (isSecretValue(v)) return "[secret]";
        if (Array.isArray(v)) return v.map(strip);
        if (typeof v === "object" && v !== null) {
            return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "__provider").map(([k, x]) => [k, strip(x)]));
        }
        return v;
    };
    const outputs = Object.entries(run.outputs).map(([k, v]) => {
        const isDetails = typeof v === "object" && v !== null && "isSecret" in v;
        if (!isDetails) return `${k}=${JSON.stringify(v)}`;
        const d = v as { isSecret: boolean; value?: unknown };
        return d.isSecret ? `${k}=[secret]` : `${k}=${JSON.stringify(d.value)}`;
    });
    // `state` is what the mocks answered (the mock AWS key included), not something the program printed.
    return [JSON.stringify(run.resources.map((r) => ({ ...r, inputs: strip(r.inputs), state: undefined }))), ...outputs, ...run.logs].join("\n");
}

function summary(resources: RegisteredResource[]): string[] {
    return resources.map((r) => `${r.type} ${r.name}${r.protect ? " [protected]" : ""}`).sort();
}

describe("the program under mocks", function () {
    const runs: Record<string, ProgramRun> = {};
    before(async function () {
        for (const stack of stackFiles()) runs[stack] = await runStackFile(stack);
    });

    it("runs every stack file in the repository without error", function () {
        assert.ok(stackFiles().includes("production") && stackFiles().includes("staging"));
        for (const [stack, run] of Object.entries(runs)) assert.equal(run.error, undefined, `${stack}: ${run.error?.message}`);
    });

    it("creates exactly production's resources, with the protect flags", function () {
        const expected = [
            "aws:iam/accessKey:AccessKey site-storage-key",
            "aws:iam/user:User site-storage-user",
            "aws:iam/userPolicy:UserPolicy site-storage-policy",
            "aws:s3/bucket:Bucket site-storage-files [protected]",
            "aws:s3/bucket:Bucket site-storage-static [protected]",
            "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration site-storage-static-cors",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration site-storage-files-lifecycle",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration site-storage-static-lifecycle",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls site-storage-files-ownership",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls site-storage-static-ownership",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock site-storage-files-public-access",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock site-storage-static-public-access",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration site-storage-files-encryption",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration site-storage-static-encryption",
            "aws:s3/bucketVersioning:BucketVersioning site-storage-files-versioning",
            "aws:s3/bucketVersioning:BucketVersioning site-storage-static-versioning",
            "cloudflare:index/dnsRecord:DnsRecord site-dns-api.sendhub.com",
            "cloudflare:index/dnsRecord:DnsRecord site-dns-sendhub.com",
            "cloudflare:index/dnsRecord:DnsRecord site-dns-www.sendhub.com",
            "herokuenv:aws:Storage site-storage",
            "herokuenv:cloudflare:Dns site-dns",
            "herokuenv:index:Environment site",
            `${DYNAMIC}Acm site-acm`,
            `${DYNAMIC}Addon site-database [protected]`,
            `${DYNAMIC}App site-app [protected]`,
            `${DYNAMIC}ConfigVars site-config`,
            `${DYNAMIC}Domain site-domain-api.sendhub.com`,
            `${DYNAMIC}Domain site-domain-sendhub.com`,
            `${DYNAMIC}Domain site-domain-www.sendhub.com`,
            `${DYNAMIC}Formation site-formation`,
            `${DYNAMIC}Pipeline site-pipeline [protected]`,
            `${DYNAMIC}PipelineCoupling site-pipeline-coupling`,
            "pulumi-nodejs:dynamic/herokuenv:config.StackKind site-kind",
            "pulumi-nodejs:dynamic/herokuenv:data.EnvironmentMarker site-marker",
        ];
        assert.deepEqual(summary(runs.production.resources), expected.sort());
    });

    it("names every dynamic resource in one scheme and aliases each to the type existing stacks recorded", function () {
        const previous: Record<string, string> = {
            [`${DYNAMIC}Acm`]: "pulumi-nodejs:dynamic/heroku:Acm",
            [`${DYNAMIC}Addon`]: "pulumi-nodejs:dynamic/heroku:Addon",
            [`${DYNAMIC}App`]: "pulumi-nodejs:dynamic/heroku:App",
            [`${DYNAMIC}ConfigVars`]: "pulumi-nodejs:dynamic/heroku:ConfigVars",
            [`${DYNAMIC}Domain`]: "pulumi-nodejs:dynamic/heroku:Domain",
            [`${DYNAMIC}Formation`]: "pulumi-nodejs:dynamic/heroku:Formation",
            "pulumi-nodejs:dynamic/herokuenv:config.StackKind": "pulumi-nodejs:dynamic/herokuenv:StackKind",
        };
        // Added after the naming scheme: nothing to alias.
        const newer = [`${DYNAMIC}Pipeline`, `${DYNAMIC}PipelineCoupling`, "pulumi-nodejs:dynamic/herokuenv:data.EnvironmentMarker"];
        const dynamic = runs.production.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
        assert.equal(dynamic.length, 12);
        for (const r of dynamic) {
            assert.match(r.type, /^pulumi-nodejs:dynamic\/herokuenv:[a-z]+\.[A-Z][A-Za-z]+$/, r.type);
            // Without the alias, `pulumi up` on a stack created before would create a new resource and delete the old.
            assert.deepEqual(r.aliasTypes, newer.includes(r.type) ? [] : [previous[r.type]], `${r.name} (${r.type})`);
        }
    });

    it("keeps production's buckets private, owner-enforced, encrypted and versioned", function () {
        const run = runs.production;
        for (const which of ["files", "static"]) {
            const bucket = resource(run, BUCKET, `site-storage-${which}`);
            assert.equal(bucket.inputs.bucket, `sendhub-production-${which}`);
            assert.equal(bucket.inputs.forceDestroy, false);
            assert.equal(bucket.inputs.region, "us-east-1");
            assert.equal(bucket.protect, true);
            const block = resource(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `site-storage-${which}-public-access`).inputs;
            assert.deepEqual(
                [block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets],
                [true, true, true, true],
            );
            const ownership = resource(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", `site-storage-${which}-ownership`).inputs;
            assert.deepEqual(ownership.rule, { objectOwnership: "BucketOwnerEnforced" });
            const sse = resource(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `site-storage-${which}-encryption`).inputs;
            assert.deepEqual(sse.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }]);
            const versioning = resource(run, "aws:s3/bucketVersioning:BucketVersioning", `site-storage-${which}-versioning`).inputs;
            assert.deepEqual(versioning.versioningConfiguration, { status: "Enabled" });
            // Parts of interrupted multipart uploads (a killed sync) are billed until aborted: S3 aborts them after a week.
            const lifecycle = resource(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `site-storage-${which}-lifecycle`).inputs;
            assert.deepEqual(lifecycle.rules, [
                { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
            ]);
        }
        const cors = resource(run, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "site-storage-static-cors").inputs;
        assert.deepEqual(cors.corsRules, [{
            allowedMethods: ["GET", "HEAD"],
            allowedOrigins: ["https://sendhub.com", "https://www.sendhub.com"],
            allowedHeaders: ["*"],
            maxAgeSeconds: 3600,
        }]);
    });

    it("gives the django-storages user exactly list on the buckets and get/put/delete on their objects", function () {
        const run = runs.production;
        const user = resource(run, "aws:iam/user:User", "site-storage-user").inputs;
        assert.equal(user.name, "sendhub-production-django-storages");
        const policy = JSON.parse(String(resource(run, "aws:iam/userPolicy:UserPolicy", "site-storage-policy").inputs.policy));
        assert.deepEqual(policy, {
            Version: "2012-10-17",
            Statement: [
                { Sid: "ListBuckets", Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::sendhub-production-files", "arn:aws:s3:::sendhub-production-static"] },
                {
                    Sid: "ReadWriteObjects",
                    Effect: "Allow",
                    Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                    Resource: ["arn:aws:s3:::sendhub-production-files/*", "arn:aws:s3:::sendhub-production-static/*"],
                },
            ],
        });
    });

    it("creates one proxied, automatic-TTL CNAME per hostname, pointing at its Heroku domain's DNS target", function () {
        const run = runs.production;
        const targets = (run.outputs.dnsTargets as { value: Record<string, string> }).value;
        for (const hostname of ["sendhub.com", "www.sendhub.com", "api.sendhub.com"]) {
            const record = resource(run, "cloudflare:index/dnsRecord:DnsRecord", `site-dns-${hostname}`).inputs;
            assert.deepEqual(
                { zoneId: record.zoneId, name: record.name, type: record.type, content: record.content, proxied: record.proxied, ttl: record.ttl },
                { zoneId: "023e105f4ecef8ad9ca31a8372d0c353", name: hostname, type: "CNAME", content: targets[hostname], proxied: true, ttl: 1 },
            );
            assert.match(String(record.content), /\.herokudns\.com$/);
            assert.equal(resource(run, `${DYNAMIC}Domain`, `site-domain-${hostname}`).inputs.hostname, hostname);
        }
    });

    it("sets the app's config vars from the stack and the storage outputs, secrets as secrets", function () {
        const inputs = resource(runs.production, `${DYNAMIC}ConfigVars`, "site-config").inputs;
        assert.equal(isSecretValue(inputs.secretVars), true);
        assert.equal(isSecretValue(inputs.vars), false);
        assert.deepEqual(Object.keys(unwrap(inputs.secretVars) as object).sort(), ["AWS_SECRET_ACCESS_KEY", "DJANGO_SECRET_KEY", "SENTRY_DSN", "TWILIO_AUTH_TOKEN"]);
        assert.deepEqual(unwrap(inputs.vars), {
            AWS_ACCESS_KEY_ID: (runs.production.outputs.storageAccessKeyId as { value: string }).value,
            AWS_LOCATION: "files",
            AWS_S3_REGION_NAME: "us-east-1",
            AWS_STATIC_BUCKET_NAME: "sendhub-production-static",
            AWS_STATIC_LOCATION: "static",
            AWS_STORAGE_BUCKET_NAME: "sendhub-production-files",
            DISABLE_COLLECTSTATIC: "0",
            DJANGO_ALLOWED_HOSTS: "sendhub.com,www.sendhub.com",
            DJANGO_SETTINGS_MODULE: "sendhub.settings.production",
            SENTRY_ENVIRONMENT: "production",
            WEB_CONCURRENCY: "3",
        });
        // The config vars belong to the app by its id (a rename keeps them), not by its name.
        const appId = resource(runs.production, `${DYNAMIC}App`, "site-app").state.appId;
        assert.match(String(appId), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(unwrap(inputs.app), appId);
    });

    it("asks for the database, formation and app the stack declares", function () {
        const run = runs.production;
        assert.deepEqual(
            unwrap({ ...resource(run, `${DYNAMIC}App`, "site-app").inputs, __provider: undefined }),
            { name: "sendhub-production", region: "us", stack: "heroku-24", buildpacks: ["heroku/python"], __provider: undefined },
        );
        const db = resource(run, `${DYNAMIC}Addon`, "site-database").inputs;
        assert.equal(db.plan, "heroku-postgresql:standard-0");
        assert.equal(db.attachmentName, "DATABASE");
        assert.deepEqual(resource(run, `${DYNAMIC}Formation`, "site-formation").inputs.processes, {
            web: { size: "standard-2x", quantity: 2 },
            worker: { size: "standard-1x", quantity: 1 },
        });
    });

    it("exports the AWS secret key only as a secret output", function () {
        const out = runs.production.outputs as Record<string, { isSecret: boolean }>;
        assert.equal(out.storageSecretAccessKey.isSecret, true);
        for (const name of ["appUrl", "filesBucket", "staticBucket", "dnsTargets", "storageAccessKeyId"]) assert.equal(out[name].isSecret, false, name);
    });

    it("never shows a secret value in plain inputs, outputs or logs", function () {
        for (const [stack, run] of Object.entries(runs)) {
            const text = plainText(run);
            for (const secret of secretValues(stack)) {
                const at = text.indexOf(secret);
                assert.equal(at, -1, `${stack}: a secret leaked here: ${text.slice(Math.max(0, at - 200), at)}`);
            }
            // The serialized providers must not capture secrets either.
            for (const r of run.resources) {
                const provider = String(r.inputs.__provider ?? "");
                for (const secret of secretValues(stack)) assert.equal(provider.includes(secret), false, `${stack}: ${r.name}'s provider captured a secret`);
            }
        }
    });

    it("does not version or protect staging's buckets and database", function () {
        const run = runs.staging;
        assert.equal(run.resources.some((r) => r.type === "aws:s3/bucketVersioning:BucketVersioning"), false);
        assert.equal(run.resources.filter((r) => r.protect).length, 0);
        assert.equal(resource(run, BUCKET, "site-storage-files").inputs.bucket, "sendhub-staging-files");
        assert.equal(resource(run, `${DYNAMIC}Addon`, "site-database").inputs.plan, "heroku-postgresql:essential-1");
    });

    it("reports a bad stack config as one Pulumi RunError naming every key, without a stack trace", async function () {
        const run = await runStackFile("production", {
            "herokuenv:formation": { web: { size: "standard-3x", quantity: -2 } },
            "herokuenv:colour": "blue",
        });
        assert.ok(run.error, "the program should fail");
        assert.equal(pulumi.RunError.isInstance(run.error), true, "a RunError is printed without its stack");
        assert.match(run.error.message, /herokuenv:formation\.web\.size: must be a Heroku dyno size/);
        assert.match(run.error.message, /herokuenv:formation\.web\.quantity: cannot be negative/);
        assert.match(run.error.message, /herokuenv:colour: unknown key/);
        assert.equal(run.resources.length, 0, "nothing is created from a bad config");
    });
});

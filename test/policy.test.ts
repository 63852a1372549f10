// The policy pack's policies, each called directly (no engine, no gRPC server) with the resources the real program
// registers for a stack file under mocks (the passing case), then with one of them mutated (the failing case).
import { strict as assert } from "node:assert";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { unknownCheckingProxy } from "@pulumi/policy";
import * as policy from "../policy/policies";
import { runStackFile, unwrap, type ProgramRun, type RegisteredResource } from "./helpers/pulumi-program";

// The SDK's own sentinel for "a string not known during preview" (what the engine sends for unknown outputs).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const UNKNOWN_STRING = (require("@pulumi/policy/proxy") as { unknownStringValue: string }).unknownStringValue;

interface Resource {
    type: string;
    name: string;
    urn: string;
    props: Record<string, unknown>;
    protect: boolean;
    parent?: string;
    dependencies: string[];
}

/**
 * The helper names each resource `urn:pulumi:<stack>::herokuenv::<type>::<name>`, while the dependencies it records
 * are the SDK's full URNs (parent types joined with `$`); this maps the latter onto the former.
 */
function helperUrn(stack: string, urn: string): string {
    const parts = urn.split("::");
    const type = parts[parts.length - 2].split("$").pop();
    return `urn:pulumi:${stack}::herokuenv::${type}::${parts[parts.length - 1]}`;
}

function fromRegistered(r: RegisteredResource): Resource {
    const stack = r.urn.split("::")[0].slice("urn:pulumi:".length);
    return {
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: { ...(unwrap(r.inputs) as Record<string, unknown>), ...(unwrap(r.state) as Record<string, unknown>) },
        protect: r.protect,
        parent: r.parent === "" ? undefined : r.parent,
        dependencies: r.dependencies.map((d) => helperUrn(stack, d)),
    };
}

function clone(resources: Resource[]): Resource[] {
    return resources.map((r) => ({ ...r, props: structuredClone(r.props), dependencies: [...r.dependencies] }));
}

function opts(r: Resource) {
    return {
        protect: r.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

interface Run {
    config?: object;
    tags?: Record<string, string>;
    /** Wrap props the way the engine does (unknown values throw when read). */
    proxied?: boolean;
}

function notApplicable(reason?: string): never {
    throw new Error(`notApplicable: ${reason}`);
}

/** Runs a resource policy over every resource, as the engine does; returns the violation messages. */
function checkResources(p: ResourceValidationPolicy, resources: Resource[], run: Run = {}): string[] {
    const violations: string[] = [];
    const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    for (const r of resources) {
        const args: ResourceValidationArgs = {
            type: r.type,
            props: run.proxied ? unknownCheckingProxy(r.props) : r.props,
            urn: r.urn,
            name: r.name,
            opts: opts(r),
            stackTags: new Map(Object.entries(run.tags ?? {})),
            isType: () => false,
            asType: () => undefined,
            getConfig: <T extends object>() => (run.config ?? {}) as T,
            notApplicable,
        };
        for (const v of validations) void v?.(args, (message) => violations.push(`${r.name}: ${message}`));
    }
    return violations;
}

/** Runs a stack policy over the stack's resources; returns the violation messages. */
function checkStack(p: StackValidationPolicy, resources: Resource[], run: Run = {}): string[] {
    const byUrn = new Map<string, PolicyResource>();
    const policyResources: PolicyResource[] = resources.map((r) => {
        const pr: PolicyResource = {
            type: r.type,
            props: run.proxied ? unknownCheckingProxy(r.props) : r.props,
            urn: r.urn,
            name: r.name,
            opts: opts(r),
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        };
        byUrn.set(r.urn, pr);
        return pr;
    });
    resources.forEach((r, i) => {
        policyResources[i].dependencies = r.dependencies.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
        if (r.parent) policyResources[i].parent = byUrn.get(r.parent);
    });
    const args: StackValidationArgs = {
        resources: policyResources,
        stackTags: new Map(Object.entries(run.tags ?? {})),
        getConfig: <T extends object>() => (run.config ?? {}) as T,
        notApplicable,
    };
    const violations: string[] = [];
    void p.validateStack(args, (message, urn) => violations.push(`${urn ? urn.split("::").pop() : "stack"}: ${message}`));
    return violations;
}

function find(resources: Resource[], type: string, name?: string): Resource {
    const r = resources.find((x) => x.type === type && (name === undefined || x.name === name));
    if (!r) throw new Error(`no ${type} ${name ?? ""}`);
    return r;
}

/** A data step as another engineer's component would register it (no such resource in the program yet). */
function dataStep(stack: string, type: string, name: string, props: Record<string, unknown>): Resource {
    const full = `pulumi-nodejs:dynamic/herokuenv:data.${type}`;
    return { type: full, name, urn: `urn:pulumi:${stack}::herokuenv::herokuenv:index:Environment$${full}::${name}`, props, protect: false, dependencies: [] };
}

const stacks: Record<string, Resource[]> = {};

describe("policy pack: policies", function () {
    before(async function () {
        for (const stack of ["production", "staging", "mini-alice"]) {
            const run: ProgramRun = await runStackFile(stack);
            if (run.error) throw run.error;
            stacks[stack] = run.resources.map(fromRegistered);
        }
    });

    const all = () => Object.values(stacks).flat();

    describe("production identifiers", function () {
        it("come from Pulumi.production.yaml", function () {
            assert.deepEqual(policy.defaultProductionIdentifiers(), {
                apps: ["sendhub-production"],
                buckets: ["sendhub-production-files", "sendhub-production-static"],
                databases: [],
            });
        });

        it("match whole names only", function () {
            const ids = policy.defaultProductionIdentifiers();
            assert.equal(policy.mentionedProductionIdentifier("https://git.heroku.com/sendhub-production.git", ids), "production's app sendhub-production");
            assert.equal(policy.mentionedProductionIdentifier("s3://sendhub-production-files/media", ids), "production's bucket sendhub-production-files");
            assert.equal(policy.mentionedProductionIdentifier("sendhub-production-alice", ids), undefined);
            assert.equal(policy.mentionedProductionIdentifier("sendhub-staging", ids), undefined);
        });

        it("read the stack from each URN", function () {
            assert.equal(policy.stackOf("urn:pulumi:mini-alice::herokuenv::heroku.App::site-app"), "mini-alice");
            assert.equal(policy.kindOfStackName("mini-alice"), "sandbox");
            assert.equal(policy.kindOfStackName("staging"), "staging");
            assert.equal(policy.kindOfStackName("dev"), undefined);
        });
    });

    describe("production-resources-protected", function () {
        it("passes: every stack as the program registers it", function () {
            assert.deepEqual(checkResources(policy.productionResourcesProtected, all()), []);
        });

        it("fails: production's app, database or a bucket without protect", function () {
            for (const [type, name] of [[policy.TYPES.app, "site-app"], [policy.TYPES.addon, "site-database"], [policy.TYPES.bucket, "site-storage-files"]]) {
                const resources = clone(stacks.production);
                find(resources, type, name).protect = false;
                const v = checkResources(policy.productionResourcesProtected, resources);
                assert.equal(v.length, 1, `${name}: ${v.join("\n")}`);
                assert.match(v[0], new RegExp(`^${name}: .*protect: true`));
            }
        });

        it("does not ask staging or sandboxes for protection", function () {
            assert.ok(stacks.staging.every((r) => !r.protect));
            assert.deepEqual(checkResources(policy.productionResourcesProtected, stacks.staging), []);
        });
    });

    describe("no-public-buckets", function () {
        it("passes: every stack's buckets have a full public-access block", function () {
            for (const stack of Object.keys(stacks)) assert.deepEqual(checkStack(policy.noPublicBuckets, stacks[stack]), [], stack);
        });

        it("passes during a preview, when the bucket's id is not known yet (the block depends on the bucket)", function () {
            const resources = clone(stacks.staging);
            for (const r of resources) if (r.type === policy.TYPES.publicAccessBlock) r.props.bucket = UNKNOWN_STRING;
            assert.deepEqual(checkStack(policy.noPublicBuckets, resources, { proxied: true }), []);
        });

        it("fails: a flag turned off, a missing block, a public ACL", function () {
            let resources = clone(stacks.production);
            find(resources, policy.TYPES.publicAccessBlock, "site-storage-files-public-access").props.restrictPublicBuckets = false;
            assert.deepEqual(checkStack(policy.noPublicBuckets, resources), ["site-storage-files-public-access: public-access block site-storage-files-public-access must set restrictPublicBuckets to true"]);

            resources = clone(stacks.staging).filter((r) => r.name !== "site-storage-static-public-access");
            const v = checkStack(policy.noPublicBuckets, resources);
            assert.equal(v.length, 1);
            assert.match(v[0], /^site-storage-static: bucket site-storage-static has no BucketPublicAccessBlock/);

            resources = clone(stacks["mini-alice"]);
            find(resources, policy.TYPES.bucket, "site-storage-files").props.acl = "public-read";
            assert.deepEqual(checkStack(policy.noPublicBuckets, resources), ["site-storage-files: bucket site-storage-files has the public ACL public-read"]);
        });
    });

    describe("secret-config-vars", function () {
        it("passes: every stack keeps its secret-looking config vars in secretVars", function () {
            assert.deepEqual(checkResources(policy.secretConfigVars, all()), []);
            const prod = find(stacks.production, policy.TYPES.configVars);
            assert.ok("DJANGO_SECRET_KEY" in (prod.props.secretVars as object) && "TWILIO_AUTH_TOKEN" in (prod.props.secretVars as object));
            assert.ok("AWS_ACCESS_KEY_ID" in (prod.props.vars as object), "an access key *id* is not a secret and may stay plain");
        });

        it("fails: a secret-looking name or a URL with credentials in the plain vars, without echoing the value", function () {
            for (const key of ["STRIPE_API_KEY", "WEBHOOK_SECRET", "SMTP_PASSWORD", "GITHUB_TOKEN", "SECRET_KEY"]) {
                const resources = clone(stacks.staging);
                (find(resources, policy.TYPES.configVars).props.vars as Record<string, string>)[key] = "hunter2-value";
                const v = checkResources(policy.secretConfigVars, resources);
                assert.equal(v.length, 1, key);
                assert.match(v[0], new RegExp(`config var ${key} looks secret by its name`));
                assert.ok(!v[0].includes("hunter2-value"));
            }
            const resources = clone(stacks.production);
            (find(resources, policy.TYPES.configVars).props.vars as Record<string, string>).REDIS_URL = "redis://h:p4ssw0rd@ec2-1-2-3-4.compute-1.amazonaws.com:6379";
            const v = checkResources(policy.secretConfigVars, resources);
            assert.equal(v.length, 1);
            assert.match(v[0], /^site-config: config var REDIS_URL holds a URL with credentials: set it in secretConfigVars/);
            assert.ok(!v[0].includes("p4ssw0rd"));
        });
    });

    describe("production-plans", function () {
        it("passes: production's dynos and database plan; staging and sandboxes may be small", function () {
            assert.deepEqual(checkResources(policy.productionPlans, all()), []);
            assert.equal(find(stacks["mini-alice"], policy.TYPES.addon).props.plan, "heroku-postgresql:essential-0");
        });

        it("fails: eco or basic dynos, an essential database plan in production", function () {
            for (const size of ["eco", "basic", "Basic"]) {
                const resources = clone(stacks.production);
                (find(resources, policy.TYPES.formation).props.processes as Record<string, { size: string }>).worker.size = size;
                assert.deepEqual(checkResources(policy.productionPlans, resources), [`site-formation: production's worker dynos are ${size}; production runs standard or performance dynos`]);
            }
            const resources = clone(stacks.production);
            find(resources, policy.TYPES.addon).props.plan = "heroku-postgresql:essential-2";
            assert.deepEqual(checkResources(policy.productionPlans, resources), ["site-database: production's database site-database is on heroku-postgresql:essential-2; production uses a standard, premium or larger plan"]);
        });
    });

    describe("no-production-references", function () {
        it("passes: staging and the sandbox name only their own apps and buckets; production is out of scope", function () {
            for (const stack of Object.keys(stacks)) assert.deepEqual(checkStack(policy.noProductionReferences, stacks[stack]), [], stack);
        });

        it("passes: staging's data step may read production (its source), as staging is seeded from it", function () {
            const resources = [...clone(stacks.staging), dataStep("staging", "FileSync", "seed-files", { source: "s3://sendhub-production-files/files", destination: "s3://sendhub-staging-files/files" })];
            assert.deepEqual(checkStack(policy.noProductionReferences, resources), []);
        });

        it("fails: a staging config var naming production's bucket, a sandbox add-on on production's app", function () {
            let resources = clone(stacks.staging);
            (find(resources, policy.TYPES.configVars).props.vars as Record<string, string>).AWS_STORAGE_BUCKET_NAME = "sendhub-production-files";
            assert.deepEqual(checkStack(policy.noProductionReferences, resources), [
                "site-config: staging's site-config references production's bucket sendhub-production-files (at vars.AWS_STORAGE_BUCKET_NAME); only production may use it",
            ]);

            resources = clone(stacks["mini-alice"]);
            find(resources, policy.TYPES.addon).props.app = "sendhub-production";
            assert.deepEqual(checkStack(policy.noProductionReferences, resources), [
                "site-database: mini-alice's site-database references production's app sendhub-production (at app); only production may use it",
            ]);

            resources = [...clone(stacks["mini-alice"]), dataStep("mini-alice", "DatabaseCopy", "seed-db", { source: "postgres://u:p@prod-db.example.com:5432/d", target: "postgres://u:p@alice-db:5432/d" })];
            const v = checkStack(policy.noProductionReferences, resources, { config: { productionDatabases: ["prod-db.example.com"] } });
            assert.deepEqual(v, ["seed-db: mini-alice's seed-db references production's database prod-db.example.com (at source); only production may use it"]);
        });
    });

    describe("no-data-step-targets-production", function () {
        const stagingSeed = () => dataStep("staging", "DatabaseCopy", "seed-db", { source: "postgres://u:p@prod-db:5432/d", target: "postgres://u:p@staging-db:5432/d" });

        it("passes: data steps that write to staging or a sandbox", function () {
            const resources = [
                ...clone(stacks.staging),
                stagingSeed(),
                dataStep("staging", "FileSync", "seed-files", { source: "s3://sendhub-production-files/files", destination: "s3://sendhub-staging-files/files" }),
                dataStep("mini-alice", "FileSync", "seed-files", { source: "s3://sendhub-staging-files/files", destination: "s3://sendhub-staging-alice-files/files" }),
            ];
            assert.deepEqual(checkResources(policy.noDataStepTargetsProduction, resources, { config: { productionDatabases: ["prod-db"] } }), []);
        });

        it("fails: any data step in the production stack, a data step writing to production's bucket or database", function () {
            const inProduction = dataStep("production", "MySqlToPostgres", "migrate", { source: "mysql://u:p@old:3306/d", target: "postgres://u:p@prod-db:5432/d" });
            assert.deepEqual(checkResources(policy.noDataStepTargetsProduction, [inProduction]), [
                "migrate: data step migrate runs in the production stack; data steps copy into staging and sandboxes only (production's migration is declared with herokuenv:migration; another reviewed one-time step can be allowed with the policy config allowInProduction)",
            ]);
            assert.deepEqual(checkResources(policy.noDataStepTargetsProduction, [inProduction], { config: { allowInProduction: ["migrate"] } }), []);
            // The steps of production's declared migration (herokuenv:migration) are its job, not a stray copy.
            const declared = { ...inProduction, urn: inProduction.urn.replace("herokuenv:index:Environment$", `herokuenv:index:Environment$${policy.MIGRATION_COMPONENT}$`) };
            assert.deepEqual(checkResources(policy.noDataStepTargetsProduction, [declared]), []);

            const toProdBucket = dataStep("staging", "FileSync", "oops", { source: "s3://sendhub-staging-files/files", destination: "s3://sendhub-production-files/files" });
            assert.deepEqual(checkResources(policy.noDataStepTargetsProduction, [toProdBucket]), [
                "oops: data step oops writes to production's bucket sendhub-production-files (at destination); data steps never target production",
            ]);
            const reversed = stagingSeed();
            [reversed.props.source, reversed.props.target] = [reversed.props.target, reversed.props.source];
            assert.equal(checkResources(policy.noDataStepTargetsProduction, [reversed], { config: { productionDatabases: ["prod-db"] } }).length, 1);
        });

        it("covers every data.* type, including ones added later", function () {
            assert.ok(policy.isDataStep("pulumi-nodejs:dynamic/herokuenv:data.DatabaseCopy"));
            assert.ok(policy.isDataStep("pulumi-nodejs:dynamic/data:FileSync"));
            assert.ok(!policy.isDataStep(policy.TYPES.configVars));
        });
    });

    describe("sandbox-owner-tag", function () {
        it("passes: a sandbox tagged with its engineer; production and staging need no owner", function () {
            assert.deepEqual(checkStack(policy.sandboxOwnerTag, stacks["mini-alice"], { tags: { [policy.OWNER_TAG]: "alice", "pulumi:project": "herokuenv" } }), []);
            assert.deepEqual(checkStack(policy.sandboxOwnerTag, stacks.staging), []);
            assert.deepEqual(checkStack(policy.sandboxOwnerTag, stacks.production), []);
        });

        it("fails: a sandbox without the tag, or tagged with someone else", function () {
            const missing = checkStack(policy.sandboxOwnerTag, stacks["mini-alice"], { tags: { "pulumi:project": "herokuenv" } });
            assert.deepEqual(missing, [`stack: sandbox stack mini-alice has no ${policy.OWNER_TAG} stack tag: herokuenv sandbox up alice sets it (or: pulumi stack tag set ${policy.OWNER_TAG} alice --stack mini-alice)`]);
            const noTags = checkStack(policy.sandboxOwnerTag, stacks["mini-alice"]);
            assert.match(noTags[0], /no stack tags reached the policy at all/);
            const other = checkStack(policy.sandboxOwnerTag, stacks["mini-alice"], { tags: { [policy.OWNER_TAG]: "bob" } });
            assert.equal(other.length, 1);
            assert.match(other[0], /tagged herokuenv:owner=bob, but its name says it belongs to alice/);
        });
    });
});

// Runs the real Pulumi program (index.ts) under the SDK's mocks with a stack's configuration, and records every
// resource registration: type, name, inputs (secrets still wrapped), protect flag and parent.
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** How the SDK marks a secret value in serialized properties. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface RegisteredResource {
    type: string;
    name: string;
    urn: string;
    parent: string;
    protect: boolean;
    custom: boolean;
    /** Inputs as the engine receives them; secret values stay wrapped (see isSecretValue/unwrap). */
    inputs: Record<string, unknown>;
    /** The types this resource was known by before (its `aliases` with a `type`), as the engine receives them. */
    aliasTypes: string[];
    /** URNs of the resources it depends on (explicit dependsOn and inputs from other resources' outputs). */
    dependencies: string[];
    /** The state the mocks answered (its outputs). */
    state: Record<string, unknown>;
}

export interface ProgramRun {
    resources: RegisteredResource[];
    outputs: Record<string, unknown>;
    /** Messages the program logged through pulumi.log (they must never hold a secret). */
    logs: string[];
    error?: Error;
}

export function isSecretValue(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Deeply removes secret wrappers, for asserting plain values. */
export function unwrap(v: unknown): unknown {
    if (isSecretValue(v)) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    }
    return v;
}

export interface StackConfig {
    /** `herokuenv:kind` → value as Pulumi hands it to the program (objects as JSON text). */
    config: Record<string, string>;
    secretKeys: string[];
}

/**
 * The stand-in plaintext for a `secure:` value of a stack file. The real engine decrypts it with the stack's key; the
 * tests cannot, so they use a recognisable value that leak checks search for.
 */
export function fakeSecret(key: string): string {
    const value = `s3cr3t-${crypto.createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
    // A database URL must look like one to pass validation; its password is the recognisable part.
    return key.endsWith("database.url") ? `mysql://migrator:${value}@old-host.internal:3306/site` : value;
}

function replaceSecure(value: unknown, keyPath: string, found: { secret: boolean }): unknown {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        const obj = value as Record<string, unknown>;
        if (Object.keys(obj).length === 1 && typeof obj.secure === "string") {
            found.secret = true;
            return fakeSecret(keyPath);
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, replaceSecure(v, `${keyPath}.${k}`, found)]));
    }
    if (Array.isArray(value)) return value.map((v, i) => replaceSecure(v, `${keyPath}[${i}]`, found));
    return value;
}

/** Converts the `config:` map of a stack file the way the Pulumi CLI hands it to a program. */
export function stackConfigFromObject(configMap: Record<string, unknown>): StackConfig {
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, rawValue] of Object.entries(configMap)) {
        const found = { secret: false };
        const value = replaceSecure(rawValue, key, found);
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
        if (found.secret) secretKeys.push(key);
    }
    return { config, secretKeys };
}

export function readStackFile(stack: string): Record<string, unknown> {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    return doc.config ?? {};
}

export function stackFiles(): string[] {
    return fs
        .readdirSync(REPO_ROOT)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined);
}

/** Computed outputs a real provider would return, so the program's dependent values resolve. */
function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    const inputs = args.inputs as Record<string, unknown>;
    const plain = unwrap(inputs) as Record<string, unknown>;
    switch (args.type) {
        case "aws:s3/bucket:Bucket":
            return { ...inputs, arn: `arn:aws:s3:::${String(plain.bucket)}`, bucket: plain.bucket };
        case "aws:iam/user:User":
            return { ...inputs, arn: `arn:aws:iam::123456789012:user${String(plain.path)}${String(plain.name)}` };
        case "aws:iam/accessKey:AccessKey":
            return { ...inputs, secret: `mock-aws-secret-${args.name}` };
        default:
            return { ...inputs, ...mockDynamicOutputs(args.name, plain) };
    }
}

/** Outputs of our Heroku dynamic resources under mocks (the real ones are proven against the Heroku API double). */
function mockDynamicOutputs(name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const digest = crypto.createHash("sha256").update(name).digest("hex");
    const out: Record<string, unknown> = {};
    if (typeof inputs.hostname === "string") {
        out.cname = `${digest.slice(0, 8)}-${digest.slice(8, 20)}.herokudns.com`;
        out.status = "pending";
    }
    const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
    if (name.endsWith("-app")) {
        out.appId = uuid;
        out.webUrl = `https://${String(inputs.name)}-${digest.slice(0, 12)}.herokuapp.com/`;
        out.gitUrl = `https://git.heroku.com/${String(inputs.name)}.git`;
    }
    if (typeof inputs.plan === "string") {
        out.addonId = uuid;
        out.addonName = `postgresql-mock-${digest.slice(0, 5)}`;
        out.state = "provisioned";
        out.configVarNames = ["DATABASE_URL", "HEROKU_POSTGRESQL_MOCK_URL"];
    }
    return out;
}

let mockCounter = 0;

/** Runs index.ts with the given stack configuration under mocks. Never throws: a program error is returned. */
export async function runProgram(stack: string, stackConfig: StackConfig, options: { preview?: boolean } = {}): Promise<ProgramRun> {
    const resources: RegisteredResource[] = [];
    const logs: string[] = [];
    pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const state = mockState(args);
                const registered = resources.find((r) => r.type === args.type && r.name === args.name);
                if (registered) registered.state = state;
                return { id: `${args.name}-id-${++mockCounter}`, state };
            },
            call: (args) => ({ ...(args.inputs as Record<string, unknown>) }),
        },
        "herokuenv",
        stack,
        options.preview ?? false,
    );
    // Record what the mocks' own interface leaves out: protect, parent, the URN.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings") as {
        getMonitor(): { registerResource(req: RegisterRequest, cb: unknown): unknown };
        waitForRPCs(): Promise<void>;
    };
    const monitor = settings.getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
        const structured = req.getObject()?.toJavaScript() ?? {};
        resources.push({
            type: req.getType(),
            name: req.getName(),
            urn: `urn:pulumi:${stack}::herokuenv::${req.getType()}::${req.getName()}`,
            parent: req.getParent(),
            protect: req.getProtect() === true,
            custom: req.getCustom(),
            inputs: structured as Record<string, unknown>,
            aliasTypes: req.getAliasesList().map((a) => a.getSpec()?.getType() ?? "").filter((t) => t !== ""),
            dependencies: req.getDependenciesList(),
            state: {},
        });
        return original(req, cb);
    };
    const logHook = (message: string) => logs.push(message);
    const restoreLog = hookLogs(logHook);

    const programPath = path.join(REPO_ROOT, "index.ts");
    for (const key of Object.keys(require.cache)) {
        if (key.startsWith(REPO_ROOT) && !key.includes("node_modules")) delete require.cache[key];
    }
    const run: ProgramRun = { resources, outputs: {}, logs };
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const exported = require(programPath) as Record<string, unknown>;
        for (const [k, v] of Object.entries(exported)) {
            run.outputs[k] = pulumi.Output.isInstance(v) ? await outputDetails(v) : v;
        }
        // Give the registrations the program started time to reach the monitor.
        let count = -1;
        while (count !== resources.length) {
            count = resources.length;
            await settings.waitForRPCs();
            await new Promise((r) => setTimeout(r, 20));
        }
    } catch (e) {
        run.error = e as Error;
    } finally {
        restoreLog();
    }
    return run;
}

export interface OutputDetails {
    value: unknown;
    isSecret: boolean;
}

export async function outputDetails(o: pulumi.Output<unknown>): Promise<OutputDetails> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's internal accessor has no public type
    const value = await (o as any).promise();
    const isSecret = await pulumi.isSecret(o);
    return { value, isSecret };
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProtect(): boolean | undefined;
    getCustom(): boolean;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getAliasesList(): Array<{ getSpec(): { getType(): string } | undefined }>;
    getDependenciesList(): string[];
}

function hookLogs(sink: (m: string) => void): () => void {
    const log = pulumi.log as unknown as Record<string, (msg: string, ...rest: unknown[]) => Promise<void>>;
    const saved: Record<string, (msg: string, ...rest: unknown[]) => Promise<void>> = {};
    // Debug lines are the SDK's own RPC tracing (shown only with `pulumi up -v`), which echoes engine responses
    // verbatim; what users see is info, warn and error.
    for (const level of ["info", "warn", "error"]) {
        saved[level] = log[level];
        log[level] = async (msg: string) => {
            sink(`${level}: ${msg}`);
        };
    }
    return () => Object.assign(log, saved);
}

/** Runs the program with a stack file from the repository. */
export async function runStackFile(stack: string, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
    return runProgram(stack, stackConfigFromObject({ ...readStackFile(stack), ...overrides }));
}

/** Finds the one resource of a type and name, failing clearly when it is missing. */
export function resource(run: ProgramRun, type: string, name: string): RegisteredResource {
    const found = run.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
        const known = run.resources.map((r) => `${r.type} ${r.name}`).join("\n  ");
        throw new Error(`expected one ${type} named ${name}, found ${found.length}; registered:\n  ${known}`);
    }
    return found[0];
}

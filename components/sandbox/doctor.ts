// `herokuenv doctor`: what a first run needs, each checked and reported as ok, a warning, or what to do. The checks
// of the environment and the stack files are pure (an env map and a directory in, results out); the Pulumi CLI and
// backend checks go through the Automation API. No check prints a secret: credentials are reported by name only.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { parse as parseYaml } from "yaml";
import { deriveSandboxConfig, isolationProblems, isolationTarget, parityProblems, type RawConfig } from "../config/kinds";
import { ENCRYPTED, readStackFileConfig } from "../config/stack-files";
import { configKey, validateEnvironment } from "../config/validate";
import { describePulumiError } from "./automation";

export type CheckStatus = "ok" | "warn" | "fail";

export interface Check {
    name: string;
    status: CheckStatus;
    /** What was found (never a secret value). */
    detail: string;
    /** What to do, for a warning or a failure. */
    fix?: string;
}

/** Stack tags on self-managed backends (file://, s3://) need this CLI version; older ones work with Pulumi Cloud. */
export const RECOMMENDED_PULUMI_VERSION = "3.211.0";

type Env = Readonly<Record<string, string | undefined>>;
const set = (env: Env, name: string) => (env[name] ?? "").trim() !== "";

function compareVersions(a: string, b: string): number {
    const parse = (v: string) => v.replace(/^v/, "").split(/[.-]/).slice(0, 3).map((n) => Number.parseInt(n, 10) || 0);
    const [x, y] = [parse(a), parse(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
}

/** The stack files of the project, with their raw YAML (secure values left as they are). */
function stackFiles(dir: string): Array<{ stack: string; file: string; doc: { config?: Record<string, unknown>; secretsprovider?: string } | null; error?: string }> {
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f)).sort() : [];
    return names.map((file) => {
        const stack = file.replace(/^Pulumi\./, "").replace(/\.ya?ml$/, "");
        try {
            return { stack, file, doc: parseYaml(fs.readFileSync(path.join(dir, file), "utf8")) as { config?: Record<string, unknown> } | null };
        } catch (err) {
            return { stack, file, doc: null, error: err instanceof Error ? err.message.split("\n")[0] : String(err) };
        }
    });
}

function hasConfigKey(dir: string, key: string): string[] {
    return stackFiles(dir).filter((f) => f.doc?.config?.[key] !== undefined).map((f) => f.stack);
}

/** HEROKU_API_KEY, AWS and Cloudflare credentials: by name only. */
export function credentialChecks(env: Env, projectDir: string, home: string = os.homedir()): Check[] {
    const checks: Check[] = [];
    const herokuInFiles = hasConfigKey(projectDir, "heroku:apiKey");
    checks.push(
        set(env, "HEROKU_API_KEY")
            ? { name: "Heroku API key", status: "ok", detail: "HEROKU_API_KEY is set" }
            : {
                  name: "Heroku API key",
                  status: "fail",
                  detail: `HEROKU_API_KEY is not set${herokuInFiles.length ? ` (stacks ${herokuInFiles.join(", ")} set heroku:apiKey; sandboxes use the environment's)` : ""}`,
                  fix: "create a token with `heroku authorizations:create --description herokuenv` and export HEROKU_API_KEY=<token>",
              },
    );
    const awsSources = [
        set(env, "AWS_ACCESS_KEY_ID") && set(env, "AWS_SECRET_ACCESS_KEY") ? "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY" : undefined,
        set(env, "AWS_PROFILE") ? `AWS_PROFILE (${env.AWS_PROFILE})` : undefined,
        set(env, "AWS_WEB_IDENTITY_TOKEN_FILE") ? "AWS_WEB_IDENTITY_TOKEN_FILE" : undefined,
        set(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || set(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI") ? "container credentials" : undefined,
        fs.existsSync(env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, ".aws", "credentials")) ? "the shared credentials file" : undefined,
    ].filter((s): s is string => s !== undefined);
    checks.push(
        awsSources.length > 0
            ? { name: "AWS credentials", status: "ok", detail: `from ${awsSources[0]}` }
            : set(env, "AWS_ACCESS_KEY_ID")
              ? { name: "AWS credentials", status: "fail", detail: "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY", fix: "export AWS_SECRET_ACCESS_KEY too, or use AWS_PROFILE" }
              : { name: "AWS credentials", status: "fail", detail: "none found (no AWS_ACCESS_KEY_ID, AWS_PROFILE, web identity or ~/.aws/credentials)", fix: "run `aws configure` or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" },
    );
    const cloudflareInFiles = hasConfigKey(projectDir, "cloudflare:apiToken");
    checks.push(
        set(env, "CLOUDFLARE_API_TOKEN")
            ? { name: "Cloudflare API token", status: "ok", detail: "CLOUDFLARE_API_TOKEN is set" }
            : cloudflareInFiles.length > 0
              ? {
                    name: "Cloudflare API token",
                    status: "warn",
                    detail: `CLOUDFLARE_API_TOKEN is not set; stacks ${cloudflareInFiles.join(", ")} set cloudflare:apiToken, sandboxes need the environment's`,
                    fix: "export CLOUDFLARE_API_TOKEN=<token with Zone:DNS:Edit on the zone> before herokuenv sandbox up",
                }
              : { name: "Cloudflare API token", status: "fail", detail: "CLOUDFLARE_API_TOKEN is not set and no stack sets cloudflare:apiToken", fix: "export CLOUDFLARE_API_TOKEN=<token with Zone:DNS:Edit on the zone>" },
    );
    return checks;
}

/** The checks `sandbox up` insists on before it starts (one line naming every missing credential). */
export function missingCredentials(env: Env, projectDir: string, home?: string): string | undefined {
    const failing = credentialChecks(env, projectDir, home).filter((c) => c.status === "fail");
    if (failing.length === 0) return undefined;
    return `missing credentials: ${failing.map((c) => `${c.name} (${c.detail}; ${c.fix})`).join("; ")}. herokuenv doctor checks them all`;
}

/** Secrets of stack config: Pulumi Cloud's, a stack's own secrets provider, or a passphrase for self-managed backends. */
export function secretsCheck(env: Env, projectDir: string, backendUrl: string | undefined): Check {
    const name = "secrets provider";
    const providers = stackFiles(projectDir).filter((f) => typeof f.doc?.secretsprovider === "string" && !f.doc.secretsprovider.startsWith("passphrase"));
    const cloud = backendUrl !== undefined && /^https?:\/\//.test(backendUrl);
    if (cloud) return { name, status: "ok", detail: `the backend (${backendUrl}) keeps stack secrets` };
    if (set(env, "PULUMI_CONFIG_PASSPHRASE") || set(env, "PULUMI_CONFIG_PASSPHRASE_FILE")) {
        return { name, status: "ok", detail: `passphrase from ${set(env, "PULUMI_CONFIG_PASSPHRASE") ? "PULUMI_CONFIG_PASSPHRASE" : "PULUMI_CONFIG_PASSPHRASE_FILE"}` };
    }
    if (providers.length > 0) return { name, status: "ok", detail: `stacks ${providers.map((p) => p.stack).join(", ")} use their own secrets provider` };
    return {
        name,
        status: "fail",
        detail: `no passphrase for a self-managed backend${backendUrl ? ` (${backendUrl})` : ""}`,
        fix: "export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) as your team shares it, or create stacks with --secrets-provider awskms://…",
    };
}

/**
 * Each stack file, validated as `pulumi up` would (schema, staging's parity with production, isolation, a
 * sandbox derived from staging), without decrypting anything: secure values count as set secrets.
 */
export function stackFileChecks(projectDir: string): Check[] {
    const files = stackFiles(projectDir);
    if (files.length === 0) {
        return [{ name: "stack files", status: "fail", detail: `no Pulumi.<stack>.yaml in ${projectDir}`, fix: "run herokuenv in the project directory (--project), or write Pulumi.production.yaml (see the README)" }];
    }
    const production = readStackFileConfig("production", projectDir);
    const staging = readStackFileConfig("staging", projectDir);
    return files.map(({ stack, file, error }): Check => {
        const name = file;
        if (error !== undefined) return { name, status: "fail", detail: `not valid YAML: ${error}`, fix: `fix ${file}` };
        const raw: RawConfig = readStackFileConfig(stack, projectDir) ?? {};
        if (Object.keys(raw).length === 0) return { name, status: "warn", detail: "sets no herokuenv: keys (not a herokuenv stack?)" };
        const secretKeys = new Set(Object.entries(raw).filter(([, v]) => JSON.stringify(v)?.includes(`"${ENCRYPTED}"`)).map(([k]) => k));
        const problems: string[] = [];
        let effective = raw;
        if (raw.kind === "sandbox") {
            const engineer = typeof raw.engineer === "string" ? raw.engineer : "";
            if (engineer !== "" && stack !== `mini-${engineer}`) problems.push(`${configKey(["engineer"])}: a sandbox for ${engineer} lives in the stack mini-${engineer}, not ${stack}`);
            if (staging === undefined) problems.push(`${configKey(["kind"])}: a sandbox derives from Pulumi.staging.yaml, which is missing`);
            else {
                const { kind: _kind, engineer: _engineer, ...overrides } = raw;
                effective = deriveSandboxConfig(staging, engineer, overrides);
            }
        }
        const result = validateEnvironment(effective, { secretKeys });
        if (!result.ok) problems.push(...result.problems);
        if (effective.kind === "staging" && production !== undefined) {
            for (const p of parityProblems(production, effective)) problems.push(`${configKey(p.path)}: ${p.message}`);
        }
        if (effective.kind === "staging" || effective.kind === "sandbox") {
            const others = [...(production ? [isolationTarget("production", production)] : []), ...(effective.kind === "sandbox" && staging ? [isolationTarget("staging", staging)] : [])];
            for (const p of isolationProblems(effective, others)) problems.push(`${configKey(p.path)}: ${p.message}`);
        }
        const unique = [...new Set(problems)];
        if (unique.length === 0) return { name, status: "ok", detail: `valid ${String(effective.kind)} stack` };
        return { name, status: "fail", detail: `${unique.length} problem${unique.length === 1 ? "" : "s"}: ${unique.join(" | ")}`, fix: `fix ${file} (pulumi preview --stack ${stack} shows the same problems)` };
    });
}

/** The Pulumi CLI, its version and the backend it is logged in to. */
export async function pulumiChecks(options: { projectDir: string; pulumiCommand?: PulumiCommand; env: Env }): Promise<{ checks: Check[]; backendUrl?: string }> {
    const checks: Check[] = [];
    let command: PulumiCommand;
    try {
        command = options.pulumiCommand ?? (await PulumiCommand.get({ skipVersionCheck: true }));
    } catch (err) {
        checks.push({ name: "Pulumi CLI", status: "fail", detail: describePulumiError(err), fix: "install it: curl -fsSL https://get.pulumi.com | sh (https://www.pulumi.com/docs/install/)" });
        checks.push({ name: "backend login", status: "fail", detail: "not checked: no Pulumi CLI" });
        return { checks, backendUrl: options.env.PULUMI_BACKEND_URL };
    }
    const version = command.version?.toString() ?? "unknown";
    checks.push(
        command.version && compareVersions(version, RECOMMENDED_PULUMI_VERSION) >= 0
            ? { name: "Pulumi CLI", status: "ok", detail: `v${version}` }
            : {
                  name: "Pulumi CLI",
                  status: "warn",
                  detail: `v${version}; ${RECOMMENDED_PULUMI_VERSION} or later keeps sandbox tags on self-managed backends (file://, s3://)`,
                  fix: "upgrade: pulumi self-update, or curl -fsSL https://get.pulumi.com | sh",
              },
    );
    try {
        const ws = await LocalWorkspace.create({ workDir: options.projectDir, pulumiCommand: command });
        const who = await ws.whoAmI();
        checks.push({ name: "backend login", status: "ok", detail: `${who.user}${who.url ? ` at ${who.url}` : ""}` });
        return { checks, backendUrl: who.url ?? options.env.PULUMI_BACKEND_URL };
    } catch (err) {
        checks.push({
            name: "backend login",
            status: "fail",
            detail: describePulumiError(err),
            fix: "pulumi login (Pulumi Cloud), or a self-managed backend: export PULUMI_BACKEND_URL=file://~ (or s3://bucket)",
        });
        return { checks, backendUrl: options.env.PULUMI_BACKEND_URL };
    }
}

/** Every check, in the order a first run needs them. */
export async function runDoctor(options: { projectDir: string; pulumiCommand?: PulumiCommand; env?: Env; home?: string }): Promise<Check[]> {
    const env = options.env ?? process.env;
    const pulumi = await pulumiChecks({ projectDir: options.projectDir, pulumiCommand: options.pulumiCommand, env });
    return [
        ...pulumi.checks,
        secretsCheck(env, options.projectDir, pulumi.backendUrl),
        ...credentialChecks(env, options.projectDir, options.home),
        ...stackFileChecks(options.projectDir),
    ];
}

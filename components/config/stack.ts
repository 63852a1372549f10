// Reads the `herokuenv:*` keys of the running stack, validates them once and keeps secret values as secret Outputs.
import * as pulumi from "@pulumi/pulumi";
import { deriveSandboxConfig, isolationProblems, isolationTarget, parityProblems, type RawConfig } from "./kinds";
import type { ValidatedEnvironment } from "./schema";
import type { MigrationConfig } from "./migration";
import { readStackFileConfig } from "./stack-files";
import { configKey, formatProblems, NAMESPACE, validateEnvironment } from "./validate";

/** The validated environment, with the secret config vars as one secret Output. */
/** The migration block with the old database's URL kept a secret Output. */
export interface MigrationSettings extends Omit<MigrationConfig, "database"> {
    database: Omit<MigrationConfig["database"], "url"> & { url?: pulumi.Output<string> };
}

export interface EnvironmentSettings extends Omit<ValidatedEnvironment, "secretConfigVars" | "migration" | "seed"> {
    stack: string;
    /** Names only: plain so that parity checks and diffs can see them without the values. */
    secretConfigVarNames: string[];
    /** For a sandbox: staging's secret config-var names the sandbox has not set (it never inherits their values). */
    missingSecretConfigVarNames: string[];
    secretConfigVars: pulumi.Output<Record<string, string>>;
    migration?: MigrationSettings;
    /** For staging: production's app name (from its stack file), whose Heroku pipeline staging joins. */
    productionAppName?: string;
    /** Where this environment's data is copied from: production for staging, staging for a sandbox. */
    copySource?: CopySource;
    /** The scrubbing rules (from staging's file) and, for a sandbox, its secret seed. */
    seed?: { rules: Record<string, unknown>; secret?: pulumi.Output<string> };
}

export interface CopySource {
    kind: "production" | "staging";
    appName: string;
    filesBucket: string;
    filesLocation: string;
}

function copySourceOf(kind: "production" | "staging", raw: RawConfig | undefined): CopySource | undefined {
    if (raw === undefined) return undefined;
    const target = isolationTarget(kind, raw);
    const storage = (typeof raw.storage === "object" && raw.storage !== null ? raw.storage : {}) as { filesLocation?: unknown };
    if (target.appName === undefined || target.bucketPrefix === undefined) return undefined;
    return { kind, appName: target.appName, filesBucket: `${target.bucketPrefix}-files`, filesLocation: typeof storage.filesLocation === "string" ? storage.filesLocation : "files" };
}

// The SDK knows which keys were set with `--secret` but only exports the check internally; this is the same
// lookup the SDK's own Config.get performs before warning about a secret read in plain text.
interface RuntimeConfigInternals {
    isConfigSecret(key: string): boolean;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as RuntimeConfigInternals;

/** Parses a config value the way `pulumi.Config.getObject` does: structured values arrive as JSON text. */
function parseValue(text: string): unknown {
    const trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
        try {
            return JSON.parse(trimmed);
        } catch {
            return text;
        }
    }
    if (trimmed === "true" || trimmed === "false") return trimmed === "true";
    return text;
}

/** The raw `herokuenv:*` keys of the running stack, namespace stripped, and which of them are secret. */
export function readRawStackConfig(): { raw: Record<string, unknown>; secretKeys: Set<string> } {
    const raw: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
        const key = fullKey.slice(NAMESPACE.length + 1);
        raw[key] = parseValue(value);
        if (runtimeConfig.isConfigSecret(fullKey)) secretKeys.add(key);
    }
    return { raw, secretKeys };
}

export interface LoadOptions {
    /** Where the stack files live (the project directory, where `pulumi` runs). */
    stackFilesDir?: string;
    /** The stack a staging environment mirrors. */
    productionStack?: string;
    /** The stack sandboxes derive from. */
    stagingStack?: string;
}

/** The effective raw config of this stack: for a sandbox, staging's config made its own, then its overrides. */
function effectiveConfig(stack: string, raw: RawConfig, options: Required<LoadOptions>, problems: string[]): RawConfig {
    if (raw.kind !== "sandbox") return raw;
    const engineer = typeof raw.engineer === "string" ? raw.engineer : "";
    if (engineer !== "" && stack !== `mini-${engineer}`) {
        problems.push(`${configKey(["engineer"])}: a sandbox for ${engineer} lives in the stack mini-${engineer}, not ${stack}`);
    }
    const staging = readStackFileConfig(options.stagingStack, options.stackFilesDir);
    if (staging === undefined) {
        problems.push(`${configKey(["kind"])}: a sandbox derives from Pulumi.${options.stagingStack}.yaml, which is not in ${options.stackFilesDir}`);
        return raw;
    }
    const { kind: _kind, engineer: _engineer, ...overrides } = raw;
    return deriveSandboxConfig(staging, engineer, overrides);
}

/**
 * Loads and validates the stack's environment. Every problem is reported at once, as a RunError so that Pulumi
 * prints the message without a stack trace. Staging is checked against production's stack file (same config-var
 * keys, dyno types and add-ons); staging and sandboxes are checked never to reach production's (or staging's) data.
 */
export function loadEnvironmentSettings(opts: LoadOptions = {}): EnvironmentSettings {
    const options: Required<LoadOptions> = {
        stackFilesDir: opts.stackFilesDir ?? process.cwd(),
        productionStack: opts.productionStack ?? "production",
        stagingStack: opts.stagingStack ?? "staging",
    };
    const stack = pulumi.getStack();
    const { raw, secretKeys } = readRawStackConfig();
    const problems: string[] = [];
    const effective = effectiveConfig(stack, raw, options, problems);
    const result = validateEnvironment(effective, { secretKeys });
    if (!result.ok) problems.push(...result.problems);

    const production = effective.kind !== "production" ? readStackFileConfig(options.productionStack, options.stackFilesDir) : undefined;
    const staging = effective.kind === "sandbox" ? readStackFileConfig(options.stagingStack, options.stackFilesDir) : undefined;
    if (effective.kind === "staging") {
        if (production === undefined) problems.push(`${configKey(["kind"])}: staging mirrors Pulumi.${options.productionStack}.yaml, which is not in ${options.stackFilesDir}`);
        else for (const p of parityProblems(production, effective)) problems.push(`${configKey(p.path)}: ${p.message}`);
    }
    if (effective.kind === "staging" || effective.kind === "sandbox") {
        const others = [
            ...(production ? [isolationTarget("production", production)] : []),
            ...(staging ? [isolationTarget("staging", staging)] : []),
        ];
        for (const p of isolationProblems(effective, others)) problems.push(`${configKey(p.path)}: ${p.message}`);
    }
    if (problems.length > 0 || !result.ok) throw new pulumi.RunError(formatProblems(stack, [...new Set(problems)]));

    const { secretConfigVars, migration, seed, ...rest } = result.environment;
    const copySource = effective.kind === "staging" ? copySourceOf("production", production) : effective.kind === "sandbox" ? copySourceOf("staging", staging) : undefined;
    const seedBlock = typeof seed === "object" && seed !== null ? (seed as Record<string, unknown>) : undefined;
    const secretNames = Object.keys(secretConfigVars).sort();
    const inheritedSecretNames = staging ? Object.keys((staging.secretConfigVars ?? {}) as object) : [];
    return {
        ...rest,
        stack,
        secretConfigVarNames: secretNames,
        missingSecretConfigVarNames: inheritedSecretNames.filter((n) => !secretNames.includes(n)).sort(),
        secretConfigVars: pulumi.secret(secretConfigVars),
        ...(effective.kind === "staging" && typeof (production?.app as { name?: unknown } | undefined)?.name === "string"
            ? { productionAppName: (production?.app as { name: string }).name }
            : {}),
        ...(copySource ? { copySource } : {}),
        ...(seedBlock
            ? (() => {
                  const { secret, ...rules } = seedBlock;
                  return { seed: { rules, ...(typeof secret === "string" ? { secret: pulumi.secret(secret) } : {}) } };
              })()
            : {}),
        ...(migration ? { migration: { ...migration, database: { ...migration.database, url: migration.database.url === undefined ? undefined : pulumi.secret(migration.database.url) } } } : {}),
    };
}

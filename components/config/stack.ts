// Reads the `herokuenv:*` keys of the running stack, validates them once and keeps secret values as secret Outputs.
import * as pulumi from "@pulumi/pulumi";
import type { ValidatedEnvironment } from "./schema";
import { formatProblems, NAMESPACE, validateEnvironment } from "./validate";

/** The validated environment, with the secret config vars as one secret Output. */
export interface EnvironmentSettings extends Omit<ValidatedEnvironment, "secretConfigVars"> {
    stack: string;
    /** Names only: plain so that parity checks and diffs can see them without the values. */
    secretConfigVarNames: string[];
    secretConfigVars: pulumi.Output<Record<string, string>>;
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

/**
 * Loads and validates the stack's environment. Every problem is reported at once, as a RunError so that Pulumi
 * prints the message without a stack trace.
 */
export function loadEnvironmentSettings(): EnvironmentSettings {
    const stack = pulumi.getStack();
    const { raw, secretKeys } = readRawStackConfig();
    const result = validateEnvironment(raw, { secretKeys });
    if (!result.ok) throw new pulumi.RunError(formatProblems(stack, result.problems));
    const { secretConfigVars, ...rest } = result.environment;
    return {
        ...rest,
        stack,
        secretConfigVarNames: Object.keys(secretConfigVars).sort(),
        secretConfigVars: pulumi.secret(secretConfigVars),
    };
}

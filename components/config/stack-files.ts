// Reads another stack's file from the repository (Pulumi.<stack>.yaml): the shared source staging mirrors and
// sandboxes derive from. Secure values stay encrypted: only their keys are ever used.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { ENCRYPTED } from "./encrypted";
import type { RawConfig } from "./kinds";
import { NAMESPACE } from "./validate";

export { ENCRYPTED };

function maskSecure(value: unknown): unknown {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        const obj = value as Record<string, unknown>;
        if (Object.keys(obj).length === 1 && typeof obj.secure === "string") return ENCRYPTED;
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, maskSecure(v)]));
    }
    return Array.isArray(value) ? value.map(maskSecure) : value;
}

/** The `herokuenv:*` keys of `Pulumi.<stack>.yaml` in `dir`, namespace stripped; undefined when there is no such file. */
export function readStackFileConfig(stack: string, dir: string = process.cwd()): RawConfig | undefined {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) return undefined;
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const raw: RawConfig = {};
    for (const [key, value] of Object.entries(doc?.config ?? {})) {
        if (key.startsWith(`${NAMESPACE}:`)) raw[key.slice(NAMESPACE.length + 1)] = maskSecure(value);
    }
    return raw;
}

// What each kind of environment derives from the others: staging mirrors production's shape, a sandbox derives
// everything from staging. Pure functions over raw `herokuenv:*` config maps (namespace stripped), so they run
// before validation and are unit-tested without Pulumi.

export type RawConfig = Record<string, unknown>;

/**
 * Keys that may exist on one side only, on purpose. Everything else staging must share with production, so that
 * staging stays "an exact replication of what is on production".
 */
export const PARITY_ALLOWLIST = {
    /** Monitoring and analytics that must not count staging traffic. */
    productionOnly: ["NEW_RELIC_LICENSE_KEY", "NEW_RELIC_APP_NAME", "GOOGLE_ANALYTICS_ID"],
    /** Switches that mark a non-production site. */
    stagingOnly: ["STAGING_BANNER", "ROBOTS_NOINDEX", "BASIC_AUTH_USERS"],
} as const;

function record(v: unknown): Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The config-var names a raw config declares, plain and secret. */
export function configVarKeys(raw: RawConfig): string[] {
    return [...Object.keys(record(raw.configVars)), ...Object.keys(record(raw.secretConfigVars))].sort();
}

/**
 * Where staging differs from production in shape: config-var keys (apart from the allowlist), dyno types and
 * add-ons. Values and sizes may differ; the set of things may not.
 */
export function parityProblems(production: RawConfig, staging: RawConfig): Array<{ path: string[]; message: string }> {
    const problems: Array<{ path: string[]; message: string }> = [];
    const prodKeys = new Set(configVarKeys(production));
    const stagingKeys = new Set(configVarKeys(staging));
    for (const key of prodKeys) {
        if (!stagingKeys.has(key) && !(PARITY_ALLOWLIST.productionOnly as readonly string[]).includes(key)) {
            problems.push({ path: ["configVars", key], message: "is set on production but not on staging; staging mirrors production's config-var keys (add it, or list it in PARITY_ALLOWLIST.productionOnly with a reason)" });
        }
    }
    for (const key of stagingKeys) {
        if (!prodKeys.has(key) && !(PARITY_ALLOWLIST.stagingOnly as readonly string[]).includes(key)) {
            problems.push({ path: ["configVars", key], message: "is set on staging but not on production; staging mirrors production's config-var keys (remove it, or list it in PARITY_ALLOWLIST.stagingOnly with a reason)" });
        }
    }
    const prodTypes = Object.keys(record(production.formation)).sort();
    const stagingTypes = Object.keys(record(staging.formation)).sort();
    if (JSON.stringify(prodTypes) !== JSON.stringify(stagingTypes)) {
        problems.push({ path: ["formation"], message: `declares dyno types ${stagingTypes.join(", ") || "(none)"} but production has ${prodTypes.join(", ") || "(none)"}` });
    }
    if ((production.database === undefined) !== (staging.database === undefined)) {
        problems.push({ path: ["database"], message: "production and staging must both have (or both lack) the Heroku Postgres add-on" });
    }
    return problems;
}

/** Heroku app names stop at 30 characters. */
const MAX_APP_NAME = 30;

/**
 * A sandbox's full config: staging's, with its own names (app, buckets, hostname), the cheapest plans and one dyno
 * per type, then the sandbox stack's own overrides. Staging's secrets are not inherited: a sandbox sets its own.
 */
export function deriveSandboxConfig(staging: RawConfig, engineer: string, overrides: RawConfig): RawConfig {
    const app = record(staging.app);
    const storage = record(staging.storage);
    const dns = record(staging.dns);
    const stagingName = typeof app.name === "string" ? app.name : "app";
    const base = stagingName.length + engineer.length + 1 <= MAX_APP_NAME ? stagingName : stagingName.slice(0, MAX_APP_NAME - engineer.length - 1).replace(/-+$/, "");
    const name = `${base}-${engineer}`;
    const formation = Object.fromEntries(Object.keys(record(staging.formation)).map((type) => [type, { size: "eco", quantity: 1 }]));
    const stagingHost = (Array.isArray(dns.records) ? dns.records : []).map((r) => record(r).hostname).find((h) => typeof h === "string") as string | undefined;
    const derived: RawConfig = {
        kind: "sandbox",
        engineer,
        app: { ...app, name },
        formation,
        database: { ...record(staging.database), plan: "essential-0" },
        configVars: { ...record(staging.configVars), ...(stagingHost ? { DJANGO_ALLOWED_HOSTS: `${engineer}.${stagingHost}` } : {}) },
        storage: {
            ...storage,
            bucketPrefix: `${typeof storage.bucketPrefix === "string" ? storage.bucketPrefix : stagingName}-${engineer}`,
            corsOrigins: stagingHost ? [`https://${engineer}.${stagingHost}`] : [],
        },
        // The scrubbing rules come from staging's file; the sandbox's own stack adds the secret seed.
        ...(staging.seed !== undefined ? { seed: staging.seed } : {}),
        ...(staging.dns !== undefined
            ? {
                  dns: {
                      ...dns,
                      // Two levels below the zone: Cloudflare's universal certificate does not cover it, so DNS only
                      // and Heroku's ACM certificate.
                      records: stagingHost ? [{ hostname: `${engineer}.${stagingHost}`, proxied: false, ttl: 300 }] : [],
                  },
              }
            : {}),
    };
    const merged: RawConfig = { ...derived };
    for (const [key, value] of Object.entries(overrides)) {
        const current = merged[key];
        merged[key] = typeof value === "object" && value !== null && !Array.isArray(value) && typeof current === "object" && current !== null && !Array.isArray(current)
            ? { ...(current as object), ...(value as object) }
            : value;
    }
    return merged;
}

export interface IsolationTarget {
    kind: string;
    appName?: string;
    bucketPrefix?: string;
    hostnames: string[];
}

export function isolationTarget(kind: string, raw: RawConfig): IsolationTarget {
    const app = record(raw.app);
    const storage = record(raw.storage);
    const dns = record(raw.dns);
    const appName = typeof app.name === "string" ? app.name : undefined;
    return {
        kind,
        appName,
        bucketPrefix: typeof storage.bucketPrefix === "string" ? storage.bucketPrefix : appName,
        hostnames: (Array.isArray(dns.records) ? dns.records : []).map((r) => String(record(r).hostname)),
    };
}

/**
 * A staging or sandbox environment must never reach production's (or, for a sandbox, staging's) app, database,
 * buckets or hostnames: not by sharing a name, nor through a config var that names them.
 */
export function isolationProblems(env: RawConfig, others: readonly IsolationTarget[]): Array<{ path: string[]; message: string }> {
    const problems: Array<{ path: string[]; message: string }> = [];
    const mine = isolationTarget(String(env.kind), env);
    for (const other of others) {
        if (mine.appName !== undefined && mine.appName === other.appName) {
            problems.push({ path: ["app", "name"], message: `is ${other.kind}'s app; a ${mine.kind} environment needs its own` });
        }
        if (mine.bucketPrefix !== undefined && mine.bucketPrefix === other.bucketPrefix) {
            problems.push({ path: ["storage", "bucketPrefix"], message: `is ${other.kind}'s bucket prefix; a ${mine.kind} environment needs its own buckets` });
        }
        for (const host of mine.hostnames) {
            if (other.hostnames.includes(host)) problems.push({ path: ["dns", "records"], message: `${host} belongs to ${other.kind}` });
        }
        const names = [other.appName, other.bucketPrefix && `${other.bucketPrefix}-files`, other.bucketPrefix && `${other.bucketPrefix}-static`]
            .filter((n): n is string => typeof n === "string");
        for (const [key, value] of Object.entries(record(env.configVars))) {
            if (typeof value !== "string") continue;
            const hit = names.find((n) => new RegExp(`(^|[^a-z0-9-])${n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^a-z0-9-])`).test(value));
            if (hit !== undefined) problems.push({ path: ["configVars", key], message: `points at ${other.kind}'s ${hit}; a ${mine.kind} environment must not reach ${other.kind}'s data` });
        }
    }
    return problems;
}

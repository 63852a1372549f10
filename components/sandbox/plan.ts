// What the sandbox commands decide, without running anything: stack names, the stack file of a new sandbox, tags,
// which stacks `list` and `prune` select, what `up` and `down` will do, and how outputs are shown (secrets masked).
// Pure functions over plain data; the Pulumi Automation API driver (./automation.ts) feeds them and carries out the plan.
import { ENGINEER_NAME } from "../config/schema";

export const SANDBOX_PREFIX = "mini-";
/** Stack tag: the engineer who owns the sandbox. */
export const OWNER_TAG = "herokuenv:owner";
/** Stack tag: when `sandbox up` created the stack (ISO 8601, UTC). */
export const CREATED_TAG = "herokuenv:created";
/** What a masked secret output shows, as the Pulumi CLI shows it. */
export const SECRET_MASK = "[secret]";

export function sandboxStackName(engineer: string): string {
    return `${SANDBOX_PREFIX}${engineer}`;
}

/** The whole stack file of a new sandbox. */
export function sandboxStackFile(engineer: string): string {
    return [
        `# ${engineer}'s sandbox: everything else derives from Pulumi.staging.yaml. Override any staging key here;`,
        "# set secrets with: pulumi config set --secret --path 'herokuenv:secretConfigVars.NAME' <value>",
        "config:",
        "  herokuenv:kind: sandbox",
        `  herokuenv:engineer: ${engineer}`,
        "",
    ].join("\n");
}

export function validateEngineer(engineer: string): void {
    if (!ENGINEER_NAME.test(engineer)) {
        throw new Error(`engineer "${engineer}" is not valid: use 2-20 lower-case letters and digits, starting with a letter (e.g. alice); it becomes part of app names, bucket names and hostnames`);
    }
}

/** The engineer for a command-line argument: `alice`, or the stack name `mini-alice`. Throws on a bad name. */
export function engineerFromArgument(argument: string): string {
    const engineer = argument.startsWith(SANDBOX_PREFIX) ? argument.slice(SANDBOX_PREFIX.length) : argument;
    validateEngineer(engineer);
    return engineer;
}

/**
 * The engineer of a sandbox stack name, or undefined when the name is not a sandbox's. Accepts the fully qualified
 * names some backends list (`org/project/mini-alice`).
 */
export function engineerOfStack(stackName: string): string | undefined {
    const short = stackName.slice(stackName.lastIndexOf("/") + 1);
    if (!short.startsWith(SANDBOX_PREFIX)) return undefined;
    const engineer = short.slice(SANDBOX_PREFIX.length);
    return ENGINEER_NAME.test(engineer) ? engineer : undefined;
}

/** The tags `up` sets: the owner always, the creation time only when the stack has none yet (it never moves). */
export function tagsToSet(engineer: string, existing: Readonly<Record<string, string>>, now: Date): Record<string, string> {
    const tags: Record<string, string> = {};
    if (existing[OWNER_TAG] !== engineer) tags[OWNER_TAG] = engineer;
    if (existing[CREATED_TAG] === undefined || Number.isNaN(Date.parse(existing[CREATED_TAG]))) tags[CREATED_TAG] = now.toISOString();
    return tags;
}

/** Durations for `prune --older-than`: `14d`, `36h`, `2w`, `90m`. */
export function parseDuration(text: string): number {
    const m = /^(\d+)\s*(m|min|h|d|w)$/.exec(text.trim());
    if (!m || Number(m[1]) <= 0) throw new Error(`--older-than "${text}" is not a duration: use a number and a unit, m (minutes), h, d or w, e.g. 14d`);
    const unit = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[m[2] as "m" | "min" | "h" | "d" | "w"];
    return Number(m[1]) * unit;
}

/** An age for people: "45 min", "5 h", "3 d 4 h", "12 d". */
export function formatAge(ms: number): string {
    if (ms < 0) return "0 min";
    const minutes = Math.floor(ms / 60_000);
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return `${hours} h`;
    const days = Math.floor(hours / 24);
    return days < 7 && hours % 24 !== 0 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** A stack as the backend lists it (`pulumi stack ls --json`; the last four may be absent). */
export interface StackListing {
    name: string;
    current?: boolean;
    lastUpdate?: string;
    updateInProgress?: boolean;
    resourceCount?: number;
    url?: string;
}

/** One sandbox as `list`, `status` and `prune` show it. */
export interface SandboxInfo {
    stack: string;
    engineer: string;
    /** The owner tag; undefined for a stack made by hand or by an older herokuenv. */
    owner?: string;
    created?: string;
    lastUpdate?: string;
    /** Since the last update, else since creation; undefined when neither is known. */
    ageMs?: number;
    updateInProgress: boolean;
    resourceCount?: number;
    /** The app's URL (stack output `appUrl`). */
    appUrl?: string;
    /** The stack's page on the backend (Pulumi Cloud), when it has one. */
    consoleUrl?: string;
}

/** The stacks that are sandboxes (`mini-<engineer>`), sorted by name. */
export function selectSandboxes(stacks: readonly StackListing[]): Array<StackListing & { engineer: string }> {
    return stacks
        .flatMap((s) => {
            const engineer = engineerOfStack(s.name);
            return engineer === undefined ? [] : [{ ...s, engineer }];
        })
        .sort((a, b) => a.name.localeCompare(b.name));
}

function time(text: string | undefined): number | undefined {
    if (text === undefined || text === "") return undefined;
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : t;
}

export function sandboxInfo(
    listing: StackListing & { engineer: string },
    tags: Readonly<Record<string, string>>,
    appUrl: string | undefined,
    now: Date,
): SandboxInfo {
    const reference = time(listing.lastUpdate) ?? time(tags[CREATED_TAG]);
    return {
        stack: listing.name,
        engineer: listing.engineer,
        ...(tags[OWNER_TAG] !== undefined ? { owner: tags[OWNER_TAG] } : {}),
        ...(tags[CREATED_TAG] !== undefined ? { created: tags[CREATED_TAG] } : {}),
        ...(listing.lastUpdate ? { lastUpdate: listing.lastUpdate } : {}),
        ...(reference !== undefined ? { ageMs: now.getTime() - reference } : {}),
        updateInProgress: listing.updateInProgress === true,
        ...(listing.resourceCount !== undefined ? { resourceCount: listing.resourceCount } : {}),
        ...(appUrl !== undefined ? { appUrl } : {}),
        ...(listing.url ? { consoleUrl: listing.url } : {}),
    };
}

export interface PruneDecision {
    prune: SandboxInfo[];
    keep: Array<{ sandbox: SandboxInfo; reason: string }>;
}

/**
 * Sandboxes not updated for `olderThanMs` (never updated: created that long ago). Kept: the recent ones, those
 * being updated right now, and those whose age is unknown (no update and no creation tag: look at them by hand).
 */
export function selectForPrune(sandboxes: readonly SandboxInfo[], olderThanMs: number): PruneDecision {
    const decision: PruneDecision = { prune: [], keep: [] };
    for (const s of sandboxes) {
        if (s.updateInProgress) decision.keep.push({ sandbox: s, reason: "an update is in progress" });
        else if (s.ageMs === undefined) decision.keep.push({ sandbox: s, reason: "age unknown (never updated, no creation tag)" });
        else if (s.ageMs < olderThanMs) decision.keep.push({ sandbox: s, reason: `updated ${formatAge(s.ageMs)} ago` });
        else decision.prune.push(s);
    }
    return decision;
}

export interface UpPlan {
    engineer: string;
    stack: string;
    stackFile: string;
    writeStackFile: boolean;
    createStack: boolean;
    tags: Record<string, string>;
    steps: string[];
    /** Whether the update seeds the sandbox's database from staging (the scrubbed DatabaseCopy step), and why not. */
    seed: SeedPlan;
}

export interface SeedPlan {
    available: boolean;
    reason: string;
}

/** What seeds a sandbox: staging's scrubbing rules (Pulumi.staging.yaml) and the sandbox's own secret seed. */
export function seedPlan(engineer: string, state: { stagingHasRules: boolean; secretSet: boolean }): SeedPlan {
    if (!state.stagingHasRules) {
        return { available: false, reason: "no herokuenv:seed rules in Pulumi.staging.yaml: the sandbox starts with an empty database (staging's data is never copied unscrubbed)" };
    }
    if (!state.secretSet) {
        return {
            available: false,
            reason: `the sandbox has no seed secret yet, so its database stays empty: pulumi config set --secret --path 'herokuenv:seed.secret' <at least 16 characters> --stack mini-${engineer}, then sandbox up again`,
        };
    }
    return { available: true, reason: "staging's data, scrubbed and sampled by herokuenv:seed, is copied in by this update (DatabaseCopy), and its user files bucket to bucket" };
}

export function planUp(
    engineer: string,
    state: { stackFileExists: boolean; stackExists: boolean; tags: Readonly<Record<string, string>>; stagingHasRules?: boolean; seedSecretSet?: boolean },
    now: Date,
): UpPlan {
    const stack = sandboxStackName(engineer);
    const stackFile = `Pulumi.${stack}.yaml`;
    const tags = tagsToSet(engineer, state.stackExists ? state.tags : {}, now);
    const steps = [
        state.stackFileExists ? `keep ${stackFile} (it exists)` : `write ${stackFile} (kind sandbox, engineer ${engineer})`,
        state.stackExists ? `select stack ${stack}` : `create stack ${stack}`,
        ...(Object.keys(tags).length > 0 ? [`tag it ${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(", ")}`] : []),
        `pulumi up on ${stack}`,
    ];
    const seed = seedPlan(engineer, { stagingHasRules: state.stagingHasRules === true, secretSet: state.seedSecretSet === true });
    steps.push(seed.available ? "seed its database and files from staging (scrubbed and sampled), as part of the update" : `no seed: ${seed.reason}`);
    return { engineer, stack, stackFile, writeStackFile: !state.stackFileExists, createStack: !state.stackExists, tags, steps, seed };
}

export interface DownPlan {
    engineer: string;
    stack: string;
    steps: string[];
}

/**
 * What `down` does, or why it refuses: the stack must exist, its config must say `herokuenv:kind: sandbox`, and its
 * owner tag (when it has one) must be the engineer's. `kind` is the stack's `herokuenv:kind`, undefined when unknown.
 */
export function planDown(engineer: string, state: { exists: boolean; kind: string | undefined; tags: Readonly<Record<string, string>> }): DownPlan {
    const stack = sandboxStackName(engineer);
    if (!state.exists) throw new Error(`there is no sandbox ${stack} on this backend (herokuenv sandbox list shows the sandboxes)`);
    if (state.kind !== "sandbox") {
        throw new Error(`stack ${stack} is not a sandbox (herokuenv:kind is ${state.kind === undefined ? "not set" : JSON.stringify(state.kind)}): herokuenv sandbox down destroys sandboxes only`);
    }
    const owner = state.tags[OWNER_TAG];
    if (owner !== undefined && owner !== engineer) {
        throw new Error(`stack ${stack} is tagged ${OWNER_TAG}=${owner}, not ${engineer}: refusing to destroy it`);
    }
    return {
        engineer,
        stack,
        steps: [`destroy every resource of ${stack} (pulumi destroy)`, `remove the stack ${stack} with its config and secrets (pulumi stack rm, which deletes Pulumi.${stack}.yaml)`],
    };
}

/** Stack outputs for display: secret values replaced by "[secret]". */
export function maskOutputs(outputs: Readonly<Record<string, { value: unknown; secret: boolean }>>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.secret ? SECRET_MASK : o.value]));
}

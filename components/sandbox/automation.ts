// Carries out the sandbox plans (./plan.ts) through Pulumi's Automation API: a LocalWorkspace over the project
// directory drives the Pulumi CLI (found on PATH, or the `pulumiCommand` given), against whatever backend the CLI is
// logged in to (PULUMI_BACKEND_URL, e.g. file://~ with PULUMI_CONFIG_PASSPHRASE, or Pulumi Cloud). Nothing secret
// is put on a command line: the CLI reads credentials from the environment it inherits.
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, Stack, type PulumiCommand } from "@pulumi/pulumi/automation";
import { readStackFileConfig } from "../config/stack-files";
import {
    maskOutputs,
    planDown,
    planUp,
    sandboxInfo,
    sandboxStackFile,
    sandboxStackName,
    selectForPrune,
    selectSandboxes,
    type DownPlan,
    type PruneDecision,
    type SandboxInfo,
    type StackListing,
    type UpPlan,
} from "./plan";

export interface SandboxDriverOptions {
    /** Where Pulumi.yaml and the stack files are. */
    projectDir: string;
    /** The Pulumi CLI; default `PulumiCommand.get()` (pulumi on PATH). */
    pulumiCommand?: PulumiCommand;
    /** Added to the CLI's environment (it inherits this process's). */
    envVars?: Record<string, string>;
    /** Pulumi's progress output while it updates or destroys (streamed). */
    onOutput?: (text: string) => void;
    now?: () => Date;
}

/** One clear line for a failed Pulumi CLI call: a missing CLI, no backend login, no passphrase, or Pulumi's own error line. */
export function describePulumiError(err: unknown): string {
    const e = err as { message?: string; commandResult?: { stderr?: string; stdout?: string; err?: { code?: string } } };
    const stderr = e.commandResult?.stderr ?? "";
    const text = `${stderr}\n${e.message ?? String(err)}`;
    if (e.commandResult?.err?.code === "ENOENT" || /spawn \S*pulumi ENOENT|ENOENT.*pulumi/.test(text)) {
        return "the Pulumi CLI (pulumi) is not installed or not on PATH: install it (https://www.pulumi.com/docs/install/), then run herokuenv doctor";
    }
    if (/PULUMI_ACCESS_TOKEN must be set|not logged in|no credentials|pulumi login/i.test(stderr)) {
        return "the Pulumi CLI is not logged in to a backend: run pulumi login, or set PULUMI_BACKEND_URL (e.g. file://~ for a local backend)";
    }
    if (/passphrase must be set|incorrect passphrase|PULUMI_CONFIG_PASSPHRASE/i.test(stderr)) {
        return "the stack's secrets need a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), or use a backend with its own secrets provider";
    }
    if (/Minimum version requirement failed|Major version mismatch|Failed to parse Pulumi CLI version/.test(text)) {
        return (e.message ?? String(err)).split("\n")[0];
    }
    const errorLine = stderr.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("error:")).pop();
    if (errorLine) return `pulumi ${errorLine}`;
    const first = (e.message ?? String(err)).split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("code:"));
    return first ?? "the Pulumi CLI failed";
}

/** An error whose message is one line meant for the user. */
export class SandboxError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SandboxError";
    }
}

async function pulumiCall<T>(work: () => Promise<T>): Promise<T> {
    try {
        return await work();
    } catch (err) {
        if (err instanceof SandboxError) throw err;
        throw new SandboxError(describePulumiError(err));
    }
}

export interface UpResult {
    plan: UpPlan;
    dryRun: boolean;
    /** Outputs after the update, secrets masked. */
    outputs: Record<string, unknown>;
    appUrl?: string;
}

export interface StatusResult {
    sandbox: SandboxInfo;
    tags: Record<string, string>;
    outputs: Record<string, unknown>;
}

export interface PruneResult {
    olderThanMs: number;
    decision: PruneDecision;
    destroyed: string[];
    failed: Array<{ stack: string; error: string }>;
    dryRun: boolean;
}

export class SandboxDriver {
    private constructor(
        readonly workspace: LocalWorkspace,
        private readonly options: SandboxDriverOptions,
    ) {}

    /** The workspace over the project directory; fails with one line when the CLI is missing or too old. */
    static async open(options: SandboxDriverOptions): Promise<SandboxDriver> {
        if (!fs.existsSync(path.join(options.projectDir, "Pulumi.yaml"))) {
            throw new SandboxError(`${options.projectDir} is not a Pulumi project (no Pulumi.yaml): run herokuenv in herokuenv's project directory or pass --project`);
        }
        const workspace = await pulumiCall(() =>
            LocalWorkspace.create({
                workDir: options.projectDir,
                ...(options.pulumiCommand ? { pulumiCommand: options.pulumiCommand } : {}),
                ...(options.envVars ? { envVars: options.envVars } : {}),
            }),
        );
        return new SandboxDriver(workspace, options);
    }

    private now(): Date {
        return this.options.now?.() ?? new Date();
    }

    private async listings(): Promise<StackListing[]> {
        return pulumiCall(() => this.workspace.listStacks());
    }

    private async tags(stack: string): Promise<Record<string, string>> {
        return pulumiCall(() => this.workspace.listTags(stack));
    }

    private async find(stack: string): Promise<(StackListing & { engineer: string }) | undefined> {
        return selectSandboxes(await this.listings()).find((s) => s.name === stack || s.name.endsWith(`/${stack}`));
    }

    /** The stack's `herokuenv:kind`: from its stack file here, else from the backend's config; undefined when unknown. */
    private async kindOf(stack: string): Promise<string | undefined> {
        const file = readStackFileConfig(stack, this.options.projectDir);
        if (file !== undefined) return typeof file.kind === "string" ? file.kind : undefined;
        try {
            return (await this.workspace.getConfig(stack, "herokuenv:kind")).value;
        } catch {
            return undefined;
        }
    }

    /** Creates or selects mini-<engineer>, tags it, runs the update; `dryRun` only plans. */
    async up(engineer: string, opts: { dryRun?: boolean } = {}): Promise<UpResult> {
        const stack = sandboxStackName(engineer);
        const dir = this.options.projectDir;
        if (!fs.existsSync(path.join(dir, "Pulumi.staging.yaml"))) {
            throw new SandboxError(`Pulumi.staging.yaml is not in ${dir}: a sandbox derives from staging's stack file`);
        }
        const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
        const existing = await this.find(stack);
        const own = readStackFileConfig(stack, this.options.projectDir);
        const plan = planUp(
            engineer,
            {
                stackFileExists: fs.existsSync(stackFile),
                stackExists: existing !== undefined,
                tags: existing ? await this.tags(stack) : {},
                stagingHasRules: readStackFileConfig("staging", this.options.projectDir)?.seed !== undefined,
                // `pulumi config set --secret --path 'herokuenv:seed.secret'` writes it into the stack file (encrypted).
                seedSecretSet: (own?.seed as { secret?: unknown } | undefined)?.secret !== undefined,
            },
            this.now(),
        );
        if (existing !== undefined) {
            const kind = await this.kindOf(stack);
            if (kind !== undefined && kind !== "sandbox") throw new SandboxError(`stack ${stack} is not a sandbox (herokuenv:kind is ${JSON.stringify(kind)}): refusing to update it as one`);
        }
        if (opts.dryRun) return { plan, dryRun: true, outputs: {} };
        if (plan.writeStackFile) fs.writeFileSync(stackFile, sandboxStackFile(engineer));
        const s = await pulumiCall(() => Stack.createOrSelect(stack, this.workspace));
        for (const [key, value] of Object.entries(plan.tags)) await pulumiCall(() => s.setTag(key, value));
        const result = await pulumiCall(() => s.up({ onOutput: this.options.onOutput }));
        const outputs = maskOutputs(result.outputs);
        const appUrl = typeof outputs.appUrl === "string" ? outputs.appUrl : undefined;
        return { plan, dryRun: false, outputs, ...(appUrl ? { appUrl } : {}) };
    }

    /** Checks that mini-<engineer> is a sandbox and says what `down` will do. */
    async planDown(engineer: string): Promise<DownPlan> {
        const stack = sandboxStackName(engineer);
        const existing = await this.find(stack);
        return planDown(engineer, {
            exists: existing !== undefined,
            kind: existing ? await this.kindOf(stack) : undefined,
            tags: existing ? await this.tags(stack) : {},
        });
    }

    /** Destroys the sandbox and removes its stack (config and secrets go with it). */
    async down(engineer: string, checked?: DownPlan): Promise<DownPlan> {
        const plan = checked ?? (await this.planDown(engineer));
        await this.destroy(plan.stack);
        return plan;
    }

    private async destroy(stack: string): Promise<void> {
        const s = await pulumiCall(() => Stack.select(stack, this.workspace));
        await pulumiCall(() => s.destroy({ onOutput: this.options.onOutput, remove: true }));
    }

    private async info(listing: StackListing & { engineer: string }): Promise<{ info: SandboxInfo; tags: Record<string, string>; outputs: Record<string, unknown> | undefined }> {
        const tags = await this.tags(listing.name);
        // Outputs are optional in a listing (a stack never updated has none, or its secrets cannot be read here).
        const outputs = await this.workspace.stackOutputs(listing.name).then(maskOutputs, () => undefined);
        const appUrl = typeof outputs?.appUrl === "string" ? outputs.appUrl : undefined;
        return { info: sandboxInfo(listing, tags, appUrl, this.now()), tags, outputs };
    }

    async list(): Promise<SandboxInfo[]> {
        const sandboxes = selectSandboxes(await this.listings());
        const infos: SandboxInfo[] = [];
        for (const s of sandboxes) infos.push((await this.info(s)).info);
        return infos;
    }

    async status(engineer: string): Promise<StatusResult> {
        const stack = sandboxStackName(engineer);
        const listing = await this.find(stack);
        if (listing === undefined) throw new SandboxError(`there is no sandbox ${stack} on this backend (herokuenv sandbox list shows the sandboxes; herokuenv sandbox up ${engineer} creates it)`);
        const { info, tags } = await this.info(listing);
        const outputs = maskOutputs(await pulumiCall(() => this.workspace.stackOutputs(stack)));
        return { sandbox: info, tags, outputs };
    }

    /** Selects sandboxes not updated for `olderThanMs`; destroys them unless `dryRun`. Goes on past a failure. */
    async prune(olderThanMs: number, opts: { dryRun: boolean; onDestroy?: (stack: string) => void }): Promise<PruneResult> {
        const decision = selectForPrune(await this.list(), olderThanMs);
        const result: PruneResult = { olderThanMs, decision, destroyed: [], failed: [], dryRun: opts.dryRun };
        if (opts.dryRun) return result;
        for (const s of decision.prune) {
            opts.onDestroy?.(s.stack);
            try {
                const kind = await this.kindOf(s.stack);
                planDown(s.engineer, { exists: true, kind, tags: await this.tags(s.stack) });
                await this.destroy(s.stack);
                result.destroyed.push(s.stack);
            } catch (err) {
                result.failed.push({ stack: s.stack, error: err instanceof Error ? err.message.split("\n")[0] : String(err) });
            }
        }
        return result;
    }
}

// herokuenv sandbox up|down|list|status|prune: an engineer's mini staging (stack mini-<engineer>, derived from
// staging) through Pulumi's Automation API. Progress from Pulumi goes to stderr; the summary to stdout; with --json,
// stdout is one JSON document. Secret outputs are masked everywhere.
import * as path from "node:path";
import * as readline from "node:readline";
import type { Command } from "commander";
import { SandboxDriver, SandboxError } from "../components/sandbox/automation";
import { missingCredentials } from "../components/sandbox/doctor";
import { engineerFromArgument, formatAge, parseDuration, type SandboxInfo } from "../components/sandbox/plan";
import { formatFields, formatTable, writeJson } from "./format";

interface Common {
    project: string;
    json?: boolean;
}

const err = (line: string): void => void process.stderr.write(`${line}\n`);
const out = (line: string): void => void process.stdout.write(`${line}\n`);

function open(opts: Common): Promise<SandboxDriver> {
    return SandboxDriver.open({
        projectDir: path.resolve(opts.project),
        // Pulumi's progress: on stderr, so that stdout stays the summary (or the one JSON document).
        onOutput: (text) => void process.stderr.write(text),
    });
}

function common(cmd: Command): Command {
    return cmd.option("--project <dir>", "the Pulumi project directory", process.cwd()).option("--json", "print one JSON document on stdout");
}

async function confirm(question: string, expected: string): Promise<boolean> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
        const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
        return answer.trim() === expected;
    } finally {
        rl.close();
    }
}

function nextSteps(engineer: string, appUrl: string | undefined): string[] {
    return [
        ...(appUrl ? [`open ${appUrl}`] : []),
        `deploy your branch to the sandbox's app (git push to its Heroku git URL), then check it with herokuenv sandbox status ${engineer}`,
        `herokuenv sandbox down ${engineer} when you are done (it destroys everything the sandbox made)`,
    ];
}

function row(s: SandboxInfo): string[] {
    return [
        s.stack,
        s.owner ?? `${s.engineer} (untagged)`,
        s.created ? formatAge(Date.now() - Date.parse(s.created)) : "-",
        s.updateInProgress ? "updating now" : s.lastUpdate ? `${formatAge(Date.now() - Date.parse(s.lastUpdate))} ago` : "never",
        s.resourceCount === undefined ? "-" : String(s.resourceCount),
        s.appUrl ?? "-",
    ];
}

export function register(program: Command): void {
    const sandbox = program
        .command("sandbox")
        .description("an engineer's sandbox (stack mini-<engineer>, derived from staging): up, down, list, status, prune");

    common(sandbox.command("up").argument("<engineer>", "lower-case name, e.g. alice"))
        .description("create or update mini-<engineer>: write its stack file when absent, tag it, run the update")
        .option("--dry-run", "print what would be done and change nothing")
        .action(async (argument: string, opts: Common & { dryRun?: boolean }) => {
            const engineer = engineerFromArgument(argument);
            const projectDir = path.resolve(opts.project);
            if (!opts.dryRun) {
                const missing = missingCredentials(process.env, projectDir);
                if (missing) throw new SandboxError(missing);
            }
            const driver = await open(opts);
            if (!opts.json && !opts.dryRun) err(`herokuenv sandbox up: updating mini-${engineer} (Pulumi's progress follows)`);
            const result = await driver.up(engineer, { dryRun: opts.dryRun });
            const next = nextSteps(engineer, result.appUrl);
            if (opts.json) {
                writeJson({
                    stack: result.plan.stack,
                    engineer,
                    dryRun: result.dryRun,
                    createdStack: result.plan.createStack,
                    wroteStackFile: result.plan.writeStackFile,
                    tags: result.plan.tags,
                    steps: result.plan.steps,
                    appUrl: result.appUrl ?? null,
                    outputs: result.outputs,
                    seed: result.plan.seed,
                    next,
                });
                return;
            }
            if (result.dryRun) {
                out(`herokuenv sandbox up ${engineer} would:`);
                for (const step of result.plan.steps) out(`  - ${step}`);
                return;
            }
            out(`sandbox ${result.plan.stack} is up`);
            out(formatFields([
                ["app", result.appUrl ?? "(no appUrl output)"],
                ["stack", `${result.plan.stack}${result.plan.createStack ? " (new)" : ""}`],
                ["stack file", `${result.plan.stackFile}${result.plan.writeStackFile ? " (written)" : " (kept)"}`],
                ["seed", result.plan.seed.reason],
            ]));
            out("next:");
            for (const step of next) out(`  - ${step}`);
        });

    common(sandbox.command("down").argument("<engineer>", "whose sandbox to destroy"))
        .description("destroy mini-<engineer> and remove its stack (config and secrets too); refuses any stack that is not a sandbox")
        .option("--yes", "do not ask for confirmation")
        .option("--dry-run", "check and print what would be done, change nothing")
        .action(async (argument: string, opts: Common & { yes?: boolean; dryRun?: boolean }) => {
            const engineer = engineerFromArgument(argument);
            const driver = await open(opts);
            const plan = await driver.planDown(engineer);
            if (opts.dryRun) {
                if (opts.json) writeJson({ stack: plan.stack, engineer, dryRun: true, steps: plan.steps });
                else {
                    out(`herokuenv sandbox down ${engineer} would:`);
                    for (const step of plan.steps) out(`  - ${step}`);
                }
                return;
            }
            if (!opts.yes) {
                if (!process.stdin.isTTY) throw new SandboxError(`herokuenv sandbox down ${engineer} destroys ${plan.stack} and all its data: pass --yes to confirm`);
                if (!(await confirm(`Destroy ${plan.stack} and all its data? Type ${engineer} to confirm: `, engineer))) throw new SandboxError("not confirmed: nothing was destroyed");
            }
            await driver.down(engineer, plan);
            if (opts.json) writeJson({ stack: plan.stack, engineer, dryRun: false, destroyed: true, removed: true, steps: plan.steps });
            else out(`sandbox ${plan.stack} destroyed; its stack, config and secrets are removed`);
        });

    common(sandbox.command("list"))
        .description("every sandbox: owner, age, last update, resource count, URL")
        .action(async (opts: Common) => {
            const driver = await open(opts);
            const sandboxes = await driver.list();
            if (opts.json) return writeJson({ sandboxes });
            if (sandboxes.length === 0) return out("no sandboxes (herokuenv sandbox up <engineer> creates one)");
            out(formatTable(["stack", "owner", "age", "last update", "resources", "url"], sandboxes.map(row), { alignRight: [4] }));
        });

    common(sandbox.command("status").argument("<engineer>", "whose sandbox"))
        .description("one sandbox with its tags and outputs (secrets masked)")
        .action(async (argument: string, opts: Common) => {
            const engineer = engineerFromArgument(argument);
            const driver = await open(opts);
            const status = await driver.status(engineer);
            if (opts.json) return writeJson(status);
            const s = status.sandbox;
            out(`sandbox ${s.stack}`);
            out(formatFields([
                ["owner", s.owner ?? `${s.engineer} (no owner tag)`],
                ["created", s.created ?? "-"],
                ["last update", s.updateInProgress ? "updating now" : (s.lastUpdate ?? "never")],
                ["resources", s.resourceCount === undefined ? "-" : String(s.resourceCount)],
                ["app", s.appUrl ?? "-"],
            ]));
            const outputs = Object.entries(status.outputs);
            if (outputs.length > 0) {
                out("outputs:");
                out(formatFields(outputs.map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)] as const), 4));
            }
        });

    common(sandbox.command("prune"))
        .description("list sandboxes not updated for a while; with --yes, destroy them")
        .requiredOption("--older-than <age>", "e.g. 14d, 36h, 2w")
        .option("--yes", "destroy the selected sandboxes (without it, only list them)")
        .action(async (opts: Common & { olderThan: string; yes?: boolean }) => {
            const olderThanMs = parseDuration(opts.olderThan);
            const driver = await open(opts);
            const result = await driver.prune(olderThanMs, { dryRun: !opts.yes, onDestroy: (stack) => (opts.json ? undefined : err(`destroying ${stack}…`)) });
            if (result.failed.length > 0) process.exitCode = 1;
            if (opts.json) {
                return writeJson({
                    olderThan: opts.olderThan,
                    dryRun: result.dryRun,
                    selected: result.decision.prune,
                    kept: result.decision.keep.map((k) => ({ stack: k.sandbox.stack, reason: k.reason })),
                    destroyed: result.destroyed,
                    failed: result.failed,
                });
            }
            if (result.decision.prune.length === 0) out(`no sandbox is older than ${opts.olderThan}`);
            else {
                out(`${result.dryRun ? "would destroy" : "selected"} (not updated for ${opts.olderThan}):`);
                out(formatTable(["stack", "owner", "age", "last update", "resources", "url"], result.decision.prune.map(row), { alignRight: [4] }));
            }
            for (const k of result.decision.keep) out(`  keep ${k.sandbox.stack}: ${k.reason}`);
            if (result.dryRun && result.decision.prune.length > 0) out("run again with --yes to destroy them");
            for (const d of result.destroyed) out(`destroyed ${d}`);
            for (const f of result.failed) err(`herokuenv sandbox prune: ${f.stack} was not destroyed: ${f.error}`);
        });
}

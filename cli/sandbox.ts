// herokuenv sandbox <engineer>: one command for an engineer's mini staging.
import * as path from "node:path";
import type { Command } from "commander";
import { spinUpSandbox } from "../components/sandbox/spin-up";

export function register(program: Command): void {
    program
        .command("sandbox")
        .description("create or update an engineer's sandbox (stack mini-<engineer>, derived from staging)")
        .argument("<engineer>", "lower-case name, e.g. alice")
        .option("--project <dir>", "the Pulumi project directory", process.cwd())
        .option("--dry-run", "write the stack file and print the Pulumi commands without running them")
        .option("--yes", "do not ask for confirmation in pulumi up")
        .action(async (engineer: string, opts: { project: string; dryRun?: boolean; yes?: boolean }) => {
            const code = await spinUpSandbox({ engineer, projectDir: path.resolve(opts.project), dryRun: opts.dryRun, yes: opts.yes });
            if (code !== 0) process.exitCode = code;
        });
}

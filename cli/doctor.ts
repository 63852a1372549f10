// herokuenv doctor: checks what a first run needs (Pulumi CLI and version, backend login, secrets, Heroku, AWS and
// Cloudflare credentials, the stack files) and prints each as ok or what to do. Exit code 1 when anything fails.
import * as path from "node:path";
import type { Command } from "commander";
import { runDoctor } from "../components/sandbox/doctor";
import { writeJson } from "./format";

export function register(program: Command): void {
    program
        .command("doctor")
        .description("check what a first run needs and say what to fix")
        .option("--project <dir>", "the Pulumi project directory", process.cwd())
        .option("--json", "print one JSON document on stdout")
        .action(async (opts: { project: string; json?: boolean }) => {
            const checks = await runDoctor({ projectDir: path.resolve(opts.project) });
            const failed = checks.filter((c) => c.status === "fail").length;
            const warned = checks.filter((c) => c.status === "warn").length;
            if (failed > 0) process.exitCode = 1;
            if (opts.json) return writeJson({ ok: failed === 0, failed, warnings: warned, checks });
            const width = Math.max(...checks.map((c) => c.name.length)) + 2;
            for (const c of checks) {
                process.stdout.write(`${c.status.padEnd(5)} ${c.name.padEnd(width)}${c.detail}\n`);
                if (c.fix && c.status !== "ok") process.stdout.write(`${" ".repeat(6 + width)}→ ${c.fix}\n`);
            }
            process.stdout.write(failed === 0 ? `ready${warned > 0 ? ` (${warned} warning${warned === 1 ? "" : "s"})` : ""}\n` : `${failed} check${failed === 1 ? "" : "s"} failed\n`);
        });
}

// The herokuenv command line: argument parsing, progress display and exit codes only. Every command calls the same
// engine as its Pulumi dynamic resource, so what the CLI proves, `pulumi up` does.
import { Command } from "commander";

export interface CliCommand {
    /** Adds the command to the program. */
    register(program: Command): void;
}

/** One module per command (cli/<command>.ts); loaded lazily so `--help` stays fast. */
const COMMAND_MODULES: string[] = [
    "./sandbox",
];
// eslint-disable-next-line @typescript-eslint/no-require-imports
const COMMANDS: CliCommand[] = COMMAND_MODULES.map((file) => require(file) as CliCommand);

export function buildProgram(): Command {
    const program = new Command("herokuenv")
        .description("Heroku environments as code: data steps for migrations, file syncs and sandboxes")
        .showHelpAfterError()
        .exitOverride();
    for (const command of COMMANDS) command.register(program);
    return program;
}

export async function main(argv: string[]): Promise<number> {
    try {
        await buildProgram().parseAsync(argv, { from: "user" });
        return process.exitCode === undefined ? 0 : Number(process.exitCode);
    } catch (err) {
        const e = err as { code?: string; exitCode?: number; message?: string };
        if (e.code?.startsWith("commander.")) return e.exitCode ?? 2;
        process.stderr.write(`herokuenv: ${e.message ?? String(err)}\n`);
        return 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code));
}

// The herokuenv command line: argument parsing, progress display and exit codes only. Every command calls the same
// engine as its Pulumi dynamic resource, so what the CLI proves, `pulumi up` does.
import { Command } from "commander";

export interface CliCommand {
    /** Adds the command to the program. */
    register(program: Command): void;
}

/** One module per command (cli/<command>.ts); loaded lazily so `--help` stays fast. */
const COMMAND_MODULES: string[] = [
    "./copy-db",
    "./doctor",
    "./migrate-db",
    "./promote",
    "./rehearse",
    "./sandbox",
    "./sync-files",
];

/**
 * The modules to load for these arguments: only the invoked command's (cli/<command>.ts), since each pulls in its own
 * drivers and SDKs and loading them all costs seconds before any work starts; all of them for help or anything else.
 */
function commandsFor(argv: readonly string[]): CliCommand[] {
    const invoked = COMMAND_MODULES.filter((file) => file === `./${argv[0]}`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (invoked.length > 0 ? invoked : COMMAND_MODULES).map((file) => require(file) as CliCommand);
}

export function buildProgram(argv: readonly string[] = []): Command {
    const program = new Command("herokuenv")
        .description("Heroku environments as code: data steps for migrations, file syncs and sandboxes")
        .showHelpAfterError()
        .exitOverride();
    for (const command of commandsFor(argv)) command.register(program);
    return program;
}

export async function main(argv: string[]): Promise<number> {
    try {
        await buildProgram(argv).parseAsync(argv, { from: "user" });
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

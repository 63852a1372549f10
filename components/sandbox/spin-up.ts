// Spins up an engineer's sandbox: writes the stack file (only the engineer's name: everything else derives from
// staging), creates the stack and runs `pulumi up` on it. The Pulumi CLI does the work; this is the one command.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ENGINEER_NAME } from "../config/schema";

export interface SpinUpOptions {
    engineer: string;
    /** The project directory (where Pulumi.yaml and the stack files are). */
    projectDir: string;
    /** Pulumi CLI executable. */
    pulumi?: string;
    /** Only write the stack file and print the commands. */
    dryRun?: boolean;
    /** Pass `--yes` to `pulumi up` (no interactive confirmation). */
    yes?: boolean;
    log?: (line: string) => void;
}

export function sandboxStackName(engineer: string): string {
    return `mini-${engineer}`;
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

function run(command: string, args: string[], cwd: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd, stdio: "inherit" });
        child.on("error", (err: NodeJS.ErrnoException) =>
            reject(err.code === "ENOENT" ? new Error(`${command} not found: install the Pulumi CLI (https://www.pulumi.com/docs/install/)`) : err));
        child.on("exit", (code) => resolve(code ?? 1));
    });
}

/** Returns the exit code of `pulumi up` (0 when the sandbox is up). */
export async function spinUpSandbox(options: SpinUpOptions): Promise<number> {
    const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
    validateEngineer(options.engineer);
    const stack = sandboxStackName(options.engineer);
    if (!fs.existsSync(path.join(options.projectDir, "Pulumi.staging.yaml"))) {
        throw new Error(`Pulumi.staging.yaml is not in ${options.projectDir}: a sandbox derives from staging's stack file`);
    }
    const file = path.join(options.projectDir, `Pulumi.${stack}.yaml`);
    if (fs.existsSync(file)) log(`${path.basename(file)} exists: keeping it`);
    else {
        fs.writeFileSync(file, sandboxStackFile(options.engineer));
        log(`wrote ${path.basename(file)}`);
    }
    const pulumi = options.pulumi ?? "pulumi";
    const commands: string[][] = [
        ["stack", "select", "--create", stack],
        ["up", "--stack", stack, ...(options.yes ? ["--yes"] : [])],
    ];
    if (options.dryRun) {
        for (const c of commands) log(`${pulumi} ${c.join(" ")}`);
        return 0;
    }
    for (const c of commands) {
        const code = await run(pulumi, c, options.projectDir);
        if (code !== 0) {
            log(`${pulumi} ${c.join(" ")} failed with exit code ${code}`);
            return code;
        }
    }
    log(`sandbox ${stack} is up: \`pulumi stack output --stack ${stack}\` shows its URL`);
    return 0;
}

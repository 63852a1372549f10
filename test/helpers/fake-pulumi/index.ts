// The recording stand-in for the Pulumi CLI (./pulumi): a temporary project with the stack files, a bin directory
// whose `pulumi` is the stand-in, a backend state file, and the log of every call (argv, cwd, PULUMI_*/HEROKU_*/
// AWS_*/CLOUDFLARE_* environment).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export interface FakeStack {
    tags: Record<string, string>;
    outputs: Record<string, { value: unknown; secret: boolean }>;
    history: unknown[];
    lastUpdate?: string;
    resourceCount?: number;
    updateInProgress?: boolean;
    config?: Record<string, unknown>;
}

export interface FakeState {
    version?: string;
    user?: string;
    /** Backend when PULUMI_BACKEND_URL is not set; none means "not logged in". */
    backend?: string;
    current?: string;
    stacks: Record<string, FakeStack>;
    /** Outputs every `up` sets ("{stack}" in a string value becomes the stack name). */
    upOutputs?: Record<string, { value: unknown; secret: boolean }>;
    upResourceCount?: number;
    /** First word of a command (up, destroy, stack…) → a failure to answer with. */
    failures?: Record<string, { stderr: string; code?: number; stack?: string; stdout?: string }>;
}

export interface Call {
    argv: string[];
    cwd: string;
    env: Record<string, string>;
}

export interface FakePulumi {
    dir: string;
    bin: string;
    env: NodeJS.ProcessEnv;
    state(): FakeState;
    setState(update: (s: FakeState) => void): void;
    calls(): Call[];
    /** The calls as "arg arg arg" strings, `--non-interactive` dropped. */
    commands(): string[];
    clearCalls(): void;
    cleanup(): void;
}

/** A project directory with this repository's Pulumi.yaml and stack files and the stand-in first on PATH. */
export function fakePulumi(options: { env?: NodeJS.ProcessEnv; state?: Partial<FakeState>; withPulumi?: boolean } = {}): FakePulumi {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-fake-pulumi-"));
    for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml"]) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dir, f));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    if (options.withPulumi !== false) fs.copyFileSync(path.join(__dirname, "pulumi"), path.join(bin, "pulumi"));
    fs.chmodSync(bin, 0o755);
    if (options.withPulumi !== false) fs.chmodSync(path.join(bin, "pulumi"), 0o755);
    const statePath = path.join(dir, "backend.json");
    const logPath = path.join(dir, "calls.jsonl");
    fs.writeFileSync(statePath, JSON.stringify({ stacks: {}, ...options.state }));
    // The stand-in is copied out of the checkout: let it find `yaml` in this repository's node_modules.
    const home = path.join(dir, "home");
    fs.mkdirSync(home);
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        HOME: home,
        NODE_PATH: path.join(REPO_ROOT, "node_modules"),
        FAKE_PULUMI_STATE: statePath,
        FAKE_PULUMI_LOG: logPath,
        // Only the node binary's directory, the stand-in and the system: no real pulumi can be found.
        PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
        ...options.env,
    };
    for (const k of Object.keys(env)) if (/^(PULUMI_|HEROKU_|AWS_|CLOUDFLARE_)/.test(k) && !(options.env && k in options.env)) delete env[k];
    const read = (): Call[] => (fs.existsSync(logPath) ? fs.readFileSync(logPath, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Call) : []);
    return {
        dir,
        bin,
        env,
        state: () => JSON.parse(fs.readFileSync(statePath, "utf8")) as FakeState,
        setState(update) {
            const s = JSON.parse(fs.readFileSync(statePath, "utf8")) as FakeState;
            update(s);
            fs.writeFileSync(statePath, JSON.stringify(s));
        },
        calls: read,
        commands: () => read().map((c) => c.argv.filter((a) => a !== "--non-interactive").join(" ")),
        clearCalls: () => fs.rmSync(logPath, { force: true }),
        cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

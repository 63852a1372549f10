// Proves a dynamic provider works the way `pulumi up` runs it: the SDK serializes the provider under mocks (through
// ts-node, like the Pulumi CLI loads index.ts), and a fresh plain-Node process loads that text and drives it.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import * as pulumi from "@pulumi/pulumi";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * Registers the resource `create` builds under Pulumi mocks and returns the `__provider` text the SDK serialized,
 * with the resource's other inputs as the engine would receive them.
 */
export async function serializeProvider(create: () => pulumi.CustomResource): Promise<{ provider: string; inputs: Record<string, unknown> }> {
    let captured: { provider: string; inputs: Record<string, unknown> } | undefined;
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const inputs = args.inputs as Record<string, unknown>;
                if (typeof inputs.__provider === "string" && captured === undefined) {
                    const { __provider, ...rest } = inputs;
                    captured = { provider: __provider as string, inputs: rest };
                }
                return { id: `${args.name}-id`, state: inputs };
            },
            call: (args) => args.inputs as Record<string, unknown>,
        },
        "herokuenv",
        "test",
        false,
    );
    create();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    for (let i = 0; i < 100 && captured === undefined; i++) {
        await settings.waitForRPCs();
        await new Promise((r) => setTimeout(r, 10));
    }
    if (captured === undefined) throw new Error("the resource registered no __provider");
    return captured;
}

export interface ProviderError extends Error {
    /** `String(err)` in the host process, i.e. what Pulumi prints. */
    text: string;
    hostStack: string;
    /** Set when the provider reported "created but failed to initialize" (Pulumi keeps the resource with these). */
    id?: string;
    properties?: Record<string, unknown>;
    reasons?: string[];
}

/** A fresh Node process running one serialized provider. */
export class ProviderHost {
    private nextId = 0;
    private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    /** Everything the host process wrote to stderr (a leak check searches it). */
    public stderr = "";

    private constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly file: string) {
        readline.createInterface({ input: child.stdout }).on("line", (line) => {
            const msg = JSON.parse(line) as {
                id: number;
                result?: unknown;
                error?: { message: string; text: string; stack: string; id?: string; properties?: Record<string, unknown>; reasons?: string[] };
            };
            const waiter = this.pending.get(msg.id);
            if (!waiter) return;
            this.pending.delete(msg.id);
            if (msg.error) {
                const err = new Error(msg.error.message) as ProviderError;
                err.text = msg.error.text;
                err.hostStack = msg.error.stack;
                if (msg.error.id !== undefined) {
                    err.id = msg.error.id;
                    err.properties = msg.error.properties;
                    err.reasons = msg.error.reasons;
                }
                waiter.reject(err);
            } else waiter.resolve(msg.result);
        });
        child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
        child.on("exit", () => {
            for (const w of this.pending.values()) w.reject(new Error(`provider host exited; stderr:\n${this.stderr}`));
            this.pending.clear();
        });
    }

    /**
     * Starts the host for a provider text. `config` is the stack config the host passes to `configure`
     * (e.g. `{ "heroku:apiKey": token }`); `env` is added to the host process environment.
     */
    static async start(
        providerText: string,
        options: { config?: Record<string, string>; env?: Record<string, string>; projectDir?: string } = {},
    ): Promise<ProviderHost> {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-provider-")), "provider.js");
        fs.writeFileSync(file, providerText);
        // Pulumi's host runs in the program's directory, from the program's own node_modules. By default that is this
        // repository; a `projectDir` (another project that installed herokuenv) gets a copy of the host script in its
        // node_modules, so nothing resolves from this checkout.
        const projectDir = options.projectDir ?? REPO_ROOT;
        let hostScript = path.join(__dirname, "provider-host-child.js");
        if (options.projectDir !== undefined) {
            const copied = path.join(options.projectDir, "node_modules", ".herokuenv-test-provider-host.js");
            fs.copyFileSync(hostScript, copied);
            hostScript = copied;
        }
        const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, HEROKUENV_TEST_PROVIDER_CONFIG: JSON.stringify(options.config ?? {}) };
        // Pulumi's host never has ts-node loaded: make sure ours does not inherit it either.
        delete env.TS_NODE_TRANSPILE_ONLY;
        env.NODE_OPTIONS = (env.NODE_OPTIONS ?? "").replace(/--require\s+\S*ts-node\S*/g, "");
        const child = spawn(process.execPath, [hostScript, file], { cwd: projectDir, env });
        return new ProviderHost(child, file);
    }

    call<T = unknown>(op: "check" | "diff" | "create" | "read" | "update" | "delete", ...args: unknown[]): Promise<T> {
        const id = this.nextId++;
        return new Promise<T>((resolve, reject) => {
            this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
            this.child.stdin.write(JSON.stringify({ id, op, args }) + "\n");
        });
    }

    async stop(): Promise<void> {
        this.child.stdin.end();
        await new Promise<void>((resolve) => {
            if (this.child.exitCode !== null) resolve();
            else this.child.once("exit", () => resolve());
        });
        fs.rmSync(path.dirname(this.file), { recursive: true, force: true });
    }
}

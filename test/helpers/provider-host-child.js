/* eslint-disable */
// Stands in for Pulumi's dynamic-provider host (@pulumi/pulumi/cmd/dynamic-provider): plain Node, no ts-node. It loads
// a serialized provider exactly the way the host does, `requireFromString(text).handler()`, calls `configure` with the
// stack config, then answers one JSON request per stdin line: { id, op, args } -> { id, result } | { id, error }.
const readline = require("node:readline");
const requireFromString = require("require-from-string");

const text = require("node:fs").readFileSync(process.argv[2], "utf8");
const config = JSON.parse(process.env.HEROKUENV_TEST_PROVIDER_CONFIG || "{}");
let providerPromise = (async () => {
    const provider = requireFromString(text).handler();
    if (provider.configure) {
        await provider.configure({
            config: {
                get: (key) => config[key],
                require: (key) => {
                    if (config[key] === undefined) throw new Error(`Missing required configuration key: ${key}`);
                    return config[key];
                },
            },
        });
    }
    return provider;
})();

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", async (line) => {
    const { id, op, args } = JSON.parse(line);
    try {
        const provider = await providerPromise;
        let result;
        if (typeof provider[op] !== "function") {
            // The host's defaults when a method is missing.
            if (op === "check") result = { inputs: args[1] };
            else if (op === "diff") result = {};
            else if (op === "read") result = { id: args[0], props: args[1] };
            else throw new Error(`provider has no ${op}`);
        } else {
            result = await provider[op](...args);
        }
        process.stdout.write(JSON.stringify({ id, result: result === undefined ? null : result }) + "\n");
    } catch (err) {
        // Like the host's grpcResponseFromError: an error with `id` means "created but failed to initialize", and
        // carries the resource's `properties` and `reasons` back to the engine.
        const initFailure = err && err.id ? { id: String(err.id), properties: err.properties || {}, reasons: err.reasons || [] } : {};
        process.stdout.write(JSON.stringify({ id, error: { message: String(err && err.message), text: String(err), stack: String(err && err.stack), ...initFailure } }) + "\n");
    }
});
rl.on("close", () => process.exit(0));

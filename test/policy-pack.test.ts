// The pack itself: policy/index.ts must hand the PolicyPack every policy ./policies defines, and exactly the ones the
// issue asks for, so removing one from the pack (or from the module) fails here. Constructing a PolicyPack starts
// its gRPC server and prints the port (one per process); the test swaps @pulumi/policy's `serve` for a recorder
// while it loads index.ts, then puts it back. PolicyPack calls `serve` through the module object, so the swap holds.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { PolicyPackArgs } from "@pulumi/policy";
import * as policiesModule from "../policy/policies";

const POLICY_DIR = path.resolve(__dirname, "..", "policy");

/** The names the pack must hold: the guardrails of issue 13, one policy each. */
const EXPECTED = [
    "production-resources-protected",
    "no-public-buckets",
    "secret-config-vars",
    "production-plans",
    "no-production-references",
    "no-data-step-targets-production",
    "sandbox-owner-tag",
];

interface Served {
    name: string;
    version: string;
    enforcementLevel: string;
    args: PolicyPackArgs;
}

function loadPack(): Served[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const server = require("@pulumi/policy/server") as { serve: (...a: unknown[]) => void };
    const original = server.serve;
    const served: Served[] = [];
    server.serve = (name, version, enforcementLevel, args) => {
        served.push({ name: name as string, version: version as string, enforcementLevel: enforcementLevel as string, args: args as PolicyPackArgs });
    };
    const entry = require.resolve(path.join(POLICY_DIR, "index.ts"));
    delete require.cache[entry];
    // Other tests run the program under mocks, which clears this repository's modules from the require cache: load
    // the policies module this test imported as the one index.ts gets, so "the module's own array" is one object.
    const policiesPath = require.resolve(path.join(POLICY_DIR, "policies.ts"));
    require.cache[policiesPath] ??= { id: policiesPath, filename: policiesPath, loaded: true, exports: policiesModule } as NodeJS.Module;
    if (require.cache[policiesPath]?.exports !== policiesModule) (require.cache[policiesPath] as NodeJS.Module).exports = policiesModule;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(entry);
    } finally {
        server.serve = original;
        delete require.cache[entry];
    }
    return served;
}

describe("policy pack: the pack", function () {
    it("index.ts builds one PolicyPack named herokuenv, mandatory, from exactly the policies module's list", function () {
        const served = loadPack();
        assert.equal(served.length, 1);
        assert.equal(served[0].name, "herokuenv");
        assert.equal(served[0].enforcementLevel, "mandatory");
        assert.equal(served[0].args.policies, policiesModule.policies, "index.ts passes the module's own array");
    });

    it("holds every policy of the issue, once each, and every policy the module exports", function () {
        const packNames = loadPack()[0].args.policies.map((p) => p.name);
        assert.deepEqual([...packNames].sort(), [...EXPECTED].sort());
        assert.equal(new Set(packNames).size, packNames.length, "no duplicate names");
        const exported = Object.values(policiesModule).filter(
            (v): v is { name: string; description: string } => typeof v === "object" && v !== null && !Array.isArray(v) && "name" in v && ("validateResource" in v || "validateStack" in v),
        );
        assert.deepEqual(exported.map((p) => p.name).sort(), [...EXPECTED].sort(), "each policy is exported on its own, for its tests");
        for (const p of loadPack()[0].args.policies) {
            assert.equal(p.enforcementLevel, "mandatory", p.name);
            assert.ok(p.description.length > 20, p.name);
        }
    });

    it("is a nodejs policy pack the CLI can load: PulumiPolicy.yaml, a versioned package.json, index.ts", function () {
        const project = parseYaml(fs.readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")) as { runtime: unknown };
        assert.equal(project.runtime, "nodejs");
        const pkg = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as { version?: string };
        assert.match(pkg.version ?? "", /^\d+\.\d+\.\d+$/, "PolicyPack reads its version from package.json");
        const index = fs.readFileSync(path.join(POLICY_DIR, "index.ts"), "utf8");
        assert.match(index, /new PolicyPack\("herokuenv", \{ policies, enforcementLevel: "mandatory" \}\)/);
    });
});

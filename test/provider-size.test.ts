// Every dynamic resource stores its serialized provider in the stack's state, once per resource. The one provider
// shape (components/package-provider.ts) keeps that text small and free of this machine's paths.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { Acm, Addon, AddonAttachment, App, ConfigVars, Domain, FileSync, Formation, Maintenance, MySqlToPostgres } from "../components";
import { StackKind } from "../components/stack-kind";
import { serializeProvider } from "./helpers/provider-host";

const REPO_ROOT = path.resolve(__dirname, "..");
const MAX_BYTES = 8 * 1024;

describe("serialized dynamic providers", function () {
    this.timeout(60_000);
    let files: string;
    before(() => {
        files = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-provider-size-"));
        fs.writeFileSync(path.join(files, "a.txt"), "a");
    });
    after(() => fs.rmSync(files, { recursive: true, force: true }));

    const resources: Record<string, () => pulumi.CustomResource> = {
        App: () => new App("app", { name: "sized-app" }),
        ConfigVars: () => new ConfigVars("config", { app: "sized-app", vars: { A: "1" }, secretVars: { S: "x" } }),
        Addon: () => new Addon("db", { app: "sized-app", plan: "heroku-postgresql:essential-0" }),
        AddonAttachment: () => new AddonAttachment("attachment", { app: "sized-app", addon: "db", name: "DATABASE" }),
        Domain: () => new Domain("domain", { app: "sized-app", hostname: "www.example.com" }),
        Formation: () => new Formation("formation", { app: "sized-app", processes: { web: { size: "basic", quantity: 1 } } }),
        Maintenance: () => new Maintenance("maintenance", { app: "sized-app" }),
        Acm: () => new Acm("acm", { app: "sized-app" }),
        StackKind: () => new StackKind("kind", { kind: "production" }),
        FileSync: () => new FileSync("files", { source: files, destination: "s3://sized-bucket/files" }),
        MySqlToPostgres: () =>
            new MySqlToPostgres("db-copy", { source: "mysql://u:p@127.0.0.1/app", target: "postgres://u:p@127.0.0.1/app", allowWritesDuringCopy: true }),
    };

    for (const [name, create] of Object.entries(resources)) {
        it(`${name}: at most 8 KB, loading its provider by the package's name, with no path of this checkout`, async function () {
            const { provider } = await serializeProvider(create);
            console.log(`      ${name}: ${provider.length} bytes`);
            assert.ok(provider.length <= MAX_BYTES, `${provider.length} bytes`);
            assert.match(provider, /herokuenv\/[a-z/-]+/);
            assert.equal(provider.includes(REPO_ROOT), false, "the provider text holds this checkout's path");
        });
    }
});

// The FileSync dynamic resource as `pulumi up` runs it: serialized under mocks through ts-node, then driven in a fresh
// plain-Node process (test/helpers/provider-host) against s3rver.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { sourceFingerprint } from "../components/data/file-sync";
import { serializeManifest } from "../components/data/file-sync/plan";
import { FileSync, deleteSyncedObjects, fileSyncProvider, type FileSyncArgs, type FileSyncInputs, type FileSyncOutputs } from "../components/data/file-sync/resource";
import { downloadedMd5s, listKeys, md5, randomContent, sortedEntries, tarGz, tempDir, treeMd5s, writeTree } from "./helpers/file-sync";
import { ProviderHost, serializeProvider as serializeUnderMocks, type ProviderError } from "./helpers/provider-host";
import { isSecretValue, unwrap } from "./helpers/pulumi-program";
import { startS3rver, type S3Server } from "./helpers/servers";

interface CheckResult {
    inputs: FileSyncInputs;
    failures: Array<{ property: string; reason: string }>;
}
interface DiffResult {
    changes: boolean;
    replaces?: string[];
}

describe("FileSync dynamic resource @servers", () => {
    let s3: S3Server;
    let host: ProviderHost | undefined;
    const dirs: string[] = [];

    before(async () => {
        s3 = await startS3rver();
        await s3.createBucket("resource-files");
    });
    afterEach(async () => {
        await host?.stop();
        host = undefined;
    });
    after(async () => {
        await s3?.stop();
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    function args(source: string, destination: string, extra: Partial<FileSyncArgs> = {}): FileSyncArgs {
        return { source, destination, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: "S3RVER", secretAccessKey: pulumi.secret("S3RVER"), ...extra };
    }

    /** The provider text and inputs with secrets unwrapped, as Pulumi's host hands them to the provider. */
    async function serializeProvider(create: () => pulumi.CustomResource): Promise<{ provider: string; inputs: Record<string, unknown> }> {
        const serialized = await serializeUnderMocks(create);
        if (serialized.inputs.secretAccessKey !== undefined) assert.ok(isSecretValue(serialized.inputs.secretAccessKey), "the secret key must be a secret input");
        return { provider: serialized.provider, inputs: unwrap(serialized.inputs) as Record<string, unknown> };
    }

    async function checked(inputs: Record<string, unknown>): Promise<FileSyncInputs> {
        const result = await (host as ProviderHost).call<CheckResult>("check", {}, inputs);
        assert.deepEqual(result.failures, []);
        return result.inputs;
    }

    it("creates, diffs to a no-op, updates on a new fingerprint, reads drift and keeps user files on delete", async () => {
        const root = tempDir("resource-src");
        dirs.push(root);
        writeTree(root, { "été/photo 1.jpg": randomContent(3_000), "docs/a.pdf": randomContent(1_000), "empty": "" });

        const serialized = await serializeProvider(() => new FileSync("user-files", args(root, "s3://resource-files/files/")));
        assert.equal(serialized.inputs.source, root);
        assert.match(String(serialized.inputs.fingerprint), /^sha256:[0-9a-f]{64}$/);
        assert.doesNotMatch(serialized.provider, /S3RVER/, "the serialized provider must not carry credentials");
        // The thin shape: the provider loads the compiled package by name in the host instead of carrying the engine.
        assert.match(serialized.provider, /herokuenv\/data\/file-sync\/resource/);
        assert.match(serialized.provider, /fileSyncProvider/);
        assert.ok(serialized.provider.length < 20_000, `serialized provider is ${serialized.provider.length} characters`);
        host = await ProviderHost.start(serialized.provider);

        const inputs = await checked(serialized.inputs);
        assert.equal(inputs.concurrency, 32);
        assert.equal(inputs.deleteOnDestroy, false);
        const created = await host.call<{ id: string; outs: FileSyncOutputs }>("create", inputs);
        assert.equal(created.id, "s3://resource-files/files/");
        assert.equal(created.outs.files, 3);
        assert.equal(created.outs.uploaded, 3);
        assert.deepEqual(sortedEntries(await downloadedMd5s(s3.s3Client(), "resource-files", "files/")), sortedEntries(treeMd5s(root)));

        const noop = await host.call<DiffResult>("diff", created.id, created.outs, await checked(serialized.inputs));
        assert.equal(noop.changes, false);

        writeTree(root, { "docs/a.pdf": randomContent(1_000), "new file.txt": "new" });
        const changedInputs = await checked({ ...serialized.inputs, fingerprint: await sourceFingerprint(root) });
        const diff = await host.call<DiffResult>("diff", created.id, created.outs, changedInputs);
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, []);
        const updated = await host.call<{ outs: FileSyncOutputs }>("update", created.id, created.outs, changedInputs);
        assert.equal(updated.outs.files, 4);
        assert.equal(updated.outs.uploaded, 2);
        assert.equal(updated.outs.skipped, 2);
        assert.deepEqual(sortedEntries(await downloadedMd5s(s3.s3Client(), "resource-files", "files/")), sortedEntries(treeMd5s(root)));

        const read = await host.call<{ id: string; props: FileSyncOutputs }>("read", created.id, updated.outs);
        assert.deepEqual(read, { id: created.id, props: updated.outs });
        // Someone deletes a synced file: refresh marks the fingerprint, so the next diff syncs again.
        await s3.s3Client().send(new DeleteObjectCommand({ Bucket: "resource-files", Key: "files/new file.txt" }));
        const drifted = await host.call<{ props: FileSyncOutputs }>("read", created.id, updated.outs);
        assert.match(drifted.props.fingerprint, /^drifted:sha256:/);
        assert.equal((await host.call<DiffResult>("diff", created.id, drifted.props, changedInputs)).changes, true);
        const resynced = await host.call<{ outs: FileSyncOutputs }>("update", created.id, drifted.props, changedInputs);
        assert.equal(resynced.outs.uploaded, 1);

        await host.call("delete", created.id, resynced.outs);
        const kept = await listKeys(s3.s3Client(), "resource-files", "files/");
        assert.equal(kept.length, 4, "delete keeps user files by default");
        assert.equal(host.stderr.includes("S3RVER"), false);
    });

    it("deletes exactly the synced objects on destroy when deleteOnDestroy is set", async () => {
        const root = tempDir("resource-src");
        dirs.push(root);
        writeTree(root, { "a.txt": "a", "b/c.txt": "c" });
        const serialized = await serializeProvider(() => new FileSync("throwaway", args(root, "s3://resource-files/sandbox/", { deleteOnDestroy: true })));
        host = await ProviderHost.start(serialized.provider);
        const inputs = await checked(serialized.inputs);
        const created = await host.call<{ id: string; outs: FileSyncOutputs }>("create", inputs);
        await s3.s3Client().send(new (await import("@aws-sdk/client-s3")).PutObjectCommand({ Bucket: "resource-files", Key: "sandbox/not-ours.txt", Body: "x" }));

        assert.ok((await listKeys(s3.s3Client(), "resource-files")).includes("sandbox.herokuenv-sync-manifest.json.gz"));
        await host.call("delete", created.id, created.outs);
        assert.deepEqual(await listKeys(s3.s3Client(), "resource-files", "sandbox"), ["sandbox/not-ours.txt"]);
    });

    it("syncs a .tar.gz with a multipart member, then copies it to another prefix, all inside the provider host", async () => {
        const work = tempDir("resource-archive");
        dirs.push(work);
        const archive = path.join(work, "user files.tar.gz");
        const members = { "uploads/été/a b.txt": "hello", "uploads/big.bin": randomContent(9 * 1024 * 1024) };
        fs.writeFileSync(archive, await tarGz(members));
        const fromArchive = await serializeProvider(() => new FileSync("from-archive", args(archive, "s3://resource-files/archive/")));
        host = await ProviderHost.start(fromArchive.provider);
        const created = await host.call<{ outs: FileSyncOutputs }>("create", await checked(fromArchive.inputs));
        assert.equal(created.outs.uploaded, 2);
        const expected = new Map(Object.entries(members).map(([name, content]) => [name, md5(Buffer.from(content))]));
        assert.deepEqual(sortedEntries(await downloadedMd5s(s3.s3Client(), "resource-files", "archive/")), sortedEntries(expected));
        await host.stop();

        const fromBucket = await serializeProvider(() => new FileSync("from-bucket", args("s3://resource-files/archive/", "s3://resource-files/copy/")));
        assert.match(String(fromBucket.inputs.fingerprint), /^sha256:/);
        host = await ProviderHost.start(fromBucket.provider);
        const copied = await host.call<{ outs: FileSyncOutputs }>("create", await checked(fromBucket.inputs));
        assert.equal(copied.outs.uploaded, 2);
        assert.deepEqual(sortedEntries(await downloadedMd5s(s3.s3Client(), "resource-files", "copy/")), sortedEntries(expected));
    });

    it("re-runs only on a change that matters, and replaces on a new destination", async () => {
        const root = tempDir("resource-src");
        dirs.push(root);
        writeTree(root, { "a.txt": "a" });
        const serialized = await serializeProvider(() => new FileSync("files", args(root, "s3://resource-files/x/")));
        host = await ProviderHost.start(serialized.provider);
        const olds = await checked(serialized.inputs);
        const diff = (news: FileSyncInputs) => (host as ProviderHost).call<DiffResult>("diff", "id", olds, news);
        assert.equal((await diff(await checked(serialized.inputs))).changes, false);
        assert.equal((await diff(await checked({ ...serialized.inputs, deleteExtraneous: true }))).changes, true);
        assert.deepEqual((await diff(await checked({ ...serialized.inputs, destination: "s3://resource-files/y/" }))).replaces, ["destination"]);
    });

    it("fails check with the property at fault", async () => {
        const serialized = await serializeProvider(() => new FileSync("bad", args("/tmp", "s3://resource-files/x/", { fingerprint: "fixed" })));
        host = await ProviderHost.start(serialized.provider);
        const result = await host.call<CheckResult>("check", {}, { ...serialized.inputs, destination: "/not/s3", concurrency: 0 });
        assert.deepEqual(
            result.failures.map((f) => f.property),
            ["destination", "concurrency"],
        );
        assert.match(result.failures[0].reason, /not an S3 URL/);
    });

    it("fails create with an error naming the bucket and never the secret", async () => {
        const root = tempDir("resource-src");
        dirs.push(root);
        writeTree(root, { "a.txt": "a" });
        const serialized = await serializeProvider(() =>
            new FileSync("wrong", args(root, "s3://resource-files/x/", { accessKeyId: "WRONG-KEY", secretAccessKey: pulumi.secret("top-secret-value") })),
        );
        assert.doesNotMatch(serialized.provider, /top-secret-value/);
        host = await ProviderHost.start(serialized.provider);
        const inputs = await checked(serialized.inputs);
        await assert.rejects(host.call("create", inputs), (error: ProviderError) => {
            assert.match(error.text, /does not know the access key id used for bucket "resource-files"/);
            assert.doesNotMatch(error.text + error.hostStack, /top-secret-value/);
            return true;
        });
        assert.equal(host.stderr.includes("top-secret-value"), false);
    });

    it("fingerprints a directory by paths, sizes and mtimes, and an archive by size and mtime", async () => {
        const root = tempDir("resource-src");
        dirs.push(root);
        writeTree(root, { "a.txt": "a" });
        const before = await sourceFingerprint(root);
        assert.equal(await sourceFingerprint(root), before);
        writeTree(root, { "b.txt": "b" });
        assert.notEqual(await sourceFingerprint(root), before);

        const archive = path.join(root, "..", `${path.basename(root)}.tar.gz`);
        dirs.push(archive);
        fs.writeFileSync(archive, "not really a tarball");
        const archived = await sourceFingerprint(archive);
        fs.appendFileSync(archive, "more");
        assert.notEqual(await sourceFingerprint(archive), archived);
        await assert.rejects(sourceFingerprint(path.join(root, "missing")), /source not found/);
    });
});

describe("FileSync provider, without servers", () => {
    const unknown = pulumi.runtime.unknownValue;

    it("is registered as pulumi-nodejs:dynamic/herokuenv:data.FileSync", async () => {
        const registered: Array<{ type: string }> = [];
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    registered.push({ type: args.type });
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call: (args) => args.inputs as Record<string, unknown>,
            },
            "herokuenv",
            "test",
            false,
        );
        const resource = new FileSync("typed", { source: "s3://a/b/", destination: "s3://c/d/", fingerprint: "fixed" });
        const urn = await new Promise<string>((resolve) => resource.urn.apply(resolve));
        assert.match(urn, /::pulumi-nodejs:dynamic\/herokuenv:data\.FileSync::typed$/);
        assert.deepEqual(
            registered.map((r) => r.type),
            ["pulumi-nodejs:dynamic/herokuenv:data.FileSync"],
        );
    });

    it("check passes a preview's unknown inputs through without failing", async () => {
        const news = {
            source: unknown,
            destination: unknown,
            concurrency: unknown,
            accessKeyId: unknown,
            secretAccessKey: unknown,
            fingerprint: unknown,
        } as unknown as FileSyncInputs;
        const check = fileSyncProvider().check as NonNullable<ReturnType<typeof fileSyncProvider>["check"]>;
        const result = await check({} as FileSyncInputs, news);
        assert.deepEqual(result.failures, []);
        const inputs = result.inputs as FileSyncInputs;
        assert.equal(inputs.destination, unknown);
        assert.equal(inputs.source, unknown);
        assert.equal(inputs.concurrency, unknown);
        assert.equal(inputs.fingerprint, unknown);
        // Known values are still checked alongside unknown ones.
        const mixed = await check({} as FileSyncInputs, { ...news, destination: "/not/s3", concurrency: 0 } as unknown as FileSyncInputs);
        const failures = mixed.failures ?? [];
        assert.deepEqual(
            failures.map((f) => f.property),
            ["destination", "concurrency"],
        );
        assert.equal(failures[1].reason, "concurrency must be a whole number from 1 to 256; got 0");
    });

    it("delete fails naming the keys S3 did not delete (DeleteObjects answers 200 with Errors)", async () => {
        const synced = new Map(Array.from({ length: 8 }, (_, i) => [`files/${i}.txt`, { size: 1, etag: md5(Buffer.from(String(i))), md5: md5(Buffer.from(String(i))) }]));
        const manifest = serializeManifest("files/", synced);
        const requested: string[][] = [];
        const client = {
            async send(command: object) {
                if (command instanceof GetObjectCommand) return { Body: { transformToByteArray: async () => new Uint8Array(manifest) } };
                if (command instanceof DeleteObjectsCommand) {
                    const keys = (command.input.Delete?.Objects ?? []).map((o) => o.Key as string);
                    requested.push(keys);
                    // Every synced file refused; the manifest deleted.
                    return { Errors: keys.filter((k) => k.startsWith("files/")).map((Key) => ({ Key, Code: "AccessDenied", Message: "Access Denied" })) };
                }
                throw new Error(`unexpected ${command.constructor.name}`);
            },
        };
        await assert.rejects(deleteSyncedObjects(client, { bucket: "user-files", prefix: "files/" }), (error: Error) => {
            assert.equal(
                error.message,
                'S3 did not delete 8 objects while deleting the synced objects from bucket "user-files": ' +
                    "s3://user-files/files/0.txt (AccessDenied), s3://user-files/files/1.txt (AccessDenied), s3://user-files/files/2.txt (AccessDenied), " +
                    "s3://user-files/files/3.txt (AccessDenied), s3://user-files/files/4.txt (AccessDenied) and 3 more",
            );
            return true;
        });
        assert.equal(requested.length, 1);
        assert.equal(requested[0].length, 9, "the eight synced files and the manifest, in one request");
    });

    it("delete succeeds when DeleteObjects reports no errors", async () => {
        const client = {
            async send(command: object) {
                if (command instanceof GetObjectCommand) throw Object.assign(new Error("missing"), { name: "NoSuchKey" });
                return {};
            },
        };
        await deleteSyncedObjects(client, { bucket: "user-files", prefix: "files/" });
    });
});

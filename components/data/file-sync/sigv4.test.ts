import { strict as assert } from "node:assert";
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { encodeKeyPath } from "./direct-put";
import { S3PutSigner, amzDates, UNSIGNED_PAYLOAD, type SigningCredentials } from "./sigv4";

/** The hash constructor the SDK's signer asks for, on node:crypto. */
class Sha256 {
    private hash: Hash | Hmac;
    constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
        const key = secret === undefined || typeof secret === "string" ? secret : ArrayBuffer.isView(secret) ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength) : Buffer.from(secret);
        this.hash = key === undefined ? createHash("sha256") : createHmac("sha256", key);
    }
    update(data: Uint8Array | string): void {
        this.hash.update(data);
    }
    async digest(): Promise<Uint8Array> {
        return this.hash.digest();
    }
}

async function sdkSignature(
    region: string,
    credentials: SigningCredentials,
    request: { host: string; path: string; headers: Record<string, string> },
    date: Date,
): Promise<Record<string, string>> {
    const signer = new SignatureV4({ credentials, region, service: "s3", sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    const [hostname, port] = request.host.split(":");
    const signed = await signer.sign(
        {
            method: "PUT",
            protocol: "https:",
            hostname,
            port: port === undefined ? undefined : Number(port),
            path: request.path,
            query: {},
            headers: { ...request.headers, host: request.host },
        },
        { signingDate: date },
    );
    return signed.headers;
}

const lower = (headers: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

describe("the lean PUT signer", () => {
    const date = new Date("2026-11-26T16:24:55.123Z");
    const cases: Array<{ name: string; region: string; credentials: SigningCredentials; host: string; key: string; headers: Record<string, string> }> = [
        {
            name: "a plain key, path-style, with a port",
            region: "us-east-1",
            credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
            host: "127.0.0.1:4568",
            key: "acme-files/files/photo.jpg",
            headers: { "content-type": "image/jpeg", "x-amz-meta-md5": "0cc175b9c0f1b6a831c399e269772661" },
        },
        {
            name: "unicode, spaces and punctuation in the key",
            region: "eu-west-1",
            credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
            host: "acme-files.s3.eu-west-1.amazonaws.com",
            key: "files/Café menu (draft)/naïve résumé !'*&$@=;:+,?#[]%~.pdf",
            headers: { "Content-Type": "application/pdf" },
        },
        {
            name: "temporary credentials (a session token is signed)",
            region: "us-west-2",
            credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "tmp-secret", sessionToken: "FwoGZXIvYXdzEJr//////////token==" },
            host: "s3.us-west-2.amazonaws.com",
            key: "bucket/files/a/b/c.txt",
            headers: { "content-type": "text/plain; charset=utf-8" },
        },
        {
            name: "header values with runs of blanks and unsignable headers",
            region: "us-east-1",
            credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
            host: "localhost:9000",
            key: "b/k",
            headers: { "x-amz-meta-note": "  two   spaces\tand tab ", "user-agent": "herokuenv", expect: "100-continue" },
        },
    ];

    for (const c of cases) {
        it(`signs ${c.name} exactly as the SDK's signer does`, async () => {
            const path = `/${encodeKeyPath(c.key)}`;
            const headers = { ...c.headers, "content-length": "1234", "content-md5": "1B2M2Y8AsgTpgAmY7PhCfg==", "x-amz-content-sha256": UNSIGNED_PAYLOAD };
            const ours = new S3PutSigner(c.region).sign({ method: "PUT", host: c.host, path, headers }, c.credentials, date);
            const sdk = lower(await sdkSignature(c.region, c.credentials, { host: c.host, path, headers }, date));
            assert.deepEqual(ours, sdk);
        });
    }

    it("derives a new signing key when the day or the credentials change", () => {
        const signer = new S3PutSigner("us-east-1");
        const request = { method: "PUT", host: "h", path: "/b/k", headers: {} };
        const first = signer.sign(request, { accessKeyId: "A", secretAccessKey: "one" }, date).authorization;
        const rotated = signer.sign(request, { accessKeyId: "A", secretAccessKey: "two" }, date).authorization;
        const nextDay = signer.sign(request, { accessKeyId: "A", secretAccessKey: "one" }, new Date("2026-11-27T00:00:01Z")).authorization;
        const again = signer.sign(request, { accessKeyId: "A", secretAccessKey: "one" }, date).authorization;
        assert.notEqual(first, rotated);
        assert.notEqual(first, nextDay);
        assert.match(nextDay, /Credential=A\/20261127\/us-east-1\/s3\/aws4_request/);
        assert.equal(again, first);
    });

    it("formats SigV4 dates", () => {
        assert.deepEqual(amzDates(date), { longDate: "20261126T162455Z", shortDate: "20261126" });
    });
});

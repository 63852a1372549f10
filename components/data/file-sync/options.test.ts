// The file sync's options: one validation, one wording, for the engine (numbers), the CLI (text) and the resource.
import * as assert from "node:assert/strict";
import { syncFiles } from "./engine";
import { DEFAULT_CONCURRENCY, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, MAX_CONCURRENCY, checkTransferOptions, concurrencyProblem } from "./options";

describe("file sync options", () => {
    it("fills in the defaults", () => {
        assert.deepEqual(checkTransferOptions({}), {
            values: { concurrency: DEFAULT_CONCURRENCY, partSize: DEFAULT_PART_SIZE, multipartThreshold: DEFAULT_MULTIPART_THRESHOLD },
            problems: [],
        });
    });

    it("names the option, what is wrong and what would be valid, for numbers and command-line text alike", () => {
        assert.equal(concurrencyProblem(0), `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}; got 0`);
        assert.equal(concurrencyProblem("0"), `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}; got "0"`);
        assert.equal(concurrencyProblem("2.5"), `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}; got "2.5"`);
        assert.equal(concurrencyProblem(MAX_CONCURRENCY + 1), `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}; got ${MAX_CONCURRENCY + 1}`);
        assert.equal(concurrencyProblem("8"), undefined);
        const { problems } = checkTransferOptions({ concurrency: 1.5, partSize: 1024, multipartThreshold: 10 });
        assert.deepEqual(
            problems.map((p) => p.option),
            ["concurrency", "partSize", "multipartThreshold"],
        );
        assert.match(problems[1].message, /^part size must be a whole number of bytes, at least 5242880 \(S3's minimum, 5 MiB\); got 1024$/);
        assert.match(problems[2].message, /^multipart threshold must be a whole number of bytes, at least 1048576 \(1 MiB\); got 10$/);
    });

    it("leaves a preview's unknowns alone", () => {
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const checked = checkTransferOptions({ concurrency: unknown }, (v) => v === unknown);
        assert.deepEqual(checked.problems, []);
        assert.equal(checked.values.concurrency, unknown);
    });

    it("the engine refuses, never clamps, what the CLI and the resource refuse, with the same words", async () => {
        for (const concurrency of [0, MAX_CONCURRENCY + 1, 2.5]) {
            await assert.rejects(syncFiles({ source: "/nonexistent", destination: "s3://b/p/", concurrency }), {
                name: "FileSyncError",
                message: concurrencyProblem(concurrency),
            });
        }
    });
});

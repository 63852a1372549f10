// herokuenv sync-files <dir|archive|s3://bucket/prefix> s3://bucket/prefix: the file sync engine from the command line.
// Argument parsing, progress and the summary only; exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted (Ctrl-C).
import { InvalidArgumentError, type Command } from "commander";
import { Presets, SingleBar } from "cli-progress";
import type { SyncProgress, SyncSummary } from "../components/data/file-sync/engine";
import { isFileSyncError } from "../components/data/file-sync/errors";
import { DEFAULT_CONCURRENCY, concurrencyProblem } from "../components/data/file-sync/options";
import { formatBytes, formatCount, formatDuration, formatFields, formatRate, onInterrupt, reportInterrupted, writeJson, USAGE_EXIT_CODE, usageErrorsExit2 } from "./format";

/** Lines a dry run prints per list before summarising the rest. */
const DRY_RUN_LINES = 100;

interface SyncFilesOptions {
    endpoint?: string;
    region?: string;
    pathStyle?: boolean;
    concurrency: number;
    delete?: boolean;
    dryRun?: boolean;
    verifyContent?: boolean;
    json?: boolean;
    /** false with --no-progress. */
    progress?: boolean;
}

/** The engine's own check, so the CLI refuses exactly what the engine and the resource refuse, in the same words. */
function parseConcurrency(value: string): number {
    const problem = concurrencyProblem(value);
    if (problem) throw new InvalidArgumentError(problem);
    return Number(value);
}

const count = formatCount;

export function formatSummary(summary: SyncSummary): string {
    const rate = formatRate(summary.uploadedBytes, summary.durationMs);
    const lines = [
        `${summary.dryRun ? "dry run: " : ""}${summary.source} -> ${summary.destination}`,
        formatFields([
            ["files", `${count(summary.files)} (${formatBytes(summary.bytes)})`],
            ["uploaded", `${count(summary.uploaded)} (${formatBytes(summary.uploadedBytes)})`],
            ["skipped", `${count(summary.skipped)} unchanged`],
            ["deleted", `${count(summary.deleted)}${summary.extraneous > 0 ? ` (${count(summary.extraneous)} objects not in the source kept; --delete removes them)` : ""}`],
            ["requests", count(summary.requests)],
            ["time", `${formatDuration(summary.durationMs)}${rate ? ` (${rate} uploaded)` : ""}`],
        ]),
    ];
    if (summary.dryRun) {
        const uploads = summary.plannedUploads ?? [];
        const deletes = summary.plannedDeletes ?? [];
        lines.push(`would upload ${count(uploads.length)}, delete ${count(deletes.length)}:`);
        for (const upload of uploads.slice(0, DRY_RUN_LINES)) lines.push(`  upload ${upload.key} (${formatBytes(upload.size)}, ${upload.reason})`);
        if (uploads.length > DRY_RUN_LINES) lines.push(`  ... and ${count(uploads.length - DRY_RUN_LINES)} more uploads`);
        for (const key of deletes.slice(0, DRY_RUN_LINES)) lines.push(`  delete ${key}`);
        if (deletes.length > DRY_RUN_LINES) lines.push(`  ... and ${count(deletes.length - DRY_RUN_LINES)} more deletes`);
    }
    return lines.join("\n");
}

/**
 * A progress bar on a terminal; elsewhere (logs, CI) a line per phase and per tenth of the files; with --json nothing
 * (stdout is the JSON summary, stderr only errors).
 */
function progressReporter(quiet: boolean): { onProgress: (progress: Readonly<SyncProgress>) => void; stop: () => void } {
    if (quiet) return { onProgress: () => undefined, stop: () => undefined };
    if (process.stderr.isTTY) {
        const bar = new SingleBar(
            {
                format: "{phase} |{bar}| {value}/{total} files | {bytes} | {uploaded} uploaded, {skipped} skipped",
                stream: process.stderr,
                hideCursor: true,
                clearOnComplete: true,
            },
            Presets.shades_classic,
        );
        let started = false;
        return {
            onProgress(progress) {
                const payload = { phase: progress.phase.padEnd(12), bytes: formatBytes(progress.bytesDone), uploaded: progress.uploaded, skipped: progress.skipped };
                if (!started && progress.phase !== "scanning") {
                    bar.start(progress.filesTotal, progress.filesDone, payload);
                    started = true;
                } else if (started) {
                    bar.update(progress.filesDone, payload);
                }
            },
            stop: () => {
                if (started) bar.stop();
            },
        };
    }
    let phase = "";
    let tenth = -1;
    return {
        onProgress(progress) {
            if (progress.phase !== phase) {
                phase = progress.phase;
                if (phase !== "done") process.stderr.write(`${phase}${phase === "transferring" ? ` ${count(progress.filesTotal)} files (${formatBytes(progress.bytesTotal)})` : ""}\n`);
            }
            if (progress.phase === "transferring" && progress.filesTotal > 0) {
                const now = Math.floor((progress.filesDone * 10) / progress.filesTotal);
                if (now > tenth && progress.filesDone > 0) {
                    tenth = now;
                    process.stderr.write(`  ${count(progress.filesDone)}/${count(progress.filesTotal)} files, ${formatBytes(progress.bytesDone)}; ${count(progress.uploaded)} uploaded, ${count(progress.skipped)} skipped\n`);
                }
            }
        },
        stop: () => undefined,
    };
}

export function register(program: Command): void {
    program
        .command("sync-files")
        .description("upload user files to S3: parallel, only what changed, verified after upload")
        .argument("<source>", "a directory, a .tar/.tar.gz archive (read as a stream), or s3://bucket/prefix")
        .argument("<destination>", "s3://bucket/prefix")
        .option("--endpoint <url>", "an S3-compatible endpoint (default: AWS)")
        .option("--region <region>", "the bucket's region (default: AWS_REGION, else us-east-1)")
        .option("--path-style", "path-style addressing (endpoint/bucket/key), which most S3-compatible stores need")
        .option("--concurrency <n>", "transfers at once", parseConcurrency, DEFAULT_CONCURRENCY)
        .option("--delete", "delete objects under the prefix that the source does not have")
        .option("--dry-run", "show what would be uploaded and deleted; write nothing")
        .option("--verify-content", "also download every uploaded object and compare its MD5")
        .option("--json", "print the summary as JSON on stdout (no progress display); on failure, {\"error\": {kind, message}}")
        .option("--no-progress", "no progress bar or progress lines, only the summary")
        .addHelpText(
            "after",
            "\nCredentials come from the usual AWS environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE).\n" +
                "Symlinks in a directory are followed; in an archive they are refused. See docs/file-sync.md.",
        )
        .exitOverride(usageErrorsExit2)
        .action(async (source: string, destination: string, options: SyncFilesOptions, command: Command) => {
            const interrupt = onInterrupt("sync-files", "waiting for transfers in flight to stop; no manifest will be written");
            const json = options.json === true;
            const progress = progressReporter(json || options.progress === false);
            let summary: SyncSummary;
            try {
                // Loaded here, not at start-up: the AWS SDK takes a while to load and other commands do not need it.
                const { syncFiles } = await import("../components/data/file-sync/engine");
                summary = await syncFiles({
                    source,
                    destination,
                    connection: { endpoint: options.endpoint, region: options.region, forcePathStyle: options.pathStyle },
                    concurrency: options.concurrency,
                    deleteExtraneous: options.delete,
                    dryRun: options.dryRun,
                    verifyContent: options.verifyContent,
                    signal: interrupt.signal,
                    onProgress: progress.onProgress,
                });
            } catch (error) {
                progress.stop();
                const kind = isFileSyncError(error) ? error.kind : "failed";
                const message = (error as Error).message;
                if (json) writeJson({ error: { kind: interrupt.interrupted ? "interrupted" : kind, message } });
                if (interrupt.interrupted) {
                    // The engine's own account ("interrupted after 3 of 400 files were uploaded; ..."), or a generic one.
                    const detail = kind === "interrupted" ? message.replace(/^interrupted /, "") : "nothing is reported done: run again to complete";
                    return reportInterrupted("sync-files", `${detail} (no manifest was written)`);
                }
                if (kind === "usage") command.error(`error: ${message}`, { exitCode: USAGE_EXIT_CODE, code: "commander.invalidArgument" });
                throw new Error(`sync-files failed: ${message}`);
            } finally {
                interrupt.dispose();
            }
            progress.stop();
            if (json) writeJson(summary);
            else process.stdout.write(`${formatSummary(summary)}\n`);
        });
}

// herokuenv copy-db: PostgreSQL → PostgreSQL through the same engine as the DatabaseCopy resource
// (components/data/postgres-copy). Argument parsing, progress display and exit codes only, with migrate-db's
// conventions: exit 0 copied and verified; 1 the copy failed (copy error, verification difference: what was
// committed is kept, a re-run resumes); 2 nothing was written (bad arguments, refused target, target not empty
// without --overwrite, bad rules or seed, scrubbing refused the copy: personal data without a rule, a unique column
// it cannot keep unique); 130 interrupted (units in flight roll back, a re-run resumes).
import { InvalidArgumentError, type Command } from "commander";
import * as fs from "node:fs";
import { CONCURRENCY, COPY_DEFAULTS, MigrationError, copy, copyOptionProblems, type CopyHooks, type CopyReport, type HerokuDatabaseRef } from "../components/data/postgres-copy";
import { INTERRUPTED_EXIT_CODE, formatBytes, formatTable, onInterrupt, reportInterrupted, writeJson, USAGE_EXIT_CODE, usageErrorsExit2 } from "./format";
import { tableProgressReporter } from "./table-progress";

const MIB = 1024 * 1024;

/** The final summary: one line per table, then totals (migrate-db's columns). */
export function copySummaryTable(report: CopyReport): string {
    const verified = report.verification === "checksums" ? "copied+verified" : "copied+counted";
    const rows = report.tables.map((t) => [t.source, t.status === "skipped" ? "verified earlier" : verified, String(t.rows), formatBytes(t.bytes), `${t.seconds.toFixed(2)}s`, String(t.warnings.length)]);
    const footer = ["total", "", String(report.rows), formatBytes(report.bytes), `${report.seconds.toFixed(2)}s`, String(report.warnings.length)];
    return formatTable(["table", "status", "rows", "bytes", "time", "warnings"], rows, { alignRight: [2, 3, 4, 5], footer });
}

function integer(name: string, min: number, max: number): (v: string) => number {
    return (v) => {
        const n = /^\d+$/.test(v) ? Number(v) : NaN;
        if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
        return n;
    };
}

/** --heroku-from / --heroku-to: APP:ADDON[:ATTACHMENT] */
export function parseHerokuRef(spec: string): HerokuDatabaseRef {
    const [app, addon, name] = spec.split(":");
    if (!app || !addon) throw new InvalidArgumentError(`expected APP:ADDON[:ATTACHMENT], got ${spec}`);
    return { app, addon, name: name || undefined };
}

/** The scrub module (components/data/scrub), loaded only when --rules is given. */
interface ScrubModule {
    parseRules(text: string, source?: string): unknown;
    scrubHooks(rules: unknown, seed: string): CopyHooks & { report(): unknown };
    scrubFingerprint(rules: unknown, seed: string): string;
}

interface CopyDbFlags {
    rules?: string;
    seed?: string;
    from?: string;
    to?: string;
    overwrite?: boolean;
    concurrency: number;
    splitLargerThan: number;
    targetKind?: "staging" | "sandbox";
    herokuFrom?: HerokuDatabaseRef;
    herokuTo?: HerokuDatabaseRef;
    herokuDataUrl?: string;
    verify: boolean;
    json?: boolean;
    progress: boolean;
}


export function register(program: Command): void {
    program
        .command("copy-db")
        .description("Copy a PostgreSQL database into another (staging from production): schema exact, rows streamed in parallel, verified by checksums, resumable")
        .option("--from <url>", "source postgres://user:password@host:port/database, read only (default: $HEROKUENV_COPY_FROM)")
        .option("--to <url>", "target postgres:// URL (default: $HEROKUENV_COPY_TO); never a production database")
        .option("--overwrite", "replace whatever the target database holds")
        .option("--concurrency <n>", `tables or table ranges copied at once (${CONCURRENCY.min} to ${CONCURRENCY.max})`, integer("concurrency", CONCURRENCY.min, CONCURRENCY.max), COPY_DEFAULTS.concurrency)
        .option("--split-larger-than <MiB>", "split tables larger than this into ranges copied in parallel", integer("split-larger-than", 1, 1 << 20), COPY_DEFAULTS.splitLargerThan / MIB)
        .option("--target-kind <kind>", "what the target is: staging or sandbox (the target's own marker is checked too)", (v: string) => {
            if (v !== "staging" && v !== "sandbox") throw new InvalidArgumentError(`target-kind must be staging or sandbox, got ${v}`);
            return v;
        })
        .option("--heroku-from <app:addon>", "the source is this Heroku Postgres add-on: with --heroku-to, copy server-side with Heroku's transfer service", parseHerokuRef)
        .option("--heroku-to <app:addon>", "the target Heroku Postgres add-on (token: $HEROKU_API_KEY)", parseHerokuRef)
        .option("--heroku-data-url <url>", "Heroku data API base URL (default https://$HEROKU_DATA_HOST or https://api.data.heroku.com)")
        .option("--rules <file>", "scrubbing and sampling rules (YAML, the herokuenv:seed format): copy a scrubbed, sampled seed")
        .option("--seed <value>", "secret seed of the deterministic fakes (default: $HEROKUENV_SEED); needed with --rules")
        .option("--no-verify", "row counts only, no checksum read-back")
        .option("--no-progress", "no progress bars even on a terminal")
        .option("--json", "print the report as JSON instead of a table")
        .exitOverride(usageErrorsExit2)
        .action(async (flags: CopyDbFlags) => {
            const from = flags.from ?? process.env.HEROKUENV_COPY_FROM;
            const to = flags.to ?? process.env.HEROKUENV_COPY_TO;
            const usage = (message: string): void => {
                process.stderr.write(`herokuenv copy-db: ${message}\n`);
                process.exitCode = USAGE_EXIT_CODE;
            };
            if (!from || !to) return usage("--from and --to are required (or HEROKUENV_COPY_FROM / HEROKUENV_COPY_TO)");
            if (Boolean(flags.herokuFrom) !== Boolean(flags.herokuTo)) return usage("--heroku-from and --heroku-to go together");
            const token = process.env.HEROKU_API_KEY;
            if (flags.herokuFrom && !token) return usage("--heroku-from/--heroku-to need HEROKU_API_KEY");
            const problems = copyOptionProblems({ from, to, concurrency: flags.concurrency });
            if (problems.length > 0) return usage(problems.join("; "));
            let hooks: (CopyHooks & { report(): unknown }) | undefined;
            let hooksFingerprint: string | undefined;
            if (flags.seed !== undefined && !flags.rules) return usage("--seed goes with --rules");
            if (flags.rules) {
                const seed = flags.seed ?? process.env.HEROKUENV_SEED;
                if (!seed) return usage("--rules needs a seed: --seed VALUE or HEROKUENV_SEED");
                try {
                    // eslint-disable-next-line @typescript-eslint/no-require-imports
                    const scrub = require("../components/data/scrub") as ScrubModule;
                    const rules = scrub.parseRules(fs.readFileSync(flags.rules, "utf8"), flags.rules);
                    hooks = scrub.scrubHooks(rules, seed);
                    hooksFingerprint = scrub.scrubFingerprint(rules, seed);
                } catch (err) {
                    return usage((err as Error).message);
                }
            }
            const progress = tableProgressReporter(Boolean(process.stderr.isTTY) && flags.progress && !flags.json);
            const interrupt = onInterrupt("copy-db", "the units in flight roll back");
            interrupt.signal.addEventListener("abort", () => {
                progress.stop();
                // A Heroku transfer is canceled by the engine (it watches the signal); a streamed copy rolls back when
                // its connections close, which exiting does.
                if (!flags.herokuFrom) {
                    reportInterrupted("copy-db", "units in flight rolled back; units already verified stay; run again to resume");
                    process.exit(INTERRUPTED_EXIT_CODE);
                }
            });
            try {
                const report = await copy({
                    from,
                    to,
                    overwrite: flags.overwrite === true,
                    concurrency: flags.concurrency,
                    splitLargerThan: flags.splitLargerThan * MIB,
                    chunkBytes: Math.min(flags.splitLargerThan * MIB, COPY_DEFAULTS.chunkBytes),
                    targetKind: flags.targetKind,
                    verify: flags.verify,
                    hooks,
                    hooksFingerprint,
                    heroku: flags.herokuFrom && flags.herokuTo && token ? { token, source: flags.herokuFrom, target: flags.herokuTo, dataUrl: flags.herokuDataUrl } : undefined,
                    onEvent: progress.onEvent,
                    signal: interrupt.signal,
                });
                progress.stop();
                if (flags.json) writeJson(hooks ? { ...report, scrub: hooks.report() } : report);
                else if (report.mode === "heroku-transfer") process.stdout.write(`copied server-side by Heroku's transfer service (transfer ${report.transfer}): ${formatBytes(report.bytes)} in ${report.seconds.toFixed(2)}s\n`);
                else {
                    process.stdout.write(`${copySummaryTable(report)}\n`);
                    process.stdout.write(`sequences set: ${report.sequences}; indexes, constraints, triggers and the rest: ${report.postData.steps} steps in ${report.postData.seconds.toFixed(2)}s\n`);
                }
                process.exitCode = 0;
            } catch (err) {
                progress.stop();
                if (interrupt.interrupted) {
                    reportInterrupted("copy-db", flags.herokuFrom ? "the Heroku transfer was canceled" : "units in flight rolled back; run again to resume");
                    return;
                }
                const e = err instanceof MigrationError ? err : new MigrationError(String((err as Error)?.message ?? err), "failed");
                process.stderr.write(`herokuenv copy-db: ${e.message}\n`);
                process.exitCode = e.kind === "failed" || e.kind === "verification" ? 1 : USAGE_EXIT_CODE;
            } finally {
                interrupt.dispose();
            }
        });
}

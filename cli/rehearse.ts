// herokuenv rehearse: the migration night on this machine (components/rehearsal/), with progress per step, a report
// and an estimate of production's maintenance window. Argument parsing and output only.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { sizesFromMySqlCatalog } from "../components/rehearsal/catalog-sizes";
import { parseProductionSizes, type ProductionSizes } from "../components/rehearsal/estimate";
import { rehearse, type RehearsalEvent, type RehearsalResult, type RehearsalServers } from "../components/rehearsal/rehearse";
import { formatBytes, formatCount, formatDuration, formatFields, formatTable, onInterrupt, reportInterrupted, writeJson } from "./format";

interface Flags {
    from?: string;
    files?: string;
    workDir?: string;
    keep?: boolean;
    productionSizes?: string;
    sizesFrom?: string;
    hostname?: string[];
    concurrency?: string;
    json?: boolean;
    progress: boolean;
}

function figure(value: number | string | boolean, key: string): string {
    if (typeof value !== "number") return String(value);
    return key === "bytes" ? formatBytes(value) : formatCount(value);
}

function describeStep(figures: Record<string, number | string | boolean>): string {
    return Object.entries(figures)
        .map(([k, v]) => `${k} ${figure(v, k)}`)
        .join(", ");
}

function printReport(r: RehearsalResult, out: NodeJS.WritableStream): void {
    const rows = r.steps.map((s) => [s.title, s.status, s.seconds === undefined ? "" : formatDuration(s.seconds * 1000), s.status === "done" ? describeStep(s.figures) : (s.error ?? "")]);
    out.write(`\n${formatTable(["step", "status", "time", "result"], rows, { alignRight: [2] })}\n`);
    if (r.database) {
        const bytes = r.database.tables.reduce((n, t) => n + t.bytes, 0);
        const seconds = r.steps.find((s) => s.step === "database")?.seconds ?? 0;
        out.write(`\ndatabase: ${r.database.tables.length} tables verified (counts and checksums), ${formatBytes(bytes)} at ${formatBytes(bytes / Math.max(seconds, 0.001))}/s\n`);
    }
    const warnings = r.steps.flatMap((s) => s.warnings.map((w) => `${s.title}: ${w}`));
    if (warnings.length > 0) out.write(`\nwarnings (${warnings.length}):\n${warnings.map((w) => `  - ${w}`).join("\n")}\n`);
    if (r.changes.length > 0) out.write(`\nwhat the night changes at Heroku and Cloudflare:\n${r.changes.map((c) => `  ${c.service}: ${c.change}`).join("\n")}\n`);
    if (r.estimate) {
        const e = r.estimate;
        out.write(
            `\nproduction maintenance window: ${formatDuration(e.totalSeconds[0] * 1000)} to ${formatDuration(e.totalSeconds[1] * 1000)}\n` +
                formatFields([
                    ["database", formatDuration(e.databaseSeconds * 1000)],
                    ["user files", formatDuration(e.filesSeconds * 1000)],
                    ["switches and DNS", formatDuration(e.switchesSeconds * 1000)],
                    ["longest tables", e.longestTables.map((t) => `${t.table} ${formatDuration(t.seconds * 1000)}`).join(", ")],
                ]) +
                `\n${e.assumptions.map((a) => `  assumes ${a}`).join("\n")}\n`,
        );
    } else if (r.ok) {
        out.write("\n(give --production-sizes FILE for an estimate of production's maintenance window)\n");
    }
    out.write(
        r.ok
            ? `\nrehearsal passed in ${formatDuration(r.seconds * 1000)} (servers started in ${formatDuration(r.serversStartSeconds * 1000)})\n`
            : `\nrehearsal stopped at ${r.stoppedAt}; the app ${r.siteInMaintenance ? "stays in maintenance" : "is not in maintenance"}. ` +
                  `Fix it and run again with --work-dir ${r.workDir} to resume from that step.\n`,
    );
}

function connectionHelp(s: RehearsalServers): string {
    return [
        "servers are up (Ctrl-C to stop them):",
        formatFields([
            ["PostgreSQL", `psql ${s.postgres.url}`],
            ["S3", `${s.s3.endpoint} bucket ${s.s3.bucket} (AWS_ACCESS_KEY_ID=${s.s3.accessKeyId} AWS_SECRET_ACCESS_KEY=${s.s3.secretAccessKey}, path-style)`],
            ["Heroku stand-in", s.heroku],
            ["Cloudflare stand-in", s.cloudflare],
            ["work dir", s.workDir],
        ]),
    ].join("\n");
}

function readSizes(file: string): ProductionSizes {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new Error(`--production-sizes ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    return parseProductionSizes(parseYaml(text), `--production-sizes ${file}`);
}

/** The sizes file, the live catalog's table sizes, or both (the catalog's tables win, the file adds the files). */
async function productionSizes(flags: Flags): Promise<ProductionSizes> {
    const fromFile = flags.productionSizes ? readSizes(flags.productionSizes) : { tables: {} };
    if (!flags.sizesFrom) return fromFile;
    const catalog = await sizesFromMySqlCatalog(flags.sizesFrom);
    return { ...fromFile, tables: { ...fromFile.tables, ...catalog.tables } };
}

export function register(program: Command): void {
    program
        .command("rehearse")
        .description("rehearse the migration night on this machine: local PostgreSQL and S3 from npm packages, the same steps as pulumi up, a report and an estimate")
        .option("--from <mysql-url|dump>", "the source database: a mysql:// URL or a .sql/.sql.gz dump (default: the bundled Sakila dump)")
        .option("--files <dir|archive>", "the user files: a directory or a .tar/.tar.gz archive (default: a generated tree)")
        .option("--work-dir <dir>", "keep the journal and the servers' data here; run again with the same dir to resume")
        .option("--keep", "leave the servers up at the end and print how to connect (Ctrl-C stops them)")
        .option("--production-sizes <file>", "YAML/JSON with production's tables { name: { rows, bytes } } and files { count, bytes }, for the window estimate")
        .option("--sizes-from <mysql-url>", "read production's table sizes from its live server's catalog (no rows read); files from --production-sizes")
        .option("--hostname <host...>", "hostnames the cutover switches (default example.com www.example.com)")
        .option("--concurrency <n>", "tables copied at once (1-16)")
        .option("--json", "print the report as JSON on stdout (no progress)")
        .option("--no-progress", "no per-step progress lines")
        .action(async (flags: Flags) => {
            const out = process.stdout;
            const err = process.stderr;
            const interrupt = onInterrupt("rehearse", "stopping the servers");
            const progress = flags.progress && !flags.json;
            const onEvent = (e: RehearsalEvent) => {
                if (!progress) return;
                if (e.type === "servers") err.write(`servers: PostgreSQL ${e.servers.postgres.url}, S3 ${e.servers.s3.endpoint} (started in ${formatDuration(e.startSeconds * 1000)})\n`);
                else if (e.type === "step-start") err.write(`→ ${e.step}\n`);
                else if (e.type === "step-progress") err.write(`    ${e.text}\n`);
                else if (e.type === "step-done") err.write(`✓ ${e.report.title}${e.resumed ? " (done in an earlier run)" : ` in ${formatDuration((e.report.seconds ?? 0) * 1000)}`}\n`);
                else err.write(`✗ ${e.report.title}: ${e.report.error}\n`);
            };
            try {
                const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
                const result = await rehearse({
                    ...(flags.from ? { from: /^(mysql|mariadb):\/\//.test(flags.from) ? flags.from : path.resolve(flags.from) } : {}),
                    ...(flags.files ? { files: path.resolve(flags.files) } : {}),
                    ...(flags.workDir ? { workDir: path.resolve(flags.workDir) } : {}),
                    ...(flags.productionSizes || flags.sizesFrom ? { productionSizes: await productionSizes(flags) } : {}),
                    ...(flags.hostname ? { hostnames: flags.hostname } : {}),
                    ...(concurrency !== undefined ? { concurrency } : {}),
                    onEvent,
                    signal: interrupt.signal,
                    ...(flags.keep
                        ? {
                              beforeStop: async (servers: RehearsalServers) => {
                                  err.write(`${connectionHelp(servers)}\n`);
                                  if (!interrupt.interrupted) await new Promise((resolve) => interrupt.signal.addEventListener("abort", resolve, { once: true }));
                              },
                          }
                        : {}),
                });
                if (flags.json) writeJson(result);
                else printReport(result, out);
                if (interrupt.interrupted && !flags.keep) reportInterrupted("rehearse", "the servers are stopped");
                else if (!result.ok) process.exitCode = 1;
            } catch (e) {
                if (interrupt.interrupted) reportInterrupted("rehearse", "the servers are stopped");
                else throw e;
            } finally {
                interrupt.dispose();
            }
        });
}

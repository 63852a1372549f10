// herokuenv migrate-db: MySQL/MariaDB (a live server or a dump file) → PostgreSQL through the same engine as the
// MySqlToPostgres resource.
// Argument parsing, progress display and exit codes only; defaults, limits and their validation are the engine's
// (components/data/mysql-to-postgres/options.ts). Exit 0: migrated and verified; 1: the migration failed (copy
// error, verification difference); 2: nothing was written (bad arguments, unsafe target, schema or data problems);
// 130: interrupted (Ctrl-C; the tables in flight roll back, a re-run resumes).
import { InvalidArgumentError, type Command } from "commander";
import {
    CHOICES,
    DEFAULTS,
    TRANSFORMS,
    migrate,
    parseColumnSpec,
    optionProblem,
    MigrationError,
    type ColumnOverride,
    type MigrationReport,
} from "../components/data/mysql-to-postgres";
import { INTERRUPTED_EXIT_CODE, formatBytes, formatTable, onInterrupt, reportInterrupted, writeJson, USAGE_EXIT_CODE, usageErrorsExit2 } from "./format";
import { tableProgressReporter } from "./table-progress";


/** A commander parser that applies the engine's validation of one option (same rule, same words). */
function validated<T>(key: "concurrency" | "schema" | "enumAs" | "datetimeType" | "identifierCase", convert: (v: string) => T = (v) => v as T): (value: string) => T {
    return (value) => {
        const converted = convert(value);
        const problem = optionProblem(key, converted);
        if (problem) throw new InvalidArgumentError(problem);
        return converted;
    };
}

/** Concurrency: a whole number, else the value as typed so the engine's message shows it. */
const asNumber = (v: string): number | string => (/^\d+$/.test(v) ? Number(v) : v);

/** --column table.column=type[:transform] | table.column=skip | table.column=:transform */
export function parseColumnOverride(spec: string, previous: Record<string, ColumnOverride> = {}): Record<string, ColumnOverride> {
    const eq = spec.indexOf("=");
    if (eq < 0 || spec.lastIndexOf(".", eq) < 0) throw new InvalidArgumentError(`expected table.column=type[:transform], got ${spec}`);
    const key = spec.slice(0, eq);
    // The same parser as the resource's `columns` strings (options.ts).
    try {
        return { ...previous, [key]: parseColumnSpec(key, spec.slice(eq + 1)) };
    } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
    }
}

/** The final summary: one line per table, then totals. */
export function summaryTable(report: MigrationReport): string {
    const rows = report.tables.map((t) => [
        t.source === t.target ? t.source : `${t.source} → ${t.target}`,
        t.status === "skipped" ? "verified earlier" : "copied+verified",
        String(t.rows),
        formatBytes(t.bytes),
        `${t.seconds.toFixed(2)}s`,
        String(t.warnings.length),
    ]);
    const footer = ["total", "", String(report.rows), formatBytes(report.bytes), `${report.seconds.toFixed(2)}s`, String(report.warnings.length)];
    return formatTable(["table", "status", "rows", "bytes", "time", "warnings"], rows, { alignRight: [2, 3, 4, 5], footer });
}

interface MigrateDbFlags {
    from?: string;
    to?: string;
    schema: MigrationReport["mode"];
    overwrite?: boolean;
    concurrency: number;
    tables?: string;
    targetSchema: string;
    sourceTimeZone: string;
    enumAs: (typeof CHOICES.enumAs)[number];
    datetimeType: (typeof CHOICES.datetimeType)[number];
    identifierCase: (typeof CHOICES.identifierCase)[number];
    column: Record<string, ColumnOverride>;
    verify: boolean;
    json?: boolean;
    progress: boolean;
}


const choices = (key: keyof typeof CHOICES): string => CHOICES[key].join(" or ");

export function register(program: Command): void {
    program
        .command("migrate-db")
        .description("Copy a MySQL/MariaDB database into PostgreSQL: streamed, verified by checksums, resumable")
        .option("--from <url|dump>", "source mysql://user:password@host:port/database, or a dump file (dump.sql, dump.sql.gz from mysqldump, mariadb-dump or SequelPro) (default: $HEROKUENV_MIGRATE_FROM)")
        .option("--to <url>", "target postgres://user:password@host:port/database (default: $HEROKUENV_MIGRATE_TO or $DATABASE_URL)")
        .option("--schema <mode>", `create the PostgreSQL schema, or load into an existing one: ${choices("schema")}`, validated("schema"), DEFAULTS.schema)
        .option("--overwrite", "replace (create) or empty (existing) target tables that already hold data")
        .option("--concurrency <n>", "tables copied at once (1 to 16)", validated("concurrency", asNumber), DEFAULTS.concurrency)
        .option("--tables <a,b,...>", "only these source tables")
        .option("--target-schema <name>", "PostgreSQL schema", DEFAULTS.targetSchema)
        .option("--source-time-zone <zone>", "time zone of MySQL DATETIME values (TIMESTAMP values are UTC)", DEFAULTS.sourceTimeZone)
        .option("--enum-as <kind>", `ENUM columns become: ${choices("enumAs")}`, validated("enumAs"), DEFAULTS.enumAs)
        .option("--datetime-type <type>", `target type of DATETIME columns: ${choices("datetimeType")}`, validated("datetimeType"), DEFAULTS.datetimeType)
        .option("--identifier-case <case>", `table and column names: ${choices("identifierCase")}`, validated("identifierCase"), DEFAULTS.identifierCase)
        .option("--column <table.column=type[:transform]>", `per-column override (repeatable; =skip leaves a column out; transforms: ${TRANSFORMS.join(", ")})`, parseColumnOverride, {})
        .option("--no-verify", "skip the checksum verification")
        .option("--no-progress", "no progress bars even on a terminal")
        .option("--json", "print the report as JSON instead of a table")
        .exitOverride(usageErrorsExit2)
        .action(async (flags: MigrateDbFlags) => {
            const from = flags.from ?? process.env.HEROKUENV_MIGRATE_FROM;
            const to = flags.to ?? process.env.HEROKUENV_MIGRATE_TO ?? process.env.DATABASE_URL;
            if (!from || !to) {
                process.stderr.write("herokuenv migrate-db: --from and --to are required (or HEROKUENV_MIGRATE_FROM / HEROKUENV_MIGRATE_TO)\n");
                process.exitCode = USAGE_EXIT_CODE;
                return;
            }
            const progress = tableProgressReporter(Boolean(process.stderr.isTTY) && flags.progress && !flags.json);
            // Ctrl-C: each table's transaction rolls back when its connection closes; what was committed is verified.
            const interrupt = onInterrupt("migrate-db", "the tables in flight roll back");
            interrupt.signal.addEventListener("abort", () => {
                progress.stop();
                reportInterrupted("migrate-db", "tables in flight rolled back; tables already verified stay; run again to resume");
                process.exit(INTERRUPTED_EXIT_CODE);
            });
            try {
                const report = await migrate({
                    from,
                    to,
                    schema: flags.schema,
                    overwrite: flags.overwrite === true,
                    concurrency: flags.concurrency,
                    tables: flags.tables ? flags.tables.split(",").map((t) => t.trim()).filter((t) => t !== "") : undefined,
                    targetSchema: flags.targetSchema,
                    sourceTimeZone: flags.sourceTimeZone,
                    enumAs: flags.enumAs,
                    datetimeType: flags.datetimeType,
                    identifierCase: flags.identifierCase,
                    columns: flags.column,
                    verify: flags.verify,
                    onEvent: progress.onEvent,
                });
                progress.stop();
                if (flags.json) writeJson(report);
                else {
                    process.stdout.write(`${summaryTable(report)}\n`);
                    if (report.sequences.length > 0) process.stdout.write(`sequences set past their maximum: ${report.sequences.length}\n`);
                }
                process.exitCode = 0;
            } catch (err) {
                progress.stop();
                const e = err instanceof MigrationError ? err : new MigrationError(String((err as Error)?.message ?? err), "failed");
                process.stderr.write(`herokuenv migrate-db: ${e.message}\n`);
                process.exitCode = e.kind === "failed" || e.kind === "verification" ? 1 : USAGE_EXIT_CODE;
            } finally {
                interrupt.dispose();
            }
        });
}

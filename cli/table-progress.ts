// Per-table progress of the database commands (migrate-db, copy-db), on stderr so stdout stays the summary: a bar per
// table on a terminal, one line per table and phase elsewhere (logs, CI). copy-db's Heroku transfer reports bytes.
import * as cliProgress from "cli-progress";
import type { MigrationEvent } from "../components/data/mysql-to-postgres";
import { formatBytes } from "./format";

export type TableProgressEvent = MigrationEvent | { type: "transfer-progress"; processedBytes: number; sourceBytes: number | null };

const MIB = 1024 * 1024;
const TRANSFER = "(heroku transfer)";

export function tableProgressReporter(tty: boolean): { onEvent: (e: TableProgressEvent) => void; stop: () => void } {
    const out = process.stderr;
    if (!tty) {
        return {
            onEvent: (e) => {
                if (e.type === "plan") for (const t of e.tables.filter((x) => x.skipped)) out.write(`${t.source}: already verified, skipped\n`);
                else if (e.type === "table-start") out.write(`${e.table}: copying (~${e.estimatedRows} rows)\n`);
                else if (e.type === "table-done") out.write(`${e.report.source}: ${e.report.rows} rows, ${formatBytes(e.report.bytes)} in ${e.report.seconds.toFixed(2)}s, verified\n`);
                else if (e.type === "phase") out.write(`-- ${e.name}\n`);
                else if (e.type === "warning") out.write(`warning: ${e.warning.message}\n`);
                else if (e.type === "transfer-progress") out.write(`heroku transfer: ${formatBytes(e.processedBytes)}${e.sourceBytes ? ` of ${formatBytes(e.sourceBytes)}` : ""}\n`);
            },
            stop: () => undefined,
        };
    }
    const multi = new cliProgress.MultiBar(
        { format: " {table} [{bar}] {percentage}% | {value}/{total} rows | {mb} MiB", hideCursor: true, clearOnComplete: false, stream: out },
        cliProgress.Presets.shades_classic,
    );
    const bars = new Map<string, cliProgress.SingleBar>();
    const warnings: string[] = [];
    const show = (bar: cliProgress.SingleBar | undefined, value: number, bytes: number, total?: number) => {
        if (!bar) return;
        if (total !== undefined) bar.setTotal(Math.max(1, total));
        else if (value > bar.getTotal()) bar.setTotal(value);
        bar.update(value, { mb: (bytes / MIB).toFixed(1) });
    };
    return {
        onEvent: (e) => {
            if (e.type === "table-start") bars.set(e.table, multi.create(Math.max(1, e.estimatedRows), 0, { table: e.table.padEnd(24).slice(0, 24), mb: "0.0" }));
            else if (e.type === "table-progress") show(bars.get(e.table), e.rows, e.bytes);
            else if (e.type === "table-done") {
                show(bars.get(e.report.source), e.report.rows, e.report.bytes, e.report.rows);
                bars.get(e.report.source)?.stop();
            } else if (e.type === "transfer-progress") {
                if (!bars.has(TRANSFER)) bars.set(TRANSFER, multi.create(Math.max(1, e.sourceBytes ?? 1), 0, { table: "heroku transfer".padEnd(24), mb: "0.0" }));
                show(bars.get(TRANSFER), e.processedBytes, e.processedBytes, e.sourceBytes ?? undefined);
            } else if (e.type === "warning") warnings.push(e.warning.message);
        },
        stop: () => {
            multi.stop();
            for (const w of warnings) out.write(`warning: ${w}\n`);
        },
    };
}

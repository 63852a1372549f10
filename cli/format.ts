// What every herokuenv command prints, in one place: sizes (binary units: KiB, MiB, GiB), counts, durations, rates,
// summaries (aligned fields or a table), `--json` output, and Ctrl-C handling. Human output goes to stdout for the
// summary and stderr for progress and errors; with `--json`, stdout is one JSON document and nothing else.
//
//   formatBytes(2048)                      "2.0 KiB"
//   formatCount(12345)                     "12,345"
//   formatDuration(75_500)                 "1 min 15.5 s"
//   formatRate(10 * 1024 * 1024, 2000)     "5.0 MiB/s"
//   formatFields([["files", "3"], ["uploaded", "1"]])   "  files      3\n  uploaded   1"
//   formatTable(["table", "rows"], [["users", "3"]], { alignRight: [1], footer: ["total", "3"] })
//   writeJson(summary)                     stdout: the value as indented JSON and a newline
//   const interrupt = onInterrupt("sync-files", "waiting for transfers in flight to stop");  ... interrupt.signal ...
//   if (interrupt.interrupted) reportInterrupted("sync-files", "run again to complete")   stderr + exit code 130
import { CommanderError } from "commander";


/** Exit code of a bad invocation (nothing was done), as the commands document it. */
export const USAGE_EXIT_CODE = 2;

/** For commander's `exitOverride`: every usage error of a command, commander's own included, exits with 2. */
export function usageErrorsExit2(error: CommanderError): never {
    if (error.exitCode === 0) throw error;
    throw new CommanderError(USAGE_EXIT_CODE, error.code, error.message);
}

/** Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** Bytes in binary units: "512 B", "2.0 KiB", "1.5 GiB" (one decimal from KiB up). */
export function formatBytes(bytes: number): string {
    let value = bytes;
    let unit = 0;
    while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${Math.round(bytes)} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** A whole number with thousands separators: "12,345". */
export function formatCount(n: number): string {
    return n.toLocaleString("en-US");
}

/** Milliseconds for people: "0.4 s", "59.9 s", "1 min 15.5 s", "2 h 05 min". */
export function formatDuration(ms: number): string {
    const seconds = ms / 1000;
    if (seconds < 60) return `${seconds.toFixed(1)} s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${(seconds % 60).toFixed(1)} s`;
    const minutes = Math.floor(seconds / 60);
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Bytes per second over a duration, in the same units as formatBytes ("5.0 MiB/s"); undefined for a zero duration. */
export function formatRate(bytes: number, ms: number): string | undefined {
    return ms > 0 ? `${formatBytes((bytes * 1000) / ms)}/s` : undefined;
}

/** Label/value lines, labels padded to one column: a summary of one run. */
export function formatFields(fields: ReadonlyArray<readonly [label: string, value: string]>, indent = 2): string {
    const width = Math.max(0, ...fields.map(([label]) => label.length)) + 3;
    return fields.map(([label, value]) => `${" ".repeat(indent)}${label.padEnd(width)}${value}`.trimEnd()).join("\n");
}

export interface TableOptions {
    /** Column indexes whose cells are right-aligned (numbers). */
    alignRight?: readonly number[];
    /** A last row (totals), set off by a rule. */
    footer?: readonly string[];
}

/** A plain-text table: header, rule, rows (and a rule and footer); columns two spaces apart. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string {
    const all = options.footer ? [header, ...rows, options.footer] : [header, ...rows];
    const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
    const right = new Set(options.alignRight ?? []);
    const line = (cells: readonly string[]): string =>
        widths.map((w, i) => (right.has(i) ? (cells[i] ?? "").padStart(w) : (cells[i] ?? "").padEnd(w))).join("  ").trimEnd();
    const rule = widths.map((w) => "-".repeat(w)).join("  ");
    return [line(header), rule, ...rows.map(line), ...(options.footer ? [rule, line(options.footer)] : [])].join("\n");
}

/** `--json`: writes the value to stdout as one indented JSON document. */
export function writeJson(value: unknown, stream: NodeJS.WritableStream = process.stdout): void {
    stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

export interface Interrupt {
    /** Aborted at the first Ctrl-C: hand it to the engine. */
    signal: AbortSignal;
    /** True once Ctrl-C was pressed. */
    readonly interrupted: boolean;
    /** Stops listening for Ctrl-C (call when the work is over, success or not). */
    dispose(): void;
}

/**
 * Ctrl-C for a command: the first SIGINT prints "<command>: interrupted; <stopping>" on stderr and aborts `signal`
 * so the engine can stop cleanly; a second one exits at once with code 130.
 */
export function onInterrupt(command: string, stopping: string, stream: NodeJS.WritableStream = process.stderr): Interrupt {
    const controller = new AbortController();
    const onSigint = (): void => {
        if (controller.signal.aborted) {
            stream.write(`${command}: interrupted again: exiting now\n`);
            process.exit(INTERRUPTED_EXIT_CODE);
        }
        stream.write(`\n${command}: interrupted; ${stopping} (Ctrl-C again to quit at once)\n`);
        controller.abort();
    };
    process.on("SIGINT", onSigint);
    return {
        signal: controller.signal,
        get interrupted() {
            return controller.signal.aborted;
        },
        dispose: () => void process.removeListener("SIGINT", onSigint),
    };
}

/** Ends a command stopped by Ctrl-C: "herokuenv <command>: interrupted: <detail>" on stderr, exit code 130. */
export function reportInterrupted(command: string, detail: string, stream: NodeJS.WritableStream = process.stderr): void {
    stream.write(`herokuenv ${command}: interrupted: ${detail}\n`);
    process.exitCode = INTERRUPTED_EXIT_CODE;
}

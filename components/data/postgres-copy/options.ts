// The copy's options: defaults, limits and their validation in one place, used by the CLI, the resource and copy().
import { CONCURRENCY } from "../mysql-to-postgres/options";
import type { MigrationEvent } from "../mysql-to-postgres/types";
import { ENVIRONMENT_KINDS, type EnvironmentKind } from "./guards";
import type { CopyHooks } from "./hooks";
import type { HerokuTransferOptions } from "./heroku-transfer";

export { CONCURRENCY };

export const MIB = 1024 * 1024;

export const COPY_DEFAULTS = {
    concurrency: CONCURRENCY.default,
    /**
     * Tables with a heap above this are split into ctid ranges copied in parallel. Below it a table copies whole,
     * with TRUNCATE + COPY FREEZE and its checksum in the same transaction, which measured faster than ranges
     * (bench/postgres-copy.ts, 2 cores: 5.45 s whole against 6.97 s with 32 MiB ranges, docs/copy-db.md).
     */
    splitLargerThan: 1024 * MIB,
    /** Bytes per range of a split table. */
    chunkBytes: 128 * MIB,
    verify: true,
} as const;

export interface CopyOptions {
    /** postgres:// URL of the source (read only: never written). */
    from: string;
    /** postgres:// URL of the target. */
    to: string;
    /** Replace whatever the target holds (required when it is not empty and not an unfinished copy of this source). */
    overwrite?: boolean;
    concurrency?: number;
    splitLargerThan?: number;
    chunkBytes?: number;
    /** Checksums (default); false: counts only. */
    verify?: boolean;
    /** What the caller says the target is; the target's own marker is checked too and wins when stricter. */
    targetKind?: EnvironmentKind;
    /** Scrubbing/sampling (components/data/scrub). */
    hooks?: CopyHooks;
    /** Identifies the hooks' configuration (rules + seed digest): a resume with different hooks is refused. */
    hooksFingerprint?: string;
    /** When set and no hooks are given: Heroku's server-side transfer instead of streaming through this machine. */
    heroku?: HerokuTransferOptions;
    /** pg_dump binary (default: found on PATH or /usr/lib/postgresql/<v>/bin). */
    pgDump?: string;
    onEvent?: (event: CopyEvent) => void;
    signal?: AbortSignal;
}

export type CopyEvent = MigrationEvent | { type: "transfer-progress"; processedBytes: number; sourceBytes: number | null };

export interface ResolvedCopyOptions extends Required<Pick<CopyOptions, "from" | "to" | "overwrite" | "concurrency" | "splitLargerThan" | "chunkBytes" | "verify">> {
    targetKind?: EnvironmentKind;
    hooks?: CopyHooks;
    hooksFingerprint?: string;
    heroku?: HerokuTransferOptions;
    pgDump?: string;
    emit: (event: CopyEvent) => void;
    signal?: AbortSignal;
}

function urlProblem(side: string, url: unknown): string | undefined {
    if (typeof url !== "string" || url === "") return `${side} is required (a postgres:// URL)`;
    try {
        const u = new URL(url);
        if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") return `${side} must be a postgres:// URL, got a ${u.protocol}// URL`;
    } catch {
        return `${side} is not a valid URL`;
    }
    return undefined;
}

export function copyOptionProblems(o: Partial<CopyOptions>): string[] {
    const out: string[] = [];
    const p1 = urlProblem("from", o.from);
    if (p1) out.push(p1);
    const p2 = urlProblem("to", o.to);
    if (p2) out.push(p2);
    if (o.concurrency !== undefined && (!Number.isInteger(o.concurrency) || o.concurrency < CONCURRENCY.min || o.concurrency > CONCURRENCY.max)) {
        out.push(`concurrency must be an integer from ${CONCURRENCY.min} to ${CONCURRENCY.max}, got ${String(o.concurrency)}`);
    }
    for (const key of ["splitLargerThan", "chunkBytes"] as const) {
        const v = o[key];
        if (v !== undefined && (!Number.isInteger(v) || v < MIB)) out.push(`${key} must be a whole number of bytes of at least 1 MiB, got ${String(v)}`);
    }
    if (o.targetKind !== undefined && !ENVIRONMENT_KINDS.includes(o.targetKind)) out.push(`targetKind must be staging or sandbox, got ${String(o.targetKind)}`);
    if (o.targetKind === "production") out.push("targetKind production: a copy never targets production");
    return out;
}

export function withCopyDefaults(o: CopyOptions): ResolvedCopyOptions {
    return {
        from: o.from,
        to: o.to,
        overwrite: o.overwrite === true,
        concurrency: o.concurrency ?? COPY_DEFAULTS.concurrency,
        splitLargerThan: o.splitLargerThan ?? COPY_DEFAULTS.splitLargerThan,
        chunkBytes: o.chunkBytes ?? COPY_DEFAULTS.chunkBytes,
        verify: o.verify ?? COPY_DEFAULTS.verify,
        targetKind: o.targetKind,
        hooks: o.hooks,
        hooksFingerprint: o.hooksFingerprint,
        heroku: o.heroku,
        pgDump: o.pgDump,
        emit: o.onEvent ?? (() => undefined),
        signal: o.signal,
    };
}

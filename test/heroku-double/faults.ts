// Fault injection for the Heroku double: seeded, so a failing test replays the same faults.
import { seededRandom } from "../../components/data/shared/seeded-random";

/**
 * When a fault strikes relative to applying the request to the double's state. "after-apply" is
 * what really happens when Heroku did the work but the answer was lost (5xx from a proxy,
 * connection reset): it is how duplicate-creation handling gets tested.
 */
export type FaultMode = "before-apply" | "after-apply";

export type ScriptedFault =
    | { kind: "rate-limit"; retryAfterSeconds?: number }
    | { kind: "server-error"; mode: FaultMode; status?: number }
    | { kind: "drop"; mode: FaultMode }
    | { kind: "delay"; ms: number };

/** A fault queued for the next request that matches `method` and `path` (both optional). */
export type QueuedFault = ScriptedFault & { method?: string; path?: string | RegExp };

export interface FaultSettings {
    /** Seed of the generator behind the probabilities. */
    seed: number;
    /** Chance of answering 429 (with `RateLimit-Remaining: 0`) before applying. */
    rateLimitProbability: number;
    /** Sent as `Retry-After` on injected 429s when set (Heroku itself usually omits it). */
    retryAfterSeconds: number | undefined;
    /** Chance of answering 500. */
    serverErrorProbability: number;
    serverErrorMode: FaultMode | "either";
    /** Chance of destroying the socket without answering. */
    dropProbability: number;
    dropMode: FaultMode | "either";
    /** Delay added before handling, with chance `delayProbability`. */
    delayMs: number;
    delayProbability: number;
    /** Restricts random faults to some requests; undefined means all. */
    match: ((method: string, path: string) => boolean) | undefined;
}

export interface FaultDecision {
    delayMs: number;
    rateLimit?: { retryAfterSeconds: number | undefined };
    serverError?: { mode: FaultMode; status: number };
    drop?: { mode: FaultMode };
}

export const DEFAULT_FAULTS: FaultSettings = {
    seed: 1,
    rateLimitProbability: 0,
    retryAfterSeconds: undefined,
    serverErrorProbability: 0,
    serverErrorMode: "before-apply",
    dropProbability: 0,
    dropMode: "before-apply",
    delayMs: 0,
    delayProbability: 1,
    match: undefined,
};

export { seededRandom };

/** Mutable at runtime: set fields directly or through `set()`, queue one-off faults with `queue`. */
export class Faults implements FaultSettings {
    seed = DEFAULT_FAULTS.seed;
    rateLimitProbability = DEFAULT_FAULTS.rateLimitProbability;
    retryAfterSeconds = DEFAULT_FAULTS.retryAfterSeconds;
    serverErrorProbability = DEFAULT_FAULTS.serverErrorProbability;
    serverErrorMode = DEFAULT_FAULTS.serverErrorMode;
    dropProbability = DEFAULT_FAULTS.dropProbability;
    dropMode = DEFAULT_FAULTS.dropMode;
    delayMs = DEFAULT_FAULTS.delayMs;
    delayProbability = DEFAULT_FAULTS.delayProbability;
    match = DEFAULT_FAULTS.match;
    /** One-off faults, consumed in order by the first request each matches; they win over chance. */
    readonly queue: QueuedFault[] = [];
    /** Faults injected so far, for assertions. */
    injected = 0;

    private random: () => number;

    constructor(settings: Partial<FaultSettings> = {}) {
        this.random = seededRandom(this.seed);
        this.set(settings);
    }

    /** Changes settings; a given `seed` restarts the random sequence. */
    set(settings: Partial<FaultSettings>): this {
        Object.assign(this, settings);
        if (settings.seed !== undefined) this.random = seededRandom(settings.seed);
        return this;
    }

    /** Back to no faults (and the current seed's sequence from the start). */
    reset(): this {
        this.queue.length = 0;
        return this.set({ ...DEFAULT_FAULTS, seed: this.seed });
    }

    /** Queues faults for the next matching requests. */
    enqueue(...faults: QueuedFault[]): this {
        this.queue.push(...faults);
        return this;
    }

    /** Decides the faults for one request. */
    decide(method: string, path: string): FaultDecision {
        const index = this.queue.findIndex((q) => queuedMatches(q, method, path));
        if (index >= 0) {
            const [q] = this.queue.splice(index, 1);
            this.injected++;
            switch (q.kind) {
                case "rate-limit":
                    return { delayMs: 0, rateLimit: { retryAfterSeconds: q.retryAfterSeconds ?? this.retryAfterSeconds } };
                case "server-error":
                    return { delayMs: 0, serverError: { mode: q.mode, status: q.status ?? 500 } };
                case "drop":
                    return { delayMs: 0, drop: { mode: q.mode } };
                case "delay":
                    return { delayMs: q.ms };
            }
        }
        if (this.match && !this.match(method, path)) return { delayMs: 0 };
        // Draw every number on every request so one setting does not shift the others' sequence.
        const [rDelay, rLimit, rError, rErrorMode, rDrop, rDropMode] = Array.from({ length: 6 }, () => this.random());
        const decision: FaultDecision = { delayMs: this.delayMs > 0 && rDelay < this.delayProbability ? this.delayMs : 0 };
        if (rLimit < this.rateLimitProbability) {
            decision.rateLimit = { retryAfterSeconds: this.retryAfterSeconds };
        } else if (rError < this.serverErrorProbability) {
            decision.serverError = { mode: pickMode(this.serverErrorMode, rErrorMode), status: 500 };
        } else if (rDrop < this.dropProbability) {
            decision.drop = { mode: pickMode(this.dropMode, rDropMode) };
        }
        if (decision.rateLimit || decision.serverError || decision.drop) this.injected++;
        return decision;
    }
}

function pickMode(mode: FaultMode | "either", r: number): FaultMode {
    if (mode !== "either") return mode;
    return r < 0.5 ? "before-apply" : "after-apply";
}

function queuedMatches(q: QueuedFault, method: string, path: string): boolean {
    if (q.method !== undefined && q.method.toUpperCase() !== method.toUpperCase()) return false;
    if (q.path === undefined) return true;
    return typeof q.path === "string" ? q.path === path : q.path.test(path);
}

// Transport for the Heroku Platform API v3: auth, headers, Range pagination, retries, safe errors.
//
// Self-contained on purpose (no imports at all; Node 20 globals `fetch` and `crypto` only): Pulumi
// dynamic providers are serialized by capturing their code by value, so this module must not
// pull in other project modules.
//
// Retry policy (why it differs by method):
// - 429 is retried for every method: Heroku refuses a rate-limited request before doing anything.
// - 5xx (except 501 Not Implemented), network errors and timeouts are retried only for idempotent
//   methods (GET, HEAD, PUT, PATCH, DELETE). For POST the request may have been applied even though
//   we saw no (good) answer, and repeating it could create a second app/add-on/domain or fail with
//   "name taken". Such errors are thrown with `outcomeUnknown: true`; the caller must reconcile
//   (look the resource up by its name) before trying again. Exception: connection errors that happen before anything was
//   sent (ECONNREFUSED, DNS failure) are retried for POST too. A caller that knows a POST is
//   idempotent (e.g. enabling ACM) can pass `idempotent: true`.
// - Backoff is exponential with full jitter; `Retry-After` wins when present. The time spent
//   sleeping between attempts is bounded by `maxRetryWaitMs`; attempts by `maxAttempts`.
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

export const DEFAULT_HEROKU_API_URL = "https://api.heroku.com";
export const HEROKU_ACCEPT = "application/vnd.heroku+json; version=3";

export interface HerokuClientOptions {
    /** API token; falls back to `HEROKU_API_KEY`. Callers pass Pulumi config `heroku:apiKey` here. */
    apiKey?: string;
    /** Base URL; falls back to `HEROKU_API_URL`, then https://api.heroku.com. */
    baseUrl?: string;
    userAgent?: string;
    /** Total attempts per request, the first one included. Default 6. */
    maxAttempts?: number;
    /** Upper bound on the sum of the sleeps between attempts of one request. Default 60 000. */
    maxRetryWaitMs?: number;
    /** First backoff step; doubles per attempt. Default 500. */
    baseDelayMs?: number;
    /** Cap on a single backoff step (before jitter). Default 15 000. */
    maxDelayMs?: number;
    /** Timeout of one attempt (headers and body). Default 30 000. */
    requestTimeoutMs?: number;
    /** Injectable for tests. */
    sleep?: (ms: number) => Promise<void>;
    /** Injectable for tests; must return a number in [0, 1). */
    random?: () => number;
    /** Called before each retry sleep (for logging); never receives secrets. */
    onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
    method: HttpMethod;
    path: string;
    attempt: number;
    delayMs: number;
    reason: string;
}

export interface RequestOptions {
    /** JSON body. Never copied into errors (config var values are secrets). */
    body?: unknown;
    /** Sent as the `Range` header (pagination). */
    range?: string;
    /** Extra headers (e.g. a different `Accept` variant). */
    headers?: Record<string, string>;
    /** Caller asserts that repeating this request is harmless, so 5xx/network errors are retried. */
    idempotent?: boolean;
}

export interface HerokuResponse<T> {
    status: number;
    headers: Headers;
    body: T;
    requestId: string;
}

export interface HerokuApiErrorInit {
    id: string;
    message: string;
    status?: number;
    method: HttpMethod;
    path: string;
    requestId?: string;
    attempts: number;
    outcomeUnknown?: boolean;
    gaveUp?: boolean;
    code?: string;
    url?: string;
}

/**
 * A failed Heroku API call. Carries Heroku's error `id`/`message` and where it happened, never the
 * token, the request headers or the request body.
 */
export class HerokuApiError extends Error {
    /** Heroku's error id (`not_found`, `invalid_params`, `rate_limit`…), or `network_error`/`timeout`. */
    readonly id: string;
    /** Heroku's own message, without our context. */
    readonly herokuMessage: string;
    /** HTTP status; undefined when no response arrived. */
    readonly status: number | undefined;
    readonly method: HttpMethod;
    readonly path: string;
    readonly requestId: string | undefined;
    readonly attempts: number;
    /** True when a non-idempotent request may or may not have been applied: reconcile before retrying. */
    readonly outcomeUnknown: boolean;
    /** True when retrying stopped because of `maxAttempts` or `maxRetryWaitMs`. */
    readonly gaveUp: boolean;
    /** Network error code (ECONNRESET, UND_ERR_SOCKET, ETIMEDOUT…) when no response arrived. */
    readonly code: string | undefined;
    /** Heroku's documentation URL for the error, when given. */
    readonly url: string | undefined;

    constructor(init: HerokuApiErrorInit) {
        const message = formatErrorMessage(init);
        super(message);
        // Pulumi's closure serializer turns this class into a function calling `Error.call(this, message)`, which
        // sets nothing on `this`: without these lines a serialized provider's errors read "HerokuApiError" with an
        // empty message and no stack.
        this.message = message;
        this.name = "HerokuApiError";
        if (!this.stack?.includes(message)) Error.captureStackTrace?.(this, HerokuApiError);
        this.id = init.id;
        this.herokuMessage = init.message;
        this.status = init.status;
        this.method = init.method;
        this.path = init.path;
        this.requestId = init.requestId;
        this.attempts = init.attempts;
        this.outcomeUnknown = init.outcomeUnknown ?? false;
        this.gaveUp = init.gaveUp ?? false;
        this.code = init.code;
        this.url = init.url;
    }

    toJSON(): Record<string, unknown> {
        return {
            name: this.name,
            message: this.message,
            id: this.id,
            status: this.status,
            method: this.method,
            path: this.path,
            requestId: this.requestId,
            attempts: this.attempts,
            outcomeUnknown: this.outcomeUnknown,
            gaveUp: this.gaveUp,
            code: this.code,
        };
    }
}

function formatErrorMessage(init: HerokuApiErrorInit): string {
    const what = init.status !== undefined ? `${init.status} ${init.id}` : init.id;
    let msg = `Heroku API ${init.method} ${init.path} failed: ${what}: ${init.message}`;
    if (init.gaveUp) msg += ` (gave up after ${init.attempts} attempt${init.attempts === 1 ? "" : "s"})`;
    if (init.outcomeUnknown) {
        msg +=
            ` (not retried: ${init.method} is not idempotent and the request may have been applied;` +
            " reconcile, e.g. look the resource up by name, before retrying)";
    }
    if (init.requestId) msg += ` [request-id ${init.requestId}]`;
    return msg;
}

export function isHerokuApiError(err: unknown): err is HerokuApiError {
    return err instanceof HerokuApiError;
}

export function isNotFound(err: unknown): boolean {
    return err instanceof HerokuApiError && err.status === 404;
}

// Arrays, not Sets: Pulumi's closure serializer does not rebuild Set instances faithfully.
const IDEMPOTENT: readonly HttpMethod[] = ["GET", "HEAD", "PUT", "PATCH", "DELETE"];

// Connection failures where the request cannot have reached Heroku, so even a POST may be repeated.
const NOT_SENT_CODES: readonly string[] = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"];

type Attempt =
    | { kind: "response"; status: number; headers: Headers; text: string; requestId: string }
    | { kind: "network"; code: string; message: string; requestId: string };

export class HerokuClient {
    readonly baseUrl: string;
    readonly userAgent: string;
    readonly maxAttempts: number;
    readonly maxRetryWaitMs: number;
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
    readonly requestTimeoutMs: number;
    /** Number of HTTP requests sent (every attempt and every page counts). */
    requestCount = 0;
    /** Last `RateLimit-Remaining` seen, if any. */
    rateLimitRemaining: number | undefined;

    private readonly sleep: (ms: number) => Promise<void>;
    private readonly random: () => number;
    private readonly onRetry: ((info: RetryInfo) => void) | undefined;
    // A closure rather than a field holding the token, so inspecting or serializing the client
    // does not print it.
    private readonly authorization!: () => string;
    private readonly redact!: (text: string) => string;

    constructor(options: HerokuClientOptions = {}) {
        const token = options.apiKey ?? process.env.HEROKU_API_KEY;
        if (!token) {
            throw new Error("Heroku API token missing: set heroku:apiKey in Pulumi config or HEROKU_API_KEY");
        }
        this.baseUrl = (options.baseUrl ?? process.env.HEROKU_API_URL ?? DEFAULT_HEROKU_API_URL).replace(/\/+$/, "");
        this.userAgent = options.userAgent ?? "herokuenv/0.1";
        this.maxAttempts = Math.max(1, options.maxAttempts ?? 6);
        this.maxRetryWaitMs = Math.max(0, options.maxRetryWaitMs ?? 60_000);
        this.baseDelayMs = options.baseDelayMs ?? 500;
        this.maxDelayMs = options.maxDelayMs ?? 15_000;
        this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
        this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
        this.random = options.random ?? Math.random;
        this.onRetry = options.onRetry;
        const header = `Bearer ${token}`;
        Object.defineProperty(this, "authorization", { value: () => header, enumerable: false });
        Object.defineProperty(this, "redact", {
            value: (text: string) => text.split(token).join("[REDACTED]"),
            enumerable: false,
        });
    }

    get<T>(path: string, options?: RequestOptions): Promise<T> {
        return this.request<T>("GET", path, options);
    }

    post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
        return this.request<T>("POST", path, { ...options, body });
    }

    patch<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
        return this.request<T>("PATCH", path, { ...options, body });
    }

    put<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
        return this.request<T>("PUT", path, { ...options, body });
    }

    delete<T>(path: string, options?: RequestOptions): Promise<T> {
        return this.request<T>("DELETE", path, options);
    }

    async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
        return (await this.send<T>(method, path, options)).body;
    }

    /**
     * GET every item of a collection, following Heroku's `Range` pagination: while the answer is
     * 206 Partial Content with a `Next-Range` header, send that header back as `Range`.
     */
    async list<T>(path: string, options: { range?: string; headers?: Record<string, string> } = {}): Promise<T[]> {
        const items: T[] = [];
        let range = options.range;
        for (;;) {
            const page = await this.send<T[]>("GET", path, { range, headers: options.headers });
            if (!Array.isArray(page.body)) {
                throw new HerokuApiError({
                    id: "unexpected_response",
                    message: "expected a JSON array",
                    status: page.status,
                    method: "GET",
                    path,
                    requestId: page.requestId,
                    attempts: 1,
                });
            }
            items.push(...page.body);
            const next = page.headers.get("next-range");
            if (page.status !== 206 || !next) return items;
            range = next;
        }
    }

    /** One logical request with retries; resolves with status, headers and parsed body. */
    async send<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<HerokuResponse<T>> {
        if (!path.startsWith("/")) throw new Error(`Heroku API path must start with "/": ${path}`);
        const idempotent = IDEMPOTENT.includes(method) || options.idempotent === true;
        const body = options.body === undefined ? undefined : JSON.stringify(options.body);
        let waitedMs = 0;
        for (let attempt = 1; ; attempt++) {
            const result = await this.attempt(method, path, body, options);
            if (result.kind === "response") {
                const remaining = result.headers.get("ratelimit-remaining");
                if (remaining !== null && remaining.trim() !== "" && Number.isFinite(Number(remaining))) {
                    this.rateLimitRemaining = Number(remaining);
                }
                if (result.status < 400) {
                    let parsed: T;
                    try {
                        parsed = parseBody<T>(result.text);
                    } catch {
                        // JSON.parse's message quotes the body, which may hold config var values.
                        throw new HerokuApiError({
                            id: "unexpected_response",
                            message: "response body is not JSON",
                            status: result.status,
                            method,
                            path,
                            requestId: result.requestId,
                            attempts: attempt,
                        });
                    }
                    return { status: result.status, headers: result.headers, body: parsed, requestId: result.requestId };
                }
            }

            const failure = this.describeFailure(result);
            let retryable: boolean;
            let outcomeUnknown = false;
            let retryAfterMs: number | undefined;
            if (result.kind === "response" && result.status === 429) {
                retryable = true;
                retryAfterMs = parseRetryAfter(result.headers.get("retry-after"));
            } else if (result.kind === "response" && (result.status < 500 || result.status === 501)) {
                // 501 Not Implemented is an answer about the route, not a transient failure; nothing was applied.
                retryable = false;
            } else {
                const notSent = result.kind === "network" && NOT_SENT_CODES.includes(result.code);
                retryable = idempotent || notSent;
                outcomeUnknown = !retryable;
            }

            const error = (gaveUp: boolean) =>
                new HerokuApiError({ ...failure, method, path, attempts: attempt, outcomeUnknown, gaveUp });
            if (!retryable) throw error(false);
            if (attempt >= this.maxAttempts) throw error(true);

            const remainingBudget = this.maxRetryWaitMs - waitedMs;
            if (remainingBudget <= 0) throw error(true);
            let delay: number;
            if (retryAfterMs !== undefined) {
                // Waiting less than the server asked for would only earn another 429.
                if (retryAfterMs > remainingBudget) throw error(true);
                delay = retryAfterMs;
            } else {
                // Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))), clipped to the budget.
                const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
                delay = Math.min(Math.floor(this.random() * ceiling), remainingBudget);
            }
            this.onRetry?.({ method, path, attempt, delayMs: delay, reason: `${failure.status ?? ""} ${failure.id}`.trim() });
            await this.sleep(delay);
            waitedMs += delay;
        }
    }

    private async attempt(
        method: HttpMethod,
        path: string,
        body: string | undefined,
        options: RequestOptions,
    ): Promise<Attempt> {
        const requestId = crypto.randomUUID();
        const headers: Record<string, string> = {
            Accept: HEROKU_ACCEPT,
            "Content-Type": "application/json",
            "User-Agent": this.userAgent,
            "Request-Id": requestId,
            ...options.headers,
            Authorization: this.authorization(),
        };
        if (options.range !== undefined) headers.Range = options.range;
        this.requestCount++;
        try {
            const res = await fetch(this.baseUrl + path, {
                method,
                headers,
                body,
                signal: AbortSignal.timeout(this.requestTimeoutMs),
            });
            const text = await res.text();
            return {
                kind: "response",
                status: res.status,
                headers: res.headers,
                text,
                requestId: res.headers.get("request-id") ?? requestId,
            };
        } catch (err) {
            return { kind: "network", ...this.networkFailure(err), requestId };
        }
    }

    private networkFailure(err: unknown): { code: string; message: string } {
        if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
            return { code: "ETIMEDOUT", message: `no answer within ${this.requestTimeoutMs} ms` };
        }
        // fetch wraps socket errors: TypeError("fetch failed") with the real error as `cause`.
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
        const code =
            typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
                ? cause.code
                : "network_error";
        const message = cause instanceof Error ? cause.message : String(cause);
        return { code, message: this.redact(message) };
    }

    private describeFailure(result: Attempt): Omit<HerokuApiErrorInit, "method" | "path" | "attempts"> {
        if (result.kind === "network") {
            const id = result.code === "ETIMEDOUT" ? "timeout" : "network_error";
            const message = result.code === "network_error" ? result.message : `${result.code}: ${result.message}`;
            return { id, message, code: result.code, requestId: result.requestId };
        }
        let id = result.status === 429 ? "rate_limit" : `http_${result.status}`;
        let message = result.text.slice(0, 200) || "(empty body)";
        let url: string | undefined;
        try {
            const parsed: unknown = JSON.parse(result.text);
            if (typeof parsed === "object" && parsed !== null) {
                const rec = parsed as Record<string, unknown>;
                if (typeof rec.id === "string") id = rec.id;
                if (typeof rec.message === "string") message = rec.message;
                if (typeof rec.url === "string") url = rec.url;
            }
        } catch {
            // Not JSON (e.g. a proxy's HTML page): keep the truncated text.
        }
        return { id, message: this.redact(message), status: result.status, requestId: result.requestId, url };
    }
}

function parseBody<T>(text: string): T {
    // Unchecked cast: the typed endpoints describe what Heroku's schema promises for each route.
    return (text === "" ? undefined : JSON.parse(text)) as T;
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
    if (value === null || value.trim() === "") return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

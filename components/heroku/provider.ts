// What every Heroku dynamic provider shares: how it finds its API token and URL, how it creates things exactly once,
// how it reports a half-finished create, and small helpers.
//
// Pulumi serializes providers with their closures: this module and what it imports (./api, ./client) are captured
// by value, so nothing here may be a module-level Set/Map or hold state other than plain objects and arrays.
import type * as pulumi from "@pulumi/pulumi";
import { HerokuApi } from "./api";
import { HerokuClient, isHerokuApiError, isNotFound } from "./client";

/** Filled by the provider's `configure` from the stack config (`heroku:apiKey`, `heroku:apiUrl`). */
export interface HerokuConnection {
    apiKey?: string;
    apiUrl?: string;
}

function envNumber(name: string): number | undefined {
    const raw = process.env[name];
    if (raw === undefined || raw.trim() === "") return undefined;
    const value = Number(raw);
    return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** One line on stderr, which the Pulumi engine keeps in its logs. Callers never pass values, only names. */
export function log(message: string): void {
    process.stderr.write(`herokuenv: ${message}\n`);
}

/**
 * The API for one provider call. The token is the secret stack config `heroku:apiKey` when set, else
 * `HEROKU_API_KEY`; never a resource input, so it is in no state file. The base URL is `heroku:apiUrl`, else
 * `HEROKU_API_URL`, else https://api.heroku.com. Retry knobs (for tests and impatient CI):
 * `HEROKUENV_MAX_RETRY_WAIT_MS` (sum of sleeps per request, default 60 s), `HEROKUENV_RETRY_BASE_DELAY_MS`
 * (first backoff step, default 500 ms), `HEROKUENV_MAX_ATTEMPTS` (default 6).
 */
export function connect(connection: HerokuConnection): HerokuApi {
    return new HerokuApi(
        new HerokuClient({
            apiKey: connection.apiKey ?? process.env.HEROKU_API_KEY,
            baseUrl: connection.apiUrl ?? process.env.HEROKU_API_URL,
            maxRetryWaitMs: envNumber("HEROKUENV_MAX_RETRY_WAIT_MS"),
            baseDelayMs: envNumber("HEROKUENV_RETRY_BASE_DELAY_MS"),
            maxAttempts: envNumber("HEROKUENV_MAX_ATTEMPTS"),
            onRetry: (r) => log(`${r.method} ${r.path}: ${r.reason}, retry ${r.attempt} in ${r.delayMs} ms`),
        }),
    );
}

/** A `configure` that keeps the Heroku settings of the stack config for the provider's later calls. */
export function configureConnection(connection: HerokuConnection): (req: pulumi.dynamic.ConfigureRequest) => Promise<void> {
    return async (req) => {
        const apiKey: unknown = req.config.get("heroku:apiKey");
        const apiUrl: unknown = req.config.get("heroku:apiUrl");
        if (typeof apiKey === "string" && apiKey !== "") connection.apiKey = apiKey;
        if (typeof apiUrl === "string" && apiUrl !== "") connection.apiUrl = apiUrl;
    };
}

/** Deleting something already gone is success: a re-run after a crash must converge. */
export async function ignoreNotFound(work: Promise<unknown>): Promise<void> {
    try {
        await work;
    } catch (err) {
        if (!isNotFound(err)) throw err;
    }
}

/**
 * POSTs that create something are not retried by the client on 5xx or a lost connection, because the request may
 * have been applied. This looks the thing up by its unique key (app name, hostname, attachment name…) and adopts it
 * when it exists; when it does not, the POST was not applied and is sent again (bounded).
 */
export async function createOnce<T>(post: () => Promise<T>, find: () => Promise<T | undefined>, attempts = 4): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await post();
        } catch (err) {
            if (!(isHerokuApiError(err) && err.outcomeUnknown)) throw err;
            const found = await find();
            if (found !== undefined) return found;
            if (attempt >= attempts) throw err;
            log(`${err.method} ${err.path}: outcome unknown and nothing was created; sending it again`);
        }
    }
}

/**
 * The error for a create that made the resource but could not finish (buildpacks not set, add-on still
 * provisioning…). Pulumi's dynamic-provider host turns `id` and `properties` into "created but failed to
 * initialize": the resource is kept in the state, and the next `pulumi up` calls `update` to finish the job instead
 * of creating a second one. `properties` must hold no secret (they are plain outputs).
 */
export function initFailed(id: string, properties: object, cause: unknown): Error {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const err = new Error(`${reason} (the resource was created: the next pulumi up resumes with it, nothing is created twice)`);
    Object.assign(err, { id, properties, reasons: [reason] });
    return err;
}

/**
 * Pulumi's dynamic-provider host reads an error's `id` as "created but failed to initialize" (see `initFailed`), and
 * HerokuApiError has an `id` too: Heroku's error id (`not_found`, `invalid_params`…). Thrown as is from create or
 * update, a 422 would record a resource whose id is "invalid_params". So create and update rethrow Heroku errors as
 * plain errors with the same (secret-free) message; only `initFailed` errors keep an `id`.
 */
export function withSafeErrors<I, O>(provider: pulumi.dynamic.ResourceProvider<I, O>): pulumi.dynamic.ResourceProvider<I, O> {
    const plain = (err: unknown): unknown => {
        if (!isHerokuApiError(err)) return err;
        const replacement = new Error(err.message);
        replacement.name = err.name;
        return replacement;
    };
    const { create, update } = provider;
    return {
        ...provider,
        create: async (inputs) => {
            try {
                return await create(inputs);
            } catch (err) {
                throw plain(err);
            }
        },
        ...(update
            ? {
                  update: async (id, olds, news) => {
                      try {
                          return await update(id, olds, news);
                      } catch (err) {
                          throw plain(err);
                      }
                  },
              }
            : {}),
    };
}

/** What `read` answers when the thing is gone: Pulumi drops it from the state on refresh. */
export function gone<T>(): pulumi.dynamic.ReadResult<T> {
    return { id: "" };
}

/** A check failure, in the shape Pulumi prints next to the property. */
export interface CheckFailure {
    property: string;
    reason: string;
}

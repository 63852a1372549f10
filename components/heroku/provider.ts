// What every Heroku dynamic provider shares: how it finds its API token and URL, and small request helpers.
// Pulumi serializes providers with their closures, so this module stays small and self-contained.
import type * as pulumi from "@pulumi/pulumi";
import { HerokuClient, isNotFound } from "./client";

/** Filled by the provider's `configure` from the stack config (`heroku:apiKey`, `heroku:apiUrl`). */
export interface HerokuConnection {
    apiKey?: string;
    apiUrl?: string;
}

/** The token comes from `HEROKU_API_KEY`, else the secret stack config `heroku:apiKey`; never from resource inputs. */
export function connect(connection: HerokuConnection): HerokuClient {
    const maxRetryWait = Number(process.env.HEROKUENV_MAX_RETRY_WAIT_MS);
    return new HerokuClient({
        apiKey: process.env.HEROKU_API_KEY ?? connection.apiKey,
        baseUrl: process.env.HEROKU_API_URL ?? connection.apiUrl,
        maxRetryWaitMs: Number.isFinite(maxRetryWait) && maxRetryWait > 0 ? maxRetryWait : undefined,
    });
}

/** A `configure` that keeps the Heroku settings of the stack config for the provider's later calls. */
export function configureConnection(connection: HerokuConnection): (req: pulumi.dynamic.ConfigureRequest) => Promise<void> {
    return async (req) => {
        connection.apiKey = req.config.get("heroku:apiKey") ?? connection.apiKey;
        connection.apiUrl = req.config.get("heroku:apiUrl") ?? connection.apiUrl;
    };
}

/** Path segment for a name or id. */
export function seg(value: string): string {
    return encodeURIComponent(value);
}

/** Deleting something already gone is success: a re-run after a crash must converge. */
export async function ignoreNotFound(work: Promise<unknown>): Promise<void> {
    try {
        await work;
    } catch (err) {
        if (!isNotFound(err)) throw err;
    }
}

/** A check failure, in the shape Pulumi prints next to the property. */
export interface CheckFailure {
    property: string;
    reason: string;
}

// Server-side copy between two Heroku Postgres databases through Heroku's data API (what `heroku pg:copy` does):
// create a transfer on the target database, poll it every few seconds until `finished_at`, report
// `processed_bytes`, cancel it on interrupt. No row passes through this machine.

export interface HerokuDatabaseRef {
    /** App the database is attached to. */
    app: string;
    /** Add-on id or name (the target's is where the transfer is created). */
    addon: string;
    /** Attachment name shown in Heroku's logs (default DATABASE). */
    name?: string;
}

export interface HerokuTransferOptions {
    /** Heroku API token (a secret: never printed). */
    token: string;
    /** Data API base URL; default https://$HEROKU_DATA_HOST or https://api.data.heroku.com. */
    dataUrl?: string;
    source: HerokuDatabaseRef;
    target: HerokuDatabaseRef;
    /** Poll interval; Heroku's CLI waits at least 3 s. */
    pollMs?: number;
    /** Gives up waiting after this long (default 24 h). */
    timeoutMs?: number;
    /** Size limits (default HEROKU_TRANSFER_LIMITS). */
    limits?: { warnAboveBytes: number; refuseAboveBytes: number };
}

/** Heroku recommends pg:copy below 10 GB (about 3 min/GB of downtime); above the refusal size, stream instead. */
export const HEROKU_TRANSFER_LIMITS = { warnAboveBytes: 10 * 1024 ** 3, refuseAboveBytes: 20 * 1024 ** 3 } as const;

export interface TransferRecord {
    uuid: string;
    num?: string;
    processed_bytes?: number;
    source_bytes?: number;
    succeeded?: boolean | null;
    finished_at?: string | null;
    canceled_at?: string | null;
    logs?: Array<{ message?: string; created_at?: string }>;
}

export class HerokuTransferError extends Error {
    constructor(
        message: string,
        readonly transfer?: TransferRecord,
    ) {
        super(message);
        this.name = "HerokuTransferError";
    }
}

export function dataApiBase(opts: Pick<HerokuTransferOptions, "dataUrl">): string {
    const host = process.env.HEROKU_DATA_HOST;
    return (opts.dataUrl ?? (host ? `https://${host}` : "https://api.data.heroku.com")).replace(/\/+$/, "");
}

async function call(opts: HerokuTransferOptions, method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${dataApiBase(opts)}${path}`, {
        method,
        headers: {
            Authorization: `Bearer ${opts.token}`,
            Accept: "application/vnd.heroku+json; version=3",
            "Content-Type": "application/json",
            "User-Agent": "herokuenv copy-db",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
        let message = text;
        try {
            message = (JSON.parse(text) as { message?: string }).message ?? text;
        } catch {
            // not JSON
        }
        throw new HerokuTransferError(`Heroku data API ${method} ${path.replace(/\/transfers\/.*/, "/transfers/…")}: HTTP ${res.status}: ${message}`);
    }
    return text === "" ? {} : JSON.parse(text);
}

/** Runs one transfer to completion; resolves with the finished record, throws when it failed or was canceled. */
export async function runHerokuTransfer(
    opts: HerokuTransferOptions,
    urls: { from: string; to: string },
    onProgress: (t: TransferRecord) => void,
    signal?: AbortSignal,
): Promise<TransferRecord> {
    const created = (await call(opts, "POST", `/client/v11/databases/${encodeURIComponent(opts.target.addon)}/transfers`, {
        from_name: opts.source.name ?? "DATABASE",
        from_url: urls.from,
        to_name: opts.target.name ?? "DATABASE",
        to_url: urls.to,
    })) as TransferRecord;
    const path = `/client/v11/apps/${encodeURIComponent(opts.target.app)}/transfers/${encodeURIComponent(created.uuid)}`;
    const pollMs = opts.pollMs ?? 3000;
    const deadline = Date.now() + (opts.timeoutMs ?? 24 * 3600 * 1000);
    for (;;) {
        if (signal?.aborted) {
            await call(opts, "POST", `${path}/actions/cancel`).catch(() => undefined);
            throw new HerokuTransferError(`transfer ${created.uuid} canceled (interrupted)`, created);
        }
        const t = (await call(opts, "GET", path)) as TransferRecord;
        onProgress(t);
        if (t.finished_at) {
            if (t.succeeded === true) return t;
            const logs = (t.logs ?? []).map((l) => l.message ?? "").filter((m) => m !== "").slice(-5);
            throw new HerokuTransferError(`transfer ${created.uuid} ${t.canceled_at ? "was canceled" : "failed"}${logs.length ? `: ${logs.join("; ")}` : ""}`, t);
        }
        if (Date.now() > deadline) {
            await call(opts, "POST", `${path}/actions/cancel`).catch(() => undefined);
            throw new HerokuTransferError(`transfer ${created.uuid} did not finish in time; canceled`, t);
        }
        await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pollMs);
            signal?.addEventListener("abort", () => {
                clearTimeout(timer);
                resolve();
            }, { once: true });
        });
    }
}

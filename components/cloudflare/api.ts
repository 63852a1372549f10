// The few Cloudflare API v4 calls the migration's DNS steps make: list, create, update and delete a zone's DNS
// records, and read and set the zone's SSL/TLS mode. The token is never part of an error or a log line.

export interface CloudflareConnection {
    /** `cloudflare:apiToken` from the stack config, else CLOUDFLARE_API_TOKEN. */
    apiToken?: string;
    /** https://api.cloudflare.com/client/v4 unless set (`cloudflare:baseUrl` or CLOUDFLARE_API_URL). */
    apiUrl?: string;
}

export interface CloudflareDnsRecord {
    id: string;
    type: string;
    name: string;
    content: string;
    proxied?: boolean;
    ttl: number;
    comment?: string | null;
}

export type SslMode = "off" | "flexible" | "full" | "strict";

export class CloudflareApiError extends Error {
    constructor(
        message: string,
        public readonly status: number,
    ) {
        super(message);
        this.name = "CloudflareApiError";
    }
}

interface Envelope<T> {
    success: boolean;
    errors?: Array<{ code?: number; message?: string }>;
    result: T;
}

export class CloudflareApi {
    private readonly token: string;
    private readonly baseUrl: string;

    constructor(connection: CloudflareConnection) {
        const token = connection.apiToken ?? process.env.CLOUDFLARE_API_TOKEN;
        if (!token) throw new Error("Cloudflare API token missing: set cloudflare:apiToken in Pulumi config (secret) or CLOUDFLARE_API_TOKEN");
        this.token = token;
        this.baseUrl = (connection.apiUrl ?? process.env.CLOUDFLARE_API_URL ?? "https://api.cloudflare.com/client/v4").replace(/\/+$/, "");
    }

    private async request<T>(method: string, path: string, body?: object): Promise<T> {
        const response = await fetch(`${this.baseUrl}${path}`, {
            method,
            headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
            ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const text = await response.text();
        let envelope: Envelope<T> | undefined;
        try {
            envelope = JSON.parse(text) as Envelope<T>;
        } catch {
            envelope = undefined;
        }
        if (!response.ok || !envelope?.success) {
            const reasons = envelope?.errors?.map((e) => `${e.code ?? ""} ${e.message ?? ""}`.trim()).join("; ") || text.slice(0, 200);
            throw new CloudflareApiError(`Cloudflare ${method} ${path.replace(/\?.*$/, "")} failed with ${response.status}: ${reasons}`, response.status);
        }
        return envelope.result;
    }

    /** Every record named exactly `name` (any type). */
    listRecords(zoneId: string, name: string): Promise<CloudflareDnsRecord[]> {
        return this.request("GET", `/zones/${zoneId}/dns_records?name=${encodeURIComponent(name)}&per_page=100`);
    }

    createRecord(zoneId: string, record: Omit<CloudflareDnsRecord, "id">): Promise<CloudflareDnsRecord> {
        return this.request("POST", `/zones/${zoneId}/dns_records`, record);
    }

    updateRecord(zoneId: string, id: string, record: Partial<Omit<CloudflareDnsRecord, "id">>): Promise<CloudflareDnsRecord> {
        return this.request("PATCH", `/zones/${zoneId}/dns_records/${id}`, record);
    }

    async deleteRecord(zoneId: string, id: string): Promise<void> {
        await this.request("DELETE", `/zones/${zoneId}/dns_records/${id}`);
    }

    async sslMode(zoneId: string): Promise<SslMode> {
        return (await this.request<{ value: SslMode }>("GET", `/zones/${zoneId}/settings/ssl`)).value;
    }

    async setSslMode(zoneId: string, value: SslMode): Promise<void> {
        await this.request("PATCH", `/zones/${zoneId}/settings/ssl`, { value });
    }
}

/** A `configure` that keeps the Cloudflare settings of the stack config for the provider's later calls. */
export function configureCloudflare(connection: CloudflareConnection): (req: { config: { get(key: string): unknown } }) => Promise<void> {
    return async (req) => {
        const token = req.config.get("cloudflare:apiToken");
        const url = req.config.get("cloudflare:baseUrl");
        if (typeof token === "string" && token !== "") connection.apiToken = token;
        if (typeof url === "string" && url !== "") connection.apiUrl = url;
    };
}

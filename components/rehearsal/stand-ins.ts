// Local stand-ins for the two services the rehearsal cannot reach: the Heroku Platform API (the app's maintenance
// mode and its DATABASE_URL) and the Cloudflare API (the zone's records and SSL/TLS mode). They answer the calls the
// migration's steps make, in the shapes the real APIs publish, and record every change, which the report lists as
// "what the night would change".
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { CloudflareDnsRecord, SslMode } from "../cloudflare/api";

export interface RecordedChange {
    service: "heroku" | "cloudflare";
    change: string;
}

export interface StandIns {
    herokuUrl: string;
    herokuToken: string;
    cloudflareUrl: string;
    cloudflareToken: string;
    app: { id: string; name: string; maintenance: boolean };
    zoneId: string;
    records: CloudflareDnsRecord[];
    sslMode: SslMode;
    changes: RecordedChange[];
    stop(): Promise<void>;
}

export interface StandInOptions {
    appName: string;
    /** The config vars the app has (DATABASE_URL of the rehearsal's PostgreSQL). */
    configVars: Record<string, string>;
    /** The old host's records in the zone (A records to its address), as on the night before the move. */
    hostnames: string[];
    oldHostAddress?: string;
    /** Where the stand-ins keep their state (app, zone, changes), so a resumed rehearsal continues from it. */
    stateFile?: string;
}

interface SavedState {
    app: { id: string; name: string; maintenance: boolean };
    zoneId: string;
    records: CloudflareDnsRecord[];
    sslMode: SslMode;
    changes: RecordedChange[];
}

type Handler = (req: http.IncomingMessage, body: unknown, url: URL) => { status: number; body: unknown };

function serve(token: string, handler: Handler): Promise<{ server: http.Server; url: string }> {
    const server = http.createServer((req, res) => {
        let raw = "";
        req.on("data", (d: Buffer) => (raw += d.toString()));
        req.on("end", () => {
            const send = (status: number, body: unknown) => {
                res.writeHead(status, { "content-type": "application/json" });
                res.end(JSON.stringify(body));
            };
            if (req.headers.authorization !== `Bearer ${token}`) return send(401, { id: "unauthorized", message: "Invalid credentials provided.", success: false, errors: [{ code: 10000, message: "Authentication error" }] });
            let body: unknown;
            try {
                body = raw === "" ? undefined : JSON.parse(raw);
            } catch {
                return send(400, { id: "bad_request", message: "invalid JSON" });
            }
            const answer = handler(req, body, new URL(req.url ?? "/", "http://stand-in"));
            send(answer.status, answer.body);
        });
    });
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

export async function startStandIns(options: StandInOptions): Promise<StandIns> {
    const address = options.oldHostAddress ?? "203.0.113.10";
    const saved: SavedState | undefined =
        options.stateFile !== undefined && fs.existsSync(options.stateFile) ? (JSON.parse(fs.readFileSync(options.stateFile, "utf8")) as SavedState) : undefined;
    const changes: RecordedChange[] = saved?.changes ?? [];
    const app = saved?.app ?? { id: randomUUID(), name: options.appName, maintenance: false };
    const zoneId = saved?.zoneId ?? randomUUID().replace(/-/g, "");
    const state = {
        records:
            saved?.records ??
            options.hostnames.map((name): CloudflareDnsRecord => ({ id: randomUUID().replace(/-/g, ""), type: "A", name, content: address, proxied: false, ttl: 3600 })),
        sslMode: saved?.sslMode ?? ("flexible" as SslMode),
    };
    const save = () => {
        if (options.stateFile === undefined) return;
        const snapshot: SavedState = { app, zoneId, records: state.records, sslMode: state.sslMode, changes };
        fs.writeFileSync(options.stateFile, JSON.stringify(snapshot, null, 2));
    };
    const record = (change: RecordedChange) => {
        changes.push(change);
        save();
    };
    const appJson = () => ({
        id: app.id,
        name: app.name,
        maintenance: app.maintenance,
        region: { id: randomUUID(), name: "us" },
        build_stack: { id: randomUUID(), name: "heroku-24" },
        stack: { id: randomUUID(), name: "heroku-24" },
        web_url: `https://${app.name}.herokuapp.com/`,
        git_url: `https://git.heroku.com/${app.name}.git`,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
    });

    const herokuToken = randomUUID();
    const heroku = await serve(herokuToken, (req, body, url) => {
        const match = /^\/apps\/([^/]+)(\/config-vars)?$/.exec(url.pathname);
        if (!match || (match[1] !== app.id && match[1] !== app.name)) return { status: 404, body: { id: "not_found", message: "Couldn't find that app." } };
        if (match[2] && req.method === "GET") return { status: 200, body: options.configVars };
        if (!match[2] && req.method === "GET") return { status: 200, body: appJson() };
        if (!match[2] && req.method === "PATCH") {
            const maintenance = (body as { maintenance?: unknown } | undefined)?.maintenance;
            if (typeof maintenance === "boolean" && maintenance !== app.maintenance) {
                app.maintenance = maintenance;
                record({ service: "heroku", change: `app ${app.name}: maintenance ${maintenance ? "on" : "off"}` });
            }
            return { status: 200, body: appJson() };
        }
        return { status: 405, body: { id: "method_not_allowed", message: `${req.method} is not served by the rehearsal's Heroku stand-in` } };
    });

    const cloudflareToken = randomUUID();
    const ok = (result: unknown) => ({ status: 200, body: { success: true, errors: [], messages: [], result } });
    const fail = (status: number, message: string) => ({ status, body: { success: false, errors: [{ code: status, message }], messages: [], result: null } });
    const describe = (r: Pick<CloudflareDnsRecord, "type" | "name" | "content" | "proxied" | "ttl">) => `${r.type} ${r.name} → ${r.content}${r.proxied ? " (proxied)" : `, TTL ${r.ttl}`}`;
    const cloudflare = await serve(cloudflareToken, (req, body, url) => {
        const prefix = `/zones/${zoneId}`;
        if (!url.pathname.startsWith(prefix)) return fail(404, "zone not found");
        const rest = url.pathname.slice(prefix.length);
        if (rest === "/settings/ssl") {
            if (req.method === "GET") return ok({ id: "ssl", value: state.sslMode, editable: true });
            const value = (body as { value?: SslMode }).value;
            if (value === undefined || !["off", "flexible", "full", "strict"].includes(value)) return fail(400, "invalid value for zone setting ssl");
            const before = state.sslMode;
            state.sslMode = value;
            record({ service: "cloudflare", change: `zone SSL/TLS mode: ${before} → ${value}` });
            return ok({ id: "ssl", value, editable: true });
        }
        if (rest === "/dns_records" && req.method === "GET") return ok(state.records.filter((r) => r.name === url.searchParams.get("name")));
        if (rest === "/dns_records" && req.method === "POST") {
            const created = { ...(body as Omit<CloudflareDnsRecord, "id">), id: randomUUID().replace(/-/g, "") };
            if (created.type === "CNAME" && state.records.some((r) => r.name === created.name && ["A", "AAAA", "CNAME"].includes(r.type))) {
                return fail(400, "An A, AAAA, or CNAME record with that host already exists.");
            }
            state.records.push(created);
            record({ service: "cloudflare", change: `create ${describe(created)}` });
            return ok(created);
        }
        const one = /^\/dns_records\/([^/]+)$/.exec(rest);
        const index = one ? state.records.findIndex((r) => r.id === one[1]) : -1;
        if (index < 0) return fail(404, "Record does not exist.");
        const current = state.records[index];
        if (req.method === "DELETE") {
            state.records.splice(index, 1);
            record({ service: "cloudflare", change: `delete ${describe(current)}` });
            return ok({ id: current.id });
        }
        if (req.method === "PATCH") {
            const next = { ...current, ...(body as Partial<CloudflareDnsRecord>), id: current.id };
            state.records[index] = next;
            record({ service: "cloudflare", change: `update ${describe(current)} ⇒ ${describe(next)}` });
            return ok(next);
        }
        return fail(405, `${req.method} is not served by the rehearsal's Cloudflare stand-in`);
    });

    return {
        herokuUrl: heroku.url,
        herokuToken,
        cloudflareUrl: cloudflare.url,
        cloudflareToken,
        app,
        zoneId,
        get records() {
            return state.records;
        },
        get sslMode() {
            return state.sslMode;
        },
        changes,
        async stop() {
            await Promise.all([heroku.server, cloudflare.server].map((s) => new Promise((r) => s.close(r))));
        },
    };
}

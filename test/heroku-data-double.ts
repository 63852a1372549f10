// Heroku Postgres data API test double: the transfer routes behind `heroku pg:copy` (create, poll, cancel), each
// request and response checked against Heroku's published schemas (test/fixtures/heroku/
// heroku-postgres-data-api.schemas.json). The fixture's transfer schemas were inferred from in-progress examples, so
// properties typed only "null" there (finished_at, succeeded, started_at, canceled_at) also accept their finished
// values (a string timestamp, a boolean), and `"items": null` (logs only seen empty) means any item: those
// relaxations are the only departures.
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import Ajv from "ajv";

const SCHEMAS = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "heroku", "heroku-postgres-data-api.schemas.json"), "utf8")) as Record<string, { request: unknown; responses: Record<string, unknown> }>;

const ROUTES = {
    create: "POST /client/v11/databases/:name/transfers",
    info: "GET /client/v11/apps/{name}/transfers/{xfer_id}",
    cancel: "POST /client/v11/apps/{name}/transfers/{xfer_id}/actions/cancel",
} as const;

const FINISHED_TYPES: Record<string, string[]> = { finished_at: ["null", "string"], started_at: ["null", "string"], canceled_at: ["null", "string"], succeeded: ["null", "boolean"] };

function relax(schema: unknown): unknown {
    const s = JSON.parse(JSON.stringify(schema)) as { properties?: Record<string, { type?: unknown; items?: unknown }> };
    for (const [k, types] of Object.entries(FINISHED_TYPES)) if (s.properties?.[k]?.type === "null") s.properties[k].type = types;
    // `"items": null` (arrays only ever seen empty in the examples) is not a schema: any item.
    for (const p of Object.values(s.properties ?? {})) if (p && p.items === null) p.items = {};
    return s;
}

export type TransferOutcome = "succeed" | "fail" | "hang";

export interface TransferState {
    uuid: string;
    num: string;
    app: string;
    addon: string;
    from_name: string;
    from_url: string;
    to_name: string;
    to_url: string;
    source_bytes: number;
    processed_bytes: number;
    polls: number;
    created_at: string;
    finished_at: string | null;
    canceled_at: string | null;
    succeeded: boolean | null;
}

export interface HerokuDataDouble {
    url: string;
    token: string;
    transfers: TransferState[];
    requests: Array<{ method: string; path: string; status: number }>;
    schemaViolations: string[];
    /** What the next transfers do: finish after `pollsToFinish` polls with success or failure, or never finish. */
    behaviour: { outcome: TransferOutcome; pollsToFinish: number; sourceBytes: number };
    /** Called when a transfer is created (a test can do the copy the service would do). */
    onCreate?: (t: TransferState) => Promise<void> | void;
    stop(): Promise<void>;
}

export async function startHerokuDataDouble(options: { token?: string } = {}): Promise<HerokuDataDouble> {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validators = {
        createRequest: ajv.compile(SCHEMAS[ROUTES.create].request as object),
        createResponse: ajv.compile(SCHEMAS[ROUTES.create].responses["201"] as object),
        infoResponse: ajv.compile(relax(SCHEMAS[ROUTES.info].responses["200"]) as object),
        cancelResponse: ajv.compile(SCHEMAS[ROUTES.cancel].responses["200"] as object),
    };
    const token = options.token ?? `token-${randomUUID()}`;
    const double: HerokuDataDouble = {
        url: "",
        token,
        transfers: [],
        requests: [],
        schemaViolations: [],
        behaviour: { outcome: "succeed", pollsToFinish: 2, sourceBytes: 50 * 1024 * 1024 },
        stop: async () => undefined,
    };
    const view = (t: TransferState): Record<string, unknown> => ({
        uuid: t.uuid, num: t.num, from_type: "pg_dump", to_type: "pg_restore", from_name: t.from_name, from_url: t.from_url.replace(/:[^:@/]*@/, ":***@"), to_name: t.to_name,
        to_url: t.to_url.replace(/:[^:@/]*@/, ":***@"), options: {}, source_bytes: t.source_bytes, processed_bytes: t.processed_bytes, succeeded: t.succeeded, warnings: 0,
        created_at: t.created_at, started_at: t.created_at, canceled_at: t.canceled_at, updated_at: new Date().toISOString(), finished_at: t.finished_at, deleted_at: null, purged_at: null, num_keep: 5,
        logs: t.finished_at && !t.succeeded ? [{ message: t.canceled_at ? "canceled" : "pg_restore: error: could not execute query", created_at: t.finished_at }] : [],
    });
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://double");
            const reply = (status: number, value: unknown, check?: (v: unknown) => boolean, route?: string): void => {
                if (check && !check(value)) double.schemaViolations.push(`invalid response ${route}: ${JSON.stringify((check as unknown as { errors: unknown }).errors)}`);
                double.requests.push({ method: req.method ?? "", path: url.pathname, status });
                res.writeHead(status, { "Content-Type": "application/json", "Request-Id": randomUUID() });
                res.end(JSON.stringify(value));
            };
            if (req.headers.authorization !== `Bearer ${token}`) return reply(401, { id: "unauthorized", message: "Invalid credentials provided." });
            let m = /^\/client\/v11\/databases\/([^/]+)\/transfers$/.exec(url.pathname);
            if (req.method === "POST" && m) {
                let parsed: unknown;
                try {
                    parsed = JSON.parse(body);
                } catch {
                    double.schemaViolations.push("create: body is not JSON");
                    return reply(400, { id: "bad_request", message: "invalid JSON" });
                }
                if (!validators.createRequest(parsed)) {
                    double.schemaViolations.push(`invalid request ${ROUTES.create}: ${JSON.stringify(validators.createRequest.errors)}`);
                    return reply(422, { id: "invalid_params", message: "invalid transfer" });
                }
                const p = parsed as { from_name: string; from_url: string; to_name: string; to_url: string };
                const t: TransferState = {
                    uuid: randomUUID(), num: String(double.transfers.length + 1), app: "", addon: decodeURIComponent(m[1]), ...p,
                    source_bytes: double.behaviour.sourceBytes, processed_bytes: 0, polls: 0, created_at: new Date().toISOString(), finished_at: null, canceled_at: null, succeeded: null,
                };
                double.transfers.push(t);
                Promise.resolve(double.onCreate?.(t)).then(
                    () => reply(201, { uuid: t.uuid, num: t.num, from_type: "pg_dump", to_type: "pg_restore" }, validators.createResponse, ROUTES.create),
                    (err: Error) => reply(500, { id: "internal", message: err.message }),
                );
                return;
            }
            m = /^\/client\/v11\/apps\/([^/]+)\/transfers\/([^/]+)(\/actions\/cancel)?$/.exec(url.pathname);
            const t = m ? double.transfers.find((x) => x.uuid === decodeURIComponent(m![2])) : undefined;
            if (m && !t) return reply(404, { id: "not_found", message: "Couldn't find that transfer." });
            if (m && t) {
                t.app = decodeURIComponent(m[1]);
                if (req.method === "POST" && m[3]) {
                    if (!t.finished_at) {
                        t.canceled_at = new Date().toISOString();
                        t.finished_at = t.canceled_at;
                        t.succeeded = false;
                    }
                    return reply(200, { uuid: t.uuid, num: t.num, from_type: "pg_dump", to_type: "pg_restore" }, validators.cancelResponse, ROUTES.cancel);
                }
                if (req.method === "GET" && !m[3]) {
                    if (!t.finished_at) {
                        t.polls++;
                        const { outcome, pollsToFinish } = double.behaviour;
                        t.processed_bytes = Math.min(t.source_bytes, Math.round((t.source_bytes * t.polls) / Math.max(1, pollsToFinish)));
                        if (outcome !== "hang" && t.polls >= pollsToFinish) {
                            t.finished_at = new Date().toISOString();
                            t.succeeded = outcome === "succeed";
                        } else if (outcome === "hang") t.processed_bytes = Math.min(t.processed_bytes, t.source_bytes - 1);
                    }
                    return reply(200, view(t), validators.infoResponse, ROUTES.info);
                }
            }
            double.schemaViolations.push(`unknown route ${req.method} ${url.pathname}`);
            return reply(404, { id: "not_found", message: "no such route" });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    double.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    double.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
    return double;
}

// Heroku Platform API test double: an in-process HTTP server that serves the routes herokuenv uses,
// checks every request and response against Heroku's published schema, and injects faults.
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { Faults, FaultSettings } from "./faults";
import { HerokuSchema, RouteMatch } from "./schema";
import { AppRecord, DoubleHttpError, HerokuDoubleState, StateOptions } from "./state";
import { PipelineState } from "./pipelines";

export { Faults, HerokuDoubleState, HerokuSchema, DoubleHttpError, PipelineState };
export type { FaultSettings, StateOptions, RouteMatch };
export type { FaultMode, QueuedFault, ScriptedFault } from "./faults";

export interface HerokuDoubleOptions extends StateOptions {
    /** Bearer token the double accepts. Default: a random one. */
    token?: string;
    /** Items per page for `Range` pagination, and the cap on `max=`. Default 1000, like Heroku. */
    pageSize?: number;
    /** Initial fault settings (all off by default). */
    faults?: Partial<FaultSettings>;
}

export interface RequestLogEntry {
    method: string;
    path: string;
    /** HTTP status answered; 0 when the connection was dropped. */
    status: number;
    requestId: string | undefined;
    range: string | undefined;
    /** Injected fault, e.g. "rate-limit", "server-error:after-apply", "drop:before-apply". */
    fault?: string;
}

export type SchemaViolationKind =
    | "unknown-route"
    | "unimplemented-route"
    | "invalid-request"
    | "invalid-response"
    | "bad-headers";

export interface SchemaViolation {
    kind: SchemaViolationKind;
    method: string;
    path: string;
    details: string[];
}

export interface HerokuDouble {
    /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
    url: string;
    token: string;
    state: HerokuDoubleState;
    /** Pipelines, couplings and promotions (test/heroku-double/pipelines.ts). */
    pipelines: PipelineState;
    requests: RequestLogEntry[];
    faults: Faults;
    schemaViolations: SchemaViolation[];
    /** Page size of list answers; may be changed at runtime. */
    pageSize: number;
    /** Throws, listing them, if any request or response broke the schema. */
    assertNoSchemaViolations(): void;
    stop(): Promise<void>;
}

const HEROKU_ACCEPT = /^application\/vnd\.heroku\+json;\s*version=3$/;

type Body = Record<string, unknown>;
interface Ctx {
    params: string[];
    body: Body;
}
/** A single resource, or a list to paginate (sorted by `rangeField`, "id" unless said). */
type Reply = { status?: number; body: object } | { list: object[]; rangeField?: string };
type Handler = (ctx: Ctx) => Reply;

// Href placeholders exactly as the schema spells them.
const ref = (def: string, name = "identity") => `{(%23%2Fdefinitions%2F${def}%2Fdefinitions%2F${name})}`;
const APP = ref("app");
const ADDON = ref("add-on");
const ATTACHMENT = ref("add-on-attachment");
const SCOPED_ATTACHMENT = ref("add-on-attachment", "scopedIdentity");
const DOMAIN = ref("domain");
const FORMATION = ref("formation");
const RELEASE = ref("release");
const PIPELINE = ref("pipeline");
const PIPELINE_ID = ref("pipeline", "id");
const COUPLING = ref("pipeline-coupling");
const PROMOTION = ref("pipeline-promotion");
const PROMOTION_ID = ref("pipeline-promotion", "id");

/** Pipelines, pipeline couplings, promotions and their targets (the schema's `pipeline*` links). */
function pipelineRoutes(p: PipelineState): Record<string, Handler> {
    return {
        "POST /pipelines": ({ body }) => ({ status: 201, body: p.pipelineJson(p.createPipeline(body as { name: string })) }),
        "GET /pipelines": () => ({ list: [...p.pipelines.values()].map((x) => p.pipelineJson(x)) }),
        [`GET /pipelines/${PIPELINE}`]: ({ params }) => ({ body: p.pipelineJson(p.pipeline(params[0])) }),
        [`PATCH /pipelines/${PIPELINE_ID}`]: ({ params, body }) => ({ body: p.pipelineJson(p.updatePipeline(params[0], body as { name?: string })) }),
        [`DELETE /pipelines/${PIPELINE_ID}`]: ({ params }) => ({ body: p.pipelineJson(p.deletePipeline(params[0])) }),
        "POST /pipeline-couplings": ({ body }) => ({
            status: 201,
            body: p.couplingJson(p.createCoupling(body as { app: string; pipeline: string; stage: string })),
        }),
        "GET /pipeline-couplings": () => ({ list: p.couplingsOf().map((c) => p.couplingJson(c)) }),
        [`GET /pipelines/${PIPELINE_ID}/pipeline-couplings`]: ({ params }) => ({ list: p.couplingsOf(params[0]).map((c) => p.couplingJson(c)) }),
        [`GET /pipeline-couplings/${COUPLING}`]: ({ params }) => ({ body: p.couplingJson(p.coupling(params[0])) }),
        [`PATCH /pipeline-couplings/${COUPLING}`]: ({ params, body }) => ({ body: p.couplingJson(p.updateCoupling(params[0], body as { stage?: string })) }),
        [`DELETE /pipeline-couplings/${COUPLING}`]: ({ params }) => ({ body: p.couplingJson(p.deleteCoupling(params[0])) }),
        [`GET /apps/${APP}/pipeline-couplings`]: ({ params }) => ({ body: p.couplingJson(p.couplingOfApp(params[0])) }),
        "POST /pipeline-promotions": ({ body }) => ({
            status: 201,
            body: p.promotionJson(p.createPromotion(body as Parameters<PipelineState["createPromotion"]>[0])),
        }),
        [`GET /pipeline-promotions/${PROMOTION}`]: ({ params }) => {
            const promotion = p.promotion(params[0]);
            p.pollPromotion(promotion);
            return { body: p.promotionJson(promotion) };
        },
        [`GET /pipeline-promotions/${PROMOTION_ID}/promotion-targets`]: ({ params }) => {
            const promotion = p.promotion(params[0]);
            return { list: promotion.targets.map((t) => p.targetJson(promotion, t)) };
        },
    };
}

/**
 * Routes keyed by "METHOD href-template". Bodies reach handlers only after validating against the
 * link's request schema, which is why the casts below are safe.
 */
function routes(s: HerokuDoubleState): Record<string, Handler> {
    const app = (a: AppRecord) => ({ body: s.appJson(a) });
    const pollAddon = (id: string) => {
        const addon = s.addon(id);
        s.pollAddon(addon);
        return addon;
    };
    return {
        // apps
        "GET /apps": () => ({ list: [...s.apps.values()].map((a) => s.appJson(a)) }),
        "POST /apps": ({ body }) => ({ status: 201, body: s.appJson(s.createApp(body as { name?: string })) }),
        [`GET /apps/${APP}`]: ({ params }) => app(s.app(params[0])),
        [`PATCH /apps/${APP}`]: ({ params, body }) => app(s.updateApp(params[0], body as { name?: string; maintenance?: boolean })),
        [`DELETE /apps/${APP}`]: ({ params }) => app(s.deleteApp(params[0])),
        [`POST /apps/${APP}/acm`]: ({ params }) => app(s.setAcm(params[0], true)),
        [`DELETE /apps/${APP}/acm`]: ({ params }) => app(s.setAcm(params[0], false)),
        [`PATCH /apps/${APP}/acm`]: ({ params }) => app(s.app(params[0])),
        // buildpacks
        [`GET /apps/${APP}/buildpack-installations`]: ({ params }) => ({
            list: s.buildpackInstallationsJson(s.app(params[0])),
            rangeField: "ordinal",
        }),
        [`PUT /apps/${APP}/buildpack-installations`]: ({ params, body }) => ({
            body: s.buildpackInstallationsJson(s.setBuildpacks(params[0], (body as { updates: { buildpack: string }[] }).updates)),
        }),
        // config vars
        [`GET /apps/${APP}/config-vars`]: ({ params }) => ({ body: s.configVarsJson(s.app(params[0])) }),
        [`PATCH /apps/${APP}/config-vars`]: ({ params, body }) => ({
            body: s.configVarsJson(s.patchConfigVars(params[0], body as Record<string, string | null>)),
        }),
        // add-ons
        [`POST /apps/${APP}/addons`]: ({ params, body }) => ({
            status: 201,
            body: s.addonJson(s.createAddon(params[0], body as { plan: string })),
        }),
        [`GET /apps/${APP}/addons`]: ({ params }) => {
            const a = s.app(params[0]);
            const ids = new Set(s.attachmentsOfApp(a.id).map((att) => att.addonId));
            const addons = [...s.addons.values()].filter((x) => x.appId === a.id || ids.has(x.id));
            addons.forEach((x) => s.pollAddon(x));
            return { list: addons.map((x) => s.addonJson(x)) };
        },
        [`GET /apps/${APP}/addons/${ADDON}`]: ({ params }) => {
            const addon = s.addonOfApp(params[0], params[1]);
            s.pollAddon(addon);
            return { body: s.addonJson(addon) };
        },
        [`PATCH /apps/${APP}/addons/${ADDON}`]: ({ params, body }) => ({
            body: s.addonJson(s.updateAddon(params[0], params[1], body as { plan: string })),
        }),
        [`DELETE /apps/${APP}/addons/${ADDON}`]: ({ params }) => ({ body: s.addonJson(s.deleteAddon(params[0], params[1])) }),
        "GET /addons": () => ({ list: [...s.addons.values()].map((x) => s.addonJson(x)) }),
        [`GET /addons/${ADDON}`]: ({ params }) => ({ body: s.addonJson(pollAddon(params[0])) }),
        // add-on attachments
        "POST /addon-attachments": ({ body }) => ({
            status: 201,
            body: s.attachmentJson(s.createAttachment(body as { addon: string; app: string })),
        }),
        "GET /addon-attachments": () => ({ list: [...s.attachments.values()].map((a) => s.attachmentJson(a)) }),
        [`GET /addon-attachments/${ATTACHMENT}`]: ({ params }) => ({ body: s.attachmentJson(s.attachment(params[0])) }),
        [`DELETE /addon-attachments/${ATTACHMENT}`]: ({ params }) => ({
            body: s.attachmentJson(s.deleteAttachment(params[0])),
        }),
        [`GET /addons/${ADDON}/addon-attachments`]: ({ params }) => {
            const addon = s.addon(params[0]);
            const list = [...s.attachments.values()].filter((a) => a.addonId === addon.id);
            return { list: list.map((a) => s.attachmentJson(a)) };
        },
        [`GET /apps/${APP}/addon-attachments`]: ({ params }) => ({
            list: s.attachmentsOfApp(params[0]).map((a) => s.attachmentJson(a)),
        }),
        [`GET /apps/${APP}/addon-attachments/${SCOPED_ATTACHMENT}`]: ({ params }) => ({
            body: s.attachmentJson(s.attachmentOfApp(params[0], params[1])),
        }),
        // domains
        [`POST /apps/${APP}/domains`]: ({ params, body }) => ({
            status: 201,
            body: s.domainJson(s.createDomain(params[0], body as { hostname: string; sni_endpoint: string | null })),
        }),
        [`GET /apps/${APP}/domains`]: ({ params }) => {
            const list = s.domainsOfApp(params[0]);
            list.forEach((d) => s.pollDomain(d));
            return { list: list.map((d) => s.domainJson(d)) };
        },
        [`GET /apps/${APP}/domains/${DOMAIN}`]: ({ params }) => {
            const d = s.domain(params[0], params[1]);
            s.pollDomain(d);
            return { body: s.domainJson(d) };
        },
        [`DELETE /apps/${APP}/domains/${DOMAIN}`]: ({ params }) => ({ body: s.domainJson(s.deleteDomain(params[0], params[1])) }),
        // formation
        [`GET /apps/${APP}/formation`]: ({ params }) => {
            const a = s.app(params[0]);
            return { list: [...a.formation.values()].map((f) => s.formationJson(a, f)) };
        },
        [`GET /apps/${APP}/formation/${FORMATION}`]: ({ params }) => ({
            body: s.formationJson(s.app(params[0]), s.formationEntry(params[0], params[1])),
        }),
        [`PATCH /apps/${APP}/formation`]: ({ params, body }) => {
            const updates = (body as { updates: Parameters<HerokuDoubleState["updateFormation"]>[1] }).updates;
            const a = s.app(params[0]);
            return { body: s.updateFormation(params[0], updates).map((f) => s.formationJson(a, f)) };
        },
        [`PATCH /apps/${APP}/formation/${FORMATION}`]: ({ params, body }) => {
            const a = s.app(params[0]);
            const [f] = s.updateFormation(params[0], [{ ...(body as object), type: params[1] }]);
            return { body: s.formationJson(a, f) };
        },
        // releases
        [`GET /apps/${APP}/releases`]: ({ params }) => {
            const a = s.app(params[0]);
            return { list: a.releases.map((r) => s.releaseJson(a, r)), rangeField: "version" };
        },
        [`GET /apps/${APP}/releases/${RELEASE}`]: ({ params }) => ({
            body: s.releaseJson(s.app(params[0]), s.release(params[0], params[1])),
        }),
    };
}

interface Answer {
    status: number;
    body: unknown;
    headers: Record<string, string>;
}

const errorAnswer = (status: number, id: string, message: string, headers: Record<string, string> = {}): Answer => ({
    status,
    body: { id, message },
    headers,
});

export async function startHerokuDouble(options: HerokuDoubleOptions = {}): Promise<HerokuDouble> {
    const schema = HerokuSchema.load();
    const state = new HerokuDoubleState(options);
    const faults = new Faults(options.faults);
    const token = options.token ?? `double-${randomUUID()}`;
    const requests: RequestLogEntry[] = [];
    const schemaViolations: SchemaViolation[] = [];
    const pipelines = new PipelineState(state);
    const handlers = { ...routes(state), ...pipelineRoutes(pipelines) };

    const known = new Set(schema.links.map((l) => `${l.method} ${l.href}`));
    for (const key of Object.keys(handlers)) {
        if (!known.has(key)) throw new Error(`double route not in the Heroku schema: ${key}`);
    }

    const double: HerokuDouble = {
        url: "",
        token,
        state,
        pipelines,
        requests,
        faults,
        schemaViolations,
        pageSize: options.pageSize ?? 1000,
        assertNoSchemaViolations() {
            if (schemaViolations.length === 0) return;
            const lines = schemaViolations.map((v) => `${v.kind} ${v.method} ${v.path}: ${v.details.join("; ")}`);
            throw new Error(`Heroku double saw ${schemaViolations.length} schema violation(s):\n${lines.join("\n")}`);
        },
        stop: () => stop(),
    };

    const violation = (kind: SchemaViolationKind, method: string, p: string, details: string[]) => {
        schemaViolations.push({ kind, method, path: p, details });
    };

    async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const method = (req.method ?? "GET").toUpperCase();
        const urlPath = (req.url ?? "/").split("?")[0];
        const requestId = header(req, "request-id");
        const entry: RequestLogEntry = { method, path: urlPath, status: 0, requestId, range: header(req, "range") };
        requests.push(entry);
        const raw = await readBody(req);

        const send = (answer: Answer) => {
            entry.status = answer.status;
            const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
            res.writeHead(answer.status, {
                "Content-Type": "application/json; charset=utf-8",
                "Request-Id": requestId ?? randomUUID(),
                "RateLimit-Remaining": "4500",
                ...answer.headers,
            });
            res.end(text);
        };
        const drop = (mode: string) => {
            entry.fault = `drop:${mode}`;
            entry.status = 0;
            req.socket.destroy();
        };

        // Authentication comes first, as on Heroku: a bad token learns nothing about routes.
        const auth = header(req, "authorization");
        if (!auth) {
            return send(errorAnswer(401, "unauthorized",
                "There were no credentials in your `Authorization` header. Try `Authorization: Bearer <api-key>`."));
        }
        if (auth !== `Bearer ${token}`) return send(errorAnswer(401, "unauthorized", "Invalid credentials provided."));

        const matches = schema.match(method, urlPath);
        if (matches.length === 0) {
            violation("unknown-route", method, urlPath, ["no link in the Heroku schema has this method and path"]);
            return send(errorAnswer(404, "not_found",
                "The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?"));
        }

        const headerProblems: string[] = [];
        if (!HEROKU_ACCEPT.test(header(req, "accept") ?? "")) {
            headerProblems.push(`Accept must be "application/vnd.heroku+json; version=3", got ${JSON.stringify(header(req, "accept"))}`);
        }
        if (raw.length > 0 && !(header(req, "content-type") ?? "").startsWith("application/json")) {
            headerProblems.push("a request body needs Content-Type: application/json");
        }
        if (headerProblems.length) {
            violation("bad-headers", method, urlPath, headerProblems);
            return send(errorAnswer(400, "bad_request", headerProblems.join("; ")));
        }

        let body: unknown;
        if (raw.length > 0) {
            try {
                body = JSON.parse(raw);
            } catch {
                violation("invalid-request", method, urlPath, ["request body is not JSON"]);
                return send(errorAnswer(400, "bad_request", "Request body is not valid JSON."));
            }
        }
        // Several links can share method and href (release create vs. rollback): any may accept it.
        const checked = matches.map((m) => ({ m, errors: schema.validateRequest(m.link, body) }));
        const accepted = checked.find((c) => c.errors.length === 0);
        if (!accepted) {
            const details = checked.flatMap((c) => c.errors.map((e) => `[${c.m.link.definition} ${c.m.link.title ?? ""}] ${e}`));
            violation("invalid-request", method, urlPath, details);
            return send(errorAnswer(400, "schema_violation", `Request does not match the Heroku schema: ${details.join("; ")}`));
        }
        const match = accepted.m;
        const handler = handlers[`${method} ${match.link.href}`];
        if (!handler) {
            violation("unimplemented-route", method, urlPath, [`the double does not implement ${match.link.definition} ${match.link.title ?? ""}`]);
            return send(errorAnswer(501, "not_implemented", "This route is in the schema but not in the Heroku double."));
        }

        const decision = faults.decide(method, urlPath);
        if (decision.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
        if (decision.rateLimit) {
            entry.fault = "rate-limit";
            const headers: Record<string, string> = { "RateLimit-Remaining": "0" };
            if (decision.rateLimit.retryAfterSeconds !== undefined) headers["Retry-After"] = String(decision.rateLimit.retryAfterSeconds);
            return send(errorAnswer(429, "rate_limit",
                "Your account reached the API rate limit\nPlease wait a few minutes before making new requests", headers));
        }
        const serverError = (mode: string, status: number) => {
            entry.fault = `server-error:${mode}`;
            send(errorAnswer(status, "internal_server_error", "Internal server error."));
        };
        if (decision.serverError?.mode === "before-apply") return serverError("before-apply", decision.serverError.status);
        if (decision.drop?.mode === "before-apply") return drop("before-apply");

        let answer: Answer;
        let validateAgainst: RouteMatch | undefined;
        try {
            const reply = handler({ params: match.params, body: (body ?? {}) as Body });
            if ("list" in reply) {
                answer = paginate(reply.list, reply.rangeField ?? "id", header(req, "range"), double.pageSize);
            } else {
                answer = { status: reply.status ?? 200, body: reply.body, headers: {} };
            }
            if (answer.status < 300) validateAgainst = match;
        } catch (err) {
            if (!(err instanceof DoubleHttpError)) throw err;
            answer = errorAnswer(err.status, err.id, err.message);
        }

        const problems = validateAgainst ? schema.validateResponse(validateAgainst.link, answer.body) : schema.validateErrorBody(answer.body);
        if (problems.length) {
            violation("invalid-response", method, urlPath, problems);
            answer = errorAnswer(500, "schema_violation", `Double's response does not match the Heroku schema: ${problems.join("; ")}`);
        }

        if (decision.serverError?.mode === "after-apply") return serverError("after-apply", decision.serverError.status);
        if (decision.drop?.mode === "after-apply") return drop("after-apply");
        send(answer);
    }

    const server = http.createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
            violation("invalid-response", req.method ?? "?", req.url ?? "?", [`double crashed: ${String(err)}`]);
            if (!res.headersSent) {
                res.writeHead(500, { "Content-Type": "application/json" });
                res.end(JSON.stringify({ id: "double_crashed", message: String(err) }));
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    double.url = `http://127.0.0.1:${port}`;

    let stopped = false;
    async function stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        server.closeAllConnections();
        await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    }
    return double;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(", ") : v;
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

/**
 * Heroku's `Range` pagination: `<field> [[]start]..[end][; max=N[, order=asc|desc]]`. Answers 206
 * with `Next-Range` while items remain, 200 for the last (or only) page.
 */
export function paginate(items: object[], defaultField: string, range: string | undefined, pageSize: number): Answer {
    let field = defaultField;
    let start = "";
    let exclusive = false;
    let end = "";
    let max = pageSize;
    let order: "asc" | "desc" = "asc";
    if (range !== undefined && range.trim() !== "") {
        const [spec, ...optionParts] = range.split(";");
        const m = /^\s*([a-z_]+)\s*(.*)$/i.exec(spec);
        const dots = m ? m[2].indexOf("..") : -1;
        if (!m || dots < 0) return errorAnswer(416, "requested_range_not_satisfiable", `Invalid Range header: ${range}`);
        field = m[1];
        let from = m[2].slice(0, dots).trim();
        if (from.startsWith("]")) {
            exclusive = true;
            from = from.slice(1);
        }
        start = from;
        end = m[2].slice(dots + 2).trim();
        for (const opt of optionParts.join(";").split(",")) {
            const [k, v] = opt.split("=").map((x) => x.trim());
            if (k === "max" && /^\d+$/.test(v)) max = Math.min(Number(v), pageSize);
            else if (k === "order" && (v === "asc" || v === "desc")) order = v;
        }
    }
    if (max < 1) max = pageSize;
    const value = (item: object): string | number | undefined => {
        const v = (item as Record<string, unknown>)[field];
        return typeof v === "string" || typeof v === "number" ? v : undefined;
    };
    if (items.length > 0 && value(items[0]) === undefined) {
        return errorAnswer(416, "requested_range_not_satisfiable", `Cannot range over ${field}`);
    }
    const numeric = items.length > 0 && typeof value(items[0]) === "number";
    const cmp = (a: string | number, b: string | number) =>
        numeric ? Number(a) - Number(b) : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
    const sign = order === "asc" ? 1 : -1;
    const sorted = [...items].sort((a, b) => sign * cmp(value(a)!, value(b)!));
    const inRange = sorted.filter((item) => {
        const v = value(item)!;
        if (start !== "") {
            const c = sign * cmp(v, start);
            if (exclusive ? c <= 0 : c < 0) return false;
        }
        return end === "" || sign * cmp(v, end) <= 0;
    });
    const page = inRange.slice(0, max);
    const headers: Record<string, string> = { "Accept-Ranges": field };
    if (page.length > 0) headers["Content-Range"] = `${field} ${value(page[0])}..${value(page[page.length - 1])}`;
    if (inRange.length > page.length) {
        const last = value(page[page.length - 1]);
        headers["Next-Range"] = `${field} ]${last}..${end}; max=${max}${order === "desc" ? ", order=desc" : ""}`;
        return { status: 206, body: page, headers };
    }
    return { status: 200, body: page, headers };
}

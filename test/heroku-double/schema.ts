// Heroku's platform hyper-schema as a route table plus request/response validators, so the
// double answers only what the real API documents and rejects what the real API would reject.
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { ValidateFunction } from "ajv-draft-04";
import addFormats from "ajv-formats";

export const SCHEMA_PATH = path.join(__dirname, "..", "fixtures", "heroku", "heroku-platform-api.schema.json");
const SCHEMA_ID = "http://api.heroku.com/schema#";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface SchemaLink {
    /** Definition the link belongs to, e.g. "app". */
    definition: string;
    /** Index in that definition's `links`. */
    index: number;
    method: string;
    /** Raw href template, e.g. `/apps/{(%23%2Fdefinitions%2Fapp%2Fdefinitions%2Fidentity)}`. */
    href: string;
    rel: string | undefined;
    title: string | undefined;
    hasRequestSchema: boolean;
    regex: RegExp;
    /** Literal characters of the href, to prefer `/apps/{x}/addons` over `/apps/{x}/{y}`-like shapes. */
    literalLength: number;
}

export interface RouteMatch {
    link: SchemaLink;
    /** Decoded path parameters in href order. */
    params: string[];
}

/** Keys whose value is a map from names to schemas (a key there is a name, not a keyword). */
const SCHEMA_MAPS = new Set(["properties", "definitions", "patternProperties"]);

/**
 * Makes the hyper-schema digestible by a draft-04 validator:
 * - drops `$schema` (the interagent meta-schema URI is unknown to ajv);
 * - drops `example` and the non-standard `identity` annotations: ajv walks unknown keywords looking
 *   for `id`s, and examples such as `{"id": "01234567-…"}` would be taken for schema ids;
 * - drops `required: []` (invalid in draft-04, present in a few definitions);
 * - turns interagent's `strictProperties: true` into what it means: every listed property is
 *   present and no other property is allowed.
 */
function normalize(node: Json, parentKey?: string): Json {
    if (Array.isArray(node)) return node.map((item) => normalize(item));
    if (node === null || typeof node !== "object") return node;
    const inMap = parentKey !== undefined && SCHEMA_MAPS.has(parentKey);
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
        if (!inMap && (key === "$schema" || key === "example" || key === "identity")) continue;
        out[key] = normalize(value, inMap ? undefined : key);
    }
    if (inMap) return out;
    const props = out.properties;
    if (out.strictProperties === true && isObject(props) && Object.keys(props).length > 0) {
        if (out.additionalProperties === undefined) out.additionalProperties = false;
        const required = Array.isArray(out.required) ? out.required : [];
        out.required = [...new Set([...required, ...Object.keys(props)])];
    }
    if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
    return out;
}

function isObject(v: Json | undefined): v is JsonObject {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hrefToRegex(href: string): { regex: RegExp; literalLength: number } {
    let literalLength = 0;
    const parts = href.split(/\{\([^)]*\)\}/);
    const pattern = parts
        .map((part) => {
            literalLength += part.length;
            return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        })
        .join("([^/]+)");
    return { regex: new RegExp(`^${pattern}$`), literalLength };
}

// A hostname such as "www.example.com" or "*.example.com".
const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i;

const ERROR_BODY_SCHEMA = {
    type: "object",
    properties: { id: { type: "string" }, message: { type: "string" }, url: { type: "string" } },
    required: ["id", "message"],
    additionalProperties: false,
};

export class HerokuSchema {
    readonly links: SchemaLink[] = [];
    private readonly ajv: Ajv;
    private readonly validators = new Map<string, ValidateFunction>();
    private readonly errorValidator: ValidateFunction;
    /** "definition/index" → whether the link has its own `targetSchema`. */
    private readonly responseKinds: Map<string, boolean>;

    private static cached: HerokuSchema | undefined;

    /** Parsing and compiling take a second or two: share one instance per process. */
    static load(): HerokuSchema {
        HerokuSchema.cached ??= new HerokuSchema(JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8")) as Json);
        return HerokuSchema.cached;
    }

    constructor(raw: Json) {
        const root = normalize(raw);
        if (!isObject(root) || !isObject(root.definitions)) throw new Error("not a Heroku hyper-schema");
        // strict: false because the hyper-schema carries annotations ajv does not know (readOnly,
        // stability, links, strictProperties, deprecated…). unicodeRegExp: false because some
        // patterns escape characters that /u regexps reject (e.g. `\:` in pipeline-config-var).
        this.ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
        addFormats(this.ajv);
        // The schema types domain `hostname` as format "uri" although its values are bare hostnames
        // ("subdomain.example.com"), so "uri" accepts absolute URIs and hostnames.
        this.ajv.addFormat("uri", (value: string) => HOSTNAME.test(value) || isAbsoluteUri(value));
        this.ajv.addSchema(root as object, SCHEMA_ID);
        this.errorValidator = this.ajv.compile(ERROR_BODY_SCHEMA);

        for (const [definition, def] of Object.entries(root.definitions)) {
            if (!isObject(def) || !Array.isArray(def.links)) continue;
            def.links.forEach((link, index) => {
                if (!isObject(link) || typeof link.href !== "string" || typeof link.method !== "string") return;
                const { regex, literalLength } = hrefToRegex(link.href);
                this.links.push({
                    definition,
                    index,
                    method: link.method.toUpperCase(),
                    href: link.href,
                    rel: typeof link.rel === "string" ? link.rel : undefined,
                    title: typeof link.title === "string" ? link.title : undefined,
                    hasRequestSchema: isObject(link.schema),
                    regex,
                    literalLength,
                });
            });
        }
        this.responseKinds = new Map(
            Object.entries(root.definitions).flatMap(([definition, def]) =>
                isObject(def) && Array.isArray(def.links)
                    ? def.links.map((link, index) => [`${definition}/${index}`, isObject(link) && isObject(link.targetSchema)] as const)
                    : [],
            ),
        );
    }

    /** Links whose method and href template fit, most specific first (several links may share one). */
    match(method: string, urlPath: string): RouteMatch[] {
        const found: RouteMatch[] = [];
        for (const link of this.links) {
            if (link.method !== method.toUpperCase()) continue;
            const m = link.regex.exec(urlPath);
            if (!m) continue;
            try {
                found.push({ link, params: m.slice(1).map((p) => decodeURIComponent(p)) });
            } catch {
                // Malformed percent-encoding cannot name anything.
            }
        }
        const best = Math.max(...found.map((f) => f.link.literalLength));
        return found.filter((f) => f.link.literalLength === best);
    }

    /** Errors of a request body against the link's `schema`; a missing body counts as `{}`. */
    validateRequest(link: SchemaLink, body: unknown): string[] {
        if (!link.hasRequestSchema) {
            const empty = body === undefined || (isPlainObject(body) && Object.keys(body).length === 0);
            return empty ? [] : ["this link takes no request body"];
        }
        const pointer = `${SCHEMA_ID}/definitions/${link.definition}/links/${link.index}/schema`;
        return this.run(pointer, () => this.ajv.getSchema(pointer), body ?? {});
    }

    /**
     * Errors of a 2xx response body against the link's `targetSchema`, or, where the link has
     * none, the definition itself (array of it for `instances`).
     */
    validateResponse(link: SchemaLink, body: unknown): string[] {
        const key = `${link.definition}/${link.index}`;
        if (this.responseKinds.get(key)) {
            const pointer = `${SCHEMA_ID}/definitions/${link.definition}/links/${link.index}/targetSchema`;
            return this.run(pointer, () => this.ajv.getSchema(pointer), body);
        }
        const ref = { $ref: `${SCHEMA_ID}/definitions/${link.definition}` };
        const schema = link.rel === "instances" ? { type: "array", items: ref } : ref;
        return this.run(`implicit:${link.rel}:${link.definition}`, () => this.ajv.compile(schema), body);
    }

    /** Errors of an error body (`{id, message, url?}`, Heroku's error shape). */
    validateErrorBody(body: unknown): string[] {
        return this.errorValidator(body) ? [] : describe(this.errorValidator);
    }

    private run(key: string, make: () => ValidateFunction | undefined, data: unknown): string[] {
        let validate = this.validators.get(key);
        if (!validate) {
            validate = make();
            if (!validate) throw new Error(`no schema at ${key}`);
            this.validators.set(key, validate);
        }
        return validate(data) ? [] : describe(validate);
    }
}

function describe(validate: ValidateFunction): string[] {
    return (validate.errors ?? []).map((e) => {
        const extra = e.keyword === "additionalProperties" ? ` (${JSON.stringify(e.params)})` : "";
        return `${e.instancePath || "/"} ${e.message ?? e.keyword}${extra}`;
    });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isAbsoluteUri(value: string): boolean {
    try {
        return new URL(value).protocol.length > 1;
    } catch {
        return false;
    }
}

// JSON columns: path rules applied to a document, and the leaves the detector and the scan look at. Numbers keep
// their exact text (JSON.parse's source text), so a document round-trips unchanged where no rule applies. Pure.
import type { JsonPathRule, JsonSegment } from "./rules";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json } | RawJson;
interface RawJson {
    rawJSON: string;
}

const J = JSON as unknown as {
    parse(text: string, reviver: (key: string, value: unknown, context?: { source?: string }) => unknown): unknown;
    rawJSON(text: string): RawJson;
    isRawJSON(v: unknown): boolean;
};

export function parseJson(text: string): Json {
    return J.parse(text, (_k, v, ctx) => (typeof v === "number" && ctx?.source !== undefined && ctx.source !== String(v) ? J.rawJSON(ctx.source) : v)) as Json;
}

export function stringifyJson(value: Json): string {
    return JSON.stringify(value);
}

function isRaw(v: unknown): v is RawJson {
    return typeof v === "object" && v !== null && J.isRawJSON(v);
}

function isObject(v: Json): v is { [key: string]: Json } {
    return typeof v === "object" && v !== null && !Array.isArray(v) && !isRaw(v);
}

/** Calls `visit` on every value a path selects, with a setter that replaces it in place. */
export function selectPath(doc: Json, segments: JsonSegment[], visit: (value: Json, set: (v: Json) => void) => void): void {
    const walk = (value: Json, i: number, set: (v: Json) => void): void => {
        if (i === segments.length) {
            visit(value, set);
            return;
        }
        const seg = segments[i];
        if (seg.type === "key") {
            if (isObject(value) && Object.prototype.hasOwnProperty.call(value, seg.key)) walk(value[seg.key], i + 1, (v) => (value[seg.key] = v));
        } else if (seg.type === "index") {
            if (Array.isArray(value) && seg.index < value.length) walk(value[seg.index], i + 1, (v) => (value[seg.index] = v));
        } else if (seg.type === "wildcard") {
            if (Array.isArray(value)) value.forEach((item, k) => walk(item, i + 1, (v) => (value[k] = v)));
            else if (isObject(value)) for (const k of Object.keys(value)) walk(value[k], i + 1, (v) => (value[k] = v));
        } else {
            // ..key: the key at this level or any level below.
            const descend = (node: Json): void => {
                if (Array.isArray(node)) node.forEach(descend);
                else if (isObject(node)) {
                    for (const k of Object.keys(node)) {
                        if (k === seg.key) walk(node[k], i + 1, (v) => (node[k] = v));
                        else descend(node[k]);
                    }
                }
            };
            descend(value);
        }
    };
    walk(doc, 0, () => undefined);
}

/** Every string (and number) leaf under a value, with a setter. */
export function leaves(value: Json, visit: (leaf: string | number | RawJson, set: (v: Json) => void) => void, set: (v: Json) => void = () => undefined): void {
    if (typeof value === "string" || typeof value === "number" || isRaw(value)) visit(value, set);
    else if (Array.isArray(value)) value.forEach((item, k) => leaves(item, visit, (v) => (value[k] = v)));
    else if (isObject(value)) for (const k of Object.keys(value)) leaves(value[k], visit, (v) => (value[k] = v));
}

export function leafText(leaf: string | number | RawJson): string {
    return typeof leaf === "string" ? leaf : isRaw(leaf) ? leaf.rawJSON : String(leaf);
}

export interface JsonRuleFns {
    /** For a string leaf (or a number's text): the replacement, or null for JSON null. */
    apply(path: JsonPathRule, text: string): string | null;
}

/**
 * Applies path rules to one document's text. `null` replaces the selected value with JSON null, `hash` a whole
 * selected object/array by the hash of its JSON text, a fake applies to each string/number leaf below the selection.
 * `onOriginal` sees every original leaf text a non-keep rule replaced (for the post-run scan).
 */
export function transformJson(text: string, paths: JsonPathRule[], fns: JsonRuleFns, onOriginal?: (leaf: string) => void): string {
    let doc: Json;
    try {
        doc = parseJson(text);
    } catch {
        return text;
    }
    const root: { v: Json } = { v: doc };
    for (const p of paths) {
        if (p.rule.kind === "keep") continue;
        selectPath(root.v, p.segments, (value, set) => {
            if (value === null) return;
            if (p.rule.kind === "null") {
                leaves(value, (leaf) => onOriginal?.(leafText(leaf)));
                set(null);
                return;
            }
            if (p.rule.kind === "hash" && typeof value === "object" && !isRaw(value)) {
                leaves(value, (leaf) => onOriginal?.(leafText(leaf)));
                set(fns.apply(p, stringifyJson(value)));
                return;
            }
            leaves(value, (leaf, setLeaf) => {
                const original = leafText(leaf);
                onOriginal?.(original);
                const out = fns.apply(p, original);
                const numeric = typeof leaf !== "string";
                if (out !== null && numeric && (p.rule.kind === "fake" && (p.rule.fake === "phone" || p.rule.fake === "digits")) && /^-?\d+(\.\d+)?$/.test(out)) setLeaf(J.rawJSON(out));
                else setLeaf(out);
            }, set);
        });
    }
    return stringifyJson(root.v);
}

/** Each leaf's path with array indices as [*] (`$.contacts[*].email`), for the detector's suggestions. */
export function leafPaths(value: Json, visit: (path: string, key: string | undefined, leaf: string) => void): void {
    const walk = (v: Json, path: string, key: string | undefined): void => {
        if (typeof v === "string" || typeof v === "number" || isRaw(v)) visit(path, key, leafText(v));
        else if (Array.isArray(v)) v.forEach((item) => walk(item, `${path}[*]`, key));
        else if (isObject(v)) for (const k of Object.keys(v)) walk(v[k], /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, k);
    };
    walk(value, "$", undefined);
}

/** Whether some rule's path selects this leaf path (with [*] for indices). */
export function pathCovered(leafPath: string, rules: JsonPathRule[]): boolean {
    return rules.some((r) => {
        // Build a tiny document with the leaf at leafPath and see whether the rule selects it.
        const doc = docAt(leafPath);
        if (!doc) return false;
        let hit = false;
        selectPath(doc, r.segments, (value) => {
            leaves(value, (leaf) => {
                if (leaf === "\u0000leaf") hit = true;
            });
        });
        return hit;
    });
}

function docAt(leafPath: string): Json | undefined {
    const tokens = leafPath.slice(1).match(/\.[A-Za-z_$][A-Za-z0-9_$-]*|\[\*\]|\["(?:[^"\\]|\\.)*"\]/g) ?? [];
    let leaf: Json = "\u0000leaf";
    for (let i = tokens.length - 1; i >= 0; i--) {
        const t = tokens[i];
        if (t === "[*]") leaf = [leaf];
        else if (t.startsWith(".")) leaf = { [t.slice(1)]: leaf };
        else leaf = { [JSON.parse(t.slice(1, -1)) as string]: leaf };
    }
    return leaf;
}

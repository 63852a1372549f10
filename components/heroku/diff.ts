// Pure decisions of the Heroku dynamic providers: what changed, what forces a replacement, which config vars to set
// or unset. No I/O here, so every rule is unit-tested and a no-op diff provably makes no API request.

export interface DiffDecision {
    changes: boolean;
    /** Properties whose change needs a new resource; empty for an in-place update. */
    replaces: string[];
    /** Properties that changed (for messages and tests). */
    changed: string[];
}

function same(a: unknown, b: unknown): boolean {
    return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

/** Key order and `undefined` vs missing must not look like a change. */
function normalize(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(normalize);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
                .map((k) => [k, normalize((v as Record<string, unknown>)[k])]),
        );
    }
    return v ?? null;
}

/**
 * Compares the declared properties of old outputs and new inputs. `replaceOn` lists the properties Heroku cannot
 * change in place; `ignore` lists bookkeeping properties that never cause an update.
 */
export function diffProperties<T extends object>(
    olds: T,
    news: T,
    properties: ReadonlyArray<keyof T & string>,
    replaceOn: ReadonlyArray<keyof T & string>,
): DiffDecision {
    const changed = properties.filter((p) => !same(olds[p], news[p]));
    const replaces = changed.filter((p) => replaceOn.includes(p));
    return { changes: changed.length > 0, replaces, changed };
}

/**
 * The PATCH body that brings an app's owned config vars from `previous` to `next`: changed and new keys with their
 * value, keys no longer declared set to null (Heroku's way to unset). Keys never owned are never touched.
 */
export function configVarPatch(
    previous: Readonly<Record<string, string>>,
    next: Readonly<Record<string, string>>,
): Record<string, string | null> {
    const patch: Record<string, string | null> = {};
    for (const [key, value] of Object.entries(next)) {
        if (previous[key] !== value) patch[key] = value;
    }
    for (const key of Object.keys(previous)) {
        if (!(key in next)) patch[key] = null;
    }
    return patch;
}

/** The owned subset of an app's live config vars: what `read` reports, so refresh sees out-of-band edits. */
export function ownedConfigVars(
    live: Readonly<Record<string, string | null>>,
    ownedKeys: readonly string[],
): Record<string, string> {
    const owned: Record<string, string> = {};
    for (const key of ownedKeys) {
        const value = live[key];
        if (typeof value === "string") owned[key] = value;
    }
    return owned;
}

export interface FormationEntry {
    size: string;
    quantity: number;
}

/** One batch of formation updates: only process types whose size or quantity differ. */
export function formationUpdates(
    live: Readonly<Record<string, FormationEntry>>,
    wanted: Readonly<Record<string, FormationEntry>>,
): Array<{ type: string; size: string; quantity: number }> {
    return Object.entries(wanted)
        .filter(([type, w]) => {
            const l = live[type];
            return l === undefined || l.quantity !== w.quantity || l.size.toLowerCase() !== w.size.toLowerCase();
        })
        .map(([type, w]) => ({ type, size: w.size, quantity: w.quantity }))
        .sort((a, b) => a.type.localeCompare(b.type));
}

/** Heroku Postgres plans, cheapest tier first: a move between tiers is not always possible in place. */
export function addonService(plan: string): string {
    return plan.split(":")[0];
}

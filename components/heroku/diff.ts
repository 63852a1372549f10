// Pure decisions of the Heroku dynamic providers: what changed, what forces a replacement, what to send. No I/O and
// no imports, so every rule is unit-tested (diff.test.ts) and a provider's `diff` provably makes no API request.

/** Pulumi's placeholder for a value not known yet (in a preview); such a value is neither valid nor invalid. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

/**
 * True when the value is or holds an unknown. In a preview, a resource that depends on an App being updated sees the
 * App's id as unknown (dynamic providers do not take part in previews, so outputs not among the inputs are unknown).
 * A diff cannot judge such a property: it reports a possible change, never a replacement, and never refuses; the real
 * run diffs again with the values known.
 */
export function containsUnknown(value: unknown): boolean {
    if (isUnknown(value)) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnknown);
    return false;
}

/** A property that changed to a known value (a replacement may be decided on it). */
function knownChange(before: unknown, after: unknown): boolean {
    return !containsUnknown(after) && !same(before, after);
}

export interface DiffDecision {
    changes: boolean;
    /** Properties whose change needs a new resource; empty for an in-place update. */
    replaces: string[];
    /** Properties that changed (for messages and tests). */
    changed: string[];
}

export function same(a: unknown, b: unknown): boolean {
    return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

/** Key order and `undefined` vs missing vs null must not look like a change. */
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
 * change in place.
 */
export function diffProperties<T extends object>(
    olds: T,
    news: T,
    properties: ReadonlyArray<keyof T & string>,
    replaceOn: ReadonlyArray<keyof T & string>,
): DiffDecision {
    const changed = properties.filter((p) => !same(olds[p], news[p]));
    const replaces = changed.filter((p) => replaceOn.includes(p) && knownChange(olds[p], news[p]));
    return { changes: changed.length > 0, replaces, changed };
}

// --- App ------------------------------------------------------------------------------------------

export interface AppShape {
    name: string;
    region: string;
    stack: string;
    buildpacks?: string[];
    team?: string;
}

/**
 * A rename, a stack change and new buildpacks are in place (the app keeps its id); Heroku cannot move an app to
 * another region or team through this API, so those need a new app. A new app with the same name can only be created
 * once the old one is gone (names are global).
 */
export function appDiff(olds: AppShape, news: AppShape): DiffDecision & { deleteBeforeReplace: boolean } {
    const norm = (a: AppShape) => ({ ...a, buildpacks: a.buildpacks ?? [], team: a.team ?? null });
    const d = diffProperties(norm(olds), norm(news), ["name", "region", "stack", "buildpacks", "team"], ["region", "team"]);
    return { ...d, deleteBeforeReplace: d.replaces.length > 0 && olds.name === news.name };
}

/**
 * Buildpacks are managed only when declared: an empty list leaves whatever Heroku detected or app.json set, except
 * right after a list was declared and then removed, when it clears the list.
 */
export function buildpacksToSet(olds: readonly string[] | undefined, news: readonly string[] | undefined): string[] | undefined {
    const before = olds ?? [];
    const after = news ?? [];
    if (same(before, after)) return undefined;
    return [...after];
}

// --- ConfigVars -----------------------------------------------------------------------------------

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

export interface ConfigVarsShape {
    app: string;
    vars: Record<string, string>;
    secretVars: Record<string, string>;
}

/**
 * What changed between the recorded config vars and the declared ones. Only key names come out (never values): they
 * are safe to print, values may be secrets. A key moving between `vars` and `secretVars` is a change of the state
 * only (how Pulumi stores it), which the update makes without an API request.
 */
export function configVarsDiff(olds: ConfigVarsShape, news: ConfigVarsShape): DiffDecision & { keys: string[] } {
    if (knownChange(olds.app, news.app)) return { changes: true, replaces: ["app"], changed: ["app"], keys: [] };
    if (containsUnknown(news)) return { changes: true, replaces: [], changed: ["app", "vars", "secretVars"].filter((k) => containsUnknown(news[k as keyof ConfigVarsShape])), keys: [] };
    const all = (v: ConfigVarsShape) => ({ ...v.vars, ...v.secretVars });
    const keys = new Set(Object.keys(configVarPatch(all(olds), all(news))));
    for (const key of Object.keys(news.secretVars)) if (key in olds.vars) keys.add(key);
    for (const key of Object.keys(news.vars)) if (key in olds.secretVars) keys.add(key);
    const sorted = [...keys].sort();
    const changed: string[] = [];
    if (sorted.some((k) => k in news.vars || k in olds.vars)) changed.push("vars");
    if (sorted.some((k) => k in news.secretVars || k in olds.secretVars)) changed.push("secretVars");
    return { changes: sorted.length > 0, replaces: [], changed, keys: sorted };
}

// --- Addon ----------------------------------------------------------------------------------------

/** `heroku-postgresql:essential-0` → `heroku-postgresql`. */
export function addonService(plan: string): string {
    return plan.split(":")[0];
}

export interface AddonShape {
    app: string;
    plan: string;
    /** Heroku picks a name when omitted; the outputs then hold the name it picked. */
    addonName?: string;
    /** Name of the add-on's first attachment; Heroku picks one when omitted. */
    attachmentName?: string;
}

/**
 * Another app or another service needs a new add-on (and loses the data); a plan change within the service, a
 * rename and a new attachment name are done in place. An omitted name means "whatever Heroku picked", not a change.
 */
export function addonDiff(olds: AddonShape, news: AddonShape): DiffDecision & { deleteBeforeReplace: boolean } {
    const changed: string[] = [];
    const replaces: string[] = [];
    if (olds.app !== news.app) {
        changed.push("app");
        if (knownChange(olds.app, news.app)) replaces.push("app");
    }
    if (olds.plan !== news.plan) {
        changed.push("plan");
        if (knownChange(addonService(olds.plan), addonService(news.plan))) replaces.push("plan");
    }
    if (news.addonName !== undefined && news.addonName !== olds.addonName) changed.push("addonName");
    if (news.attachmentName !== undefined && news.attachmentName !== olds.attachmentName) changed.push("attachmentName");
    // Same app: the new add-on would want the same attachment name. Same name: add-on names are global.
    const deleteBeforeReplace =
        replaces.length > 0 && (olds.app === news.app || (news.addonName !== undefined && news.addonName === olds.addonName));
    return { changes: changed.length > 0, replaces, changed, deleteBeforeReplace };
}

/**
 * `check`'s safety rule: a change that needs a new add-on destroys the old one and its data, so it is refused unless
 * the resource says `allowReplace: true`. `oldInputs` are the inputs of the previous deployment (empty on create).
 * Unknown values (a preview before the app exists) cannot be judged and pass.
 */
export function addonReplacementRefusals(
    oldInputs: Partial<AddonShape>,
    news: AddonShape & { allowReplace?: boolean },
): Array<{ property: string; reason: string }> {
    if (oldInputs.plan === undefined || oldInputs.app === undefined || news.allowReplace === true) return [];
    const known = (a: unknown, b: unknown) => !isUnknown(a) && !isUnknown(b);
    const what = oldInputs.addonName ? `add-on ${oldInputs.addonName}` : "the current add-on";
    const failures: Array<{ property: string; reason: string }> = [];
    if (known(oldInputs.app, news.app) && oldInputs.app !== news.app) {
        failures.push({
            property: "app",
            reason: `moving the add-on from app ${oldInputs.app} to ${news.app} needs a new add-on: ${what} and its data would be destroyed. Set allowReplace: true to confirm (copy the data first)`,
        });
    }
    if (known(oldInputs.plan, news.plan) && addonService(oldInputs.plan) !== addonService(news.plan)) {
        failures.push({
            property: "plan",
            reason: `changing the service from ${addonService(oldInputs.plan)} to ${addonService(news.plan)} needs a new add-on: ${what} and its data would be destroyed. Set allowReplace: true to confirm`,
        });
    }
    return failures;
}

/** Maintenance and Acm: on while the resource exists; only the app can change (a replacement). */
export function appToggleDiff(olds: { app: string; enabled?: boolean }, news: { app: string }): DiffDecision {
    const replaces = knownChange(olds.app, news.app) ? ["app"] : [];
    const changed = [...(olds.app !== news.app ? ["app"] : []), ...(olds.enabled !== true ? ["enabled"] : [])];
    return { changes: changed.length > 0, replaces, changed };
}

// --- Formation ------------------------------------------------------------------------------------

export interface FormationEntry {
    /** Dyno size name, lower case (`standard-1x`). */
    size: string;
    quantity: number;
}

/** One element of Heroku's formation batch update (`PATCH /apps/{app}/formation`). */
export interface FormationUpdateBody {
    type: string;
    quantity: number;
    dyno_size: { name: string };
}

/** One batch of formation updates: only process types whose size or quantity differ, in a stable order. */
export function formationUpdates(
    live: Readonly<Record<string, FormationEntry>>,
    wanted: Readonly<Record<string, FormationEntry>>,
): FormationUpdateBody[] {
    return Object.entries(wanted)
        .filter(([type, w]) => {
            const l = live[type];
            return l === undefined || l.quantity !== w.quantity || l.size.toLowerCase() !== w.size.toLowerCase();
        })
        .map(([type, w]) => ({ type, quantity: w.quantity, dyno_size: { name: w.size } }))
        .sort((a, b) => a.type.localeCompare(b.type));
}

/** Process types no longer declared: scaled to zero (owned types are never left running unmanaged). */
export function formationStops(
    olds: Readonly<Record<string, FormationEntry>>,
    news: Readonly<Record<string, FormationEntry>>,
): FormationUpdateBody[] {
    return Object.entries(olds)
        .filter(([type, o]) => !(type in news) && o.quantity > 0)
        .map(([type, o]) => ({ type, quantity: 0, dyno_size: { name: o.size } }))
        .sort((a, b) => a.type.localeCompare(b.type));
}

export interface FormationShape {
    app: string;
    processes: Record<string, FormationEntry>;
}

/** `olds.processes` are the process types as last seen (a type waiting for the first deploy is absent). */
export function formationDiff(olds: FormationShape, news: FormationShape): DiffDecision {
    if (knownChange(olds.app, news.app)) return { changes: true, replaces: ["app"], changed: ["app"] };
    if (containsUnknown(news)) return { changes: true, replaces: [], changed: ["app", "processes"].filter((k) => containsUnknown(news[k as keyof FormationShape])) };
    const removed = Object.keys(olds.processes).filter((t) => !(t in news.processes));
    const updated = formationUpdates(olds.processes, news.processes).map((u) => u.type);
    const types = [...new Set([...removed, ...updated])].sort();
    return { changes: types.length > 0, replaces: [], changed: types.map((t) => `processes.${t}`) };
}

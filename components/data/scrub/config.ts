// The stack config's `herokuenv:seed` block: the same rules document as `--rules FILE`, plus the seed secret, which
// only the stack config may carry (set it with `pulumi config set --secret --path 'herokuenv:seed.secret' …`). Pure.
import { RulesError, validateRules, type RuleProblem, type ScrubRules } from "./rules";
import { MIN_SEED_LENGTH } from "./hooks";

export interface SeedConfig {
    rules: ScrubRules;
    /** The HMAC seed, when the block carries it. */
    secret?: string;
}

/** Validates `herokuenv:seed` (an object, or the rules as YAML text). Throws RulesError listing every problem. */
export function validateSeedConfig(value: unknown, source = "herokuenv:seed"): SeedConfig {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        if (typeof value === "string") return { rules: validateRules(value, source) };
        throw new RulesError(source, [{ where: "document", message: "must be a mapping: { secret: <secret>, tables: { … } }" }]);
    }
    const { secret, ...rest } = value as Record<string, unknown>;
    const problems: RuleProblem[] = [];
    if (secret !== undefined && (typeof secret !== "string" || secret.length < MIN_SEED_LENGTH)) {
        problems.push({ where: "secret", message: `must be a secret string of at least ${MIN_SEED_LENGTH} characters` });
    }
    let rules: ScrubRules | undefined;
    try {
        rules = validateRules(rest, source);
    } catch (e) {
        if (!(e instanceof RulesError)) throw e;
        problems.push(...e.problems);
    }
    if (problems.length > 0 || !rules) throw new RulesError(source, problems);
    return { rules, secret: secret as string | undefined };
}

/** `--seed VALUE`, else HEROKUENV_SEED, else undefined. */
export function seedFromEnvironment(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
    return flag ?? (env.HEROKUENV_SEED !== undefined && env.HEROKUENV_SEED !== "" ? env.HEROKUENV_SEED : undefined);
}

/** Problems of a `herokuenv:seed` value as `where: message` lines (for the stack config's own validation). */
export function seedConfigProblems(value: unknown): Array<{ path: string[]; message: string }> {
    try {
        validateSeedConfig(value);
        return [];
    } catch (e) {
        if (!(e instanceof RulesError)) throw e;
        return e.problems.map((p) => ({ path: ["seed", ...(p.where === "document" ? [] : p.where.split("."))], message: p.message }));
    }
}

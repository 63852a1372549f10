// Malformed stack configs: each gives a clear error naming the config key, saying what is wrong and what is valid.
import * as assert from "node:assert/strict";
import { formatProblems, validateEnvironment } from "./validate";

const VALID = {
    kind: "production",
    app: { name: "acme-production", region: "us", stack: "heroku-24", buildpacks: ["heroku/python"] },
    formation: { web: { size: "standard-1x", quantity: 2 }, worker: { size: "standard-1x", quantity: 1 } },
    database: { plan: "standard-0" },
    configVars: { DJANGO_SETTINGS_MODULE: "acme.settings" },
    secretConfigVars: { DJANGO_SECRET_KEY: "very-secret-value-123" },
    storage: { region: "us-east-1", corsOrigins: ["https://www.example.com"] },
    dns: { zone: "example.com", zoneId: "023e105f4ecef8ad9ca31a8372d0c353", records: [{ hostname: "www.example.com" }] },
};
const SECRET_KEYS = new Set(["secretConfigVars"]);

type Raw = Record<string, unknown>;
function withChange(change: (c: Raw) => void): Raw {
    const copy = JSON.parse(JSON.stringify(VALID)) as Raw;
    change(copy);
    return copy;
}
const at = (c: Raw, key: string) => c[key] as Raw;

interface Case {
    name: string;
    config: Raw;
    secretKeys?: Set<string>;
    /** The config key the error must name, and what it must say. */
    key: string;
    says: RegExp;
}

const CASES: Case[] = [
    { name: "wrong kind", config: withChange((c) => (c.kind = "prod")), key: "herokuenv:kind", says: /must be one of production, staging, sandbox.*got "prod"/ },
    { name: "missing kind", config: withChange((c) => delete c.kind), key: "herokuenv:kind", says: /is required. Example: kind: production/ },
    { name: "bad dyno size", config: withChange((c) => (at(at(c, "formation"), "web").size = "standard-3x")), key: "herokuenv:formation.web.size", says: /must be a Heroku dyno size: eco, basic, standard-1x.*got "standard-3x".*Example: size: standard-1x/ },
    { name: "negative quantity", config: withChange((c) => (at(at(c, "formation"), "web").quantity = -1)), key: "herokuenv:formation.web.quantity", says: /cannot be negative/ },
    { name: "fractional quantity", config: withChange((c) => (at(at(c, "formation"), "worker").quantity = 1.5)), key: "herokuenv:formation.worker.quantity", says: /whole number/ },
    { name: "quantity as text", config: withChange((c) => (at(at(c, "formation"), "web").quantity = "two")), key: "herokuenv:formation.web.quantity", says: /whole number of dynos/ },
    { name: "eco dynos scaled past one", config: withChange((c) => (at(c, "formation").web = { size: "eco", quantity: 3 })), key: "herokuenv:formation.web.quantity", says: /eco dynos cannot scale past 1/ },
    { name: "no web process", config: withChange((c) => (c.formation = { worker: { size: "basic", quantity: 1 } })), key: "herokuenv:formation.web", says: /must declare a web process type/ },
    { name: "bad process type", config: withChange((c) => (at(c, "formation")["Web Server"] = { size: "basic", quantity: 1 })), key: "herokuenv:formation", says: /process types are lower-case names/ },
    { name: "bad app name", config: withChange((c) => (at(c, "app").name = "Acme_Prod")), key: "herokuenv:app.name", says: /3-30 characters: lower-case letters, digits and dashes.*Example: name: acme-production/ },
    { name: "missing app", config: withChange((c) => delete c.app), key: "herokuenv:app", says: /is required/ },
    { name: "bad region", config: withChange((c) => (at(c, "app").region = "asia")), key: "herokuenv:app.region", says: /must be a Heroku region: us, eu/ },
    { name: "bad stack", config: withChange((c) => (at(c, "app").stack = "cedar-14")), key: "herokuenv:app.stack", says: /must be a Heroku stack: heroku-22, heroku-24, container/ },
    { name: "bad buildpack", config: withChange((c) => (at(c, "app").buildpacks = ["python"])), key: "herokuenv:app.buildpacks[0]", says: /registry buildpack like heroku\/python/ },
    { name: "unknown top-level key", config: withChange((c) => (c.colour = "blue")), key: "herokuenv:colour", says: /unknown key; valid keys here are kind, engineer, app/ },
    { name: "unknown nested key (typo)", config: withChange((c) => (at(c, "app").nmae = "x")), key: "herokuenv:app.nmae", says: /unknown key; valid keys here are name, region, stack, buildpacks, team/ },
    { name: "bad Postgres plan", config: withChange((c) => (at(c, "database").plan = "hobby-dev")), key: "herokuenv:database.plan", says: /must be a Heroku Postgres plan.*got "hobby-dev"/ },
    { name: "missing database", config: withChange((c) => delete c.database), key: "herokuenv:database", says: /is required. Example: database: \{ plan: essential-0 \}/ },
    { name: "missing storage", config: withChange((c) => delete c.storage), key: "herokuenv:storage", says: /is required/ },
    { name: "bad AWS region", config: withChange((c) => (at(c, "storage").region = "virginia")), key: "herokuenv:storage.region", says: /AWS region like us-east-1/ },
    { name: "bad hostname", config: withChange((c) => (at(c, "dns").records = [{ hostname: "WWW..example.com" }])), key: "herokuenv:dns.records[0].hostname", says: /fully qualified hostname/ },
    { name: "hostname outside the zone", config: withChange((c) => (at(c, "dns").records = [{ hostname: "www.other.org" }])), key: "herokuenv:dns.records[0].hostname", says: /not inside the zone example.com/ },
    { name: "bad zone id", config: withChange((c) => (at(c, "dns").zoneId = "zone-1")), key: "herokuenv:dns.zoneId", says: /32-character hexadecimal/ },
    { name: "proxied record with a TTL", config: withChange((c) => (at(c, "dns").records = [{ hostname: "www.example.com", ttl: 300 }])), key: "herokuenv:dns.records[0].ttl", says: /proxied records always use the automatic TTL/ },
    { name: "secret config vars set in plain text", config: VALID, secretKeys: new Set(), key: "herokuenv:secretConfigVars", says: /is set in plain text.*pulumi config set --secret/ },
    { name: "a secret-looking var in plain configVars", config: withChange((c) => (at(c, "configVars").STRIPE_API_KEY = "sk_live_abc")), key: "herokuenv:configVars.STRIPE_API_KEY", says: /looks like a secret but is set in plain text.*secretConfigVars.STRIPE_API_KEY/ },
    { name: "a URL with a password in plain configVars", config: withChange((c) => (at(c, "configVars").REDIS = "redis://u:hunter2@host:6379")), key: "herokuenv:configVars.REDIS", says: /looks like a secret/ },
    { name: "a var owned by the Postgres add-on", config: withChange((c) => (at(c, "configVars").DATABASE_URL = "postgres://localhost/x")), key: "herokuenv:configVars.DATABASE_URL", says: /is set by the Heroku Postgres add-on/ },
    { name: "a var owned by the storage component", config: withChange((c) => (at(c, "secretConfigVars").AWS_SECRET_ACCESS_KEY = "x")), key: "herokuenv:secretConfigVars.AWS_SECRET_ACCESS_KEY", says: /is set by the storage component/ },
    { name: "a number as a config var value", config: withChange((c) => (at(c, "configVars").WEB_CONCURRENCY = 3)), key: "herokuenv:configVars.WEB_CONCURRENCY", says: /must be strings \(quote numbers/ },
    { name: "a bad config var name", config: withChange((c) => (at(c, "configVars")["DJANGO-DEBUG"] = "1")), key: "herokuenv:configVars", says: /letters, digits and underscores/ },
    { name: "a sandbox without its engineer", config: withChange((c) => (c.kind = "sandbox")), key: "herokuenv:engineer", says: /is required for a sandbox stack/ },
    { name: "an engineer on production", config: withChange((c) => (c.engineer = "alice")), key: "herokuenv:engineer", says: /only applies to sandbox stacks/ },
    { name: "a bad engineer name", config: withChange((c) => { c.kind = "sandbox"; c.engineer = "Alice Smith"; }), key: "herokuenv:engineer", says: /2-20 lower-case letters and digits/ },
];

describe("stack config validation", function () {
    for (const c of CASES) {
        it(`rejects ${c.name}, naming ${c.key}`, function () {
            const result = validateEnvironment(c.config, { secretKeys: c.secretKeys ?? SECRET_KEYS });
            assert.equal(result.ok, false);
            if (result.ok) return;
            const line = result.problems.find((p) => p.startsWith(`${c.key}:`) || p.startsWith(`${c.key}.`) || p.startsWith(`${c.key}[`));
            assert.ok(line, `no problem names ${c.key}; got:\n${result.problems.join("\n")}`);
            assert.match(line, c.says);
        });
    }

    it(`covers at least 20 malformed configs (${CASES.length})`, function () {
        assert.ok(CASES.length >= 20);
    });

    it("accepts the valid config and normalises it", function () {
        const result = validateEnvironment(withChange((c) => (at(at(c, "formation"), "web").size = "Standard-1X")), { secretKeys: SECRET_KEYS });
        assert.equal(result.ok, true, result.ok ? "" : result.problems.join("\n"));
        if (!result.ok) return;
        assert.equal(result.environment.formation.web.size, "standard-1x");
        assert.equal(result.environment.database.attachmentName, "DATABASE");
        assert.deepEqual(result.environment.dns?.records, [{ hostname: "www.example.com", proxied: true, ttl: 1 }]);
    });

    it("reports every problem together, in one message", function () {
        const config = withChange((c) => {
            c.kind = "prod";
            at(at(c, "formation"), "web").size = "huge";
            at(c, "app").name = "X";
            c.extra = 1;
        });
        const result = validateEnvironment(config, { secretKeys: SECRET_KEYS });
        assert.equal(result.ok, false);
        if (result.ok) return;
        const message = formatProblems("production", result.problems);
        assert.match(message, /^herokuenv: the configuration of stack "production" has 4 problems:/);
        for (const key of ["herokuenv:kind", "herokuenv:formation.web.size", "herokuenv:app.name", "herokuenv:extra"]) assert.ok(message.includes(`- ${key}:`), key);
    });

    it("never echoes a config var's value, plain or secret", function () {
        const config = withChange((c) => {
            at(c, "configVars").API_TOKEN = "tok-should-not-appear";
            at(c, "secretConfigVars").BAD = 42;
        });
        const result = validateEnvironment(config, { secretKeys: new Set() });
        assert.equal(result.ok, false);
        if (result.ok) return;
        const message = formatProblems("production", result.problems);
        assert.equal(message.includes("tok-should-not-appear"), false);
        assert.equal(message.includes("very-secret-value-123"), false);
        assert.equal(message.includes("42"), false);
    });
});

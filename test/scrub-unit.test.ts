// Scrubbing and sampling, the pure parts: the rules format and its messages, the keyed fakes (determinism and
// injectivity), JSON paths, the personal-data classifiers, the rules-against-catalog checks, the unique-column
// classification, the sampling plan (roles, SCCs) and the scan's fingerprint set.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CatalogTable, SourceCatalog } from "../components/data/postgres-copy/hooks";
import { parseRules, RulesError, scrubFingerprint, scrubHooks, seedConfigProblems, seedFromEnvironment, SeedError, validateSeedConfig } from "../components/data/scrub";
import { base32, Fakes, parseIPv6 } from "../components/data/scrub/fakes";
import { parseJson, pathCovered, stringifyJson, transformJson } from "../components/data/scrub/json";
import { classifyName, classifyValue, classifyValues, formatFindings } from "../components/data/scrub/pii";
import { planColumns } from "../components/data/scrub/plan";
import { parseJsonPath, type JsonPathRule } from "../components/data/scrub/rules";
import { fileKeyProblems, fileKeysSql, normalizeFileKey } from "../components/data/scrub/files";
import { stronglyConnected } from "../components/data/shared/graph";
import { Closure, keyId, planSampling, rowText } from "../components/data/scrub/sampling";
import { Evidence, FingerprintSet } from "../components/data/scrub/scan";
import { uniqueRequirements } from "../components/data/scrub/unique";

const SEED = "unit-seed-0123456789";

function table(name: string, columns: Array<[string, string, boolean?]>, extra: Partial<CatalogTable> = {}): CatalogTable {
    return { schema: "public", name, columns: columns.map(([n, type, notNull]) => ({ name: n, type, notNull: notNull ?? false })), primaryKey: [], uniqueIndexes: [], foreignKeys: [], estimatedRows: 0, ...extra };
}

function problemsOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (e) {
        if (e instanceof RulesError) return e.problems.map((p) => `${p.line ?? "-"} ${p.where}: ${p.message}`);
        throw e;
    }
    return [];
}

describe("scrub rules format", () => {
    it("parses the documented shape: schema-qualified names, sample percent or SQL, every rule form", () => {
        const r = parseRules(
            [
                "tables:",
                "  users:",
                "    sample: 10%",
                "    columns:",
                "      email: fake:email",
                "      api_token: null",
                "      old_token: ~",
                "      password_hash: hash",
                '      profile: { json: { "$.email": fake:email, "$.phones[*]": fake:phone, "$..token": null } }',
                "      plan: keep",
                "      born: fake:date(30d)",
                "  billing.invoices:",
                "    sample: \"created_at > now() - interval '90 days'\"",
            ].join("\n"),
            "r.yaml",
        );
        assert.equal(r.tables.length, 2);
        const users = r.tables[0];
        assert.deepEqual(users.sample, { kind: "percent", percent: 10 });
        assert.deepEqual(users.columns.get("api_token"), { kind: "null" });
        assert.deepEqual(users.columns.get("old_token"), { kind: "null" });
        assert.deepEqual(users.columns.get("born"), { kind: "fake", fake: "date", rangeDays: 30 });
        assert.equal(users.lines.get("plan"), 10);
        const profile = users.columns.get("profile");
        assert.ok(profile?.kind === "json" && profile.paths.length === 3);
        assert.deepEqual({ schema: r.tables[1].schema, name: r.tables[1].name }, { schema: "billing", name: "invoices" });
        assert.deepEqual(r.tables[1].sample, { kind: "where", condition: "created_at > now() - interval '90 days'" });
    });

    it("the fixture rules parse", () => {
        assert.ok(parseRules(fs.readFileSync(path.join(__dirname, "fixtures", "scrub", "rules.yaml"), "utf8")).tables.length > 5);
    });

    it("reports every problem at once, each with its line, what is wrong and what is valid", () => {
        const problems = problemsOf(() =>
            parseRules(
                [
                    "secret: abc",
                    "tables:",
                    "  users:",
                    "    sample: 10",
                    "    columns:",
                    "      email: fake:emial",
                    '      profile: { json: { "email": hash } }',
                    "      n: 5",
                    "  orders:",
                    "    colums: {}",
                    "    sample: 150%",
                    "  bad-name: { sample: 1% }",
                    "  events:",
                    "    sample: \"a = 1; DROP TABLE x\"",
                    "  logs:",
                    "    columns:",
                    "      at: fake:name(3d)",
                ].join("\n"),
                "r.yaml",
            ),
        );
        const text = problems.join("\n");
        assert.match(text, /^1 secret: the seed secret never goes in a rules file/m);
        assert.match(text, /^4 tables\.users\.sample: 10 is a bare number; write `10%`/m);
        assert.match(text, /^6 tables\.users\.columns\.email: "fake:emial" is not a rule \(fake:emial is not a kind; kinds: email, name/m);
        assert.match(text, /^7 tables\.users\.columns\.profile\.json\["email"\]: "email" must start with \$; valid paths/m);
        assert.match(text, /^8 tables\.users\.columns\.n: 5 is not a rule; valid: keep, null, hash/m);
        assert.match(text, /^10 tables\.orders\.colums: unknown key; a table takes `sample` and `columns`/m);
        assert.match(text, /^11 tables\.orders\.sample: 150% is above 100%/m);
        assert.match(text, /^12 tables\.bad-name: not a table name/m);
        assert.match(text, /^14 tables\.events\.sample: an SQL condition cannot contain `;`/m);
        assert.match(text, /^17 tables\.logs\.columns\.at: fake:name takes no argument/m);
        assert.equal(problems.length, 10);
    });

    it("files.keys: the columns that name user files, each kept as it is; every mistake named with its line", () => {
        const rules = parseRules(["tables:", "  users:", "    sample: 10%", "    columns:", "      avatar_key: keep", "files:", "  keys:", "    - users.avatar_key", "    - billing.invoices.pdf_key", ""].join("\n"), "seed.yaml");
        assert.deepEqual(rules.files?.keys.map(({ schema, table, column }) => `${schema}.${table}.${column}`), ["public.users.avatar_key", "billing.invoices.pdf_key"]);
        assert.equal(parseRules("tables:\n  users:\n    sample: 10%\n").files, undefined);
        const text = ["tables:", "  users:", "    columns:", "      avatar_key: hash", "files:", "  keys:", "    - users.avatar_key", "    - nodot", "    - a.b.c.d", "  extra: 1", ""].join("\n");
        assert.throws(() => parseRules(text, "seed.yaml"), (e: RulesError) => {
            assert.match(e.message, /seed\.yaml:7: files\.keys\.users\.avatar_key: the column is scrubbed \(hash\).*make it `avatar_key: keep`/);
            assert.match(e.message, /seed\.yaml:8: files\.keys\.nodot: not a column; write `table\.column`/);
            assert.match(e.message, /seed\.yaml:9: files\.keys\.a\.b\.c\.d: not a column/);
            assert.match(e.message, /seed\.yaml:10: files\.extra: unknown key/);
            return true;
        });
        assert.throws(() => parseRules("tables:\n  users:\n    sample: 10%\nfiles:\n  keys: []\n"), /files\.keys: must list at least one column/);
        assert.throws(() => parseRules("tables:\n  users:\n    sample: 10%\nfiles: users.avatar_key\n"), /files: must be a mapping with one key, `keys:`/);
    });

    it("rejects invalid YAML, duplicate tables and empty documents with a line", () => {
        assert.match(problemsOf(() => parseRules("tables:\n  users:\n    columns:\n      a: keep\n      a: hash\n", "r.yaml"))[0], /^5 document: not valid YAML: Map keys must be unique/);
        assert.match(problemsOf(() => parseRules("tables:\n  users: { sample: 1% }\n  public.users: { sample: 2% }\n"))[0], /public\.users is already listed as `users`/);
        assert.match(problemsOf(() => parseRules(""))[0], /must be a mapping with one key, `tables:`/);
        assert.match(problemsOf(() => parseRules("tables:\n  users:\n"))[0], /has no rules; give it `sample:` and\/or `columns:`/);
    });

    it("the stack config block: the same validator, plus the seed secret; YAML text works too", () => {
        const c = validateSeedConfig({ secret: "s".repeat(20), tables: { users: { sample: "5%", columns: { email: "fake:email", api_token: null } } } });
        assert.equal(c.secret, "s".repeat(20));
        assert.deepEqual(c.rules.tables[0].columns.get("api_token"), { kind: "null" });
        assert.equal(c.rules.source, "herokuenv:seed");
        const problems = problemsOf(() => validateSeedConfig({ secret: "short", tables: { users: { columns: { email: "fake:mail" } } } }));
        assert.deepEqual(problems.map((p) => p.split(":")[0]), ["- secret", "- tables.users.columns.email"]);
        assert.equal(validateSeedConfig("tables:\n  users: { sample: 1% }\n").rules.tables.length, 1);
        assert.deepEqual(seedConfigProblems({ tables: { users: { sample: 5 } } }).map((p) => p.path.join(".")), ["seed.tables.users.sample"]);
        assert.deepEqual(seedConfigProblems({ tables: { users: { sample: "5%" } } }), []);
        assert.equal(seedFromEnvironment(undefined, { HEROKUENV_SEED: "from-env" }), "from-env");
        assert.equal(seedFromEnvironment("flag", { HEROKUENV_SEED: "from-env" }), "flag");
    });

    it("JSON paths", () => {
        assert.deepEqual(parseJsonPath('$.a["b c"][*][2]..d.*'), [
            { type: "key", key: "a" }, { type: "key", key: "b c" }, { type: "wildcard" }, { type: "index", index: 2 }, { type: "descend", key: "d" }, { type: "wildcard" },
        ]);
        assert.match(parseJsonPath("$") as string, /names the whole document/);
        assert.match(parseJsonPath("$.a b") as string, /unexpected " "/);
    });

    it("a seed must be a real secret; the fingerprint changes with rules and seed but does not contain the seed", () => {
        const r = parseRules("tables:\n  users: { sample: 1% }\n");
        assert.throws(() => scrubHooks(r, "short"), SeedError);
        const f = scrubFingerprint(r, SEED);
        assert.equal(f, scrubFingerprint(r, SEED));
        assert.notEqual(f, scrubFingerprint(r, `${SEED}x`));
        assert.notEqual(f, scrubFingerprint(parseRules("tables:\n  users: { sample: 2% }\n"), SEED));
        assert.ok(!f.includes(SEED));
    });
});

describe("scrub fakes", () => {
    const a = new Fakes(SEED);
    const b = new Fakes(`${SEED}-other`);

    it("are deterministic per seed and differ between seeds", () => {
        for (const v of ["alice@corp.test", "Alice", "+44 20 7946 0958", "10.0.0.1"]) {
            assert.equal(new Fakes(SEED).email(v), a.email(v));
            assert.notEqual(a.email(v), b.email(v));
        }
        assert.equal(a.phone("+44 20 7946 0958"), new Fakes(SEED).phone("+44 20 7946 0958"));
        assert.notEqual(a.hashText("x"), b.hashText("x"));
    });

    it("look like what they replace", () => {
        assert.match(a.email("alice@corp.test"), /^[a-z]+\.[a-z]+\.[a-z2-7]{10}@example\.com$/);
        assert.match(a.email("alice@corp.test", 24), /^[a-z2-7]{10}@example\.com$/);
        assert.match(a.phone("+44 20 7946 0958"), /^\+\d\d \d\d \d{4} \d{4}$/);
        assert.match(a.name("x"), /^[A-Z][a-z]+ [A-Z][a-z]+$/);
        assert.match(a.address("x"), /^\d+ [A-Z][a-z]+ [A-Z][a-z]+, [A-Z][a-z]+$/);
        assert.match(a.url("http://x"), /^https:\/\/example\.com\/u\/[a-z2-7]{10}$/);
        assert.match(a.ip("192.168.1.20"), /^\d+\.\d+\.\d+\.\d+$/);
        assert.match(a.ip("10.1.0.0/16", true), /^\d+\.\d+\.0\.0\/16$/);
        assert.equal(parseIPv6(a.ip("2001:db8::1").split("/")[0]) !== undefined, true);
        assert.equal(parseIPv6("::ffff:1.2.3.4"), 0xffff01020304n);
        for (const s of ["", "a", "Hello world", "x".repeat(500)]) assert.equal(a.text(s).length, s.length);
        assert.match(a.hashUuid("x"), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.match(a.hashBytea("\\x00"), /^\\x[0-9a-f]{64}$/);
        assert.equal(base32(Buffer.from([0xff, 0, 0xff, 0, 0xff, 0])).length, 10);
    });

    it("dates shift by a non-zero number of days within the range, keeping time and zone", () => {
        for (let i = 0; i < 200; i++) {
            const d = `2000-01-${String(1 + (i % 28)).padStart(2, "0")} 1${i % 10}:00:00+02`;
            const out = a.date(d, 10);
            const days = (Date.parse(out.slice(0, 10)) - Date.parse(d.slice(0, 10))) / 86_400_000;
            assert.ok(days !== 0 && Math.abs(days) <= 10, `${d} → ${out}`);
            assert.equal(out.slice(10), d.slice(10));
        }
        assert.equal(a.date("infinity", 10), "infinity");
        assert.equal(a.date("2020-02-29", 1).length, 10);
    });

    it("the permutation kinds are injective: every digit string of a length, every int16, IPv4 octets", () => {
        for (const n of [1, 2, 3, 4]) {
            const out = new Set<string>();
            for (let i = 0; i < 10 ** n; i++) out.add(a.digits(String(i).padStart(n, "0")));
            assert.equal(out.size, 10 ** n, `digits of length ${n}`);
        }
        const ints = new Set<string>();
        for (let i = -32768; i < 32768; i += 1) ints.add(a.hashInt(String(i), 16));
        assert.equal(ints.size, 65536);
        for (const v of ints) assert.ok(Number(v) >= -32768 && Number(v) <= 32767);
        assert.ok(BigInt(a.hashInt("9223372036854775807", 64)) <= 9223372036854775807n);
        const ips = new Set<string>();
        for (let i = 0; i < 4096; i++) ips.add(a.ip(`10.0.${i >> 8}.${i & 255}`));
        assert.equal(ips.size, 4096);
        // Same format, different digits → different output; different formats stay apart.
        assert.notEqual(a.phone("+1 555-0100"), a.phone("+1 5550-100"));
    });

    it("re-tagged values (a recorded exception) get another tag; the rest keep theirs", () => {
        const f = new Fakes(SEED, { tagBytes: { email: 1 } });
        const before = f.email("x@y.test");
        const other = f.email("z@y.test");
        f.exceptions.set("email", new Map([["x@y.test", 1]]));
        assert.notEqual(f.email("x@y.test"), before);
        assert.equal(f.email("z@y.test"), other);
    });
});

describe("scrub JSON", () => {
    const fns = { apply: (_p: JsonPathRule, text: string) => `<${text}>` };
    const rules = (text: string): JsonPathRule[] => {
        const r = parseRules(`tables:\n  t:\n    columns:\n      c: ${text}\n`).tables[0].columns.get("c");
        assert.ok(r?.kind === "json");
        return r.paths;
    };

    it("applies path rules, keeps everything else exact (big numbers included)", () => {
        const doc = '{"email":"a@b.test","n":12345678901234567890,"x":1.50,"list":[{"phone":"1"},{"phone":"2"}],"deep":{"a":{"token":"t"}},"obj":{"s":"v","k":3}}';
        const out = JSON.parse(transformJson(doc, rules('{ json: { "$.email": fake:email, "$.list[*].phone": fake:phone, "$..token": null, "$.obj": fake:text } }'), fns)) as Record<string, unknown>;
        assert.equal(out.email, "<a@b.test>");
        assert.deepEqual(out.list, [{ phone: "<1>" }, { phone: "<2>" }]);
        assert.deepEqual(out.deep, { a: { token: null } });
        assert.deepEqual(out.obj, { s: "<v>", k: "<3>" });
        assert.match(transformJson(doc, rules('{ json: { "$.email": keep } }'), fns), /"n":12345678901234567890,"x":1.50/);
        assert.equal(stringifyJson(parseJson("[1e400]")), "[1e400]");
        assert.equal(transformJson("not json", rules('{ json: { "$.a": hash } }'), fns), "not json");
    });

    it("records every original leaf a rule replaced", () => {
        const seen: string[] = [];
        transformJson('{"a":{"x":"1","y":["2"]},"b":"3"}', rules('{ json: { "$.a": null, "$.b": hash } }'), fns, (v) => seen.push(v));
        assert.deepEqual(seen.sort(), ["1", "2", "3"]);
    });

    it("knows which leaf paths a rule covers", () => {
        const r = rules('{ json: { "$.contact.email": hash, "$..phone": hash, "$.list[*].name": hash, "$.addr": hash } }');
        assert.ok(pathCovered("$.contact.email", r));
        assert.ok(pathCovered("$.deep.x.phone", r));
        assert.ok(pathCovered("$.list[*].name", r));
        assert.ok(pathCovered("$.addr.street", r));
        assert.ok(!pathCovered("$.contact.name", r));
    });
});

describe("scrub personal-data detection", () => {
    it("by name", () => {
        const cases: Array<[string, string | undefined, string?]> = [
            ["email", "email"], ["contactEmail", "email"], ["mobile", "phone"], ["phone_number", "phone"], ["first_name", "first_name"],
            ["surname", "last_name"], ["full_name", "name"], ["name", "name", "customers"], ["name", undefined, "products"], ["street_address", "address"],
            ["zip", "address"], ["date_of_birth", "birth_date"], ["dob", "birth_date"], ["api_token", "token"], ["secret_key", "token"],
            ["password", "password"], ["pwd_hash", "password"], ["last_login_ip", "ip"], ["remote_addr", "ip"], ["card_number", "card"],
            ["iban", "card"], ["ssn", "national_id"], ["passport_no", "national_id"], ["national_id", "national_id"], ["created_at", undefined],
            ["plan", undefined], ["mailing_list_id", undefined], ["status", undefined], ["hotel", undefined],
        ];
        for (const [col, want, t] of cases) assert.equal(classifyName(col, t ?? "users"), want, col);
        assert.equal(classifyName("whatever", "t", "inet"), "ip");
    });

    it("by value", () => {
        const cases: Array<[string, string | undefined]> = [
            ["someone@corp.test", "email"], ["+44 20 7946 0958", "phone"], ["(555) 010-0199", "phone"], ["4111 1111 1111 1111", "card"],
            ["4111 1111 1111 1112", undefined], ["078-05-1120", "national_id"], ["GB82WEST12345698765432", "card"], ["192.168.0.1", "ip"],
            ["2001:db8::1", "ip"], ["pbkdf2_sha256$600000$abc$def", "password"], ["$2b$12$abcdefghijklmnopqrstuv", "password"],
            ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", "token"], ["sk_live_abcdefghijklmnop", "token"], ["9f86d081884c7d659a2feaa0c55ad015", "token"],
            ["2024-01-05", undefined], ["12345678", undefined], ["free", undefined], ["3f2c6a1e-0000-4000-8000-000000000000", undefined],
            ["product-12", undefined], ["Please call me, I am at someone@corp.test most days of the week", "text_with_email"],
        ];
        for (const [v, want] of cases) assert.equal(classifyValue(v), want, v);
        assert.equal(classifyValues(["a@b.test", "x", "y", "z"])?.category, "email");
        assert.equal(classifyValues(["a@b.test", ...Array(20).fill("x")]), undefined);
    });

    it("prints the refusal with the YAML lines to add, grouped by table", () => {
        const users = table("users", [["mobile", "text"]]);
        const text = formatFindings([{ table: users, column: "mobile", reason: "name looks like phone numbers", rule: "fake:phone" }, { table: { ...users, schema: "billing", name: "cards" }, column: "pan", reason: "x", rule: "fake:digits" }]);
        assert.match(text, /tables:\n {2}users:\n {4}columns:\n {6}mobile: fake:phone\n {2}billing\.cards:\n {4}columns:\n {6}pan: fake:digits$/);
    });
});

describe("scrub rules against a catalog", () => {
    const users = table("users", [["id", "integer", true], ["email", "character varying(255)", true], ["name", "text", true], ["nick", "text"], ["born", "date"], ["tags", "text[]"], ["phone", "character varying(32)"], ["uid", "uuid"], ["code", "character varying(20)"]], {
        primaryKey: ["id"],
        uniqueIndexes: [["email"], ["name"], ["phone"], ["uid"], ["code"], ["nick", "born"]],
    });
    const orders = table("orders", [["id", "bigint", true], ["user_email", "text"], ["user_id", "bigint"]], {
        primaryKey: ["id"],
        foreignKeys: [{ name: "orders_user_email_fkey", columns: ["user_email"], references: { schema: "public", name: "users" }, referencedColumns: ["email"] }],
    });
    const catalog: SourceCatalog = { tables: [users, orders] };

    it("files.keys names a table and column the source has, or the copy stops before anything is written", () => {
        const rules = parseRules("tables:\n  users:\n    sample: 10%\nfiles:\n  keys:\n    - users.email\n    - users.avatar\n    - attachments.key\n", "seed.yaml");
        const problems = fileKeyProblems(rules, [users, orders]);
        assert.deepEqual(problems.map((p) => `${p.line}: ${p.where}: ${p.message.split(" (")[0]}`), ["7: files.keys.users.avatar: users has no column avatar", "8: files.keys.attachments.key: the source has no table attachments"]);
        // Read back from the sandbox: distinct non-empty keys, a leading "/" not part of the object key.
        assert.equal(fileKeysSql(rules.files!.keys[0]), `SELECT DISTINCT "email"::text AS key FROM "public"."users" WHERE "email" IS NOT NULL AND "email"::text <> ''`);
        assert.equal(normalizeFileKey("//avatars/1.png"), "avatars/1.png");
    });

    it("names unknown tables and columns, misfit types, null on NOT NULL and FK sides with different rules", () => {
        const rules = parseRules(
            ["tables:", "  users:", "    columns:", "      email: fake:email", "      name: null", "      born: fake:email", "      tags: fake:name", "      nope: keep", "  orders:", "    columns:", "      user_email: keep", "  ghosts: { sample: 1% }"].join("\n"),
            "r.yaml",
        );
        const plan = planColumns(catalog, rules);
        const text = plan.problems.map((p) => `${p.line} ${p.where}: ${p.message}`).join("\n");
        assert.match(text, /^5 tables\.users\.columns\.name: null does not fit: the column is NOT NULL/m);
        assert.match(text, /^6 tables\.users\.columns\.born: fake:email does not fit type date; for this type use null, keep, fake:date/m);
        assert.match(text, /^7 tables\.users\.columns\.tags: fake:name does not fit type text\[\]/m);
        assert.match(text, /^8 tables\.users\.columns\.nope: no such column in users/m);
        assert.match(text, /^11 tables\.orders\.columns\.user_email: orders\.user_email references users\.email \(foreign key orders_user_email_fkey\) but their rules differ \(keep vs fake:email\)/m);
        assert.match(text, /^12 tables\.ghosts: no such table in the source; tables are: users, orders/m);
    });

    it("classifies each rule on a unique column: injective, tag-checked, or refused with the column named", () => {
        const rules = parseRules(["tables:", "  users:", "    columns:", "      email: fake:email", "      name: fake:name", "      phone: fake:phone", "      uid: hash", "      code: hash", "      nick: fake:first_name", "  orders:", "    columns:", "      user_email: fake:email"].join("\n"), "r.yaml");
        const plan = planColumns(catalog, rules);
        assert.deepEqual(plan.problems, []);
        const { checks, problems } = uniqueRequirements(plan, catalog.tables, new Fakes(SEED));
        assert.deepEqual(checks.map((c) => `${c.plan.column.name}:${c.kind}`).sort(), ["email:email", "uid:hash"]);
        const text = problems.map((p) => `${p.line} ${p.message}`).join("\n");
        assert.match(text, /^5 fake:name on users\.name cannot keep its unique index \(name\) unique .* use hash, fake:email, fake:url, fake:phone, fake:digits, keep for this column/m);
        assert.match(text, /^8 hash on users\.code \(character varying\(20\), in unique index \(code\)\) needs 64 characters to stay unique/m);
        assert.match(text, /^9 fake:first_name on users\.nick cannot keep its unique index \(nick, born\) unique/m);
        assert.equal(problems.length, 3);
    });
});

describe("scrub sampling plan", () => {
    const fk = (name: string, columns: string[], ref: string, referencedColumns = ["id"]) => ({ name, columns, references: { schema: "public", name: ref }, referencedColumns });
    const catalog: SourceCatalog = {
        tables: [
            table("countries", [["code", "text"]], { primaryKey: ["code"] }),
            table("users", [["id", "integer"], ["country", "text"]], { primaryKey: ["id"], foreignKeys: [fk("u_c", ["country"], "countries", ["code"])] }),
            table("employees", [["id", "integer"], ["manager_id", "integer"]], { primaryKey: ["id"], foreignKeys: [fk("e_m", ["manager_id"], "employees")] }),
            table("orders", [["id", "integer"], ["user_id", "integer"], ["handled_by", "integer"]], { primaryKey: ["id"], foreignKeys: [fk("o_u", ["user_id"], "users"), fk("o_e", ["handled_by"], "employees")] }),
            table("lines", [["order_id", "integer"], ["n", "integer"]], { primaryKey: ["order_id", "n"], foreignKeys: [fk("l_o", ["order_id"], "orders")] }),
            table("refunds", [["order_id", "integer"], ["n", "integer"]], { foreignKeys: [fk("r_l", ["order_id", "n"], "lines", ["order_id", "n"])] }),
            table("a", [["id", "integer"], ["b_id", "integer"]], { primaryKey: ["id"], foreignKeys: [fk("a_b", ["b_id"], "b")] }),
            table("b", [["id", "integer"], ["a_id", "integer"]], { primaryKey: ["id"], foreignKeys: [fk("b_a", ["a_id"], "a")] }),
            table("audit", [["user_id", "integer"]], { foreignKeys: [fk("au", ["user_id"], "users")] }),
        ],
    };

    it("seeds, follows and whole tables; tracked keys; SCCs parents first", () => {
        const plan = planSampling(catalog, parseRules("tables:\n  users: { sample: 10% }\n  b: { sample: \"id < 5\" }\n"));
        assert.ok(plan);
        assert.deepEqual(Object.fromEntries(plan.roles), {
            "public.countries": "whole", "public.users": "seed", "public.employees": "whole", "public.orders": "follow", "public.lines": "follow",
            "public.refunds": "follow", "public.a": "follow", "public.b": "seed", "public.audit": "follow",
        });
        assert.deepEqual(plan.trackedKeys.get("public.lines"), [["order_id", "n"]]);
        assert.equal(plan.trackedKeys.get("public.countries"), undefined, "whole parents are not tracked");
        const pos = (k: string): number => plan.order.get(k) as number;
        assert.ok(pos("public.users") < pos("public.orders") && pos("public.orders") < pos("public.lines") && pos("public.lines") < pos("public.refunds"));
        assert.equal(pos("public.a"), pos("public.b"), "a ↔ b is one component");
        assert.equal(planSampling(catalog, parseRules("tables:\n  users: { columns: { id: keep } }\n")), undefined, "no sample, no filter");
    });

    it("a table whose only tracked key is its primary key is read by that key alone; others keep their predicate", () => {
        const plan = planSampling(catalog, parseRules("tables:\n  users: { sample: 10% }\n"));
        assert.ok(plan);
        const closure = new Closure(plan, () => "SEED");
        closure.r1.set(keyId("public.users", ["id"]), new Set(["1", "2"]));
        closure.anc.set(keyId("public.users", ["id"]), new Set(["2", "3"]));
        closure.r1.set(keyId("public.orders", ["id"]), new Set(["7"]));
        const byName = (n: string): CatalogTable => catalog.tables.find((t) => t.name === n) as CatalogTable;
        // users (seed): kept rows are exactly those keys, so no seed predicate (a sha256 per row) is evaluated.
        assert.equal(closure.filter(byName("users")), `"id" = ANY('{"1","2","3"}'::integer[])`);
        assert.equal(closure.filter(byName("orders")), `"id" = ANY('{"7"}'::integer[])`);
        // audit has no primary key: its foreign-key term, as before.
        assert.equal(closure.filter(byName("audit")), `"user_id" = ANY('{"1","2"}'::integer[])`);
        assert.equal(closure.filter(byName("countries")), undefined, "whole tables are not filtered");
    });

    it("Tarjan without recursion: a 200k-long chain and a big cycle", () => {
        const n = 200_000;
        const chain = stronglyConnected(Array.from({ length: n }, (_, i) => `t${i}`), (x) => (x === "t0" ? [] : [`t${Number(x.slice(1)) - 1}`]));
        assert.equal(chain.length, n);
        assert.deepEqual(chain[0], ["t0"]);
        const ring = stronglyConnected(Array.from({ length: 1000 }, (_, i) => `r${i}`), (x) => [`r${(Number(x.slice(1)) + 1) % 1000}`]);
        assert.equal(ring.length, 1);
    });

    it("composite keys compare as PostgreSQL's record text", () => {
        assert.equal(rowText(["1", "2"]), "(1,2)");
        assert.equal(rowText(["a b", 'q"', "", "x,y", "back\\slash"]), '("a b","q""","","x,y","back\\\\slash")');
    });
});

describe("scrub scan evidence", () => {
    it("a fingerprint set holds many values without false answers", () => {
        const s = new FingerprintSet();
        for (let i = 0; i < 50_000; i++) s.add(`value-${i}`);
        assert.equal(s.size, 50_000);
        for (let i = 0; i < 50_000; i += 97) assert.ok(s.has(`value-${i}`));
        for (let i = 50_000; i < 60_000; i++) assert.ok(!s.has(`value-${i}`));
    });

    it("a fingerprint set answers lengths it never saw without hashing, and finds long and non-ASCII values", () => {
        const s = new FingerprintSet();
        const long = "x".repeat(5000) + "é🙂";
        s.add(long);
        s.add("naïve café");
        assert.ok(s.has(long) && s.has("naïve café"));
        assert.ok(!s.has("x".repeat(5001) + "é🙂") && !s.has("naive cafe") && !s.has("naïve cafè") && !s.has(""));
        // Any key: a given key still finds what it holds (keys are per process; nothing is compared across sets).
        const keyed = new FingerprintSet(1024, Buffer.from("0102030405060708", "hex"));
        for (let i = 0; i < 20_000; i++) keyed.add(`k${i}`);
        for (let i = 0; i < 20_000; i++) assert.ok(keyed.has(`k${i}`) && !keyed.has(`K${i}`));
    });

    it("an original that is also a produced fake is not evidence; short values are ignored; case and blanks too", () => {
        const e = new Evidence();
        e.original("Alice@Corp.test ");
        e.original("Emma");
        e.original("ab");
        e.fake("Emma");
        assert.ok(e.leaks("alice@corp.test"));
        assert.ok(!e.leaks("Emma"));
        assert.ok(!e.leaks("ab"));
    });
});

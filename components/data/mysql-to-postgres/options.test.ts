// One validation for the CLI, the resource and the engine: the same values refused with the same words.
import * as assert from "node:assert/strict";
import { migrate, resolveOptions } from "./engine";
import { CONCURRENCY, DEFAULTS, optionProblem, optionProblems, withDefaults } from "./options";
import { MigrationError } from "./errors";
import { columnProbes } from "./value-ranges";
import { parsePgType } from "./type-mapping";
import type { SourceColumn } from "./types";

const URLS = { from: "mysql://u:secret-pw@127.0.0.1:1/db", to: "postgres://u:secret-pw@127.0.0.1:1/db" };

describe("migration options", () => {
    it("hold every default once", () => {
        const o = withDefaults(URLS);
        assert.deepEqual(
            { mode: o.mode, overwrite: o.overwrite, concurrency: o.concurrency, targetSchema: o.targetSchema, sourceTimeZone: o.sourceTimeZone, enumAs: o.enumAs, datetimeType: o.datetimeType, identifierCase: o.identifierCase, verify: o.verify },
            { mode: "create", overwrite: false, concurrency: 2, targetSchema: "public", sourceTimeZone: "UTC", enumAs: "type", datetimeType: "timestamptz", identifierCase: "preserve", verify: true },
        );
        assert.equal(DEFAULTS.concurrency, CONCURRENCY.default);
    });

    it("name the input, what is wrong and what is valid", () => {
        assert.equal(optionProblem("concurrency", 0), "concurrency must be an integer from 1 to 16, got 0");
        assert.equal(optionProblem("concurrency", 17, "--concurrency"), "--concurrency must be an integer from 1 to 16, got 17");
        assert.equal(optionProblem("concurrency", 2.5), "concurrency must be an integer from 1 to 16, got 2.5");
        assert.equal(optionProblem("schema", "replace"), 'schema must be create or existing, got "replace"');
        assert.equal(optionProblem("enumAs", "domain"), 'enumAs must be type or check, got "domain"');
        assert.match(optionProblem("columns", { "t.c": { transform: "rot13" } }) ?? "", /column override t\.c: unknown transform "rot13" \(one of hex-to-bytea, /);
        assert.match(optionProblem("columns", { nodot: {} }) ?? "", /column override key "nodot" is not table\.column/);
        for (const ok of [1, 16]) assert.equal(optionProblem("concurrency", ok), undefined);
        assert.equal(optionProblem("concurrency", undefined), undefined, "undefined takes the default");
    });

    it("skip values the caller cannot check yet (the resource's unknowns during preview)", () => {
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        assert.deepEqual(optionProblems({ concurrency: unknown as unknown as number, schema: "create" }, (v) => v === unknown), []);
        assert.deepEqual(optionProblems({ concurrency: 99 }).map((p) => p.property), ["concurrency"]);
    });

    it("are refused by the engine instead of clamped (it used to run concurrency 99 as 16)", async () => {
        assert.throws(() => resolveOptions({ ...URLS, concurrency: 99 }), (e: MigrationError) => e.kind === "usage" && /concurrency must be an integer from 1 to 16, got 99/.test(e.message));
        assert.throws(() => resolveOptions({ ...URLS, concurrency: 0 }), /got 0/);
        // Refused before any connection is attempted (these URLs point at closed ports), without leaking secrets.
        await assert.rejects(migrate({ ...URLS, concurrency: 99, from: "http://u:secret-pw@x/db" }), (e: MigrationError) => {
            assert.equal(e.kind, "usage");
            assert.match(e.message, /the source URL must start with mysql:\/\//);
            assert.ok(!e.message.includes("secret-pw"));
            return true;
        });
    });
});

describe("value ranges decided before any row is written", () => {
    const column = (dataType: string, columnType: string, extra = ""): SourceColumn => ({
        name: "c", ordinal: 1, dataType, columnType, nullable: true, default: null, extra, charset: null, charMaxLength: null, numericPrecision: null, numericScale: null, datetimePrecision: 0, comment: "", isJson: false,
    });
    const probes = (col: SourceColumn, type: string, coercion: Parameters<typeof columnProbes>[0]["coercion"]) =>
        columnProbes({ mode: "create", table: "events", where: "events", col, target: { name: "c", type: parsePgType(type), nullable: true }, coercion, selectExpr: "`c`" });

    it("TIME into time: values outside 00:00–24:00 are reported with the interval override", () => {
        const [p] = probes(column("time", "time"), "time", "time");
        assert.match(p.expr, /< '00:00:00' OR `c` > '24:00:00'/);
        assert.equal(p.evaluate("0,00:00:00,23:59:59"), undefined);
        assert.equal(p.evaluate(null), undefined);
        assert.match(p.evaluate("2,-838:59:59,838:59:59") ?? "", /^events\.c: 2 TIME value\(s\) outside 00:00:00\.\.24:00:00.*from -838:59:59 to 838:59:59.*--column events\.c=interval/);
        assert.deepEqual(probes(column("time", "time"), "interval", "time"), [], "interval holds every TIME");
    });

    it("BIGINT UNSIGNED into a bigint identity: values past 2^63-1 are reported with numeric(20)", () => {
        const [p] = probes(column("bigint", "bigint(20) unsigned", "auto_increment"), "bigint", "number");
        assert.equal(p.evaluate("0,9223372036854775807"), undefined);
        assert.match(p.evaluate("1,18446744073709551615") ?? "", /events: c ranges 1\.\.18446744073709551615, outside bigint: load it with --column events\.c=numeric\(20\)/);
        assert.deepEqual(probes(column("int", "int(10) unsigned"), "bigint", "number"), [], "int unsigned always fits bigint");
    });

    it("TINYINT(1) into boolean: values other than 0 and 1 are reported with smallint", () => {
        const [p] = probes(column("tinyint", "tinyint(1)"), "boolean", "bool");
        assert.equal(p.evaluate("0,0,1"), undefined);
        assert.match(p.evaluate("3,-1,2") ?? "", /events\.c: 3 TINYINT\(1\) value\(s\) other than 0 and 1 \(from -1 to 2\).*--column events\.c=smallint/);
    });

    it("JSON into jsonb: the \\u0000 escape is reported with json", () => {
        const col = { ...column("longtext", "longtext"), isJson: true };
        const [p] = probes(col, "jsonb", "json");
        assert.match(p.evaluate("1") ?? "", /events\.c: 1 JSON value\(s\) hold the escape \\u0000.*--column events\.c=json/);
        assert.deepEqual(probes(col, "json", "json"), []);
    });
});

// Type mapping, defaults, identifiers and planning (DDL for create mode, problems for existing mode). Pure.
import * as assert from "node:assert/strict";
import { parseDefault, setToArrayLiteral, translateDefault } from "./column-defaults";
import { NameAllocator, pgName, quoteIdent, quoteMyIdent } from "./identifiers";
import { planCreate, planExisting, translateIdentifiers, type PlanOptions } from "./plan";
import { coercionFor, defaultMapping, parseEnumLabels, parsePgType } from "./type-mapping";
import type { SourceCatalog, SourceColumn, SourceTable, TargetTable } from "./types";

function column(name: string, columnType: string, extra: Partial<SourceColumn> = {}): SourceColumn {
    const dataType = columnType.replace(/\(.*$/, "").replace(/ .*$/, "");
    const len = /^(?:var)?char\((\d+)\)/.exec(columnType);
    return {
        name,
        ordinal: 1,
        dataType,
        columnType,
        nullable: true,
        default: null,
        extra: "",
        charset: /char|text|enum|set/.test(dataType) ? "utf8mb4" : null,
        charMaxLength: len ? Number(len[1]) : null,
        numericPrecision: null,
        numericScale: null,
        datetimePrecision: null,
        comment: "",
        isJson: false,
        ...extra,
    };
}

function table(name: string, columns: SourceColumn[], extra: Partial<SourceTable> = {}): SourceTable {
    return { name, engine: "InnoDB", estimatedRows: 0, dataLength: 0, autoIncrement: null, columns, indexes: [], foreignKeys: [], checks: [], ...extra };
}

const options: PlanOptions = { targetSchema: "public", sourceTimeZone: "UTC", enumAs: "type", datetimeType: "timestamptz", identifierCase: "preserve", columns: {} };
const mapSql = (c: SourceColumn): string => defaultMapping(c, options, "t_c").type.sql;

describe("MySQL → PostgreSQL type mapping", () => {
    it("follows pgloader's defaults for integers, widening unsigned ones", () => {
        assert.equal(mapSql(column("a", "tinyint(1)")), "boolean");
        assert.equal(mapSql(column("a", "tinyint(4)")), "smallint");
        assert.equal(mapSql(column("a", "tinyint(3) unsigned")), "smallint");
        assert.equal(mapSql(column("a", "smallint(5) unsigned")), "integer");
        assert.equal(mapSql(column("a", "mediumint(8) unsigned")), "integer");
        assert.equal(mapSql(column("a", "int(10) unsigned")), "bigint");
        assert.equal(mapSql(column("a", "bigint(20) unsigned")), "numeric(20)");
        assert.equal(mapSql(column("a", "bigint(20)")), "bigint");
    });

    it("makes AUTO_INCREMENT columns identities wide enough for their values", () => {
        const m = defaultMapping(column("id", "bigint(20) unsigned", { extra: "auto_increment" }), options, "x");
        assert.equal(m.type.sql, "bigint");
        assert.equal(m.identity, true);
        assert.equal(defaultMapping(column("id", "int(10) unsigned", { extra: "auto_increment" }), options, "x").type.sql, "bigint");
    });

    it("maps the other MySQL types", () => {
        assert.equal(mapSql(column("a", "decimal(10,2)", { numericPrecision: 10, numericScale: 2 })), "numeric(10,2)");
        assert.equal(mapSql(column("a", "float")), "real");
        assert.equal(mapSql(column("a", "double")), "double precision");
        assert.equal(mapSql(column("a", "bit(1)")), "boolean");
        assert.equal(mapSql(column("a", "bit(8)")), "bit varying(8)");
        assert.equal(mapSql(column("a", "varchar(20)")), "varchar(20)");
        assert.equal(mapSql(column("a", "char(3)")), "varchar(3)");
        assert.equal(mapSql(column("a", "longtext")), "text");
        assert.equal(mapSql(column("a", "varbinary(16)", { charset: null })), "bytea");
        assert.equal(mapSql(column("a", "blob", { charset: null })), "bytea");
        assert.equal(mapSql(column("a", "set('a','b')")), "text[]");
        assert.equal(mapSql(column("a", "year(4)")), "integer");
        assert.equal(mapSql(column("a", "date")), "date");
        assert.equal(mapSql(column("a", "datetime(6)", { datetimePrecision: 6 })), "timestamptz(6)");
        assert.equal(mapSql(column("a", "timestamp")), "timestamptz");
        assert.equal(mapSql(column("a", "time(3)", { datetimePrecision: 3 })), "time(3)");
        assert.equal(mapSql(column("a", "longtext", { isJson: true })), "jsonb");
        assert.equal(mapSql(column("a", "point")), "point");
        assert.equal(mapSql(column("a", "linestring")), "path");
        assert.equal(mapSql(column("a", "polygon")), "text");
        assert.equal(defaultMapping(column("a", "datetime"), { ...options, datetimeType: "timestamp" }, "x").type.sql, "timestamp");
    });

    it("parses ENUM labels with quotes, commas and unicode", () => {
        assert.deepEqual(parseEnumLabels("enum('a','b''c','d,e','Étudiant')"), ["a", "b'c", "d,e", "Étudiant"]);
        assert.deepEqual(parseEnumLabels("set('')"), [""]);
    });

    it("parses PostgreSQL type names as written in overrides and catalogs", () => {
        assert.deepEqual(parsePgType("varchar(20)"), { udt: "varchar", sql: "varchar(20)", length: 20 });
        assert.equal(parsePgType("character varying(20)").udt, "varchar");
        assert.equal(parsePgType("timestamp(3) with time zone").udt, "timestamptz");
        assert.equal(parsePgType("timestamp without time zone").udt, "timestamp");
        assert.equal(parsePgType("text[]").udt, "_text");
        assert.deepEqual([parsePgType("numeric(10,2)").precision, parsePgType("numeric(10,2)").scale], [10, 2]);
    });

    it("chooses a conversion for each source/target pair, and refuses lossy ones", () => {
        const pick = (c: SourceColumn, t: string): string => {
            const r = coercionFor(c, parsePgType(t));
            return "error" in r ? `error: ${r.error}` : `${r.coercion} ${r.selectExpr}`;
        };
        assert.equal(pick(column("f", "float"), "real"), "float4 (`f` + 0E0)");
        assert.equal(pick(column("b", "bit(1)"), "boolean"), "bool CAST(`b` AS UNSIGNED)");
        assert.equal(pick(column("u", "char(32)"), "uuid"), "uuid-text `u`");
        assert.equal(pick(column("u", "binary(16)", { charset: null }), "uuid"), "uuid-binary `u`");
        assert.equal(pick(column("d", "bigint(20)"), "interval"), "interval-microseconds `d`");
        assert.equal(pick(column("g", "geometry"), "text"), "text ST_AsText(`g`)");
        assert.match(pick(column("d", "datetime"), "date"), /error: .*time of day would be lost/);
        assert.match(pick(column("t", "varchar(10)"), "boolean"), /error/);
    });
});

describe("column defaults", () => {
    it("reads MariaDB's quoted defaults and MySQL's bare ones", () => {
        assert.deepEqual(parseDefault("'it''s'", "MariaDB", ""), { kind: "literal", value: "it's" });
        assert.deepEqual(parseDefault("NULL", "MariaDB", ""), { kind: "none" });
        assert.deepEqual(parseDefault("current_timestamp(6)", "MariaDB", ""), { kind: "current_timestamp" });
        assert.deepEqual(parseDefault("b'0'", "MariaDB", ""), { kind: "bits", value: "0" });
        assert.deepEqual(parseDefault("uuid()", "MariaDB", ""), { kind: "expression", text: "uuid()" });
        assert.deepEqual(parseDefault("abc", "MySQL", ""), { kind: "literal", value: "abc" });
        assert.deepEqual(parseDefault("(uuid())", "MySQL", "default_generated"), { kind: "expression", text: "(uuid())" });
    });

    it("translates defaults for the target type and drops zero dates", () => {
        const t = (raw: string, type: string) => translateDefault(parseDefault(raw, "MariaDB", ""), parsePgType(type));
        assert.deepEqual(t("'0000-00-00 00:00:00'", "timestamptz"), { dropped: "zero-date default 0000-00-00 00:00:00 (zero dates become NULL)" });
        assert.deepEqual(t("current_timestamp()", "timestamptz"), { sql: "CURRENT_TIMESTAMP" });
        assert.deepEqual(t("0", "boolean"), { sql: "false" });
        assert.deepEqual(t("b'1'", "boolean"), { sql: "true" });
        assert.deepEqual(t("-1", "integer"), { sql: "(-1)" });
        assert.deepEqual(t("'read,write'", "text[]"), { sql: `'{"read","write"}'::text[]` });
        assert.equal(setToArrayLiteral(""), "{}");
        assert.ok(t("uuid()", "text").dropped);
    });
});

describe("identifiers", () => {
    it("quotes reserved words, mixed case, spaces and quote characters", () => {
        assert.equal(quoteIdent("select"), '"select"');
        assert.equal(quoteIdent('we "quote"'), '"we ""quote"""');
        assert.equal(quoteMyIdent("a`b"), "`a``b`");
        assert.equal(translateIdentifiers("`age` between 18 and 99", new Map([["age", "Age"]])), '"Age" between 18 and 99');
    });

    it("keeps generated names within 63 bytes and unique", () => {
        const long = "é".repeat(40);
        assert.ok(Buffer.byteLength(pgName(long)) <= 63);
        const names = new NameAllocator();
        assert.equal(names.allocate("t_idx"), "t_idx");
        assert.equal(names.allocate("t_idx"), "t_idx_2");
        assert.notEqual(pgName(`${"a".repeat(70)}1`), pgName(`${"a".repeat(70)}2`));
    });
});

describe("planning", () => {
    const catalog: SourceCatalog = { database: "d", flavor: "MariaDB", version: "10.11", tables: [], unsupported: [] };

    it("creates tables nullable where zero dates may arrive and restores NOT NULL after the load", () => {
        const t = table("events", [
            column("id", "int(11)", { extra: "auto_increment", nullable: false }),
            column("at", "datetime", { nullable: false, default: "'0000-00-00 00:00:00'" }),
            column("kind", "enum('a','b')", { nullable: false, default: "'a'" }),
        ], { indexes: [{ name: "PRIMARY", unique: true, primary: true, kind: "BTREE", columns: [{ name: "id", subPart: null }] }] });
        const [plan] = planCreate(catalog, [t], options);
        const ddl = plan.ddl!;
        assert.match(ddl.createTable, /"id" integer GENERATED BY DEFAULT AS IDENTITY NOT NULL/);
        assert.match(ddl.createTable, /"at" timestamptz,/);
        assert.deepEqual(ddl.notNullAfterLoad, ["at"]);
        assert.equal(ddl.enumTypes[0].sql, `CREATE TYPE "public"."events_kind" AS ENUM ('a', 'b')`);
        assert.match(ddl.createTable, /"kind" "public"."events_kind" NOT NULL DEFAULT 'a'/);
        assert.equal(ddl.primaryKey?.sql, `ALTER TABLE "public"."events" ADD CONSTRAINT "events_pkey" PRIMARY KEY ("id")`);
        assert.deepEqual(plan.keyColumns, [0]);
    });

    it("turns prefix, FULLTEXT and composite indexes into PostgreSQL indexes, FKs into NOT VALID + VALIDATE", () => {
        const parent = table("parent", [column("id", "int(11)", { nullable: false })]);
        const child = table("child", [column("a", "int(11)"), column("b", "varchar(300)"), column("body", "text")], {
            indexes: [
                { name: "ab", unique: true, primary: false, kind: "BTREE", columns: [{ name: "a", subPart: null }, { name: "b", subPart: 10 }] },
                { name: "ft", unique: false, primary: false, kind: "FULLTEXT", columns: [{ name: "body", subPart: null }] },
            ],
            foreignKeys: [{ name: "fk_parent", columns: ["a"], referencedTable: "parent", referencedColumns: ["id"], onUpdate: "CASCADE", onDelete: "SET NULL" }],
        });
        const plans = planCreate(catalog, [parent, child], options);
        const ddl = plans[1].ddl!;
        assert.equal(ddl.indexes[0].sql, `CREATE UNIQUE INDEX "child_ab" ON "public"."child" ("a", (left("b", 10)))`);
        assert.match(ddl.indexes[1].sql, /USING gin \(to_tsvector\('simple', coalesce\("body", ''\)\)\)/);
        assert.match(ddl.foreignKeys[0].add, /FOREIGN KEY \("a"\) REFERENCES "public"."parent" \("id"\) ON UPDATE CASCADE ON DELETE SET NULL NOT VALID$/);
    });

    it("applies per-column overrides", () => {
        const t = table("hex", [column("raw", "varchar(255)"), column("gone", "int(11)")]);
        const [plan] = planCreate(catalog, [t], { ...options, columns: { "hex.raw": { type: "bytea", transform: "hex-to-bytea" }, "hex.gone": { skip: true } } });
        assert.equal(plan.columns.length, 1);
        assert.equal(plan.columns[0].coercion, "hex-to-bytea");
        assert.match(plan.ddl!.createTable, /"raw" bytea/);
    });

    it("reports missing and unconvertible columns in existing mode, and probes narrowing ones", () => {
        const source = table("app_item", [column("id", "int(11)", { nullable: false }), column("name", "varchar(200)"), column("extra", "int(11)"), column("at", "datetime")]);
        const target: TargetTable = {
            name: "app_item",
            columns: [
                { name: "id", type: parsePgType("integer"), nullable: false, hasDefault: false, identity: true, sequence: "public.app_item_id_seq" },
                { name: "name", type: parsePgType("varchar(50)"), nullable: false, hasDefault: false, identity: false, sequence: null },
                { name: "at", type: parsePgType("date"), nullable: true, hasDefault: false, identity: false, sequence: null },
                { name: "must", type: parsePgType("text"), nullable: false, hasDefault: false, identity: false, sequence: null },
            ],
            foreignKeys: [],
        };
        const plan = planExisting(source, target, options);
        assert.ok(plan.problems.some((p) => /source column extra .* has no column/.test(p)));
        assert.ok(plan.problems.some((p) => /at → at: cannot convert MySQL datetime to PostgreSQL date/.test(p)));
        assert.ok(plan.problems.some((p) => /target column must is NOT NULL without a default/.test(p)));
        const nameProbes = plan.probes.filter((p) => p.column === "name");
        assert.equal(nameProbes.length, 2); // NULLs into NOT NULL, and length.
        assert.match(nameProbes.map((p) => p.evaluate("120")).join(" "), /values of 120 characters but name is varchar\(50\)/);
        assert.equal(nameProbes[1].evaluate("50"), undefined);
        assert.deepEqual(plan.sequences, [{ column: "id", sequence: "public.app_item_id_seq", identity: true, autoIncrement: null }]);
    });
});

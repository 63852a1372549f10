// Unit tests of the dump reader's pure parts: the streaming tokenizer/statement parser, the DDL reader and the value
// conversions (no files, no servers).
import * as assert from "node:assert/strict";
import { classifyStatement, parseCreateTable } from "./dump-ddl";
import { DumpParser, DumpSyntaxError, ValueKind, stripComments, type DumpHandler, type ParserState } from "./dump-parser";
import { Aggregate, converterFor, convertValue, geometryToWkt, ValueOut } from "./dump-values";
import type { SourceColumn } from "./types";

interface Parsed {
    statements: string[];
    inserts: { table: string; columns: string[] | null; line: number; state: ParserState }[];
    rows: { table: string; line: number; values: (string | null)[]; kinds: number[] }[];
    comments: string[];
}

/**
 * Parses `text` pushed in chunks of `chunk` bytes (1 = every split point). `reuse`: every chunk is copied into one
 * buffer that is overwritten after each push, as the file reader does. `mask`: what insert() returns.
 */
function parse(text: string | Buffer, chunk = 1 << 20, options: { reuse?: boolean; mask?: Uint8Array } = {}): Parsed {
    const out: Parsed = { statements: [], inserts: [], rows: [], comments: [] };
    let table = "";
    const handler: DumpHandler = {
        comment: (t) => void out.comments.push(t),
        statement: (sql) => void out.statements.push(sql),
        insert(t, columns, line, _offset, state) {
            table = t;
            out.inserts.push({ table: t, columns, line, state: { ...state } });
            return options.mask ?? true;
        },
        row(row, line) {
            const values: (string | null)[] = [];
            const kinds: number[] = [];
            for (let i = 0; i < row.count; i++) {
                kinds.push(row.kinds[i]);
                values.push(row.kinds[i] === ValueKind.Null ? null : row.kinds[i] === ValueKind.Bytes || row.kinds[i] === ValueKind.Bits ? `0x${row.buf.toString("hex", row.starts[i], row.ends[i])}` : row.buf.toString("utf8", row.starts[i], row.ends[i]));
            }
            out.rows.push({ table, line, values, kinds });
        },
        insertEnd: () => undefined,
    };
    const p = new DumpParser(handler);
    const data = Buffer.isBuffer(text) ? text : Buffer.from(text);
    const scratch = Buffer.alloc(chunk);
    for (let i = 0; i < data.length; i += chunk) {
        if (!options.reuse) {
            p.push(data.subarray(i, i + chunk));
            continue;
        }
        const n = data.copy(scratch, 0, i, i + chunk);
        p.push(scratch.subarray(0, n));
        scratch.fill(0x27); // Quotes everywhere: a parser still reading the old chunk would misread the dump.
    }
    p.end();
    return out;
}

const DUMP = `/*M!999999\\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.18-MariaDB
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET TIME_ZONE='+00:00' */;
# a hash comment; with a semicolon
DROP TABLE IF EXISTS \`t\`;
CREATE TABLE \`t\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  \`s\` varchar(20) DEFAULT 'a;b',
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
LOCK TABLES \`t\` WRITE;
/*!40000 ALTER TABLE \`t\` DISABLE KEYS */;
INSERT INTO \`t\` VALUES
(1,'it''s \\'quoted\\' \\"x\\"'),(2,'\\0\\b\\n\\r\\t\\Z\\\\\\%\\_'),
(3,NULL),(4,_binary 'bin'),(5,0x00FF10),(6,b'101'),(7,-1.5e-3),(8,x'CAFE'),(9,_latin1'\u00e9');
/*!40000 ALTER TABLE \`t\` ENABLE KEYS */;
UNLOCK TABLES;
INSERT INTO \`t\` (\`s\`, \`id\`) VALUES ('x;y', 10);
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=\`root\`@\`localhost\`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.s = 'a;'; END */;;
DELIMITER ;
-- Dump completed on 2026-01-01
`;

describe("dump reader (pure parts)", () => {
    it("reads statements, rows, escapes, literals, comments, conditional comments and DELIMITER, whatever the chunking", () => {
        const whole = parse(DUMP);
        for (const chunk of [1, 2, 3, 7, 64]) {
            assert.deepEqual(parse(DUMP, chunk), whole, `chunks of ${chunk}`);
            assert.deepEqual(parse(DUMP, chunk, { reuse: true }), whole, `chunks of ${chunk} in a reused buffer`);
        }
        assert.deepEqual(whole.rows.map((r) => r.values), [
            ["1", `it's 'quoted' "x"`],
            ["2", "\0\b\n\r\t\u001a\\\\%\\_"],
            ["3", null],
            ["4", "0x62696e"],
            ["5", "0x00ff10"],
            ["6", "0x05"],
            ["7", "-1.5e-3"],
            ["8", "0xcafe"],
            ["9", "é"],
            ["x;y", "10"],
        ]);
        assert.equal(whole.rows[8].kinds[1], ValueKind.Latin1);
        assert.equal(whole.rows[5].kinds[1], ValueKind.Bits);
        assert.equal(whole.rows[0].kinds[0], ValueKind.Number);
        assert.deepEqual(whole.inserts.map((i) => [i.table, i.columns, i.line]), [["t", null, 14], ["t", ["s", "id"], 19]]);
        assert.equal(whole.rows[2].line, 16, "rows carry their own line");
        assert.equal(whole.inserts[0].state.timeZone, "+00:00");
        assert.equal(whole.inserts[0].state.names, "utf8mb4");
        assert.ok(whole.statements.some((s) => /^CREATE\s+DEFINER=`root`@`localhost`\s+TRIGGER tr BEFORE INSERT ON t .* END$/s.test(s)), whole.statements.join("\n"));
        assert.ok(whole.statements.includes("SET NAMES utf8mb4"));
        assert.ok(!whole.statements.some((s) => s.includes("sandbox")), "/*M!999999 … */ is not executed");
        assert.ok(whole.comments.includes("Dump completed on 2026-01-01"));
    });

    it("unescapes only the values an INSERT's mask asks for, and still counts every value of every row", () => {
        const whole = parse(DUMP);
        for (const chunk of [1, 5, 1 << 20]) {
            const masked = parse(DUMP, chunk, { mask: Uint8Array.of(0, 1) });
            assert.deepEqual(masked.rows.map((r) => r.kinds), whole.rows.map((r) => r.kinds), "every value's kind");
            assert.deepEqual(masked.rows.map((r) => r.values[1]), whole.rows.map((r) => r.values[1]), "the wanted values, exact");
            assert.ok(masked.rows.every((r) => r.values[0] === null || r.values[0] === ""), "the others are skipped, not unescaped");
        }
    });

    it("follows SET sql_mode (NO_BACKSLASH_ESCAPES, ANSI_QUOTES) and SET NAMES", () => {
        const r = parse(`SET sql_mode = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES';\nSET NAMES latin1;\nINSERT INTO "t" ("a") VALUES ('C:\\dir''s');\n`);
        assert.deepEqual(r.rows[0].values, ["C:\\dir's"]);
        assert.deepEqual(r.inserts[0].columns, ["a"]);
        assert.equal(r.inserts[0].state.names, "latin1");
    });

    it("fails on a truncated dump and on what it cannot read, with the line and the table", () => {
        const cut = DUMP.slice(0, DUMP.indexOf("(3,NULL)") + 4);
        assert.throws(() => parse(cut), (e: DumpSyntaxError) => e instanceof DumpSyntaxError && e.table === "t" && e.line === 16 && /ends in the middle of an INSERT into t/.test(e.message));
        assert.throws(() => parse(DUMP.replace("(3,NULL)", "(3,NUL)")), (e: DumpSyntaxError) => e.table === "t" && e.line === 16 && /cannot read the value "NUL"/.test(e.message));
        assert.throws(() => parse(DUMP.replace("(3,NULL)", "(3 NULL)")), (e: DumpSyntaxError) => e.line === 16 && /expected "," or "\)"/.test(e.message));
        assert.throws(() => parse("CREATE TABLE t (a int"), /ends in the middle of a statement/);
        assert.throws(() => parse("INSERT INTO t SELECT 1;"), /INSERT … SELECT cannot be read/);
        assert.equal(classifyStatement("FROBNICATE x").kind, "unknown");
    });

    it("strips comments and inlines conditional ones", () => {
        assert.equal(stripComments("/*!40101 SET NAMES utf8mb4 */"), "SET NAMES utf8mb4");
        assert.equal(stripComments("SELECT 1 /* no */ -- x\n, '/* kept */'"), "SELECT 1   \n, '/* kept */'");
        assert.equal(stripComments("/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`a`@`b` SQL SECURITY DEFINER */ /*!50001 VIEW `v` AS select 1 */"), "CREATE ALGORITHM=UNDEFINED   DEFINER=`a`@`b` SQL SECURITY DEFINER   VIEW `v` AS select 1");
    });

    it("classifies views, triggers, routines and events; reads CREATE TABLE into information_schema's terms", () => {
        assert.deepEqual(classifyStatement("CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW `film_list` AS select 1"), { kind: "view", name: "film_list" });
        assert.deepEqual(classifyStatement("CREATE DEFINER=`root`@`localhost` TRIGGER `ins_film` AFTER INSERT ON `film` FOR EACH ROW BEGIN END"), { kind: "trigger", name: "ins_film", table: "film" });
        assert.equal(classifyStatement("CREATE DEFINER=`root`@`localhost` FUNCTION `f`(x int) RETURNS int RETURN 1").kind, "function");
        assert.equal(classifyStatement("/*!40000 ALTER TABLE `t` DISABLE KEYS */".replace(/\/\*!40000|\*\//g, "")).kind, "ignored");
        const t = parseCreateTable(
            "CREATE TABLE `e` (\n `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n `k` enum('a','b''c') NOT NULL DEFAULT 'a',\n `p` decimal(10,2) DEFAULT NULL COMMENT 'price',\n `j` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`j`)),\n `u` timestamp(3) NOT NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3),\n PRIMARY KEY (`id`),\n UNIQUE KEY `k_p` (`k`,`p`),\n KEY `pre` (`j`(10)),\n CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `other` (`oid`) ON DELETE CASCADE\n) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=latin1",
            "MariaDB",
        );
        assert.equal(t.autoIncrement, 42);
        assert.deepEqual(t.columns.map((c) => [c.name, c.dataType, c.columnType, c.nullable, c.default, c.extra, c.charset, c.charMaxLength, c.numericPrecision, c.numericScale, c.datetimePrecision, c.isJson]), [
            ["id", "bigint", "bigint(20) unsigned", false, null, "auto_increment", null, null, 20, 0, null, false],
            ["k", "enum", "enum('a','b''c')", false, "'a'", "", "latin1", 3, null, null, null, false],
            ["p", "decimal", "decimal(10,2)", true, "NULL", "", null, null, 10, 2, null, false],
            ["j", "longtext", "longtext", true, "NULL", "", "utf8mb4", 4294967295, null, null, null, true],
            ["u", "timestamp", "timestamp(3)", false, "current_timestamp(3)", "on update current_timestamp(3)", null, null, null, null, 3, false],
        ]);
        assert.equal(t.columns[2].comment, "price");
        assert.deepEqual(t.indexes.map((i) => [i.name, i.unique, i.primary, i.columns]), [
            ["k_p", true, false, [{ name: "k", subPart: null }, { name: "p", subPart: null }]],
            ["pre", false, false, [{ name: "j", subPart: 10 }]],
            ["PRIMARY", true, true, [{ name: "id", subPart: null }]],
        ]);
        assert.deepEqual(t.foreignKeys, [{ name: "fk", columns: ["id"], referencedTable: "other", referencedColumns: ["oid"], onUpdate: "RESTRICT", onDelete: "CASCADE" }]);
        assert.deepEqual(t.checks, [{ name: "j", clause: "json_valid(`j`)" }]);
    });

    it("turns dump literals into what the server sends for the copy's select expressions", () => {
        const col = (over: Partial<SourceColumn>): SourceColumn => ({ name: "c", ordinal: 1, dataType: "int", columnType: "int(11)", nullable: true, default: null, extra: "", charset: null, charMaxLength: null, numericPrecision: null, numericScale: null, datetimePrecision: null, comment: "", isJson: false, ...over });
        const convert = (c: SourceColumn, expr: string, text: string, names = "utf8mb4", zone: string | null = "+00:00"): string | null => {
            let got: string | null = null;
            const p = new DumpParser({
                statement: () => undefined,
                insert: () => true,
                row: (row) => {
                    const out = new ValueOut();
                    got = convertValue(row, 0, converterFor(c, expr, "MariaDB", zone), names, out) ? out.buf.toString("latin1", 0, out.pos) : null;
                },
                insertEnd: () => undefined,
            });
            p.push(Buffer.from(`INSERT INTO t VALUES (${text});`, "latin1"));
            p.end();
            return got;
        };
        const float = col({ dataType: "float", columnType: "float" });
        assert.equal(convert(float, "(`c` + 0E0)", "3.40282e38"), "3.402820018375656e38");
        const bit = col({ dataType: "bit", columnType: "bit(12)", numericPrecision: 12 });
        assert.equal(convert(bit, "CAST(`c` AS UNSIGNED)", "'\n\u00aa'"), "2730");
        assert.equal(convert(bit, "CAST(`c` AS UNSIGNED)", "0x0AAA"), "2730");
        assert.equal(convert(bit, "LPAD(BIN(`c`), 12, '0')", "b'101010101010'"), "101010101010");
        assert.equal(convert(bit, "`c`", "b'1'"), "\u0000\u0001", "a BIT read as itself is as wide as the column");
        assert.equal(convert(col({ dataType: "varchar", columnType: "varchar(5)", charset: "utf8mb4" }), "`c`", "'\u0080'", "latin1"), Buffer.from("€").toString("latin1"), "SET NAMES latin1 is cp1252");
        assert.equal(convert(col({ dataType: "timestamp", columnType: "timestamp" }), "`c`", "'2020-01-01 01:30:00'", "utf8mb4", "+02:00"), "2019-12-31 23:30:00");
        assert.equal(convert(col({}), "`c`", "NULL"), null);
        const point = Buffer.concat([Buffer.alloc(4), Buffer.from([1, 1, 0, 0, 0]), Buffer.from(new Float64Array([1.5, -2.25]).buffer)]);
        assert.equal(geometryToWkt(point), "POINT(1.5 -2.25)");
        const poly = Buffer.concat([Buffer.alloc(4), Buffer.from([1, 3, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0]), Buffer.from(new Float64Array([0, 0, 4, 0, 4, 4, 0, 0]).buffer)]);
        assert.equal(geometryToWkt(poly), "POLYGON((0 0,4 0,4 4,0 0))");
    });

    it("computes the probes' aggregates as the server's SQL returns them", () => {
        const agg = (kind: "outside-time" | "not-bool" | "min-max" | "nulls", values: (string | null)[]): string | null => {
            const a = new Aggregate({ kind });
            for (const v of values) a.add(v);
            return a.result();
        };
        assert.equal(agg("outside-time", ["01:00:00", "838:59:59", null, "-12:00:00.500"]), "2,-12:00:00.500,838:59:59");
        assert.equal(agg("not-bool", ["0", "1", "2", "-128"]), "2,-128,2");
        assert.equal(agg("min-max", ["1", "18446744073709551615", "5"]), "1,18446744073709551615");
        assert.equal(agg("min-max", [null]), null);
        assert.equal(agg("nulls", [null, "1"]), "1");
        assert.equal(agg("nulls", []), null);
    });
});

// The hot path's pure parts: COPY text escaping, value conversions, zero dates, and the checksum both sides compute.
import * as assert from "node:assert/strict";
import { CopyTextParser, TableHasher, canonicalNumeric, canonicalString, mixCanonical, parsePgArray, stableJson } from "./checksum";
import { CopyBuffer, encodeRow, encodeValue, isZeroDate, wktToPg, type ColumnState } from "./copy-encode";
import type { Canon, Coercion } from "./types";

const NO_ECHO = { echoCount: 0, keyEchoCount: 0 };

function col(coercion: Coercion, canon: Canon = "identity"): ColumnState {
    return { coercion, canon, echo: false, utcSuffix: false, key: false, zeroDates: 0, nulBytes: 0, name: "c" };
}

/** Encodes one value and returns the COPY text written. */
function encode(value: Buffer | string | null, coercion: Coercion, canon: Canon = "identity", state = col(coercion, canon)): string {
    const out = new CopyBuffer(16);
    const h = new TableHasher();
    encodeValue(typeof value === "string" ? Buffer.from(value, "utf8") : value, out, h, state);
    return out.take().toString("utf8");
}

/** Decodes one COPY text field the way PostgreSQL does (text format). */
function pgDecode(field: string): string | null {
    let value: string | null = null;
    new CopyTextParser(NO_ECHO, () => undefined, (_i, buf, s, e) => (value = buf === null ? null : buf.toString("utf8", s, e)), () => undefined).push(Buffer.from(`${field}\n`));
    return value;
}

describe("COPY text encoding", () => {
    it("keeps NULL and the literal string \\N apart", () => {
        assert.equal(encode(null, "text"), "\\N");
        assert.equal(encode("\\N", "text"), "\\\\N");
        assert.equal(pgDecode(encode("\\N", "text")), "\\N");
        assert.equal(pgDecode(encode(null, "text")), null);
    });

    it("escapes tabs, newlines, carriage returns and backslashes so they round-trip", () => {
        const nasty = "a\tb\nc\rd\\e\\\\f\u000bg\fh";
        const text = encode(nasty, "text");
        assert.ok(!/[\t\n\r]/.test(text), "no raw delimiter may remain");
        assert.equal(pgDecode(text), nasty);
    });

    it("copies long plain runs and multibyte text (emoji) unchanged", () => {
        const long = `${"x".repeat(1000)}😀é\t${"y".repeat(100)}`;
        assert.equal(pgDecode(encode(long, "text")), long);
    });

    it("strips NUL bytes from text and counts them", () => {
        const state = col("text");
        assert.equal(encode(Buffer.from([0x61, 0, 0x62, 0, 0]), "text", "identity", state), "ab");
        assert.equal(state.nulBytes, 3);
    });

    it("writes bytea as hex covering all 256 byte values", () => {
        const all = Buffer.from(Array.from({ length: 256 }, (_v, i) => i));
        const text = encode(all, "bytea");
        assert.equal(text, `\\\\x${all.toString("hex")}`);
        assert.equal(encode(Buffer.alloc(0), "bytea"), "\\\\x");
    });

    it("turns zero and partly-zero dates into NULL and counts them", () => {
        const state = col("datetime", "timestamp");
        assert.equal(encode("0000-00-00 00:00:00", "datetime", "timestamp", state), "\\N");
        assert.equal(encode("2010-00-15", "date", "identity", state), "\\N");
        assert.equal(encode("2024-01-31 10:00:00.500000", "datetime", "timestamp", state), "2024-01-31 10:00:00.500000");
        assert.equal(state.zeroDates, 2);
        assert.ok(isZeroDate(Buffer.from("0000-01-01")));
        assert.ok(!isZeroDate(Buffer.from("2000-01-01")));
    });

    it("sends MySQL TIMESTAMP values (read as UTC) with an explicit offset", () => {
        assert.equal(encode("2024-06-01 12:00:00", "timestamp", "timestamp"), "2024-06-01 12:00:00+00");
    });

    it("maps tinyint and bit values to booleans: 0 is false, anything else true", () => {
        assert.equal(encode("0", "bool"), "f");
        assert.equal(encode("1", "bool"), "t");
        assert.equal(encode("2", "bool"), "t");
        assert.equal(encode("-1", "bool"), "t");
    });

    it("turns SET values into text[] literals, empty set included", () => {
        assert.equal(pgDecode(encode("read,write", "set-array", "array")), '{"read","write"}');
        assert.equal(encode("", "set-array", "array"), "{}");
        assert.deepEqual(parsePgArray('{read,"a b","q\\"x",NULL}'), ["read", "a b", 'q"x', null]);
    });

    it("converts binary UUIDs, binary IP addresses and hex text", () => {
        assert.equal(encode(Buffer.from("a3cda7d500a64111814659127a8d5e42", "hex"), "uuid-binary", "uuid"), "a3cda7d5-00a6-4111-8146-59127a8d5e42");
        assert.equal(encode(Buffer.from("7f000001", "hex"), "inet-binary", "lower"), "127.0.0.1");
        assert.equal(encode(Buffer.from("200107c00710c143d1676b49d48c2494", "hex"), "inet-binary", "lower"), "2001:7c0:710:c143:d167:6b49:d48c:2494");
        assert.equal(encode(Buffer.from("20010db8000000000000000000000001", "hex"), "inet-binary", "lower"), "2001:db8::1");
        assert.equal(encode(Buffer.alloc(0), "inet-binary", "lower"), "\\N");
        assert.equal(encode("0xCAFEBABE", "hex-to-bytea"), "\\\\xcafebabe");
        assert.equal(encode("", "hex-to-bytea"), "\\\\x");
        assert.throws(() => encode("xyz", "hex-to-bytea"), /hex digits/);
    });

    it("converts WKT points and linestrings to PostgreSQL geometric text", () => {
        assert.equal(wktToPg("POINT(1 2)", "point"), "(1,2)");
        assert.equal(wktToPg("LINESTRING(1 2,3.5 -4)", "path"), "[(1,2),(3.5,-4)]");
        assert.throws(() => wktToPg("POLYGON((0 0,1 1,1 0,0 0))", "point"), /not a POINT/);
    });

    it("sends Django durations (bigint microseconds) as intervals", () => {
        assert.equal(encode("1500000", "interval-microseconds", "numeric"), "1500000 microseconds");
    });
});

describe("content checksum", () => {
    function hashOf(values: (string | null)[], canons: Canon[]): string {
        const h = new TableHasher();
        values.forEach((v, i) => (v === null ? h.nul(false) : mixCanonical(h, canons[i], Buffer.from(v), 0, Buffer.byteLength(v), false)));
        h.endRow();
        return h.digest();
    }

    it("is independent of row order and sensitive to value boundaries", () => {
        const a = new TableHasher();
        const b = new TableHasher();
        for (const [h, rows] of [[a, ["x", "y"]], [b, ["y", "x"]]] as const) {
            for (const r of rows) {
                h.string(r, false);
                h.endRow();
            }
        }
        assert.equal(a.digest(), b.digest());
        assert.notEqual(hashOf(["ab", "c"], ["identity", "identity"]), hashOf(["a", "bc"], ["identity", "identity"]));
        assert.notEqual(hashOf([null], ["identity"]), hashOf([""], ["identity"]));
    });

    it("normalizes each type the way both servers print it", () => {
        assert.equal(hashOf(["1.50"], ["numeric"]), hashOf(["1.5"], ["numeric"]));
        assert.equal(hashOf(["2024-01-01 00:00:00.100000"], ["timestamp"]), hashOf(["2024-01-01 00:00:00.1"], ["timestamp"]));
        assert.equal(hashOf(["2024-01-01 00:00:00.000000"], ["timestamp"]), hashOf(["2024-01-01 00:00:00"], ["timestamp"]));
        assert.equal(hashOf(["1e300"], ["float8"]), hashOf(["1e+300"], ["float8"]));
        // A double as MySQL prints it and as PostgreSQL (extra_float_digits 1) prints the same value: different text.
        for (const [mysqlText, pgText] of [["1e-7", "1e-07"], ["1.7976931348623157e308", "1.7976931348623157e+308"], ["100000000000000000000", "1e+20"], ["2.2250738585072014e-308", "2.2250738585072014e-308"], ["-1.5", "-1.5"]]) {
            assert.equal(hashOf([mysqlText], ["float8"]), hashOf([pgText], ["float8"]), `${mysqlText} vs ${pgText}`);
        }
        assert.notEqual(hashOf(["0.30000000000000004"], ["float8"]), hashOf(["0.3"], ["float8"]), "one ulp apart is a difference");
        assert.equal(hashOf(['{"b":1, "a":[1,2]}'], ["json"]), hashOf(['{"a": [1, 2], "b": 1}'], ["json"]));
        assert.equal(hashOf(['{"read","write"}'], ["array"]), hashOf(["{read,write}"], ["array"]));
        assert.equal(hashOf(["A3CDA7D500A64111814659127A8D5E42"], ["uuid"]), hashOf(["a3cda7d5-00a6-4111-8146-59127a8d5e42"], ["uuid"]));
        assert.notEqual(hashOf(["1.51"], ["numeric"]), hashOf(["1.5"], ["numeric"]));
        assert.equal(canonicalNumeric("-0.000"), "0");
        assert.equal(canonicalNumeric("007.250"), "7.25");
        assert.equal(canonicalString("float4", "1.2345677614212036"), canonicalString("float4", "1.2345678"));
        assert.equal(stableJson({ b: [1, { d: 1, c: 2 }], a: null }), '{"a":null,"b":[1,{"c":2,"d":1}]}');
    });

    it("hashes strings and their UTF-8 bytes alike", () => {
        for (const s of ["", "abc", "abcdefgh", "é😀", "x".repeat(300)]) {
            const a = new TableHasher();
            const b = new TableHasher();
            a.string(s, true);
            b.bytes(Buffer.from(s), 0, Buffer.byteLength(s), true);
            a.endRow();
            b.endRow();
            assert.equal(a.digest(), b.digest(), s);
        }
    });

    it("parses PostgreSQL COPY output split across chunks", () => {
        const rows: (string | null)[][] = [];
        let row: (string | null)[] = [];
        const parser = new CopyTextParser(
            NO_ECHO,
            () => undefined,
            (_i, buf, s, e) => row.push(buf === null ? null : buf.toString("utf8", s, e)),
            () => {
                rows.push(row);
                row = [];
            },
        );
        const text = Buffer.from("1\ta\\tb\t\\N\n2\t\\\\N\té😀\n3\t\\012\t\n");
        for (let i = 0; i < text.length; i += 3) parser.push(text.subarray(i, i + 3));
        parser.end();
        assert.deepEqual(rows, [
            ["1", "a\tb", null],
            ["2", "\\N", "é😀"],
            ["3", "\n", ""],
        ]);
    });

    it("hashes echo rows identically whether encoded from MySQL values or read back from PostgreSQL's COPY output", () => {
        const echo = (coercion: Coercion, key = false, utcSuffix = false): ColumnState => ({ ...col(coercion), echo: true, key, utcSuffix });
        const states = [echo("number", true), echo("text"), echo("datetime", false, true), echo("number"), echo("bool"), echo("bytea"), col("json", "json")];
        const layout = { echoCount: 6, keyEchoCount: 1 };
        const source = new TableHasher();
        const out = new CopyBuffer(8);
        const rows: (string | null)[][] = [
            ["1", "tab\there\u0008\u000b\u000c", "2024-01-01 10:00:00.500000", "1.50", "0", "ab", '{"b":1,"a":2}'],
            ["2", null, "0000-00-00 00:00:00", "2.00", "7", "", null],
        ];
        for (const r of rows) encodeRow(r.map((v) => (v === null ? null : Buffer.from(v))), out, source, states, layout);
        const sent = out.take().toString("utf8");
        // What PostgreSQL prints for these rows (COPY … TO STDOUT of the verification expressions, written out by hand
        // from PostgreSQL's output rules, not derived from what we sent): int, text, timestamptz in a UTC session,
        // trim_scale(numeric), boolean, bytea (hex), jsonb (keys sorted, ", " and ": ").
        const printed = [
            '1\ttab\\there\\b\\v\\f\t2024-01-01 10:00:00.5+00\t1.5\tf\t\\\\x6162\t{"a": 2, "b": 1}',
            "2\t\\N\t\\N\t2\tt\t\\\\x\t\\N",
            "",
        ].join("\n");
        assert.equal(sent.split("\n")[0].split("\t").slice(0, 6).join("\t"), printed.split("\n")[0].split("\t").slice(0, 6).join("\t"));
        const target = new TableHasher();
        const parser = new CopyTextParser(
            layout,
            (buf, s, k, e) => {
                target.keyOnly(buf, s, k);
                target.bytes(buf, s, e, false);
            },
            (i, buf, s, e) => (buf === null ? target.nul(false) : mixCanonical(target, states[i].canon, buf, s, e, false)),
            () => target.endRow(),
        );
        parser.push(Buffer.from(printed));
        parser.end();
        assert.equal(target.rows, 2);
        assert.equal(target.digest(), source.digest());
        assert.deepEqual(target.differingBuckets(source), []);
        assert.equal(states[2].zeroDates, 1);
    });

    it("narrows differences to buckets", () => {
        const a = new TableHasher();
        const b = new TableHasher();
        for (let i = 0; i < 100; i++) {
            for (const h of [a, b]) {
                h.string(String(i), true);
                h.string(h === b && i === 42 ? "changed" : "same", false);
                h.endRow();
            }
        }
        assert.notEqual(a.digest(), b.digest());
        assert.equal(a.differingBuckets(b).length, 1);
    });
});

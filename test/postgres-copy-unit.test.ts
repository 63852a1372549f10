// The copy engine's pure parts: COPY text rows ↔ Row, pg_dump's text split into entries and post-data phases, the
// ctid range plan, checksum sums of ranges, and the target guards' decisions.
import * as assert from "node:assert/strict";
import { RawCopyOut, sumDigest } from "../components/data/postgres-copy/copy";
import { targetRefusal } from "../components/data/postgres-copy/guards";
import { addDigests, EMPTY_DIGEST, planUnits, rangeCondition } from "../components/data/postgres-copy/ranges";
import { decodeRow, encodeRow } from "../components/data/postgres-copy/row-codec";
import { foreignKeyTables, parseDump, planPostData, withSeparateIndexBuild, withSeparateValidation, type PostDataStep } from "../components/data/postgres-copy/schema";
import type { DataTable } from "../components/data/postgres-copy/catalog";

describe("copy-db engine, pure parts", () => {
    it("decodes and re-encodes COPY text rows: every escape, NULL, a literal \\N string, UTF-8", () => {
        const values = [null, "\\N", "tab\there", "new\nline", "cr\rx", "back\\slash", "é☃", "", "\b\f\v"];
        const line = encodeRow(values);
        assert.equal(line, "\\N\t\\\\N\ttab\\there\tnew\\nline\tcr\\rx\tback\\\\slash\té☃\t\t\\b\\f\\v\n");
        const buf = Buffer.from(line, "utf8");
        assert.deepEqual(decodeRow(buf, 0, buf.length - 1, { buf: Buffer.alloc(4) }), values);
        // Octal and hex-like escapes PostgreSQL may accept on input decode too.
        const odd = Buffer.from("\\101\\x\tz", "latin1");
        assert.deepEqual(decodeRow(odd, 0, odd.length, { buf: Buffer.alloc(16) }), ["Ax", "z"]);
    });

    it("splits a pg_dump text into its preamble and entries, dropping \\restrict", () => {
        const text = [
            "--", "-- PostgreSQL database dump", "--", "", "\\restrict abc", "", "SET statement_timeout = 0;", "SELECT pg_catalog.set_config('search_path', '', false);", "",
            "--", "-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: -", "--", "", "ALTER TABLE ONLY public.t", "    ADD CONSTRAINT t_pkey PRIMARY KEY (id);", "", "",
            "--", "-- Name: CONSTRAINT t_pkey ON t; Type: COMMENT; Schema: public; Owner: -", "--", "", "COMMENT ON CONSTRAINT t_pkey ON public.t IS 'k';", "", "",
            "--", "-- Name: u u_t_fk; Type: FK CONSTRAINT; Schema: public; Owner: -", "--", "", "ALTER TABLE ONLY public.u ADD CONSTRAINT u_t_fk FOREIGN KEY (t) REFERENCES public.t(id);", "", "",
            "--", "-- Name: p_1_idx; Type: INDEX ATTACH; Schema: public; Owner: -", "--", "", "ALTER INDEX public.p_idx ATTACH PARTITION public.p_1_idx;", "", "",
            "--", "-- Name: mv; Type: MATERIALIZED VIEW DATA; Schema: public; Owner: -", "--", "", "REFRESH MATERIALIZED VIEW public.mv;", "", "",
            "--", "-- PostgreSQL database dump complete", "--", "", "\\unrestrict abc", "",
        ].join("\n");
        const dump = parseDump(text);
        assert.equal(dump.preamble, "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);");
        assert.deepEqual(dump.entries.map((e) => e.type), ["CONSTRAINT", "COMMENT", "FK CONSTRAINT", "INDEX ATTACH", "MATERIALIZED VIEW DATA"]);
        assert.equal(dump.entries[4].sql, "REFRESH MATERIALIZED VIEW public.mv;");
        const plan = planPostData(dump.entries);
        assert.equal(plan.indexes.length, 1);
        assert.match(plan.indexes[0].sql, /PRIMARY KEY[\s\S]*COMMENT ON CONSTRAINT/, "a comment runs with its object");
        assert.equal(plan.foreignKeys.length, 1);
        assert.equal(plan.attach.length, 1);
        assert.deepEqual(plan.rest.map((s) => s.type), ["MATERIALIZED VIEW DATA"]);
    });

    it("builds plain key constraints as a unique index first, then the constraint on it; leaves other forms alone", () => {
        const step = (type: string, sql: string): PostDataStep => ({ key: "k", label: "l", type, sql });
        const pk = withSeparateIndexBuild(step("CONSTRAINT", 'ALTER TABLE ONLY "Odd Schema"."Teams"\n    ADD CONSTRAINT "Teams_code_region_key" UNIQUE (code, "Re""gion");\n\n\nCOMMENT ON CONSTRAINT x ON y IS \'c\';'));
        assert.equal(pk.prepare, 'CREATE UNIQUE INDEX IF NOT EXISTS "Teams_code_region_key" ON "Odd Schema"."Teams" USING btree (code, "Re""gion");');
        assert.equal(pk.sql, 'ALTER TABLE ONLY "Odd Schema"."Teams"\n    ADD CONSTRAINT "Teams_code_region_key" UNIQUE USING INDEX "Teams_code_region_key";\n\n\nCOMMENT ON CONSTRAINT x ON y IS \'c\';');
        assert.equal(withSeparateIndexBuild(step("CONSTRAINT", "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);")).sql, "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_pkey;");
        for (const sql of [
            "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_key UNIQUE (a) DEFERRABLE;",
            "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_key UNIQUE NULLS NOT DISTINCT (a);",
            "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id) INCLUDE (b);",
            "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id) WITH (fillfactor='70');",
            "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_excl EXCLUDE USING gist (r WITH &&);",
            "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_check CHECK ((a > 0)) NOT VALID;",
        ]) {
            assert.equal(withSeparateIndexBuild(step("CONSTRAINT", sql)).prepare, undefined, sql);
        }
        assert.equal(withSeparateIndexBuild(step("INDEX", "CREATE UNIQUE INDEX i ON public.t USING btree (a);")).prepare, undefined);
    });

    it("adds foreign keys NOT VALID first, then validates them; knows their two tables; leaves keys the source holds NOT VALID", () => {
        const step = (sql: string): PostDataStep => ({ key: "k", label: "l", type: "FK CONSTRAINT", sql });
        const sql = 'ALTER TABLE ONLY public.tasks\n    ADD CONSTRAINT tasks_team_fkey FOREIGN KEY (team_code, team_region) REFERENCES "Odd Schema"."Teams"(code, region) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;';
        const fk = withSeparateValidation(step(`${sql}\n\n\nCOMMENT ON CONSTRAINT tasks_team_fkey ON public.tasks IS 'c';`));
        assert.equal(fk.prepare, sql.replace(/;$/, " NOT VALID;"));
        assert.equal(fk.prepareMayExist, true);
        assert.equal(fk.sql, "ALTER TABLE ONLY public.tasks VALIDATE CONSTRAINT tasks_team_fkey;\n\n\nCOMMENT ON CONSTRAINT tasks_team_fkey ON public.tasks IS 'c';");
        assert.deepEqual(foreignKeyTables(step(sql)), { table: "public.tasks", references: '"Odd Schema"."Teams"' });
        const notValid = step("ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_b_fkey FOREIGN KEY (b) REFERENCES public.b(id) NOT VALID;");
        assert.equal(withSeparateValidation(notValid).prepare, undefined);
        // A partitioned table's key (no ONLY) is not split and not added with the rows.
        const partitioned = step("ALTER TABLE public.p\n    ADD CONSTRAINT p_b_fkey FOREIGN KEY (b) REFERENCES public.b(id);");
        assert.equal(withSeparateValidation(partitioned).prepare, undefined);
        assert.equal(foreignKeyTables(partitioned), undefined);
    });

    it("forwards exactly the CopyData messages of a COPY TO, however the socket cuts them, and hands the rest back to pg", async () => {
        const message = (code: string, body: Buffer): Buffer => {
            const head = Buffer.alloc(5);
            head.write(code, 0, "latin1");
            head.writeUInt32BE(body.length + 4, 1);
            return Buffer.concat([head, body]);
        };
        const rows = [Buffer.from("1\tone\n"), Buffer.alloc(300, "x"), Buffer.from("3\t\\N\n"), Buffer.from("")];
        const copyData = rows.map((r) => message("d", r));
        const tail = Buffer.concat([message("c", Buffer.alloc(0)), message("C", Buffer.from("COPY 4\0")), message("Z", Buffer.from("I"))]);
        // A NoticeResponse between rows is dropped; the CopyOutResponse before them too.
        const wire = Buffer.concat([message("H", Buffer.from([0, 0, 2, 0, 0, 0, 0])), copyData[0], copyData[1], message("N", Buffer.from("Snotice\0\0")), copyData[2], copyData[3], tail]);
        for (const size of [1, 2, 3, 4, 5, 6, 7, 11, 64, wire.length]) {
            const chunks: Buffer[] = [];
            for (let i = 0; i < wire.length; i += size) chunks.push(Buffer.from(wire.subarray(i, i + size)));
            const handedBack: Buffer[] = [];
            let onReadable: () => void = () => undefined;
            const socket = {
                listeners: (): Array<(b: Buffer) => void> => [(b: Buffer): void => void handedBack.push(b)],
                removeListener: () => socket,
                pause: () => socket,
                resume: () => socket,
                on: (event: string, f: (b: Buffer) => void) => {
                    if (event === "readable") onReadable = f as () => void;
                    else if (event === "data") socket.listeners = () => [f];
                    return socket;
                },
                read: (): Buffer | null => chunks.shift() ?? null,
            };
            const out = new RawCopyOut("COPY t TO STDOUT", false);
            const forwarded: Buffer[] = [];
            out.on("data", (b: Buffer) => forwarded.push(Buffer.from(b)));
            const ended = new Promise((resolve) => out.on("end", resolve));
            out.submit({ stream: socket, query: () => undefined } as never);
            for (let k = 0; k < 5 && chunks.length > 0; k++) {
                onReadable();
                await new Promise((resolve) => setImmediate(resolve));
            }
            out.handleCommandComplete({ text: "COPY 4" });
            out.handleReadyForQuery();
            await ended;
            assert.deepEqual(Buffer.concat(forwarded), Buffer.concat(copyData), `chunks of ${size}`);
            assert.equal(out.rows, 4);
            assert.equal(out.bytes, rows.reduce((n, r) => n + r.length, 0));
            assert.deepEqual(Buffer.concat(handedBack), tail.subarray(0, Buffer.concat(handedBack).length), `pg gets the messages from CopyDone on (chunks of ${size})`);
            assert.equal(Buffer.concat(handedBack).subarray(0, 1).toString(), "c");
        }
    });

    it("splits large tables into ctid ranges, largest units first; the last range is open-ended", () => {
        const table = (name: string, bytes: number): DataTable => ({ schema: "public", name, columns: [], primaryKey: [], uniqueIndexes: [], foreignKeys: [], estimatedRows: 0, bytes, pages: Math.ceil(bytes / 8192), dumpName: `public.${name}` });
        const units = planUnits([table("small", 1 << 20), table("big", 100 << 20)], { splitLargerThan: 32 << 20, chunkBytes: 32 << 20, tidRangeScan: true });
        const big = units.filter((u) => u.name === "big");
        assert.equal(big.length, 4);
        assert.equal(units[units.length - 1].name, "small");
        assert.equal(rangeCondition(big.find((u) => u.part?.index === 1)!), "ctid >= '(0,0)'::tid AND ctid < '(3200,0)'::tid");
        assert.equal(rangeCondition(big.find((u) => u.part?.index === 4)!), "ctid >= '(9600,0)'::tid");
        assert.equal(rangeCondition(units.find((u) => u.name === "small")!), undefined);
        assert.equal(planUnits([table("big", 100 << 20)], { splitLargerThan: 32 << 20, chunkBytes: 32 << 20, tidRangeScan: false }).length, 1, "no TID range scan: no split");
    });

    it("adds range checksums into the table checksum (sums modulo 2^64, order-independent)", () => {
        const rows = [-9223372036854775808n, 9223372036854775807n, 12345n, -1n];
        const digest = (xs: bigint[]): string => sumDigest(xs.reduce((a, b) => a + b, 0n).toString());
        assert.equal(addDigests(addDigests(EMPTY_DIGEST, digest(rows.slice(0, 1))), digest(rows.slice(1))), digest(rows));
        assert.equal(addDigests(digest(rows.slice(2)), digest(rows.slice(0, 2))), digest(rows));
        assert.equal(sumDigest("0"), EMPTY_DIGEST);
        assert.equal(sumDigest("-1"), "ffffffffffffffff");
        assert.equal(sumDigest("18446744073709551617"), "0000000000000001");
        assert.equal(addDigests("", "0000000000000002"), "0000000000000002", "a count-only unit adds nothing");
    });

    it("refuses production by marker or by declaration, sandboxes without scrubbing, unknown markers", () => {
        assert.match(targetRefusal({ kinds: ["production"], stacks: ["production"] }, "staging", true) ?? "", /production.*stack production/);
        assert.match(targetRefusal({ kinds: [], stacks: [] }, "production" as never, true) ?? "", /production/);
        assert.match(targetRefusal({ kinds: ["sandbox"], stacks: [] }, undefined, false) ?? "", /unscrubbed/);
        assert.equal(targetRefusal({ kinds: ["sandbox"], stacks: [] }, undefined, true), undefined);
        assert.match(targetRefusal({ kinds: ["prod"], stacks: [] }, undefined, true) ?? "", /unknown environment marker/);
        assert.equal(targetRefusal({ kinds: ["staging"], stacks: [] }, "staging", false), undefined);
        assert.equal(targetRefusal({ kinds: [], stacks: [] }, undefined, false), undefined);
    });
});

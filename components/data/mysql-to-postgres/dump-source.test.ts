// The dump source's probes: computed during the first pass when the engine gives its planner, read in a second pass
// otherwise, with the same answers (no servers: a small dump file in a temp dir).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openDumpSource } from "./dump-source";
import { planCreate, type PlanOptions } from "./plan";

const options: PlanOptions = { targetSchema: "public", sourceTimeZone: "UTC", enumAs: "type", datetimeType: "timestamptz", identifierCase: "preserve", columns: {} };

const DUMP = `-- MariaDB dump 10.19  Distrib 10.11.18-MariaDB
/*!40101 SET NAMES utf8mb4 */;
CREATE TABLE \`flags\` (
  \`id\` int(11) NOT NULL,
  \`active\` tinyint(1) NOT NULL,
  \`note\` text,
  \`spent\` time DEFAULT NULL,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO \`flags\` VALUES (1,1,'it''s ok','01:00:00'),(2,0,NULL,'-02:00:00');
INSERT INTO \`flags\` (\`note\`, \`active\`, \`id\`, \`spent\`) VALUES ('a\\\\b',2,3,'25:30:00'),('x',1,4,NULL);
CREATE TABLE \`plain\` (\`id\` int(11) NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB;
INSERT INTO \`plain\` VALUES (1),(2);
-- Dump completed on 2026-12-01
`;

describe("dump source probes", () => {
    let dir: string;
    let file: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-dump-probes-"));
        file = path.join(dir, "app.sql");
        fs.writeFileSync(file, DUMP);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const probeAnswers = async (early: boolean): Promise<{ answers: [string, (string | null)[]][]; problems: string[] }> => {
        const source = await openDumpSource(file);
        if (early) source.planProbes?.((table, flavor) => planCreate({ database: "", flavor, version: "", tables: [table], unsupported: [] }, [table], options)[0]);
        const catalog = await source.readCatalog();
        const plans = planCreate(catalog, catalog.tables, options).filter((p) => p.probes.length > 0);
        // With the planner, the answers come from the first pass: the file is not read again.
        if (early) fs.renameSync(file, `${file}.away`);
        const answers = await source.probe(plans).finally(() => early && fs.renameSync(`${file}.away`, file));
        const problems = plans.flatMap((p) => p.probes.map((probe, i) => probe.evaluate((answers.get(p.source.name) ?? [])[i] ?? null)).filter((x): x is string => x !== undefined));
        return { answers: [...answers], problems };
    };

    it("gives the same answers from the first pass as from a second read, and finds the values that do not fit", async () => {
        const late = await probeAnswers(false);
        const early = await probeAnswers(true);
        assert.deepEqual(early, late);
        assert.ok(late.answers.some(([t]) => t === "flags"), JSON.stringify(late.answers));
        assert.ok(late.problems.some((p) => /flags\.active: 1 .*other than 0 and 1 \(from 0 to 2\)/.test(p)), late.problems.join("\n"));
        assert.ok(late.problems.some((p) => /flags\.spent: 2 TIME value\(s\) outside/.test(p)), late.problems.join("\n"));
    });
});

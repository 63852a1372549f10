// `herokuenv rehearse`: the migration night on a machine with nothing installed beyond `npm ci` (no mariadbd,
// initdb or pg_ctl on PATH), its report against the bundled sources, and a failed step resumed without redoing the
// steps before it.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { rehearse, type RehearsalEvent, type RehearsalResult } from "../components/rehearsal/rehearse";
import { generateUserFiles, SAKILA_ROWS } from "../components/rehearsal/sample";

const BIN = path.join(__dirname, "..", "bin", "herokuenv");
const EXPECTED = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "sakila-expected.json"), "utf8")) as {
    tables: Record<string, { rows: number; checksum: string }>;
    files: { count: number; bytes: number };
};

/** A PATH with node and the base system only: no MariaDB, no PostgreSQL server binaries. */
function barePath(): string {
    return [path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter);
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

describe("herokuenv rehearse @servers", function () {
    this.timeout(240_000);

    it("runs the whole night on the bundled sample with no database server installed, and its report matches the sources", async function () {
        const env = { ...process.env, PATH: barePath() };
        for (const tool of ["mariadbd", "initdb", "pg_ctl"]) {
            assert.notEqual(spawnSync("sh", ["-c", `command -v ${tool}`], { env }).status, 0, `${tool} must not be on the test's PATH`);
        }
        const started = Date.now();
        const { code, stdout, stderr } = await run(["rehearse", "--json"], env);
        assert.equal(code, 0, stderr);
        const report = JSON.parse(stdout) as RehearsalResult;
        assert.equal(report.ok, true);
        assert.deepEqual(report.steps.map((s) => [s.step, s.status]), [
            ["maintenance-on", "done"],
            ["database", "done"],
            ["files", "done"],
            ["dns-cutover", "done"],
            ["maintenance-off", "done"],
        ]);
        const tables = Object.fromEntries((report.database?.tables ?? []).map((t) => [t.table, { rows: t.rows, checksum: t.checksum }]));
        assert.deepEqual(tables, EXPECTED.tables);
        assert.deepEqual(Object.fromEntries(Object.entries(tables).map(([t, v]) => [t, v.rows])), SAKILA_ROWS);
        assert.deepEqual(report.files, EXPECTED.files);
        assert.equal(report.siteInMaintenance, false);
        assert.deepEqual(
            report.changes.map((c) => c.change),
            [
                "app site-production: maintenance on",
                "zone SSL/TLS mode: flexible → strict",
                "delete A example.com → 203.0.113.10, TTL 3600",
                "create CNAME example.com → example-com.herokudns.com (proxied)",
                "delete A www.example.com → 203.0.113.10, TTL 3600",
                "create CNAME www.example.com → www-example-com.herokudns.com (proxied)",
                "app site-production: maintenance off",
            ],
        );
        // The servers are gone with the command, and so is its temporary work dir.
        assert.equal(fs.existsSync(report.workDir), false);
        console.log(`      rehearsal on the bundled sample: ${((Date.now() - started) / 1000).toFixed(1)} s, servers started in ${report.serversStartSeconds.toFixed(1)} s`);
    });

    it("stops at a failed file step with the site in maintenance, then resumes there without redoing the database", async function () {
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "herokuenv-rehearse-test-"));
        const files = path.join(workDir, "media");
        const tree = generateUserFiles(files, 40);
        // A symlink to nowhere: the sync refuses the source, naming the file.
        fs.symlinkSync(path.join(workDir, "missing.jpg"), path.join(files, "avatars", "broken.jpg"));
        try {
            const first: RehearsalEvent[] = [];
            const failed = await rehearse({ workDir, files, onEvent: (e) => first.push(e) });
            assert.equal(failed.ok, false);
            assert.equal(failed.stoppedAt, "files");
            assert.equal(failed.siteInMaintenance, true);
            assert.deepEqual(failed.steps.map((s) => s.status), ["done", "done", "failed", "pending", "pending"]);
            assert.match(failed.steps[2].error ?? "", /broken\.jpg: symlink to a missing file/);
            assert.match(failed.steps[2].error ?? "", /uploaded files are skipped on the re-run/);
            assert.ok(!failed.changes.some((c) => c.service === "cloudflare"), "no DNS change before the files are in");

            fs.unlinkSync(path.join(files, "avatars", "broken.jpg"));
            const second: RehearsalEvent[] = [];
            const resumed = await rehearse({ workDir, files, onEvent: (e) => second.push(e) });
            assert.equal(resumed.ok, true, JSON.stringify(resumed.steps));
            assert.equal(resumed.siteInMaintenance, false);
            const started = second.filter((e) => e.type === "step-start").map((e) => (e as { step: string }).step);
            assert.deepEqual(started, ["files", "dns-cutover", "maintenance-off"]);
            const resumedDone = second.filter((e) => e.type === "step-done" && e.resumed).map((e) => (e as { report: { step: string } }).report.step);
            assert.deepEqual(resumedDone, ["maintenance-on", "database"]);
            assert.deepEqual(resumed.files, { count: tree.count, bytes: tree.bytes });
            assert.deepEqual(Object.fromEntries((resumed.database?.tables ?? []).map((t) => [t.table, t.rows])), SAKILA_ROWS);
            // Maintenance went on once, in the first run, and off once, at the end of the second.
            assert.deepEqual(resumed.changes.filter((c) => c.service === "heroku").map((c) => c.change), ["app site-production: maintenance on", "app site-production: maintenance off"]);
        } finally {
            fs.rmSync(workDir, { recursive: true, force: true });
        }
    });
});

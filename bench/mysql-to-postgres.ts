// Benchmark (not a test): herokuenv migrate-db vs pgloader vs the physical limit on one Django-like dataset.
//
//   npm run bench -- mysql-to-postgres [--runs 3] [--scale 1] [--only dump,compiled,pgloader]
//
// Starts throwaway MariaDB and PostgreSQL servers, fills MariaDB with ≥ 1M rows (scale 1) of a Django-like schema
// (users, posts, comments: text, timestamps, decimals, doubles, nullable columns, secondary indexes, foreign keys),
// then runs, medians over --runs:
//   - herokuenv as users run it, bin/herokuenv (the compiled dist/, with the Node flags of its #! line), and through
//     ts-node (HEROKUENV_TS_NODE=1);
//   - pgloader (Debian package) with the settings that keep it inside its heap on this data (its defaults run out);
//   - the physical limit: MariaDB SELECT … INTO OUTFILE, then psql \copy of those files into index-less tables.
//   - herokuenv reading a dump file of the same data (written by mariadb-dump, not timed) instead of the live server;
// Prints rows/s, MB/s (of the tab-separated data volume), peak RSS (GNU time, the process and its children) and ratios.
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadMySql } from "../test/helpers/mysql-to-postgres";
import { mariadbQuery, startMariaDb, startPostgres } from "../test/helpers/servers";

const REPO = path.resolve(__dirname, "..");
/** The command users run: executed as a file, so its `#!` line (and the Node flags there) applies. */
const BIN = path.join(REPO, "bin", "herokuenv");
/** bin/herokuenv runs the compiled dist/ when it is current; HEROKUENV_TS_NODE=1 makes it run the TypeScript. */
const COMPILED_ENV: NodeJS.ProcessEnv = { ...process.env, HEROKUENV_TS_NODE: "0" };
const TS_NODE_ENV: NodeJS.ProcessEnv = { ...process.env, HEROKUENV_TS_NODE: "1" };

/** --only a,b: run only these contenders (keys: physical, compiled, pgloader, noverify, dump, tsnode). */
function only(): Set<string> | undefined {
    const i = process.argv.indexOf("--only");
    return i >= 0 ? new Set(process.argv[i + 1].split(",")) : undefined;
}

function arg(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** The Django-like dataset: 100k users, 300k posts, 600k comments at scale 1. */
export function datasetSql(scale: number): string {
    const users = 100_000 * scale;
    const posts = 300_000 * scale;
    const comments = 600_000 * scale;
    return `
SET SESSION sql_mode = ''; SET FOREIGN_KEY_CHECKS = 0; SET UNIQUE_CHECKS = 0;
CREATE TABLE auth_user (
  id int NOT NULL AUTO_INCREMENT PRIMARY KEY, password varchar(128) NOT NULL, last_login datetime(6) NULL,
  is_superuser tinyint(1) NOT NULL, username varchar(150) NOT NULL UNIQUE, first_name varchar(150) NOT NULL,
  last_name varchar(150) NOT NULL, email varchar(254) NOT NULL, is_staff tinyint(1) NOT NULL, is_active tinyint(1) NOT NULL,
  date_joined datetime(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE blog_post (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, author_id int NOT NULL, title varchar(200) NOT NULL, slug varchar(50) NOT NULL,
  body longtext NOT NULL, status varchar(10) NOT NULL, published_at datetime(6) NULL, created_at datetime(6) NOT NULL,
  updated_at datetime(6) NOT NULL, views int unsigned NOT NULL, rating decimal(3,2) NULL,
  KEY blog_post_slug (slug), KEY blog_post_author_id (author_id), KEY blog_post_published_at (published_at),
  CONSTRAINT blog_post_author_fk FOREIGN KEY (author_id) REFERENCES auth_user (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE blog_comment (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, post_id bigint NOT NULL, user_id int NULL, body longtext NOT NULL,
  created_at datetime(6) NOT NULL, is_public tinyint(1) NOT NULL, score double NULL, ip_address varchar(39) NULL,
  KEY blog_comment_post_id (post_id), KEY blog_comment_created_at (created_at),
  CONSTRAINT blog_comment_post_fk FOREIGN KEY (post_id) REFERENCES blog_post (id),
  CONSTRAINT blog_comment_user_fk FOREIGN KEY (user_id) REFERENCES auth_user (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO auth_user SELECT seq, CONCAT('pbkdf2_sha256$260000$', MD5(seq), '$', SHA2(seq, 256)),
  IF(seq % 7 = 0, NULL, TIMESTAMP('2020-01-01') + INTERVAL seq * 37 SECOND + INTERVAL (seq % 1000000) MICROSECOND),
  seq % 1000 = 0, CONCAT('user', seq), ELT(1 + seq % 5, 'Alice', 'Bob', 'Chloé', 'Dmitri', 'Émilie'), CONCAT('Name', seq % 977),
  CONCAT('user', seq, '@example.com'), seq % 50 = 0, seq % 20 <> 0, TIMESTAMP('2015-01-01') + INTERVAL seq * 61 SECOND
  FROM seq_1_to_${users};
INSERT INTO blog_post SELECT seq, 1 + seq % ${users}, CONCAT('Post title number ', seq, ' about ', ELT(1 + seq % 4, 'Django', 'Heroku', 'PostgreSQL', 'naïve café ☕')),
  CONCAT('post-', seq), CONCAT(REPEAT(CONCAT('Lorem ipsum dolor sit amet, consectetur adipiscing elit ', seq % 97, '. '), 3 + seq % 8), '\\n\\tEnd.'),
  ELT(1 + seq % 3, 'draft', 'published', 'archived'), IF(seq % 3 = 0, NULL, TIMESTAMP('2018-01-01') + INTERVAL seq * 53 SECOND),
  TIMESTAMP('2017-06-01') + INTERVAL seq * 47 SECOND + INTERVAL (seq * 7 % 1000000) MICROSECOND, TIMESTAMP('2019-06-01') + INTERVAL seq * 41 SECOND,
  (seq * 7919) % 1000003, IF(seq % 4 = 0, NULL, (seq % 500) / 100)
  FROM seq_1_to_${posts};
INSERT INTO blog_comment SELECT seq, 1 + seq % ${posts}, IF(seq % 9 = 0, NULL, 1 + seq % ${users}),
  CONCAT('Comment ', seq, ': ', REPEAT('great post! ', 1 + seq % 12), IF(seq % 100 = 0, 'with a \\\\ backslash', '')),
  TIMESTAMP('2018-03-01') + INTERVAL seq * 29 SECOND + INTERVAL (seq * 13 % 1000000) MICROSECOND, seq % 10 <> 0,
  IF(seq % 5 = 0, NULL, seq / 7), IF(seq % 3 = 0, NULL, CONCAT('10.', seq % 256, '.', (seq DIV 256) % 256, '.', seq % 200))
  FROM seq_1_to_${comments};
SET FOREIGN_KEY_CHECKS = 1;`;
}

interface Measurement {
    seconds: number;
    peakRssKb: number;
    ok: boolean;
    note?: string;
    /** CPU seconds of the tool plus both servers (load-independent cost). */
    cpu?: number;
}

/** CPU seconds used so far by a server process and its exited children (PostgreSQL backends), from /proc. */
function serverCpu(pid: number): number {
    try {
        const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
        // utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the command).
        const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i]), 0);
        return ticks / 100;
    } catch {
        return 0;
    }
}

/** Runs a command under GNU time; returns wall seconds and peak RSS (the process and its waited-for children). */
function timed(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutSeconds?: number } = {}): Promise<Measurement & { output: string; timedOut?: boolean }> {
    const timeFile = path.join(os.tmpdir(), `herokuenv-bench-time-${process.pid}-${Date.now()}`);
    return new Promise((resolve) => {
        const started = process.hrtime.bigint();
        const child = spawn("/usr/bin/time", ["-f", "%U %S\n%M", "-o", timeFile, file, ...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
        let timedOut = false;
        const timer = options.timeoutSeconds
            ? setTimeout(() => {
                  timedOut = true;
                  process.kill(-(child.pid as number), "SIGKILL"); // The tool and GNU time: the whole group.
              }, options.timeoutSeconds * 1000)
            : undefined;
        child.on("exit", () => clearTimeout(timer));
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        child.on("exit", (code) => {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            const lines = fs.existsSync(timeFile) ? fs.readFileSync(timeFile, "utf8").trim().split("\n") : ["0 0", "0"];
            fs.rmSync(timeFile, { force: true });
            const [user, sys] = (lines[lines.length - 2] ?? "0 0").split(" ").map(Number);
            resolve({ seconds, peakRssKb: Number(lines[lines.length - 1]), ok: code === 0, output, cpu: (user || 0) + (sys || 0), timedOut });
        });
    });
}

function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
    return new Promise((resolve, reject) =>
        execFile(file, args, { env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`${file} failed: ${stderr || err.message}`)) : resolve(stdout))),
    );
}

const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
    const runs = arg("runs", 3);
    const scale = arg("scale", 1);
    const [my, pg] = await Promise.all([startMariaDb(), startPostgres()]);
    try {
        process.stderr.write("generating the dataset…\n");
        const genStart = Date.now();
        const source = await my.createDatabase("benchdb");
        await loadMySql(source, { text: datasetSql(scale) });
        const tables = ["auth_user", "blog_post", "blog_comment"];
        const rows = Number((await mariadbQuery(source, "SELECT (SELECT COUNT(*) FROM auth_user) + (SELECT COUNT(*) FROM blog_post) + (SELECT COUNT(*) FROM blog_comment)"))[0][0]);
        process.stderr.write(`${rows} rows generated in ${((Date.now() - genStart) / 1000).toFixed(1)}s\n`);

        // The compiled package (dist/), as `npm ci` builds it: bin/herokuenv runs it when it is current.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { distIsCurrent } = require("../bin/dist-current") as { distIsCurrent(root: string): boolean };
        if (!distIsCurrent(REPO)) await run(process.execPath, [path.join(REPO, "bin", "build-dist.js")]);

        // The same data as a dump file, written by mariadb-dump (its defaults: extended INSERTs, UTC), outside the timings.
        const dumpFile = path.join(os.tmpdir(), `herokuenv-bench-${process.pid}.sql`);
        await run("mariadb-dump", ["--no-defaults", "--protocol=TCP", "--host=127.0.0.1", `--port=${my.port}`, "--user=root", `--result-file=${dumpFile}`, "benchdb"]);
        process.stderr.write(`dump file: ${(fs.statSync(dumpFile).size / 1024 / 1024).toFixed(1)} MiB\n`);

        const serversCpu = (): number => serverCpu(my.pid) + serverCpu(pg.pid);
        // After each contender: its target database dropped and a checkpoint, so the next one does not pay for the
        // previous one's autovacuum, ANALYZE and dirty buffers.
        const settle = async (): Promise<void> => {
            const names = (await run("psql", ["-X", "-qAt", pg.url, "-c", "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'"])).split("\n").filter(Boolean);
            for (const name of names) await run("psql", ["-X", "-q", pg.url, "-c", `DROP DATABASE "${name}" WITH (FORCE)`]);
            await run("psql", ["-X", "-q", pg.url, "-c", "CHECKPOINT"]);
        };
        let volumeBytes = 0;

        // Physical limit: SELECT … INTO OUTFILE, then \copy into index-less tables.
        const physicalRun = async (i: number): Promise<Measurement> => {
            const target = await pg.createDatabase(`physical_${i}`);
            await run("psql", ["-X", "-q", target, "-c", `
                CREATE TABLE auth_user (id integer, password varchar(128), last_login timestamptz, is_superuser boolean, username varchar(150), first_name varchar(150), last_name varchar(150), email varchar(254), is_staff boolean, is_active boolean, date_joined timestamptz);
                CREATE TABLE blog_post (id bigint, author_id integer, title varchar(200), slug varchar(50), body text, status varchar(10), published_at timestamptz, created_at timestamptz, updated_at timestamptz, views bigint, rating numeric(3,2));
                CREATE TABLE blog_comment (id bigint, post_id bigint, user_id integer, body text, created_at timestamptz, is_public boolean, score double precision, ip_address varchar(39));`]);
            const cpuBefore = serversCpu();
            const started = process.hrtime.bigint();
            volumeBytes = 0;
            for (const t of tables) {
                const file = path.join(my.fileDir, `${t}-${i}.tsv`);
                await mariadbQuery(source, `SELECT * FROM ${t} INTO OUTFILE '${file}' CHARACTER SET utf8mb4`);
                volumeBytes += fs.statSync(file).size;
            }
            const exported = Number(process.hrtime.bigint() - started) / 1e9;
            const copyStarted = process.hrtime.bigint();
            let toolCpu = 0;
            for (const t of tables) {
                const m = await timed("psql", ["-X", "-q", target, "-c", `\\copy ${t} FROM '${path.join(my.fileDir, `${t}-${i}.tsv`)}'`]);
                if (!m.ok) throw new Error(`psql \\copy failed: ${m.output}`);
                toolCpu += m.cpu ?? 0;
            }
            const copied = Number(process.hrtime.bigint() - copyStarted) / 1e9;
            for (const t of tables) fs.rmSync(path.join(my.fileDir, `${t}-${i}.tsv`), { force: true });
            return { seconds: exported + copied, peakRssKb: 0, ok: true, cpu: serversCpu() - cpuBefore + toolCpu, note: `export ${exported.toFixed(1)}s + copy ${copied.toFixed(1)}s` };
        };

        const herokuenvRun = async (label: string, env: NodeJS.ProcessEnv, verify: boolean, i: number, from = source): Promise<Measurement> => {
            const target = await pg.createDatabase(`${label}_${i}`);
            const cpuBefore = serversCpu();
            const m = await timed(BIN, ["migrate-db", "--from", from, "--to", target, "--no-progress", ...(verify ? [] : ["--no-verify"])], { cwd: REPO, env });
            if (!m.ok) throw new Error(`${label} failed:\n${m.output}`);
            return { ...m, cpu: (m.cpu ?? 0) + serversCpu() - cpuBefore };
        };

        const loadFile = (db: string, tuned: boolean): string => {
            const file = path.join(os.tmpdir(), `herokuenv-bench-${db}.load`);
            fs.writeFileSync(
                file,
                `LOAD DATABASE FROM mysql://root@127.0.0.1:${my.port}/benchdb INTO postgresql://postgres@127.0.0.1:${pg.port}/${db}
                 WITH include drop, create tables, create indexes, reset sequences, foreign keys, quote identifiers${tuned ? ", workers = 2, concurrency = 1, prefetch rows = 10000, batch rows = 10000" : ""}
                 ALTER SCHEMA 'benchdb' RENAME TO 'public';\n`,
            );
            return file;
        };
        // pgloader (SBCL, lparallel) now and then deadlocks: every thread in a futex wait, no connection open, no CPU.
        // Such a run is killed after 5 minutes and run again (said in the output), never counted.
        let pgloaderHangs = 0;
        const pgloaderRun = async (i: number, attempt = 1): Promise<Measurement> => {
            const db = `pgloader_${i}_${attempt}`;
            await pg.createDatabase(db);
            const cpuBefore = serversCpu();
            const m = await timed("pgloader", [loadFile(db, true)], { timeoutSeconds: 300 });
            if (m.timedOut && attempt < 3) {
                pgloaderHangs++;
                process.stderr.write(`pgloader hung (killed after 300 s): running it again\n`);
                await settle();
                return pgloaderRun(i, attempt + 1);
            }
            if (!m.ok) throw new Error(`pgloader failed:\n${m.output.slice(-3000)}`);
            return { ...m, cpu: (m.cpu ?? 0) + serversCpu() - cpuBefore };
        };

        const picked = only();
        let defaultsNote = "not run (--only)";
        let defaults: Measurement = { seconds: NaN, peakRssKb: NaN, ok: false };
        if (!picked || picked.has("pgloader")) {
            await pg.createDatabase("pgloader_defaults");
            const m = await timed("pgloader", [loadFile("pgloader_defaults", false)]);
            defaults = m;
            defaultsNote = m.ok ? `ok in ${m.seconds.toFixed(1)}s` : /Heap exhausted/.test(m.output) ? "heap exhausted (SBCL), migration failed" : "failed";
            process.stderr.write(`pgloader with its defaults: ${defaultsNote}, ${(m.peakRssKb / 1024).toFixed(0)} MiB\n`);
            await settle();
        }

        // Interleaved, so background load on a shared machine hits every contender alike.
        const physical: Measurement[] = [];
        const compiled: Measurement[] = [];
        const compiledNoVerify: Measurement[] = [];
        const fromDump: Measurement[] = [];
        const tsnode: Measurement[] = [];
        const pgloader: Measurement[] = [];
        for (let i = 0; i < runs; i++) {
            const steps: [string, string, Measurement[], () => Promise<Measurement>][] = [
                ["physical", "physical limit", physical, () => physicalRun(i)],
                ["compiled", "herokuenv compiled", compiled, () => herokuenvRun("compiled", COMPILED_ENV, true, i)],
                ["pgloader", "pgloader", pgloader, () => pgloaderRun(i)],
                ["noverify", "herokuenv --no-verify", compiledNoVerify, () => herokuenvRun("noverify", COMPILED_ENV, false, i)],
                ["dump", "herokuenv from the dump file", fromDump, () => herokuenvRun("dump", COMPILED_ENV, true, i, dumpFile)],
                ["tsnode", "herokuenv ts-node", tsnode, () => herokuenvRun("tsnode", TS_NODE_ENV, true, i)],
            ];
            // Each run starts from another contender, so none always follows the same one.
            const rotated = [...steps.slice(i % steps.length), ...steps.slice(0, i % steps.length)];
            for (const [key, label, list, step] of rotated) {
                if (picked && !picked.has(key)) continue;
                const m = await step();
                await settle();
                list.push(m);
                process.stderr.write(`run ${i + 1} ${label}: ${m.seconds.toFixed(1)}s wall, ${(m.cpu ?? 0).toFixed(1)}s CPU (tool + servers), ${(m.peakRssKb / 1024).toFixed(0)} MiB${m.note ? ` (${m.note})` : ""}\n`);
            }
        }

        const mb = volumeBytes / 1024 / 1024;
        const summarize = (ms: Measurement[]) => ({ seconds: median(ms.map((m) => m.seconds)), cpu: median(ms.map((m) => m.cpu ?? 0)), rss: median(ms.map((m) => m.peakRssKb)) / 1024 });
        const results: [string, ReturnType<typeof summarize>][] = [
            ["herokuenv (bin/herokuenv), verified (default)", summarize(compiled)],
            ["herokuenv (bin/herokuenv), --no-verify", summarize(compiledNoVerify)],
            ["herokuenv (bin/herokuenv), verified, from the mariadb-dump file", summarize(fromDump)],
            ["herokuenv through ts-node, verified", summarize(tsnode)],
            ["pgloader (tuned: workers 2, concurrency 1, prefetch 10000)", summarize(pgloader)],
            ["physical limit (INTO OUTFILE + \\copy, no indexes)", { ...summarize(physical), rss: NaN }],
        ];
        const base = results[4][1];
        const limit = results[5][1];
        const live = results[0][1];
        const dump = results[2][1];
        const lines = [
            `dataset: ${rows} rows, ${mb.toFixed(1)} MiB of tab-separated data; ${runs} interleaved runs, medians; ${os.cpus().length} cores; load average at the end ${os.loadavg()[0].toFixed(1)}`,
            `pgloader with its defaults: ${defaultsNote} (peak ${(defaults.peakRssKb / 1024).toFixed(0)} MiB)${pgloaderHangs > 0 ? `; tuned pgloader hung ${pgloaderHangs} time(s) and was run again` : ""}`,
            "",
            "| run | wall time | rows/s | MB/s | CPU s (tool + servers) | peak RSS | throughput vs pgloader | CPU vs pgloader | RSS vs pgloader | time vs physical limit |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ...results.filter(([, r]) => !Number.isNaN(r.seconds)).map(([name, r]) =>
                `| ${name} | ${r.seconds.toFixed(1)} s | ${Math.round(rows / r.seconds).toLocaleString("en")} | ${mb > 0 ? (mb / r.seconds).toFixed(1) : "—"} | ${r.cpu.toFixed(1)} | ${Number.isNaN(r.rss) ? "—" : `${r.rss.toFixed(0)} MiB`} | ${(base.seconds / r.seconds).toFixed(2)}× | ${(r.cpu / base.cpu).toFixed(2)} | ${Number.isNaN(r.rss) ? "—" : (r.rss / base.rss).toFixed(2)} | ${(r.seconds / limit.seconds).toFixed(2)}× |`,
            ),
        ];
        lines.push(
            "",
            `dump source: ${(live.seconds / dump.seconds).toFixed(2)}× the live source's throughput (target ≥ 0.8), ${(base.seconds / dump.seconds).toFixed(2)}× pgloader's (target ≥ 1.6), ` +
                `${(dump.rss / base.rss).toFixed(2)} of pgloader's peak RSS (target ≤ 0.33)`,
        );
        process.stdout.write(`${lines.join("\n")}\n`);
        fs.rmSync(dumpFile, { force: true });
    } finally {
        await Promise.all([my.stop(), pg.stop()]);
    }
}

if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`${(err as Error).stack ?? err}\n`);
        process.exit(1);
    });
}

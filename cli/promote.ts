// herokuenv promote: staging's current release (its slug) to production through the Heroku pipeline both are
// coupled to. Shows the config-var keys that differ first (promotion copies no config vars; values are never
// printed), then promotes, waits for every target and reports it. Exit code 1 when a target fails.
import * as path from "node:path";
import * as readline from "node:readline";
import type { Command } from "commander";
import { readStackFileConfig } from "../components/config/stack-files";
import { configVarKeyDiff, planPromotion, promote, PromotionError, type PromotionReport } from "../components/heroku/promotion";
import { connect } from "../components/heroku/provider";
import { formatDuration, formatTable, onInterrupt, reportInterrupted, writeJson } from "./format";

interface PromoteOpts {
    project: string;
    from?: string;
    to?: string[];
    yes?: boolean;
    dryRun?: boolean;
    json?: boolean;
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

/** The app name a stack file declares (`herokuenv:app.name`). */
function appOf(stack: string, dir: string): string | undefined {
    const app = readStackFileConfig(stack, dir)?.app as { name?: unknown } | undefined;
    return typeof app?.name === "string" ? app.name : undefined;
}

async function confirm(question: string): Promise<boolean> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
        return /^y(es)?$/i.test((await new Promise<string>((resolve) => rl.question(question, resolve))).trim());
    } finally {
        rl.close();
    }
}

function targetsTable(report: PromotionReport): string {
    return formatTable(
        ["target", "status", "release", "error"],
        report.targetsReport.map((t) => [t.app, t.status, t.releaseVersion !== null ? `v${t.releaseVersion}` : (t.releaseId ?? "-"), t.errorMessage ?? ""]),
    );
}

export function register(program: Command): void {
    program
        .command("promote")
        .description("promote staging's current release to production through their Heroku pipeline")
        .option("--project <dir>", "the Pulumi project directory (the apps default to its staging and production stack files)", process.cwd())
        .option("--from <app>", "the source app (default: herokuenv:app.name of Pulumi.staging.yaml)")
        .option("--to <apps...>", "the target apps (default: herokuenv:app.name of Pulumi.production.yaml)")
        .option("--yes", "do not ask for confirmation")
        .option("--dry-run", "show the key differences and the plan, promote nothing")
        .option("--json", "print one JSON document on stdout")
        .action(async (opts: PromoteOpts) => {
            const dir = path.resolve(opts.project);
            const from = opts.from ?? appOf("staging", dir);
            const to = opts.to ?? (appOf("production", dir) ? [appOf("production", dir) as string] : []);
            if (from === undefined) throw new Error(`no source app: pass --from <app> or run in a project whose Pulumi.staging.yaml sets herokuenv:app.name (${dir})`);
            if (to.length === 0) throw new Error(`no target app: pass --to <app> or run in a project whose Pulumi.production.yaml sets herokuenv:app.name (${dir})`);
            if ((process.env.HEROKU_API_KEY ?? "").trim() === "") throw new Error("HEROKU_API_KEY is not set: export a Heroku API token (heroku authorizations:create) to promote");
            const api = connect({});
            const diffs = await Promise.all(to.map((target) => configVarKeyDiff(api, from, target)));
            const plan = await planPromotion(api, from, to);
            if (!opts.json) {
                for (const d of diffs) {
                    out(`config-var keys of ${d.source} and ${d.target} (promotion copies the slug, not config vars):`);
                    if (d.onlyInSource.length === 0 && d.onlyInTarget.length === 0) out(`  the same ${d.common} keys`);
                    if (d.onlyInSource.length > 0) out(`  only on ${d.source}: ${d.onlyInSource.join(", ")}`);
                    if (d.onlyInTarget.length > 0) out(`  only on ${d.target}: ${d.onlyInTarget.join(", ")}`);
                }
                out(`promote ${plan.source.app} v${plan.source.release.version} (${plan.source.release.description}) → ${plan.targets.map((t) => `${t.app} (${t.stage})`).join(", ")}`);
            }
            if (opts.dryRun) {
                if (opts.json) writeJson({ dryRun: true, configVarKeys: diffs, plan });
                return;
            }
            if (!opts.yes) {
                if (!process.stdin.isTTY) throw new Error("herokuenv promote releases to production: pass --yes to confirm");
                if (!(await confirm(`Promote to ${to.join(", ")}? [y/N] `))) throw new Error("not confirmed: nothing was promoted");
            }
            const interrupt = onInterrupt("promote", "stopping the wait (the promotion goes on at Heroku)");
            try {
                const report = await promote(api, plan, { signal: interrupt.signal, onProgress: (line) => err(line) });
                if (opts.json) writeJson({ dryRun: false, ok: true, configVarKeys: diffs, promotion: report });
                else {
                    out(targetsTable(report));
                    out(`promoted in ${formatDuration(report.durationMs)}`);
                }
            } catch (e) {
                if (interrupt.interrupted) return reportInterrupted("promote", "check the promotion with heroku pipelines:info");
                if (e instanceof PromotionError && e.report) {
                    if (opts.json) writeJson({ dryRun: false, ok: false, error: e.message, configVarKeys: diffs, promotion: e.report });
                    else out(targetsTable(e.report));
                }
                throw e;
            } finally {
                interrupt.dispose();
            }
        });
}

// Verify: hash a loaded table as PostgreSQL stored it (inside the load transaction, before commit) and compare it
// with the source side's hash; on a difference, re-read the differing buckets on both sides to name sample keys.
// Also the cheap state `read` (refresh) reports: the recorded verification and live row counts.
import type { Client } from "pg";
import { to as copyTo } from "pg-copy-streams";
import { CopyTextParser, TableHasher, canonicalString, copyFieldsText, mixCanonical } from "./checksum";
import { CopyBuffer, encodeRow } from "./copy-encode";
import type { Layout } from "./copy";
import { MigrationError, onSide } from "./errors";
import { qualify } from "./identifiers";
import { openSource, type TableReader } from "./source";
import { DEFAULTS, isDumpSource, type MigrateOptions } from "./options";
import { checkPostgresUrl, connectPostgres, listTables, readProgress } from "./pg-target";
import { selectTables, targetName, type TablePlan } from "./plan";
import { redact, secretsOf } from "./secrets";

/** Hashes the target table as PostgreSQL stored it (inside the load transaction) and compares. */
export async function verifyTable(plan: TablePlan, layout: Layout, sourceHash: TableHasher, sourceRows: number, my: TableReader, pg: Client): Promise<void> {
    const table = plan.source.name;
    const targetHash = await onSide("target", { table }, () => hashTarget(plan, layout, pg));
    if (targetHash.rows === sourceRows && targetHash.digest() === sourceHash.digest()) return;
    const buckets = sourceHash.differingBuckets(targetHash).slice(0, 4);
    const samples = await sampleDifferences(plan, layout, new Set(buckets), my, pg);
    throw new MigrationError(
        `verification failed for ${table} → ${plan.target}: source ${sourceRows} rows (checksum ${sourceHash.digest()}), target ${targetHash.rows} rows (checksum ${targetHash.digest()})`,
        "verification",
        samples.length > 0 ? samples.map((s) => `key (${s.key}): ${s.what}`) : ["no sample key found (the difference may come from rows written to the source during the check)"],
    );
}

/** Hashes PostgreSQL's output of the verification expressions; `onKey` gets each row's key as PostgreSQL prints it. */
export async function hashTarget(plan: TablePlan, layout: Layout, pg: Client, collect?: TableHasher["collect"], onKey?: (key: string) => void): Promise<TableHasher> {
    const hasher = new TableHasher();
    hasher.collect = collect;
    const states = layout.states;
    const keyParts: string[] = [];
    const parser = new CopyTextParser(
        layout,
        (buf, start, keyEnd, end) => {
            if (layout.keyEchoCount > 0) hasher.keyOnly(buf, start, keyEnd);
            hasher.bytes(buf, start, end, false);
            if (onKey) keyParts.push(...copyFieldsText(buf, start, end).filter((_t, i) => states[i].key));
        },
        (i, buf, start, end) => {
            const s = states[i];
            if (buf === null) {
                hasher.nul(s.key);
                if (onKey && s.key) keyParts.push("NULL");
            } else {
                mixCanonical(hasher, s.canon, buf, start, end, s.key);
                if (onKey && s.key) keyParts.push(canonicalString(s.canon, buf.toString("utf8", start, end)));
            }
        },
        () => {
            if (onKey) {
                onKey(keyParts.join(", "));
                keyParts.length = 0;
            }
            hasher.endRow();
        },
    );
    parser.fieldCount = states.length;
    const exprs = layout.columns.map((c) => c.verifyExpr).join(", ");
    const stream = pg.query(copyTo(`COPY (SELECT ${exprs} FROM ${plan.qualifiedTarget}) TO STDOUT`));
    for await (const chunk of stream) parser.push(chunk as Buffer);
    parser.end();
    return hasher;
}

/** Re-reads the rows of a few differing buckets on both sides and names keys whose rows differ. */
async function sampleDifferences(plan: TablePlan, layout: Layout, buckets: Set<number>, my: TableReader, pg: Client): Promise<{ key: string; what: string }[]> {
    if (buckets.size === 0) return [];
    const table = plan.source.name;
    const sourceRows = new Map<string, string>();
    const targetRows = new Map<string, string>();
    let currentKey = "";
    const sourceHash = new TableHasher();
    sourceHash.collect = { buckets, onRow: (_b, h) => sourceRows.set(currentKey, h) };
    const states = layout.states.map((s) => ({ ...s, zeroDates: 0, nulBytes: 0 }));
    const out = new CopyBuffer(64 * 1024);
    await onSide("source", { table }, async () => {
        try {
            const stream = await my.stream(plan, layout.columns, (buf, starts, ends) => {
                const row = Array.from(starts, (s, i) => (s < 0 ? null : Buffer.from(buf.subarray(s, ends[i]))));
                out.pos = 0; // Only the hashes matter here.
                // The key as PostgreSQL prints it: echo key values from the sent text, the others canonical.
                const parts: string[] = [];
                const before = sourceHash.collect;
                sourceHash.collect = undefined;
                const probe = new TableHasher();
                encodeRow(row, out, probe, states, layout);
                sourceHash.collect = before;
                const lineEnd = out.pos - 1;
                const fields = copyFieldsText(out.buf, 0, lineEnd);
                states.forEach((s, i) => {
                    if (s.key) parts.push(s.echo ? fields[i] : canonicalString(s.canon, fields[i]));
                });
                currentKey = parts.join(", ");
                out.pos = 0;
                encodeRow(row, out, sourceHash, states, layout);
            });
            await stream.done;
        } finally {
            await my.finish().catch(() => undefined);
        }
    });
    let targetKey = "";
    await onSide("target", { table }, () => hashTarget(plan, layout, pg, { buckets, onRow: (_b, h) => targetRows.set(targetKey, h) }, (k) => (targetKey = k)));
    const samples: { key: string; what: string }[] = [];
    for (const [key, h] of sourceRows) {
        if (samples.length >= 10) break;
        const t = targetRows.get(key);
        if (t === undefined) samples.push({ key, what: "missing in the target" });
        else if (t !== h) samples.push({ key, what: "values differ" });
    }
    for (const key of targetRows.keys()) {
        if (samples.length >= 10) break;
        if (!sourceRows.has(key)) samples.push({ key, what: "only in the target" });
    }
    return samples;
}

/** What `read` reports: per table, the recorded verification and the live row counts on both sides. */
export interface VerificationState {
    complete: boolean;
    tables: { source: string; target: string; verified: boolean; recordedRows: number | null; checksum: string | null; sourceRows: number | null; targetRows: number | null; verifiedAt: string | null }[];
}

/** Reads the recorded state of a migration and re-counts rows on both sides (cheap; no checksum pass). */
export async function verificationState(options: Pick<MigrateOptions, "from" | "to" | "tables" | "targetSchema" | "identifierCase" | "schema">): Promise<VerificationState> {
    // A dump file's path is not a secret; a mysql:// URL is.
    const secrets = secretsOf(typeof options.from === "string" && isDumpSource(options.from) ? undefined : options.from, options.to);
    try {
        checkPostgresUrl(options.to);
        const schema = options.targetSchema ?? DEFAULTS.targetSchema;
        const identifierCase = options.identifierCase ?? DEFAULTS.identifierCase;
        const source = await onSide("source", {}, () => openSource(options.from));
        let pg: Client | undefined;
        try {
            pg = await onSide("target", {}, () => connectPostgres(options.to, "UTC"));
            const target = pg;
            const catalog = await onSide("source", {}, () => source.readCatalog());
            const tables = selectTables(catalog, options.tables);
            const progress = await onSide("target", {}, () => readProgress(target, schema, source.fingerprint));
            const present = await onSide("target", {}, () => listTables(target, schema));
            const out: VerificationState["tables"] = [];
            for (const t of tables) {
                const name = targetName(t.name, { identifierCase });
                const record = progress.get(name);
                const count = await onSide("source", { table: t.name }, () => source.countRows(t.name));
                const targetRows = present.has(name)
                    ? Number((await onSide("target", { table: name }, () => target.query(`SELECT count(*)::text AS n FROM ${qualify(schema, name)}`))).rows[0].n)
                    : null;
                out.push({
                    source: t.name,
                    target: name,
                    verified: record?.kind === "table" && targetRows === record.rows,
                    recordedRows: record ? record.rows : null,
                    checksum: record ? record.checksum : null,
                    sourceRows: count,
                    targetRows,
                    verifiedAt: record ? record.verifiedAt : null,
                });
            }
            return { complete: progress.has("") && out.every((t) => t.verified && t.sourceRows === t.targetRows), tables: out };
        } finally {
            await source.close();
            await pg?.end().catch(() => undefined);
        }
    } catch (err) {
        throw new MigrationError(redact((err as Error).message, secrets), "failed");
    }
}

// The cutover: each hostname's Cloudflare record becomes a CNAME to its Heroku DNS target, and the zone's SSL/TLS
// mode becomes Full (strict) or Full, never Flexible. What was there before is kept in the outputs: the rollback.
import * as pulumi from "@pulumi/pulumi";
import { CloudflareApi, configureCloudflare, type CloudflareConnection, type SslMode } from "../cloudflare/api";
import { packageProvider, type StepFailureHint } from "../package-provider";
import { cutoverPlan, type CutoverTarget, type PreviousRecord } from "./dns-plan";
import { oneShotDiff, recordOnly } from "./one-shot";

export interface DnsCutoverArgs {
    zoneId: pulumi.Input<string>;
    records: pulumi.Input<pulumi.Input<CutoverTarget>[]>;
    sslMode: "strict" | "full";
    /** As a step of the migration night: its name and what to do when it fails. */
    failure?: StepFailureHint;
}

export interface DnsCutoverInputs {
    zoneId: string;
    records: CutoverTarget[];
    sslMode: "strict" | "full";
}

export interface SwitchedRecord {
    hostname: string;
    target: string;
    /** The Cloudflare record id of the CNAME now (for `pulumi import` into a DnsRecord later). */
    recordId: string;
    previous: PreviousRecord[];
}

export interface DnsCutoverOutputs extends DnsCutoverInputs {
    switched: SwitchedRecord[];
    previousSslMode: SslMode;
    doneAt: string;
    seconds: number;
}

export function dnsCutoverProvider(): pulumi.dynamic.ResourceProvider<DnsCutoverInputs, DnsCutoverOutputs> {
    const connection: CloudflareConnection = {};
    return {
        configure: configureCloudflare(connection),

        async check(_olds, news) {
            const failures: Array<{ property: string; reason: string }> = [];
            const mode: unknown = news.sslMode;
            if (mode !== "strict" && mode !== "full") {
                failures.push({ property: "sslMode", reason: "must be strict or full: Flexible sends plain HTTP to Heroku and loops forever with Django's SECURE_SSL_REDIRECT" });
            }
            return { inputs: news, failures };
        },

        diff: oneShotDiff<DnsCutoverInputs>(["zoneId", "records", "sslMode"]),

        async create(inputs) {
            const started = Date.now();
            const api = new CloudflareApi(connection);
            const switched: SwitchedRecord[] = [];
            let previousSslMode: SslMode;
            try {
                // TLS first: once a record points at Heroku, Flexible would already loop.
                previousSslMode = await api.sslMode(inputs.zoneId);
                if (previousSslMode !== inputs.sslMode) await api.setSslMode(inputs.zoneId, inputs.sslMode);
                for (const want of inputs.records) {
                    const existing = await api.listRecords(inputs.zoneId, want.hostname);
                    const plan = cutoverPlan(existing, want);
                    let recordId = existing.find((r) => r.type === "CNAME")?.id ?? "";
                    for (const action of plan.actions) {
                        if (action.kind === "delete") await api.deleteRecord(inputs.zoneId, action.id);
                        else if (action.kind === "update") recordId = (await api.updateRecord(inputs.zoneId, action.id, action.record)).id;
                        else recordId = (await api.createRecord(inputs.zoneId, action.record)).id;
                    }
                    switched.push({ hostname: want.hostname, target: want.target, recordId, previous: plan.previous });
                }
            } catch (err) {
                const done = switched.map((s) => s.hostname).join(", ") || "none";
                throw new Error(`${err instanceof Error ? err.message : String(err)} (records already switched: ${done}; a re-run finds them in place)`);
            }
            const outs: DnsCutoverOutputs = { ...inputs, switched, previousSslMode, doneAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000 };
            return { id: `${inputs.zoneId}/cutover`, outs };
        },

        read: recordOnly,
    };
}

/** The DNS cutover of the migration night (`pulumi-nodejs:dynamic/herokuenv:migration.DnsCutover`). */
export class DnsCutover extends pulumi.dynamic.Resource {
    public readonly switched!: pulumi.Output<SwitchedRecord[]>;
    public readonly previousSslMode!: pulumi.Output<SslMode>;
    public readonly doneAt!: pulumi.Output<string>;
    public readonly seconds!: pulumi.Output<number>;

    constructor(name: string, args: DnsCutoverArgs, opts?: pulumi.CustomResourceOptions) {
        const { failure, ...inputs } = args;
        super(
            packageProvider<DnsCutoverInputs, DnsCutoverOutputs>("migration/dns-cutover", "dnsCutoverProvider", failure),
            name,
            { ...inputs, switched: undefined, previousSslMode: undefined, doneAt: undefined, seconds: undefined },
            opts,
            "herokuenv",
            "migration.DnsCutover",
        );
    }
}

// The prepare phase, days before the night: the DNS-only records that still point at the old host get a short TTL,
// so that resolvers drop the old address within minutes of the cutover.
import * as pulumi from "@pulumi/pulumi";
import { CloudflareApi, configureCloudflare, type CloudflareConnection } from "../cloudflare/api";
import { packageProvider } from "../package-provider";
import { ttlActions } from "./dns-plan";
import { oneShotDiff, recordOnly } from "./one-shot";

export interface DnsTtlArgs {
    zoneId: pulumi.Input<string>;
    hostnames: string[];
    ttl: number;
}

export interface DnsTtlInputs {
    zoneId: string;
    hostnames: string[];
    ttl: number;
}

export interface DnsTtlOutputs extends DnsTtlInputs {
    /** Hostname → the TTLs it had before (only records that changed). */
    lowered: Record<string, number[]>;
    doneAt: string;
}

export function dnsTtlProvider(): pulumi.dynamic.ResourceProvider<DnsTtlInputs, DnsTtlOutputs> {
    const connection: CloudflareConnection = {};
    return {
        configure: configureCloudflare(connection),
        diff: oneShotDiff<DnsTtlInputs>(["zoneId", "hostnames", "ttl"]),
        async create(inputs) {
            const api = new CloudflareApi(connection);
            const lowered: Record<string, number[]> = {};
            for (const hostname of inputs.hostnames) {
                const existing = await api.listRecords(inputs.zoneId, hostname);
                for (const action of ttlActions(existing, hostname, inputs.ttl)) {
                    if (action.kind !== "update") continue;
                    const before = existing.find((r) => r.id === action.id)?.ttl ?? 0;
                    await api.updateRecord(inputs.zoneId, action.id, action.record);
                    (lowered[hostname] ??= []).push(before);
                }
            }
            return { id: `${inputs.zoneId}/ttl-${inputs.ttl}`, outs: { ...inputs, lowered, doneAt: new Date().toISOString() } };
        },
        read: recordOnly,
    };
}

/** TTLs lowered ahead of the cutover (`pulumi-nodejs:dynamic/herokuenv:migration.DnsTtl`). */
export class DnsTtl extends pulumi.dynamic.Resource {
    public readonly lowered!: pulumi.Output<Record<string, number[]>>;

    constructor(name: string, args: DnsTtlArgs, opts?: pulumi.CustomResourceOptions) {
        super(packageProvider<DnsTtlInputs, DnsTtlOutputs>("migration/dns-ttl", "dnsTtlProvider"), name, { ...args, lowered: undefined, doneAt: undefined }, opts, "herokuenv", "migration.DnsTtl");
    }
}

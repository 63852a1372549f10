// Cloudflare DNS records pointing hostnames at their Heroku DNS targets. Every record is a CNAME, the apex too:
// Cloudflare flattens an apex CNAME, and Heroku warns against A records to its IPs, which change without notice.
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

export interface DnsRecordSpec {
    /** Fully qualified hostname, e.g. `www.example.com` or the apex `example.com`. */
    hostname: string;
    /** The Heroku DNS target (`*.herokudns.com`) of the app the hostname should reach: staging's, ahead of a cutover. */
    target: pulumi.Input<string>;
    /** Through Cloudflare's proxy (default) or DNS only. */
    proxied?: boolean;
    /** Seconds, or 1 for automatic (default; required when proxied). */
    ttl?: number;
}

export interface DnsArgs {
    zoneId: pulumi.Input<string>;
    records: DnsRecordSpec[];
}

export class Dns extends pulumi.ComponentResource {
    /** Records by hostname. */
    public readonly records: Record<string, cloudflare.DnsRecord>;
    public readonly hostnames: string[];

    constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("herokuenv:cloudflare:Dns", name, {}, opts);
        this.records = {};
        for (const spec of args.records) {
            const proxied = spec.proxied ?? true;
            this.records[spec.hostname] = new cloudflare.DnsRecord(`${name}-${spec.hostname}`, {
                zoneId: args.zoneId,
                name: spec.hostname,
                type: "CNAME",
                content: spec.target,
                proxied,
                ttl: proxied ? 1 : (spec.ttl ?? 1),
                comment: "managed by herokuenv",
            }, { parent: this });
        }
        this.hostnames = args.records.map((r) => r.hostname);
        this.registerOutputs({ hostnames: this.hostnames });
    }
}

// A custom domain on a Heroku app. Its output `cname` is the DNS target (`*.herokudns.com`) the Cloudflare record
// points at. Domains are created without an SNI endpoint (`sni_endpoint: null`): certificates come from Automated
// Certificate Management (see acm.ts). A hostname cannot be edited: another hostname or app is a new domain.
import * as pulumi from "@pulumi/pulumi";
import { packageProvider, withTypeAlias } from "../package-provider";
import type { HerokuDomain } from "./api";
import { diffProperties, isUnknown } from "./diff";
import { configureConnection, connect, createOnce, gone, ignoreNotFound, withSafeErrors, type CheckFailure, type HerokuConnection } from "./provider";

export interface DomainArgs {
    app: pulumi.Input<string>;
    hostname: pulumi.Input<string>;
}

export interface DomainInputs {
    app: string;
    hostname: string;
}

export interface DomainOutputs extends DomainInputs {
    domainId: string;
    /** DNS target for the CNAME/ALIAS record. */
    cname: string;
    /** `pending` until Heroku sees the DNS record, then `succeeded`. */
    status: string;
    kind: string;
    /** ACM certificate status for this hostname, when ACM is on. */
    acmStatus: string | null;
    /** Always null: certificates come from ACM, not from an uploaded SNI endpoint. */
    sniEndpoint: string | null;
}

const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function outputs(inputs: DomainInputs, d: HerokuDomain): DomainOutputs {
    return {
        app: inputs.app,
        hostname: d.hostname,
        domainId: d.id,
        cname: d.cname ?? "",
        status: d.status,
        kind: d.kind,
        acmStatus: d.acm_status,
        sniEndpoint: d.sni_endpoint?.name ?? null,
    };
}

export function domainProvider(): pulumi.dynamic.ResourceProvider<DomainInputs, DomainOutputs> {
    const connection: HerokuConnection = {};
    return withSafeErrors({
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            if (!isUnknown(news.hostname) && (typeof news.hostname !== "string" || !HOSTNAME.test(news.hostname))) {
                failures.push({ property: "hostname", reason: `must be a lower-case hostname like www.example.com; got ${JSON.stringify(news.hostname)}` });
            } else if (typeof news.hostname === "string" && news.hostname.endsWith(".herokuapp.com")) {
                failures.push({ property: "hostname", reason: "the app's herokuapp.com domain comes with the app; declare custom domains only" });
            }
            return { inputs: { app: news.app, hostname: news.hostname }, failures };
        },

        async diff(_id, olds, news) {
            const d = diffProperties<DomainInputs>(olds, news, ["app", "hostname"], ["app", "hostname"]);
            // A new hostname is added before the old one goes (no gap); the same hostname on another app must be freed
            // first, since a hostname lives on one app only.
            return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.replaces.length > 0 && olds.hostname === news.hostname };
        },

        async create(inputs) {
            const api = connect(connection);
            const domain = await createOnce(
                () => api.createDomain(inputs.app, inputs.hostname, null),
                () => api.findDomain(inputs.app, inputs.hostname),
            );
            return { id: domain.id, outs: outputs(inputs, domain) };
        },

        async read(id, props) {
            const api = connect(connection);
            // Import ids are `<app>/<hostname or domain id>`: a domain id alone does not say which app it is on
            // (unless the program's inputs, which Pulumi passes on import, say it).
            const [app, domain] = id.includes("/") || props?.app === undefined ? splitImportId(id) : [props.app, props.domainId ?? id];
            // A 404 for the domain or for its app: gone.
            const d = await api.findDomain(app, domain);
            if (d === undefined) return gone();
            const outs = outputs({ app, hostname: d.hostname }, d);
            if (props?.domainId !== undefined) return { id: d.id, props: outs };
            return { id: d.id, props: outs, inputs: { app, hostname: d.hostname } as DomainOutputs };
        },

        async delete(id, props) {
            await ignoreNotFound(connect(connection).deleteDomain(props.app, id));
        },
    });
}

function splitImportId(id: string): [string, string] {
    const slash = id.indexOf("/");
    if (slash <= 0) throw new Error(`import a Domain by "<app>/<hostname>" (or "<app>/<domain id>"); got ${JSON.stringify(id)}`);
    return [id.slice(0, slash), id.slice(slash + 1)];
}

/** A custom domain on a Heroku app (`pulumi-nodejs:dynamic/herokuenv:heroku.Domain`). */
export class Domain extends pulumi.dynamic.Resource {
    public readonly domainId!: pulumi.Output<string>;
    public readonly hostname!: pulumi.Output<string>;
    /** The DNS target for a CNAME record, `*.herokudns.com`. */
    public readonly cname!: pulumi.Output<string>;
    public readonly status!: pulumi.Output<string>;
    public readonly acmStatus!: pulumi.Output<string | null>;

    constructor(name: string, args: DomainArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            packageProvider<DomainInputs, DomainOutputs>("heroku/domain", "domainProvider"),
            name,
            { ...args, domainId: undefined, cname: undefined, status: undefined, kind: undefined, acmStatus: undefined, sniEndpoint: undefined },
            withTypeAlias(opts, "pulumi-nodejs:dynamic/heroku:Domain"),
            "herokuenv",
            "heroku.Domain",
        );
    }
}

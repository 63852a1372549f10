// A custom domain on a Heroku app. Its `cname` (`*.herokudns.com`) is the DNS target the Cloudflare records point at.
// No SNI endpoint: certificates come from Automated Certificate Management (see acm.ts).
import * as pulumi from "@pulumi/pulumi";
import { isHerokuApiError } from "./client";
import { diffProperties } from "./diff";
import { configureConnection, connect, ignoreNotFound, seg, type CheckFailure, type HerokuConnection } from "./provider";

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
    cname: string;
    status: string;
    kind: string;
}

interface ApiDomain {
    id: string;
    hostname: string;
    cname: string | null;
    status: string;
    kind: string;
    app: { id: string; name: string };
}

const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function outputs(inputs: DomainInputs, d: ApiDomain): DomainOutputs {
    return { ...inputs, hostname: d.hostname, domainId: d.id, cname: d.cname ?? "", status: d.status, kind: d.kind };
}

export function domainProvider(): pulumi.dynamic.ResourceProvider<DomainInputs, DomainOutputs> {
    const connection: HerokuConnection = {};
    return {
        configure: configureConnection(connection),

        async check(_olds, news) {
            const failures: CheckFailure[] = [];
            if (typeof news.hostname !== "string" || !HOSTNAME.test(news.hostname)) {
                failures.push({ property: "hostname", reason: `must be a lower-case hostname like www.example.com; got ${JSON.stringify(news.hostname)}` });
            }
            return { inputs: { app: news.app, hostname: news.hostname }, failures };
        },

        async diff(_id, olds, news) {
            const d = diffProperties<DomainInputs>(olds, news, ["app", "hostname"], ["app", "hostname"]);
            // A hostname can be on one app only: free it before adding it elsewhere.
            return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.replaces.length > 0 };
        },

        async create(inputs) {
            const client = connect(connection);
            let domain: ApiDomain;
            try {
                domain = await client.post<ApiDomain>(`/apps/${seg(inputs.app)}/domains`, { hostname: inputs.hostname, sni_endpoint: null });
            } catch (err) {
                if (!(isHerokuApiError(err) && err.outcomeUnknown)) throw err;
                domain = await client.get<ApiDomain>(`/apps/${seg(inputs.app)}/domains/${seg(inputs.hostname)}`);
            }
            return { id: domain.id, outs: outputs(inputs, domain) };
        },

        async read(id, props) {
            if (props === undefined) {
                // Import by `app/hostname`: a domain id alone does not say which app it is on.
                const [app, hostname] = id.split("/");
                const d = await connect(connection).get<ApiDomain>(`/apps/${seg(app)}/domains/${seg(hostname)}`);
                return { id: d.id, props: outputs({ app, hostname }, d) };
            }
            const d = await connect(connection).get<ApiDomain>(`/apps/${seg(props.app)}/domains/${seg(id)}`);
            return { id: d.id, props: outputs(props, d) };
        },

        async delete(id, props) {
            await ignoreNotFound(connect(connection).delete(`/apps/${seg(props.app)}/domains/${seg(id)}`));
        },
    };
}

/** A custom domain on a Heroku app (`herokuenv:heroku:Domain`). */
export class Domain extends pulumi.dynamic.Resource {
    public readonly domainId!: pulumi.Output<string>;
    public readonly hostname!: pulumi.Output<string>;
    /** The DNS target for a CNAME record, `*.herokudns.com`. */
    public readonly cname!: pulumi.Output<string>;
    public readonly status!: pulumi.Output<string>;

    constructor(name: string, args: DomainArgs, opts?: pulumi.CustomResourceOptions) {
        super(domainProvider(), name, { ...args, domainId: undefined, cname: undefined, status: undefined, kind: undefined }, opts, "heroku", "Domain");
    }
}

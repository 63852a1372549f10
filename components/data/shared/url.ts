// A connection URL checked for its scheme, with errors that name the side and never echo the URL (it holds a password).

/** Parses `url` as a connection URL of one of `protocols` (e.g. ["mysql:", "mariadb:"]); `scheme` is the one to name. */
export function parseConnectionUrl(url: string, side: "source" | "target", scheme: string, protocols: readonly string[]): URL {
    let u: URL;
    try {
        u = new URL(url);
    } catch {
        throw new Error(`the ${side} is not a valid ${scheme}:// URL`);
    }
    if (!protocols.includes(u.protocol)) throw new Error(`the ${side} URL must start with ${scheme}:// (got ${u.protocol}//)`);
    return u;
}

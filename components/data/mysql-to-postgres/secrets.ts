// Connection strings are secrets: whatever the engine reports passes through redact() first.

/** The parts of connection URLs that must never appear in output: the URLs themselves and their passwords. */
export function secretsOf(...urls: (string | undefined)[]): string[] {
    const out: string[] = [];
    for (const url of urls) {
        if (!url) continue;
        out.push(url);
        try {
            const u = new URL(url);
            if (u.password) {
                out.push(u.password, decodeURIComponent(u.password));
                // The URL as other libraries may re-serialize it, without the password part.
            }
        } catch {
            // Not a URL: the whole string is the secret.
        }
    }
    return [...new Set(out)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** Replaces every secret in a text with "***", and any user:password@ part of a URL as well. */
export function redact(text: string, secrets: string[]): string {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join("***");
    return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s/]*@/gi, "$1:***@");
}

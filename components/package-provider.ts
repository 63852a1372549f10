// The one shape of every herokuenv dynamic provider. Pulumi serializes the provider object, with its closure, into
// each resource's state and runs that text later in its dynamic-provider host, maybe on another machine. Project
// modules would be captured by value (tens of KB per resource, and an absolute path frozen at preview time), so the
// object serialized here holds two strings and loads the real provider at run time by the package's own name,
// `herokuenv/<module>`, through package.json "exports": compiled JavaScript from wherever the program is installed.
import type * as pulumi from "@pulumi/pulumi";

/** The scheme of every herokuenv resource type: `pulumi-nodejs:dynamic/herokuenv:<area>.<Name>`. */
export const DYNAMIC_MODULE = "herokuenv";

/** The full type token of a herokuenv dynamic resource, e.g. `pulumi-nodejs:dynamic/herokuenv:heroku.App`. */
export function dynamicType(area: string, name: string): string {
    return `pulumi-nodejs:dynamic/${DYNAMIC_MODULE}:${area}.${name}`;
}

/**
 * Options with an alias from the type a resource had before the one naming scheme, so existing stacks keep their
 * resources (Pulumi matches the old URN instead of creating a new resource and deleting the old one).
 */
export function withTypeAlias<T extends pulumi.CustomResourceOptions>(opts: T | undefined, previousType: string): T {
    return { ...(opts as T), aliases: [...(opts?.aliases ?? []), { type: previousType }] };
}

/** For a provider that runs as one step of a chain: its name in messages and what to do when it fails. */
export interface StepFailureHint {
    step: string;
    next: string;
}

/**
 * A provider whose every method loads `require("herokuenv/<modulePath>")[factory]()` once, in the provider host, and
 * delegates to it. Methods the real provider lacks answer as Pulumi's host does without them.
 *
 * Resolution order: from the program's directory (the host runs there), which finds an installed `herokuenv` in
 * node_modules and, in herokuenv's own checkout, the package itself through its "exports"; then from the host's own
 * location inside the program's node_modules.
 */
export function packageProvider<I, O>(modulePath: string, factory: string, failure?: StepFailureHint): pulumi.dynamic.ResourceProvider<I, O> {
    const request = `herokuenv/${modulePath}`;
    const step = failure?.step;
    const next = failure?.next ?? "";
    // As one step of a chain (the migration night), a failed create or update says which step failed, that the
    // steps after it did not run, and how to resume. An error's id/properties ("created but not initialized") stay.
    const explain = (err: unknown): unknown => {
        if (step === undefined) return err;
        const reason = err instanceof Error ? err.message : String(err);
        const wrapped = new Error(
            `migration step "${step}" failed: ${reason}. The site stays in maintenance. ${next} ` +
                "Then run `pulumi up` again: it resumes from this step (the steps before it are done and are not repeated).",
        );
        if (err !== null && typeof err === "object") {
            const { id, properties, reasons } = err as { id?: unknown; properties?: unknown; reasons?: unknown };
            if (id !== undefined) Object.assign(wrapped, { id, properties, reasons });
        }
        return wrapped;
    };
    // The loaded provider is kept on the provider object itself: Pulumi re-creates a serialized function's captured
    // variables on every call, but the object the host calls methods on lives as long as the host.
    const real = (self: { loaded?: pulumi.dynamic.ResourceProvider }): pulumi.dynamic.ResourceProvider => {
        if (self.loaded) return self.loaded;
        /* eslint-disable @typescript-eslint/no-require-imports */
        const { createRequire } = require("module") as typeof import("module");
        const { join } = require("path") as typeof import("path");
        /* eslint-enable @typescript-eslint/no-require-imports */
        const anchors = [join(process.cwd(), "package.json"), require.main?.filename].filter((a): a is string => typeof a === "string");
        let lastError: unknown;
        for (const anchor of anchors) {
            try {
                const exported = createRequire(anchor)(request) as Record<string, () => pulumi.dynamic.ResourceProvider>;
                if (typeof exported[factory] !== "function") throw new Error(`${request} has no export ${factory}`);
                self.loaded = exported[factory]();
                return self.loaded;
            } catch (err) {
                if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
                lastError = err;
            }
        }
        throw new Error(
            `the herokuenv provider ${request} could not be loaded from ${process.cwd()}: install herokuenv in this Pulumi project ` +
                `(npm install herokuenv) or, in herokuenv's own checkout, build it (npm run build:dist). ${String(lastError)}`,
        );
    };
    const provider: pulumi.dynamic.ResourceProvider & { loaded?: pulumi.dynamic.ResourceProvider } = {
        async configure(req) {
            await real(this).configure?.(req);
        },
        async check(olds, news) {
            const p = real(this);
            return p.check ? p.check(olds, news) : { inputs: news };
        },
        async diff(id, olds, news) {
            const p = real(this);
            return p.diff ? p.diff(id, olds, news) : {};
        },
        async create(inputs) {
            try {
                return await real(this).create(inputs);
            } catch (err) {
                throw explain(err);
            }
        },
        async read(id, props) {
            const p = real(this);
            return p.read ? p.read(id, props) : { id, props };
        },
        async update(id, olds, news) {
            const p = real(this);
            try {
                return p.update ? await p.update(id, olds, news) : {};
            } catch (err) {
                throw explain(err);
            }
        },
        async delete(id, props) {
            await real(this).delete?.(id, props);
        },
    };
    return provider as pulumi.dynamic.ResourceProvider<I, O>;
}

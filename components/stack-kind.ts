// Remembers which kind of environment a stack is and refuses to switch it (production → staging would drop deletion
// protection and shrink plans) unless the stack says `herokuenv:allowKindChange: true`. It makes no API calls: the
// engine hands `check` the previous inputs, which is all it needs.
import * as pulumi from "@pulumi/pulumi";
import { dynamicType, packageProvider, withTypeAlias } from "./package-provider";

export interface StackKindArgs {
    kind: pulumi.Input<string>;
    allowKindChange?: pulumi.Input<boolean>;
}

export interface StackKindInputs {
    kind: string;
    allowKindChange: boolean;
}

export function stackKindProvider(): pulumi.dynamic.ResourceProvider<StackKindInputs, StackKindInputs> {
    return {
        async check(olds, news) {
            const failures: Array<{ property: string; reason: string }> = [];
            const previous = (olds as Partial<StackKindInputs>).kind;
            if (previous !== undefined && previous !== news.kind && news.allowKindChange !== true) {
                failures.push({
                    property: "kind",
                    reason: `this stack is a ${previous} environment; switching it to ${news.kind} is refused. If that is really meant, set herokuenv:allowKindChange to true for this update`,
                });
            }
            return { inputs: { kind: news.kind, allowKindChange: news.allowKindChange === true }, failures };
        },
        async diff(_id, olds, news) {
            return { changes: olds.kind !== news.kind || olds.allowKindChange !== news.allowKindChange };
        },
        async create(inputs) {
            return { id: "stack-kind", outs: inputs };
        },
        async update(_id, _olds, news) {
            return { outs: news };
        },
    };
}

/** The type token; before the one naming scheme it was `pulumi-nodejs:dynamic/herokuenv:StackKind`. */
export const STACK_KIND_TYPE = dynamicType("config", "StackKind");

/** The kind of environment this stack is (`pulumi-nodejs:dynamic/herokuenv:config.StackKind`). */
export class StackKind extends pulumi.dynamic.Resource {
    public readonly kind!: pulumi.Output<string>;

    constructor(name: string, args: StackKindArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            packageProvider<StackKindInputs, StackKindInputs>("stack-kind", "stackKindProvider"),
            name,
            args,
            withTypeAlias(opts, "pulumi-nodejs:dynamic/herokuenv:StackKind"),
            "herokuenv",
            "config.StackKind",
        );
    }
}

// A migration step is an action, not a thing that lives: it runs once, when created, and is then only a record in the
// state that it happened (with its results). A later `pulumi up` or `pulumi refresh` makes no request for it; a change
// to the inputs that define the action runs it again (a replacement); deleting the record undoes nothing.
import type * as pulumi from "@pulumi/pulumi";

/** Diff for a one-shot step: replace when an input that defines the action changed, else no change at all. */
export function oneShotDiff<T extends object>(keys: readonly (keyof T)[]): (id: string, olds: T, news: T) => Promise<pulumi.dynamic.DiffResult> {
    return async (_id, olds, news) => {
        const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
        const replaces = keys.filter((k) => !same(olds[k], news[k])).map(String);
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
    };
}

/** A one-shot step's read: its record, as it is (refresh makes no request). */
export async function recordOnly<T>(id: string, props?: T): Promise<pulumi.dynamic.ReadResult<T>> {
    return { id, props };
}

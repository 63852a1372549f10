// The one error the engine throws, and the wrapping that makes every error passed on from a server say which side
// it came from (source MySQL or target PostgreSQL), which table and, where known, which column.

export type MigrationErrorKind = "usage" | "refused" | "problems" | "verification" | "failed";

export class MigrationError extends Error {
    constructor(
        message: string,
        readonly kind: MigrationErrorKind,
        readonly details: string[] = [],
    ) {
        super(details.length > 0 ? `${message}\n  - ${details.join("\n  - ")}` : message);
        this.name = "MigrationError";
    }

    /** The first line: the message without its details. */
    get summary(): string {
        return this.message.split("\n  - ")[0];
    }
}

export type Side = "source" | "target";

const SIDE_NAME: Record<Side, string> = { source: "source (MySQL)", target: "target (PostgreSQL)" };

/** Where an error happened: the side, and the table and column when known. */
export interface ErrorPlace {
    table?: string;
    column?: string;
}

/** "target (PostgreSQL), table film, column rating" */
export function placeText(side: Side, place: ErrorPlace = {}): string {
    return [SIDE_NAME[side], place.table !== undefined ? `table ${place.table}` : undefined, place.column !== undefined ? `column ${place.column}` : undefined].filter((p) => p !== undefined).join(", ");
}

/** The column a PostgreSQL error names: `where` of a COPY error ("COPY t, line 3, column c: …") or `column`. */
function pgColumn(err: { where?: unknown; column?: unknown }): string | undefined {
    if (typeof err.column === "string" && err.column !== "") return err.column;
    const m = typeof err.where === "string" ? /\bCOPY [^,]+, line \d+, column ([^:]+):/.exec(err.where) : null;
    return m ? m[1] : undefined;
}

/**
 * A server's error as a MigrationError naming its place. MigrationErrors pass unchanged (they already say where);
 * anything else becomes kind "failed" with "<side>, table <t>, column <c>: <driver message>".
 */
export function serverError(side: Side, err: unknown, place: ErrorPlace = {}): MigrationError {
    if (err instanceof MigrationError) return err;
    const e = (err ?? {}) as Error & { where?: unknown; column?: unknown; code?: unknown };
    const column = place.column ?? (side === "target" ? pgColumn(e) : undefined);
    const message = e.message ?? String(err);
    return new MigrationError(`${placeText(side, { ...place, column })}: ${message}`, "failed");
}

/** Runs one server call; its error comes back as serverError(side, …, place). */
export async function onSide<T>(side: Side, place: ErrorPlace, work: () => Promise<T>): Promise<T> {
    try {
        return await work();
    } catch (err) {
        throw serverError(side, err, place);
    }
}

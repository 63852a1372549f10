// Errors of the PostgreSQL → PostgreSQL copy: the MySQL engine's MigrationError (same kinds, same exit codes), with
// every server error naming its side ("source (PostgreSQL)" / "target (PostgreSQL)") and, where known, the table.
import { MigrationError } from "../mysql-to-postgres/errors";

export { MigrationError, type MigrationErrorKind } from "../mysql-to-postgres/errors";

export type Side = "source" | "target";

const SIDE_NAME: Record<Side, string> = { source: "source (PostgreSQL)", target: "target (PostgreSQL)" };

export function sideText(side: Side, table?: string): string {
    return table === undefined ? SIDE_NAME[side] : `${SIDE_NAME[side]}, table ${table}`;
}

/** A server's error as a MigrationError naming its side and table; MigrationErrors pass unchanged. */
export function pgError(side: Side, err: unknown, table?: string): MigrationError {
    if (err instanceof MigrationError) return err;
    const e = (err ?? {}) as Error & { where?: unknown };
    const column = typeof e.where === "string" ? /\bCOPY [^,]+, line \d+, column ([^:]+):/.exec(e.where)?.[1] : undefined;
    return new MigrationError(`${sideText(side, table)}${column ? `, column ${column}` : ""}: ${e.message ?? String(err)}`, "failed");
}

/** Runs one server call; its error comes back as pgError(side, …, table). */
export async function onPg<T>(side: Side, table: string | undefined, work: () => Promise<T>): Promise<T> {
    try {
        return await work();
    } catch (err) {
        throw pgError(side, err, table);
    }
}

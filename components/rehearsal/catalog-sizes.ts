// Production's sizes read from the live MySQL server's catalog (information_schema: the server's row estimates and
// data lengths), without reading a single row: the input of the maintenance-window estimate.
import { closeMySql, connectMySql, parseMySqlUrl, query } from "../data/mysql-to-postgres/mysql-source";
import type { ProductionSizes } from "./estimate";

export async function sizesFromMySqlCatalog(url: string): Promise<ProductionSizes> {
    const location = parseMySqlUrl(url);
    const conn = await connectMySql(location);
    try {
        const rows = await query<{ name: string; rows: number | string | null; bytes: number | string | null }>(
            conn,
            "SELECT TABLE_NAME AS name, TABLE_ROWS AS `rows`, DATA_LENGTH AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
        );
        return { tables: Object.fromEntries(rows.map((r) => [r.name, { rows: Number(r.rows ?? 0), bytes: Number(r.bytes ?? 0) }])) };
    } finally {
        await closeMySql(conn);
    }
}

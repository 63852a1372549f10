// A MySQL/MariaDB connection URL, parsed (no driver needed: the PostgreSQL side and option checks use it too).
import { parseConnectionUrl } from "../shared/url";

export interface MySqlLocation {
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
    socketPath?: string;
    ssl?: boolean;
}

/** Parses mysql://user:pass@host:port/db[?socket=/path&ssl=true]. */
export function parseMySqlUrl(url: string): MySqlLocation {
    const u = parseConnectionUrl(url, "source", "mysql", ["mysql:", "mariadb:"]);
    const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
    if (database === "") throw new Error("the source URL names no database (mysql://user@host/DATABASE)");
    return {
        host: u.hostname || "localhost",
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username || "root"),
        password: decodeURIComponent(u.password),
        database,
        socketPath: u.searchParams.get("socket") ?? undefined,
        ssl: ["true", "1", "required"].includes((u.searchParams.get("ssl") ?? "").toLowerCase()),
    };
}

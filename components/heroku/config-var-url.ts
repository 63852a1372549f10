// A database URL read from a Heroku app's config var when a data step runs (DATABASE_URL of the app's Heroku
// Postgres): data steps name the app, never the URL, so no URL is in the state and no step can point at a database
// other than the app's own. The value is never logged nor put in an error.
import { connect, type HerokuConnection } from "./provider";

/** The config var's value; an error naming the app, the var and what to do when it is missing or not a postgres:// URL. */
export async function databaseUrlOfApp(connection: HerokuConnection, app: string, configVar: string, role: string): Promise<string> {
    let vars: Record<string, string>;
    try {
        vars = await connect(connection).getConfigVars(app);
    } catch (err) {
        throw new Error(`cannot read the config vars of Heroku app ${app} for the ${role} (${configVar}): ${(err as Error).message}`);
    }
    const url = vars[configVar];
    if (typeof url !== "string" || url === "") throw new Error(`Heroku app ${app} has no config var ${configVar} (the ${role} database URL): attach its Heroku Postgres first`);
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`config var ${configVar} of Heroku app ${app} is not a postgres:// URL, so it cannot be the ${role} database`);
    return url;
}
